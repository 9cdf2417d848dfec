/**
 * Helpers for the service integration tests: temporary roots holding unit files, the real CLI
 * spawned against them, `show` parsing, and a safety net that kills what a test left running.
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MOD = fileURLToPath(new URL("../../mod.ts", import.meta.url));

/** The permissions the CLI is documented to run with. */
const PERMS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-run",
  "--allow-ffi",
  // The packaged launchers add it (scripts/flags.ts): Deno checks unix:/path sockets as net,
  // and Type=notify needs its NOTIFY_SOCKET.
  "--allow-net",
  "--unstable-net",
];

/** Whether the tests run as root (user switching, unit state under a system root). */
export const IS_ROOT = Deno.uid() === 0;

/** The outcome of one CLI invocation. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall-clock duration of the invocation in milliseconds. */
  ms: number;
}

/** A temporary root with unit files under etc/systemd/system. */
export interface Root {
  path: string;
  /** Runs `mod.ts --root=ROOT ...args`. */
  run(...args: string[]): Promise<Run>;
  /** Runs `mod.ts --root=ROOT ...args` with extra environment variables. */
  runEnv(env: Record<string, string>, ...args: string[]): Promise<Run>;
  /** Runs `show UNIT -p P1,P2...` and returns the properties as a record. */
  show(unit: string, ...props: string[]): Promise<Record<string, string>>;
  /** Writes (or replaces) a unit file. */
  unit(name: string, text: string): void;
  /** A scratch path inside the root (for marker files written by services). */
  file(name: string): string;
}

/** Runs the CLI with arbitrary arguments (no --root added). */
export async function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, "--quiet", MOD, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    ms: Math.round(performance.now() - t0),
  };
}

/** Parses `Key=Value` lines as `show` prints them (the first `=` splits). */
export function parseShow(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Creates a temporary root holding the given unit files. */
export function makeRoot(units: Record<string, string> = {}): Root {
  const path = Deno.makeTempDirSync({ prefix: "svc-test-" }); // removed by cleanupRoot()
  // Services running as other users write marker files under it.
  Deno.chmodSync(path, 0o755);
  const unitDir = join(path, "etc/systemd/system");
  Deno.mkdirSync(unitDir, { recursive: true });
  Deno.mkdirSync(join(path, "scratch"));
  // Users and groups are looked up inside the root, as in a container image.
  for (const f of ["passwd", "group"]) Deno.copyFileSync(`/etc/${f}`, join(path, "etc", f));
  const root: Root = {
    path,
    run: (...args) => cli([`--root=${path}`, ...args]),
    runEnv: (env, ...args) => cli([`--root=${path}`, ...args], env),
    async show(unit, ...props) {
      const r = await cli([
        `--root=${path}`,
        "show",
        unit,
        ...(props.length ? ["-p", props.join(",")] : []),
      ]);
      return parseShow(r.stdout);
    },
    unit(name, text) {
      Deno.writeTextFileSync(join(unitDir, name), text.replace(/^\n/, ""));
    },
    file: (name) => join(path, "scratch", name),
  };
  for (const [name, text] of Object.entries(units)) root.unit(name, text);
  return root;
}

/** Whether a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** The command line of a process, arguments joined by spaces ("" when gone). */
export function cmdline(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).replace(/\0$/, "").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** Reads a `Key:\tvalue` line of /proc/PID/status. */
export function procStatus(pid: number, key: string): string {
  const line = Deno.readTextFileSync(`/proc/${pid}/status`).split("\n").find((l) =>
    l.startsWith(`${key}:`)
  );
  return (line ?? "").slice(key.length + 1).trim();
}

interface ProcInfo {
  pid: number;
  ppid: number;
  sid: number;
  cmd: string;
}

/** A snapshot of all live processes. */
export function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (rest[0] === "Z") continue;
      out.push({
        pid: Number(e.name),
        ppid: Number(rest[1]),
        sid: Number(rest[3]),
        cmd: cmdline(Number(e.name)),
      });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Pids of live processes whose command line contains `needle`. */
export function pidsMatching(needle: string): number[] {
  return processes().filter((p) => p.cmd.includes(needle) && p.pid !== Deno.pid).map((p) => p.pid);
}

/**
 * Polls `condition` every few milliseconds until it holds or `timeoutMs` passes (a bound for
 * a loaded machine, not a duration a test relies on).
 */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** Field 22 of /proc/PID/stat (start time in clock ticks), or 0 when gone. */
function startTime(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
  } catch {
    return 0;
  }
}

function killQuietly(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * Safety net run after every test: kills, by pid, the main and control processes recorded in
 * the root's state files, their sessions, and any process whose command line names the root
 * (services write marker files there). Then removes the root.
 */
export function cleanupRoot(root: Root, extraPids: number[] = []): void {
  const pids = new Set<number>(extraPids);
  const stateDir = join(root.path, "run/systemctl/units");
  try {
    for (const e of Deno.readDirSync(stateDir)) {
      if (!e.name.endsWith(".json")) continue;
      try {
        const s = JSON.parse(Deno.readTextFileSync(join(stateDir, e.name)));
        for (const k of ["MainPID", "ControlPID"]) {
          const start = s[`${k}StartTime`];
          // A recorded start time guards against a reused pid.
          if (typeof s[k] === "number" && s[k] > 1 && (!start || startTime(s[k]) === start)) {
            pids.add(s[k]);
          }
        }
      } catch {
        // corrupt on purpose in some tests
      }
    }
  } catch {
    // no state
  }
  const procs = processes();
  const sessions = new Set([...pids].filter((p) => p !== Deno.pid));
  for (const p of procs) {
    if (p.pid === Deno.pid) continue;
    if (sessions.has(p.sid) || p.cmd.includes(root.path)) pids.add(p.pid);
  }
  pids.delete(Deno.pid);
  for (const pid of pids) killQuietly(pid);
  try {
    Deno.removeSync(root.path, { recursive: true });
  } catch {
    // best effort
  }
}

/** Options of {@link rootTest}. */
export interface RootTestOptions {
  ignore?: boolean;
  units?: Record<string, string>;
}

/**
 * Registers an integration test that needs root. Without root it is reported as ignored
 * (not passed), with the reason printed. The test gets a fresh temporary root; afterwards
 * its processes are killed and it is removed.
 */
export function rootTest(
  name: string,
  fn: (root: Root) => Promise<void>,
  options: RootTestOptions = {},
): void {
  if (!IS_ROOT) console.log(`ignored (needs root): ${name}`);
  Deno.test({
    name,
    ignore: options.ignore || !IS_ROOT,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const root = makeRoot(options.units ?? {});
      try {
        await fn(root);
      } finally {
        cleanupRoot(root);
      }
    },
  });
}

/** Writes an executable script (with a `#!/bin/sh` line) and returns its path. */
export function script(root: Root, name: string, body: string): string {
  const path = root.file(name);
  Deno.writeTextFileSync(path, `#!/bin/sh\n${body}`);
  Deno.chmodSync(path, 0o755);
  return path;
}

/** Parses `env` output (NAME=value lines) into a record. */
export function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** A unit file body: `[Unit]` and `[Service]` sections from key lists. */
export function service(serviceLines: string, unitLines = ""): string {
  return `[Unit]\n${unitLines.trim()}\n[Service]\n${serviceLines.trim()}\n`;
}
