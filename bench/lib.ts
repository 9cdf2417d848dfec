/**
 * Bench helpers: run a command and time it, medians, settings from the
 * environment, formatting.
 * @module
 */

/** Bench settings, from the environment. */
export interface Settings {
  /** Timed runs per case and tool (after the warm-up). */
  runs: number;
  /** Untimed warm-up runs per case and tool. */
  warmup: number;
  /** Cap on one reference run, in milliseconds. */
  refTimeoutMs: number;
  /** Cap on one run of ours, in milliseconds. */
  oursTimeoutMs: number;
  /** Time budget for the timed runs of one case and tool; slow cases run fewer times (min 3). */
  caseBudgetMs: number;
}

function envInt(name: string, fallback: number): number {
  const text = Deno.env.get(name);
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${text}: not a number`);
  return Math.floor(n);
}

/** Settings from BENCH_RUNS, BENCH_WARMUP, BENCH_REF_TIMEOUT (s), BENCH_CASE_BUDGET (s). */
export function settingsFromEnv(): Settings {
  return {
    runs: Math.max(1, envInt("BENCH_RUNS", 10)),
    warmup: envInt("BENCH_WARMUP", 1),
    refTimeoutMs: envInt("BENCH_REF_TIMEOUT", 120) * 1000,
    oursTimeoutMs: envInt("BENCH_OURS_TIMEOUT", 120) * 1000,
    caseBudgetMs: envInt("BENCH_CASE_BUDGET", 30) * 1000,
  };
}

/** A command line: the executable and its arguments. */
export interface Cmd {
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** The outcome of one run. */
export interface RunResult {
  ms: number;
  code: number;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const decoder = new TextDecoder();

/** Runs a command to completion, timing it from spawn to exit with performance.now(). */
export async function runTimed(c: Cmd, timeoutMs: number): Promise<RunResult> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const t0 = performance.now();
  try {
    const out = await new Deno.Command(c.cmd, {
      args: c.args,
      env: c.env,
      cwd: c.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: ctl.signal,
    }).output();
    const ms = performance.now() - t0;
    return {
      ms,
      code: out.code,
      signal: out.signal,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      timedOut: ctl.signal.aborted,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a command once, untimed; throws with its output when it exits non-zero. */
export async function mustRun(c: Cmd): Promise<string> {
  const r = await runTimed(c, 600_000);
  if (r.code !== 0) {
    throw new Error(
      `${c.cmd} ${c.args.join(" ")} exited ${r.code}:\n${r.stdout}${r.stderr}`.trimEnd(),
    );
  }
  return r.stdout;
}

/** The median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Milliseconds as text: "12.3 ms", "1.52 s". */
export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return "-";
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

/** The machine's CPU count, as `nproc` prints it. */
export async function nproc(): Promise<string> {
  try {
    return (await mustRun({ cmd: "nproc", args: [] })).trim();
  } catch {
    return String(navigator.hardwareConcurrency);
  }
}

/** The 1, 5 and 15 minute load averages, as text. */
export function loadAverage(): string {
  try {
    return Deno.loadavg().map((x) => x.toFixed(2)).join(", ");
  } catch {
    return "unknown";
  }
}

/** Whether a path exists (lstat). */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
