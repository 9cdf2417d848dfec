/**
 * Runs our program as PID 1 of a new PID + mount namespace (`unshare --pid
 * --fork --mount-proc --kill-child`) against a temporary `--root`, and drives
 * it from inside with `nsenter`. Needs root; `pid1SkipReason()` says why not.
 * @module
 */

import { MOD, PERMS } from "../cli/_cli.ts";

const dec = new TextDecoder();

/** A running init instance in its own namespace. */
export interface Pid1 {
  /** Its PID on the host side. */
  readonly hostPid: number;
  /** Runs our CLI inside the namespace (`--root` added). */
  systemctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Runs a shell command inside the namespace. */
  sh(script: string): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Everything PID 1 printed so far (stdout and stderr). */
  output(): string;
  /** Sends a signal to PID 1. */
  signal(sig: Deno.Signal): void;
  /** Resolves with PID 1's exit code. */
  exited: Promise<number>;
  /** Kills the namespace (idempotent). */
  kill(): void;
}

/** Why PID-1 tests cannot run here, or undefined. */
export async function pid1SkipReason(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "not Linux";
  if (Deno.uid() !== 0) return "not root (a PID namespace needs root)";
  try {
    const out = await new Deno.Command("unshare", {
      args: ["--pid", "--fork", "--mount-proc", "--kill-child", "true"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (out.code !== 0) return "unshare cannot create a PID namespace here";
  } catch {
    return "unshare is not installed";
  }
  return undefined;
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    env: { NO_COLOR: "1", ...env },
    signal: AbortSignal.timeout(60_000),
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Options of {@link startPid1}. */
export interface Pid1Options {
  /**
   * A private network namespace too (`unshare --net`) with `lo` up; `setup` is a shell
   * script run first, inside the namespaces (e.g. a tmpfs on /run).
   */
  net?: boolean;
  setup?: string;
  /** Given to PID 1 and to the commands run inside (e.g. SYSTEMCTL_TEST_CLOCK). */
  env?: Record<string, string>;
}

/** Starts `systemctl --root=ROOT [args]` as PID 1; resolves once it runs. */
export async function startPid1(
  root: string,
  args: string[] = [],
  opts: Pid1Options = {},
): Promise<Pid1> {
  const env = opts.env ?? {};
  // With a setup script, sh runs it as PID 1 and then execs our program in its place.
  const prelude = opts.net || opts.setup
    ? [
      "sh",
      "-c",
      `${opts.net ? "ip link set lo up && " : ""}${opts.setup ?? "true"} && exec "$@"`,
      "sh",
    ]
    : [];
  const child = new Deno.Command("unshare", {
    args: [
      "--pid",
      "--fork",
      "--mount-proc",
      ...(opts.net ? ["--net"] : []),
      "--kill-child",
      ...prelude,
      Deno.execPath(),
      "run",
      "--quiet",
      ...PERMS,
      MOD,
      `--root=${root}`,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += dec.decode(chunk);
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status.then(async (s) => {
    await pumps;
    return s.code;
  });
  let hostPid = 0;
  const deadline = performance.now() + 60_000;
  while (!hostPid && performance.now() < deadline) {
    try {
      const kids = Deno.readTextFileSync(`/proc/${child.pid}/task/${child.pid}/children`).trim();
      hostPid = Number(kids.split(" ")[0]) || 0;
    } catch { /* not yet */ }
    if (!hostPid) await new Promise((r) => setTimeout(r, 25));
  }
  if (!hostPid) throw new Error("PID 1 did not start");
  const enter = ["-t", String(hostPid), "-p", "-m", ...(opts.net ? ["-n"] : [])];
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  };
  return {
    hostPid,
    systemctl: (...a) =>
      run("nsenter", [
        ...enter,
        Deno.execPath(),
        "run",
        "--quiet",
        ...PERMS,
        MOD,
        `--root=${root}`,
        ...a,
      ], env),
    sh: (script) => run("nsenter", [...enter, "sh", "-c", script], env),
    output: () => text,
    signal: (sig) => Deno.kill(hostPid, sig),
    exited,
    kill,
  };
}

/**
 * Polls `probe` every 50 ms until it returns true or `ms` pass (a bound for a loaded machine,
 * not a duration a test relies on).
 */
export async function until(
  probe: () => Promise<boolean> | boolean,
  ms = 60_000,
): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
