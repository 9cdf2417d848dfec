/**
 * Issue 23: queries against the Deno floor and against the number of units installed, in one
 * run, with the installed artifact (install.sh --bundle).
 *
 * - The floor: `deno run` of a one-line script, timed in the same hyperfine run as ours.
 * - `--version`, `is-active`, `show -p`, `is-enabled`, `status` of one unit on a root of 300 units and on
 *   one of BENCH_QUERY_UNITS (100,000) units: each figure with the floor, the ratio to it,
 *   and the ratio of the big root to the small one (target ≤ 1.5).
 * - `list-unit-files` on BENCH_LUF_SIZES (5000,20000) units: the slope per 10,000 units.
 * - Wall time (median) and CPU time (user + system, mean) per case, hyperfine in rounds that
 *   run every command (a load change hits them alike): on a loaded machine the CPU time is
 *   the steadier figure. The machine load is printed before and after.
 * - A breakdown from the same medians: the runtime's start (the floor), our start above it
 *   (`--version`), the verb's own work on 300 units, and what 100,000 units add.
 *
 * The roots get their search-path digest the way a container does: a verb with write
 * permission (here `reset-failed`, which changes nothing) writes it once the unit
 * directories have been unchanged for 2 s; queries only read it.
 * @module
 */

import { join } from "node:path";
import { generateRoot, type Root } from "./roots.ts";
import { loadAverage, median } from "./lib.ts";

/** What the query cases need. */
export interface QueryConfig {
  /** The installed launcher (`<image>/usr/bin/systemctl`). */
  readonly installed: string;
  /** The Deno of the floor. */
  readonly deno: string;
  readonly work: string;
  readonly runs: number;
  readonly units: number;
  readonly lufSizes: readonly number[];
  readonly log: (line: string) => void;
}

interface Timing {
  /** Median wall time, ms. */
  wall: number;
  /** Mean user + system CPU time, ms. */
  cpu: number;
}

/** Runs hyperfine over `cmds` (no shell; exit codes ignored, checked before). */
async function hyperfine(
  cmds: string[],
  runs: number,
  work: string,
): Promise<{ walls: number[]; cpu: number }[]> {
  const out = join(work, `hf-${crypto.randomUUID()}.json`);
  const r = await new Deno.Command("hyperfine", {
    args: [
      "-N",
      "--style",
      "none",
      "--warmup",
      "1",
      "--runs",
      String(runs),
      "--ignore-failure",
      "--export-json",
      out,
      ...cmds,
    ],
    env: { DENO_NO_UPDATE_CHECK: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (r.code !== 0) throw new Error(`hyperfine: ${new TextDecoder().decode(r.stderr).trim()}`);
  const j = JSON.parse(Deno.readTextFileSync(out)) as {
    results: { times: number[]; user: number; system: number }[];
  };
  Deno.removeSync(out);
  return j.results.map((x) => ({
    walls: x.times.map((t) => t * 1000),
    cpu: (x.user + x.system) * 1000,
  }));
}

/**
 * hyperfine in rounds: each round runs every command a few times, so that a change of the
 * machine's load during the case hits every command alike (one hyperfine run times the
 * commands one after the other). Wall: the median of all runs; CPU: the mean of the rounds.
 */
async function interleaved(cmds: string[], runs: number, work: string): Promise<Timing[]> {
  const rounds = Math.min(runs, 5);
  const walls: number[][] = cmds.map(() => []);
  const cpus: number[][] = cmds.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const per = Math.floor(runs / rounds) + (r < runs % rounds ? 1 : 0);
    const t = await hyperfine(cmds, Math.max(per, 2), work);
    t.forEach((x, i) => {
      walls[i].push(...x.walls);
      cpus[i].push(x.cpu);
    });
  }
  return cmds.map((_, i) => ({
    wall: median(walls[i]),
    cpu: cpus[i].reduce((a, b) => a + b, 0) / cpus[i].length,
  }));
}

async function check(cmd: string[], codes: number[], out: RegExp): Promise<void> {
  const r = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(r.stdout);
  if (!codes.includes(r.code) || !out.test(text)) {
    const err = new TextDecoder().decode(r.stderr).trim().split("\n")[0];
    throw new Error(
      `${cmd.slice(1).join(" ")}: exit ${r.code}, stdout ${text.slice(0, 120)} ${err}`,
    );
  }
}

/** Lets the root's unit dirs settle, then has a write-permission verb write the digest. */
async function digest(installed: string, root: Root): Promise<void> {
  await new Promise((r) => setTimeout(r, 2100));
  await new Deno.Command(installed, {
    args: [`--root=${root.dir}`, "reset-failed", root.probe],
    stdout: "null",
    stderr: "null",
  }).output();
  try {
    Deno.statSync(join(root.dir, "run/systemctl/unit-index.json"));
  } catch {
    throw new Error(`no search-path digest was written in ${root.dir}`);
  }
}

const f = (ms: number) => ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
const x = (r: number) => `${r.toFixed(2)}x`;

/** Runs the cases; returns the lines printed (for RESULTS.md). */
export async function runQueryCases(c: QueryConfig): Promise<string[]> {
  const lines: string[] = [];
  const say = (l: string) => {
    c.log(l);
    lines.push(l);
  };
  say(`queries (issue 23): load before ${loadAverage()}, ${c.runs} runs per case`);
  const hello = join(c.work, "floor.ts");
  Deno.writeTextFileSync(hello, `console.log("hello, world");\n`);
  const small = generateRoot(join(c.work, "q-300"), 300);
  const big = generateRoot(join(c.work, `q-${c.units}`), c.units);
  await digest(c.installed, small);
  await digest(c.installed, big);
  const floorCmd = [c.deno, "run", hello];
  const q = (root: Root, ...args: string[]) => [c.installed, `--root=${root.dir}`, ...args];
  const cases: { name: string; target: number; small: string[]; big?: string[] }[] = [
    { name: "--version", target: 1.25, small: [c.installed, "--version"] },
    {
      name: "is-active",
      target: 1.25,
      small: q(small, "is-active", small.probe),
      big: q(big, "is-active", big.probe),
    },
    {
      name: "show -p ActiveState,UnitFileState",
      target: 1.4,
      small: q(small, "show", "-p", "ActiveState,UnitFileState", small.probe),
      big: q(big, "show", "-p", "ActiveState,UnitFileState", big.probe),
    },
    {
      name: "is-enabled",
      target: 1.4,
      small: q(small, "is-enabled", small.probe),
      big: q(big, "is-enabled", big.probe),
    },
    {
      name: "status",
      target: 1.4,
      small: q(small, "status", small.probe),
      big: q(big, "status", big.probe),
    },
  ];
  await check(floorCmd, [0], /hello, world/);
  await check(cases[0].small, [0], /^systemd 252\b/m);
  for (const k of cases.slice(1)) {
    for (const cmd of [k.small, k.big!]) {
      if (k.name === "is-enabled") await check(cmd, [0], /^enabled$/m);
      else await check(cmd, k.name.startsWith("show") ? [0] : [3], /inactive/);
    }
  }
  const cmds = [floorCmd, ...cases.flatMap((k) => k.big ? [k.small, k.big] : [k.small])];
  const t = await interleaved(cmds.map((c) => c.join(" ")), c.runs, c.work);
  const floor = t[0];
  say(
    `  floor (deno run of a one-line script): ${f(floor.wall)} wall, ${f(floor.cpu)} CPU`,
  );
  say(
    "  case                               units    wall   ×floor   CPU   ×floor  target  " +
      `${c.units} / 300 (wall, CPU; target ≤ 1.5)`,
  );
  let i = 1;
  const at: Record<string, { small: Timing; big?: Timing }> = {};
  for (const k of cases) {
    const s = t[i++];
    const b = k.big ? t[i++] : undefined;
    at[k.name] = { small: s, big: b };
    const row = (units: string, m: Timing, extra = "") =>
      `  ${k.name.padEnd(34)} ${units.padStart(6)} ${f(m.wall).padStart(9)} ${
        x(m.wall / floor.wall).padStart(6)
      } ${f(m.cpu).padStart(9)} ${x(m.cpu / floor.cpu).padStart(6)}  ≤${k.target}${extra}`;
    say(row(k.big ? "300" : "-", s));
    if (b) {
      const rw = b.wall / s.wall, rc = b.cpu / s.cpu;
      say(
        row(
          String(c.units),
          b,
          `   ${x(rw)}, ${x(rc)} (${Math.max(rw, rc) <= 1.5 ? "met" : "NOT met"})`,
        ),
      );
    }
  }
  // list-unit-files: linear, slope per 10,000 units.
  const luf = c.lufSizes.map((n) => generateRoot(join(c.work, `luf-${n}`), n));
  for (const r of luf) await check(q(r, "list-unit-files"), [0], /unit files listed/);
  const lt = await interleaved(luf.map((r) => q(r, "list-unit-files").join(" ")), 3, c.work);
  for (const [j, r] of luf.entries()) {
    say(
      `  list-unit-files ${String(r.units).padStart(6)} units: ${f(lt[j].wall)} wall, ${
        f(lt[j].cpu)
      } CPU`,
    );
  }
  if (luf.length >= 2) {
    const a = luf[0].units, b = luf.at(-1)!.units;
    const slope = (lt.at(-1)!.wall - lt[0].wall) / (b - a) * 10_000;
    const slopeCpu = (lt.at(-1)!.cpu - lt[0].cpu) / (b - a) * 10_000;
    say(
      `  list-unit-files slope: ${f(slope)} wall, ${f(slopeCpu)} CPU per 10,000 units ` +
        `(${a} → ${b} units)`,
    );
  }
  // Where the time of `is-active` goes, from the medians above.
  const ver = at["--version"].small, ia = at["is-active"];
  say(
    `  breakdown of is-active (wall / CPU): runtime start (floor) ${f(floor.wall)} / ${
      f(floor.cpu)
    }; our start-up above it (--version) ${f(ver.wall - floor.wall)} / ${
      f(ver.cpu - floor.cpu)
    }; the verb on 300 units ${f(ia.small.wall - ver.wall)} / ${f(ia.small.cpu - ver.cpu)}; ` +
      `${c.units} units add ${f(ia.big!.wall - ia.small.wall)} / ${f(ia.big!.cpu - ia.small.cpu)}`,
  );
  say(`queries: load after ${loadAverage()}`);
  for (const r of [small, big, ...luf]) Deno.removeSync(r.dir, { recursive: true });
  return lines;
}
