/**
 * Enforces the layout's import rules by reading every source file's imports:
 * which folder may import which (type-only imports are erased at run time
 * and exempt), where Deno APIs that spawn, signal or load
 * libraries may appear, private `_x.ts` files, and no import cycles.
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
  /** Imports that exist at run time (type-only imports are erased). */
  imports: string[];
  /** The static subset of `imports` (not `import()`). */
  staticImports: string[];
}

function folderOf(file: string): string {
  const rel = relative(SRC, file);
  return rel.includes("/") ? rel.split("/")[0] : ".";
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s(type\s)?[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g;

function readSources(): Source[] {
  return walk(SRC).map((file) => {
    const text = Deno.readTextFileSync(file);
    const imports: string[] = [];
    const staticImports: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      if (m[1]) continue;
      const spec = m[2] ?? m[3];
      const resolved = spec.startsWith(".") ? normalize(join(dirname(file), spec)) : spec;
      imports.push(resolved);
      if (m[2]) staticImports.push(resolved);
    }
    return { file, folder: folderOf(file), text, imports, staticImports };
  });
}

const SOURCES = readSources();

/** Folders each folder may import from (besides itself and `node:` builtins). */
const ALLOWED: Record<string, string[]> = {
  ".": [],
  unit: [],
  output: ["unit"],
  units: ["unit"],
  state: [],
  process: [],
  service: ["unit", "units", "state", "process", "output", "."],
  verbs: ["service", "units", "state", "output", "unit", "cli", "."],
  cli: ["verbs", "init", "units", "output", "unit", "."],
  init: ["service", "process", "units", "state", "unit", "output", "."],
};

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

Deno.test("the static module graph has no import cycles", () => {
  // Lazy `import()` edges (the verb registry's handlers) are left out: they
  // run after every module has initialised, so they cannot form a load cycle.
  const graph = new Map(
    SOURCES.map((s) => [s.file, s.staticImports.filter((i) => i.startsWith(SRC))]),
  );
  const state = new Map<string, "visiting" | "done">();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === "done") return;
    if (state.get(f) === "visiting") {
      cycles.push([...path.slice(path.indexOf(f)), f].map(rel).join(" -> "));
      return;
    }
    state.set(f, "visiting");
    for (const n of graph.get(f) ?? []) visit(n, [...path, f]);
    state.set(f, "done");
  };
  for (const f of graph.keys()) visit(f, []);
  deepStrictEqual(cycles, []);
});
