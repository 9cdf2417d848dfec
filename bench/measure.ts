/**
 * Timing of one case: our program against a baseline (the reference, or the
 * `deno run` floor), interleaved run by run so that load drifts hit both,
 * median of the timed runs after the warm-up.
 * @module
 */

import { type Cmd, median, type RunResult, runTimed, type Settings } from "./lib.ts";

/** Judges one run: undefined when it is fine, else what is wrong. */
export type Check = (r: RunResult) => string | undefined;

/** One side of a case. */
export interface Side {
  cmd: Cmd;
  check: Check;
  timeoutMs: number;
  /** A timeout is a result ("timeout"), not an error: for the reference. */
  timeoutIsResult?: boolean;
}

/** The timings of one side. */
export interface Measure {
  samples: number[];
  median?: number;
  /** Set when a run failed its check; the case is then an error. */
  error?: string;
  timedOut?: boolean;
  /** The cap that was hit, when timedOut. */
  timeoutMs?: number;
}

/** A check: exit code among `codes`, stdout matching `out`, no crash on stderr. */
export function expect(
  codes: number[],
  out?: RegExp,
  more?: (stdout: string) => string | undefined,
): Check {
  return (r) => {
    const crash = /Traceback \(most recent call last\)|error: Uncaught|^\s+at .*:\d+:\d+\)?$/m;
    const tail = (r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ").slice(0, 300);
    if (r.signal) return `killed by ${r.signal}: ${tail}`;
    if (!codes.includes(r.code)) return `exit ${r.code} (wanted ${codes.join("/")}): ${tail}`;
    if (crash.test(r.stderr)) return `crash on stderr: ${tail}`;
    if (out && !out.test(r.stdout)) {
      return `stdout does not match ${out}: ${r.stdout.slice(0, 200)}`;
    }
    return more?.(r.stdout);
  };
}

/** Runs one side once; updates `m`; returns false when the side must stop (error or timeout). */
export async function runSide(side: Side, m: Measure, timed: boolean): Promise<boolean> {
  let r: RunResult;
  try {
    r = await runTimed(side.cmd, side.timeoutMs);
  } catch (e) {
    m.error = `cannot run ${side.cmd.cmd}: ${e instanceof Error ? e.message : e}`;
    return false;
  }
  if (r.timedOut) {
    if (side.timeoutIsResult) {
      m.timedOut = true;
      m.timeoutMs = side.timeoutMs;
    } else m.error = `timed out after ${side.timeoutMs / 1000} s`;
    return false;
  }
  const problem = side.check(r);
  if (problem) {
    m.error = problem;
    return false;
  }
  if (timed) m.samples.push(r.ms);
  return true;
}

function runsFor(warmMs: number | undefined, s: Settings): number {
  if (warmMs === undefined || warmMs <= 0) return s.runs;
  return Math.max(Math.min(3, s.runs), Math.min(s.runs, Math.floor(s.caseBudgetMs / warmMs)));
}

/**
 * Times `ours` and `base`: s.warmup untimed runs each, then up to s.runs
 * timed runs each (fewer, but at least 3, when one run is slow enough to
 * exceed the per-case budget), alternating which goes first.
 */
export async function measurePair(
  ours: Side,
  base: Side,
  s: Settings,
): Promise<[Measure, Measure]> {
  const mo: Measure = { samples: [] }, mb: Measure = { samples: [] };
  const sides: [Side, Measure][] = [[ours, mo], [base, mb]];
  const alive = [true, true];
  const warm: (number | undefined)[] = [undefined, undefined];
  for (let w = 0; w < s.warmup; w++) {
    for (let k = 0; k < 2; k++) {
      if (!alive[k]) continue;
      const [side, m] = sides[k];
      const t0 = performance.now();
      alive[k] = await runSide(side, m, false);
      warm[k] = Math.max(warm[k] ?? 0, performance.now() - t0);
    }
  }
  const want = warm.map((w) => runsFor(w, s));
  for (let i = 0; i < Math.max(...want); i++) {
    const order = i % 2 ? [1, 0] : [0, 1];
    for (const k of order) {
      if (!alive[k] || sides[k][1].samples.length >= want[k]) continue;
      alive[k] = await runSide(sides[k][0], sides[k][1], true);
    }
  }
  for (const m of [mo, mb]) if (m.samples.length) m.median = median(m.samples);
  return [mo, mb];
}

/** Times one side alone (the scaling rows). */
export async function measureOne(side: Side, s: Settings): Promise<Measure> {
  const m: Measure = { samples: [] };
  let warm: number | undefined;
  for (let w = 0; w < s.warmup; w++) {
    const t0 = performance.now();
    if (!await runSide(side, m, false)) return m;
    warm = Math.max(warm ?? 0, performance.now() - t0);
  }
  const n = runsFor(warm, s);
  for (let i = 0; i < n; i++) if (!await runSide(side, m, true)) break;
  if (m.samples.length) m.median = median(m.samples);
  return m;
}
