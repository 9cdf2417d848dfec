/**
 * Enforces the layout's import rules (shared/design/layout.md) by reading every source
 * file's imports: which folder may import which, where Deno APIs that spawn, signal or
 * load libraries may appear, private `_x.ts` files, and no import cycles. Every edge
 * counts: value, type-only (`import type`, `export type`) and dynamic (`import()`).
 * There is no list of exceptions: a rule below holds for every file of its folder.
 */

import { deepStrictEqual } from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), ".."));
const SRC = join(ROOT, "src");

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...walk(p));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out.sort();
}

interface Source {
  file: string;
  folder: string;
  text: string;
  /** Every import: static, type-only and dynamic. */
  imports: string[];
}

function folderOf(file: string): string {
  const rel = relative(SRC, file);
  return rel.includes("/") ? rel.split("/")[0] : ".";
}

/** `import … from "x"`, `export … from "x"` (type-only too), `import "x"` and `import("x")`. */
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|(?:^|\n)\s*import\s+["']([^"']+)["']|import\(\s*["'`]([^"'`]+)["'`]\s*\)/g;

function readSources(): Source[] {
  return walk(SRC).map((file) => {
    const text = Deno.readTextFileSync(file);
    const imports: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      imports.push(spec.startsWith(".") ? normalize(join(dirname(file), spec)) : spec);
    }
    return { file, folder: folderOf(file), text, imports };
  });
}

const SOURCES = readSources();

/**
 * Folders each folder may import from (besides itself and `node:` builtins), as
 * layout.md's import rules say, read with these notes where the layout's words are
 * loose (each is a proposed change to layout.md, not an exception for a file):
 *
 * - `.` is `src/version.ts`, a constant with no imports: any folder may read it.
 * - `unit/` is pure and imports nothing: every folder may use it (layout.md names it
 *   for `service/` only; `output/` formats its values, `verbs/` and `cli/` parse names,
 *   time spans and specifiers with it). `output/` stays pure: only `unit/`.
 * - `cli/context.ts` is the context handed to every handler (dax's model): the
 *   handlers' folders, `verbs/` and `init/`, may import that one module of `cli/`
 *   (see CONTEXT below); nothing else of `cli/`.
 * - `init/` runs the loop with what `service/` uses (`units/`, `state/`, `process/` for
 *   the reaper, signals and procfs), besides `service/`.
 * - `init/` is a front end too, as `verbs/` is: the lines it prints for a unit a job
 *   cannot act on are the job verbs' (`output/load_problem.ts`), so it may use `output/`.
 * - `cli/` holds the `init` and `listen` verbs' entries in `init/` (the PID-1 loop is a
 *   program of its own) and builds the Context from `units/` (the root mapping, the
 *   time zone).
 */
const ALLOWED: Record<string, string[]> = {
  ".": [],
  unit: [],
  output: ["unit", "."],
  units: ["unit", "."],
  state: ["."],
  process: ["."],
  service: ["unit", "units", "state", "process", "."],
  verbs: ["service", "units", "state", "output", "unit", "."],
  cli: ["verbs", "init", "units", "unit", "."],
  init: ["service", "process", "units", "state", "output", "unit", "."],
};

/** The one module of `cli/` that handler folders may import: the Context type. */
const CONTEXT = join(SRC, "cli", "context.ts");
/** The folders whose handlers receive the Context. */
const CONTEXT_USERS = ["verbs", "init"];

function rel(p: string): string {
  return relative(ROOT, p);
}

Deno.test("every folder imports only from the folders the layout allows", () => {
  const violations: string[] = [];
  for (const s of SOURCES) {
    const allowed = ALLOWED[s.folder] ?? [];
    for (const imp of s.imports) {
      if (imp.startsWith("node:")) continue;
      if (!imp.startsWith("/")) {
        violations.push(`${rel(s.file)} imports a remote or bare module ${imp}`);
        continue;
      }
      if (!imp.startsWith(SRC + "/")) {
        violations.push(`${rel(s.file)} imports ${rel(imp)} outside src/`);
        continue;
      }
      const target = folderOf(imp);
      if (target === s.folder) continue;
      if (imp === CONTEXT && CONTEXT_USERS.includes(s.folder)) continue;
      if (!allowed.includes(target)) {
        violations.push(`${rel(s.file)} (${s.folder}/) imports ${rel(imp)} (${target}/)`);
      }
    }
  }
  deepStrictEqual(violations, []);
});

Deno.test("unit/ and output/ are pure: no Deno APIs", () => {
  const violations = SOURCES
    .filter((s) => (s.folder === "unit" || s.folder === "output") && /\bDeno\./.test(s.text))
    .map((s) => rel(s.file));
  deepStrictEqual(violations, []);
});

Deno.test("only process/ spawns, signals or loads native libraries", () => {
  const forbidden = /\bDeno\.(Command|dlopen|kill|run|UnsafePointer|UnsafeCallback)\b/;
  const violations = SOURCES
    .filter((s) => s.folder !== "process" && forbidden.test(s.text))
    .map((s) => rel(s.file));
  deepStrictEqual(violations, []);
});

Deno.test("private _x.ts files are imported only from their own folder", () => {
  const violations: string[] = [];
  for (const s of SOURCES) {
    for (const imp of s.imports) {
      if (!imp.startsWith(SRC + "/")) continue;
      const base = imp.slice(imp.lastIndexOf("/") + 1);
      if (base.startsWith("_") && dirname(imp) !== dirname(s.file)) {
        violations.push(`${rel(s.file)} imports private ${rel(imp)}`);
      }
    }
  }
  deepStrictEqual(violations, []);
});

/** The cycles of a module graph, each as a path that ends where it starts. */
function cyclesOf(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[][] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === "done") return;
    if (state.get(f) === "visiting") {
      cycles.push([...path.slice(path.indexOf(f)), f]);
      return;
    }
    state.set(f, "visiting");
    for (const n of graph.get(f) ?? []) visit(n, [...path, f]);
    state.set(f, "done");
  };
  for (const f of [...graph.keys()].sort()) visit(f, []);
  return cycles;
}

Deno.test("the cycle finder finds a circle through a dynamic or type-only edge", () => {
  const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
  deepStrictEqual(cyclesOf(graph), [["a", "b", "c", "a"]]);
  deepStrictEqual(cyclesOf(new Map([["a", ["b"]], ["b", []]])), []);
  // The reader sees the edges the runtime would not load eagerly.
  const text = 'import type { X } from "./x.ts";\nconst m = () => import("./y.ts");\n' +
    'export type { Z } from "./z.ts";\nimport "./w.ts";\n';
  deepStrictEqual([...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]), [
    "./x.ts",
    "./y.ts",
    "./z.ts",
    "./w.ts",
  ]);
});

Deno.test("the module graph of src/ has no import cycles, counting type-only and import() edges", () => {
  const graph = new Map(
    SOURCES.map((s) => [s.file, s.imports.filter((i) => i.startsWith(SRC + "/"))]),
  );
  deepStrictEqual(cyclesOf(graph).map((c) => c.map(rel).join(" -> ")), []);
});
