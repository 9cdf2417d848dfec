/**
 * Issue 18 item 9, hostile input: the parsers must be linear. Each case runs at size N
 * and 4N and reports both times, their ratio (linear ≈ 4, quadratic ≈ 16) and the slope
 * (time per element at 4N). In-process cases take the best of three runs; the CLI cases
 * run the real program against generated roots once each.
 *
 * `deno run --allow-all bench/parse.ts` (bench/run.ts runs it too; BENCH_SKIP=parse)
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseUnitText } from "../src/unit/parse.ts";
import { parseExecLine } from "../src/unit/exec.ts";
import { UnitLoader } from "../src/units/loader.ts";
import { RootMap } from "../src/units/paths.ts";
import { serviceSettings } from "../src/unit/model.ts";
import { PERMISSION_FLAGS } from "../src/process/self.ts";
import { runTimed } from "./lib.ts";

const REPO = join(fileURLToPath(new URL(".", import.meta.url)), "..");

/** One measured case at N and 4N. */
export interface ParseCase {
  name: string;
  n: number;
  msN: number;
  ms4N: number;
}

function best(fn: () => void, runs = 3): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

function continued(n: number): string {
  return "[Service]\nExecStart=/bin/echo \\\n" + "ab\\\n".repeat(n) + "end\n";
}

function environment(n: number): string {
  return "[Service]\nExecStart=/bin/true\n" +
    Array.from({ length: n }, (_, i) => `Environment=V${i}=x\n`).join("");
}

function writeRoot(dir: string, files: Record<string, string>): string {
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, "etc/systemd/system", name);
    Deno.mkdirSync(join(path, ".."), { recursive: true });
    Deno.writeTextFileSync(path, text);
  }
  return dir;
}

function loadAll(root: string, name: string): void {
  const u = new UnitLoader({ root: new RootMap(root), scope: "system", env: {} }).load(name);
  serviceSettings(u.config);
}

/** Formats a case: both times, the ratio and the slope at 4N. */
export function describeCase(c: ParseCase, unit: string): string {
  const per = (c.ms4N / (4 * c.n)) * 1000;
  return `parse, ${c.name}: ${c.n.toLocaleString("en")} ${unit} in ${c.msN.toFixed(0)} ms, ` +
    `${(4 * c.n).toLocaleString("en")} in ${c.ms4N.toFixed(0)} ms ` +
    `(4N/N ${(c.ms4N / c.msN).toFixed(1)}; linear ≈ 4, quadratic ≈ 16; ` +
    `${per.toFixed(2)} µs per ${unit.replace(/s$/, "")})`;
}

/** Runs the in-process and CLI cases; returns the report lines. */
export async function runParseCases(log: (t: string) => void = () => {}): Promise<string[]> {
  const lines: string[] = [];
  const add = (c: ParseCase, unit: string) => {
    const line = describeCase(c, unit);
    log(line);
    lines.push(line);
  };
  const pair = (name: string, n: number, f: (n: number) => void): ParseCase => {
    f(n); // warm-up
    return { name, n, msN: best(() => f(n)), ms4N: best(() => f(4 * n)) };
  };

  const texts = new Map<string, string>();
  const text = (kind: string, n: number, make: (n: number) => string) => {
    const key = `${kind}:${n}`;
    if (!texts.has(key)) texts.set(key, make(n));
    return texts.get(key)!;
  };
  add(
    pair("continuation lines (parseUnitText)", 50_000, (n) => {
      parseUnitText(text("c", n, continued), "c.service");
    }),
    "lines",
  );
  add(
    pair("Environment= lines (parseUnitText)", 50_000, (n) => {
      parseUnitText(text("env", n, environment), "e.service");
    }),
    "lines",
  );
  const execLines = new Map<number, string>();
  add(
    pair("Exec arguments (parseExecLine)", 500_000, (n) => {
      if (!execLines.has(n)) execLines.set(n, "/bin/echo " + "a ".repeat(n));
      parseExecLine(execLines.get(n)!);
    }),
    "arguments",
  );

  const work = Deno.makeTempDirSync({ prefix: "sysctl-bench-parse-" });
  try {
    const roots = new Map<number, string>();
    for (const n of [50_000, 200_000]) {
      roots.set(
        n,
        writeRoot(join(work, `r${n}`), {
          "cont.service": continued(n),
          "env.service": environment(n),
        }),
      );
    }
    const load = (name: string) => (n: number) => loadAll(roots.get(n)!, name);
    add(pair("load + settings, continuation lines", 50_000, load("cont.service")), "lines");
    add(pair("load + settings, Environment= lines", 50_000, load("env.service")), "lines");

    const cli = async (n: number, args: string[]) => {
      const r = await runTimed({
        cmd: Deno.execPath(),
        args: ["run", ...PERMISSION_FLAGS, join(REPO, "mod.ts"), `--root=${roots.get(n)}`, ...args],
        env: { DENO_NO_UPDATE_CHECK: "1" },
      }, 600_000);
      if (r.code !== 0 || r.timedOut) throw new Error(`${args.join(" ")}: exit ${r.code}`);
      return r.ms;
    };
    for (
      const [name, args] of [
        ["CLI show -p ExecStart, continuation lines", ["show", "-p", "ExecStart", "cont.service"]],
        ["CLI show -p Environment, Environment= lines", [
          "show",
          "-p",
          "Environment",
          "env.service",
        ]],
        ["CLI list-units --all", ["list-units", "--all"]],
        ["CLI list-unit-files", ["list-unit-files"]],
      ] as const
    ) {
      add({
        name,
        n: 50_000,
        msN: await cli(50_000, [...args]),
        ms4N: await cli(200_000, [...args]),
      }, "lines");
    }

    // 2,000,000 arguments through $A: execve would refuse them, so the start fails at EXEC.
    const argRoot = writeRoot(join(work, "args"), {
      "args.service": `[Service]\nType=oneshot\nEnvironment="A=${"a ".repeat(500_000)}"\n` +
        "ExecStart=/bin/true $A $A $A $A\n",
    });
    const r = await runTimed({
      cmd: Deno.execPath(),
      args: [
        "run",
        ...PERMISSION_FLAGS,
        join(REPO, "mod.ts"),
        `--root=${argRoot}`,
        "start",
        "args.service",
      ],
      env: { DENO_NO_UPDATE_CHECK: "1" },
    }, 600_000);
    const status = await runTimed({
      cmd: Deno.execPath(),
      args: [
        "run",
        ...PERMISSION_FLAGS,
        join(REPO, "mod.ts"),
        `--root=${argRoot}`,
        "status",
        "args.service",
      ],
      env: { DENO_NO_UPDATE_CHECK: "1" },
    }, 600_000);
    const why =
      /Failed at step EXEC spawning \/bin\/true: Argument list too long/.test(status.stdout)
        ? "203/EXEC, Argument list too long"
        : "no E2BIG line in status";
    const line = `parse, CLI start of 2,000,000 arguments: exit ${r.code} in ${
      r.ms.toFixed(0)
    } ms (${why})`;
    log(line);
    lines.push(line);
  } finally {
    Deno.removeSync(work, { recursive: true });
  }
  return lines;
}

if (import.meta.main) {
  for (const line of await runParseCases()) console.log(line);
}
