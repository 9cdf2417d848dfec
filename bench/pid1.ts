/**
 * Issue 8, PID-1 (init) mode: our program and the Python reference each run
 * as PID 1 of a fresh PID and mount namespace
 * (`unshare --pid --fork --mount --kill-child --mount-proc`, a tmpfs on the
 * root's /run), with the same N enabled Type=simple services
 * (multi-user.target.wants), and measured from the host side:
 *
 * - boot: from spawning the namespace until every service has written its
 *   "started" marker (each service's shell writes one as it starts);
 * - idle RSS and CPU of PID 1 over a window after boot: VmRSS at the end,
 *   utime+stime difference over the wall time (/proc/<host pid>/…); beside
 *   it, the same of a bare Deno process (PID 1 of its own namespace) that
 *   binds the same libc symbols and registers the same signal listeners;
 * - zombies: orphans that exit at once are made inside the namespace
 *   (`nsenter`, a Python forker whose children exit and whose intermediate
 *   exits without waiting), then 1.5 s after the last one exited, the
 *   processes in state Z in the namespace are counted;
 * - shutdown: SIGTERM to PID 1, time until it exits, its exit status, and how
 *   many services got their orderly stop (the service's TERM trap writes a
 *   "stopped" marker; when PID 1 exits the kernel kills the rest unmarked).
 *
 * Every namespace is killed (SIGKILL to its PID 1 by host pid, which ends
 * the namespace) in a finally block; every wait has a timeout.
 * @module
 */

import { join } from "node:path";
import type { Cmd } from "./lib.ts";

/** PID-1 settings. */
export interface Pid1Config {
  /** Our program without a verb: the installed `systemctl` (the root is appended). */
  ours: Cmd;
  /** The reference script. */
  refScript: string;
  /** The bare Deno baseline: `deno run <flags> bench/pid1_bare.ts`. */
  bare: Cmd;
  /** Service counts, e.g. [20, 200]. */
  counts: number[];
  /** Orphan counts, e.g. [1000, 10000]. */
  orphans: number[];
  /** Which tools to run (both, normally). */
  tools: ("ref" | "ours")[];
  /** Idle window, seconds. */
  idleSeconds: number;
  /** Scratch directory (roots, logs). */
  work: string;
  /** When set, each PID 1's output is copied there (pid1-<tool>-<n>.log). */
  keepLogs?: string;
  log: (text: string) => void;
}

/** Idle figures of one process over one window. */
export interface Idle {
  /** VmRSS at the end of the window, KiB. */
  rssKiB: number;
  /** Of it: anonymous memory (heaps, stacks), KiB; undefined without smaps_rollup. */
  anonKiB?: number;
  /** Of it: pages of mapped files (the runtime's own code and data, the C runtime), KiB. */
  fileKiB?: number;
  /** CPU (user + system) over the window, percent of one core. */
  cpuPct: number;
  /** Window length, seconds. */
  seconds: number;
}

/** One orphan batch. */
export interface Zombies {
  orphans: number;
  /** Seconds the forker took to make them. */
  makeSeconds: number;
  /** Seconds from their release until the host saw none alive (the "last exit"). */
  exitSeconds: number;
  /** Zombies in the namespace 1.5 s after the last orphan exited. */
  left: number;
  /** Seconds after the last exit until none was left (undefined: still some at the cap). */
  clearedAfter?: number;
}

/** SIGTERM to exit. */
export interface Shutdown {
  ms?: number;
  /** Exit status of PID 1, or the signal that ended it. */
  code?: number;
  signal?: string | null;
  /** Services whose TERM trap ran (stopped marker written). */
  orderly: number;
  /** Services that were still running when SIGTERM was sent. */
  running: number;
  timedOut?: boolean;
  /** The last lines PID 1 printed (for the reference's crash). */
  tail?: string;
}

/** One tool at one service count. */
export interface Pid1Run {
  tool: "ours" | "ref";
  services: number;
  bootMs?: number;
  /** Services started when the boot wait gave up. */
  bootStarted?: number;
  idle?: Idle;
  /** The bare Deno baseline over the same window (ours only). */
  bareIdle?: Idle;
  zombies: Zombies[];
  shutdown?: Shutdown;
  error?: string;
  /** Where PID 1's output went. */
  logFile: string;
  /** Our init's own "Startup finished in …" figure, when it printed one. */
  startupFinished?: string;
}

/** Everything the section produced. */
export interface Pid1Results {
  runs: Pid1Run[];
  notes: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The well-behaved service: trap TERM, write the markers, idle in `wait`. */
const SERVICE_SH = `#!/bin/sh
# $1: unit name, $2: marker directory. The trap is set before the started
# marker, so that a TERM after boot always runs it.
child=
trap 'touch "$2/stopped/$1"; [ -n "$child" ] && kill "$child" 2>/dev/null; exit 0' TERM
sleep infinity &
child=$!
touch "$2/started/$1"
wait
`;

/**
 * Makes `n` orphans that exit together. Intermediate children each fork a
 * batch of 100 grandchildren named "bench-orphan" that block on a pipe, and
 * exit without waiting, so the grandchildren re-parent to the namespace's
 * PID 1 while alive. When all are made, the forker sleeps the given delay,
 * closes the pipe's write end and exits: every orphan reads EOF and exits at
 * once.
 */
const FORKER = `
import ctypes, os, sys, time
prctl = ctypes.CDLL(None).prctl
n = int(sys.argv[1])
delay = float(sys.argv[2])
r, w = os.pipe()
done = 0
while done < n:
    k = min(100, n - done)
    pid = os.fork()
    if pid == 0:
        os.close(w)
        for i in range(k):
            if os.fork() == 0:
                prctl(15, b"bench-orphan", 0, 0, 0)
                os.read(r, 1)
                os._exit(0)
        os._exit(0)
    os.waitpid(pid, 0)
    done += k
time.sleep(delay)
os.close(w)
`;

/** The name of PID-1 service i (1-based). */
export function pid1ServiceName(i: number): string {
  return `pid1-${String(i).padStart(4, "0")}.service`;
}

/** A root with `n` enabled services running SERVICE_SH; returns the marker directory. */
export function pid1Root(dir: string, n: number): string {
  const etc = join(dir, "etc/systemd/system");
  const wants = join(etc, "multi-user.target.wants");
  const marks = join(dir, "bench-marks");
  Deno.mkdirSync(wants, { recursive: true });
  Deno.mkdirSync(join(dir, "run"), { recursive: true });
  Deno.mkdirSync(join(marks, "started"), { recursive: true });
  Deno.mkdirSync(join(marks, "stopped"), { recursive: true });
  const script = join(dir, "bench-service.sh");
  Deno.writeTextFileSync(script, SERVICE_SH, { mode: 0o755 });
  for (let i = 1; i <= n; i++) {
    const name = pid1ServiceName(i);
    Deno.writeTextFileSync(
      join(etc, name),
      `[Unit]\nDescription=Bench PID-1 service ${i}\n\n` +
        `[Service]\nType=simple\nExecStart=/bin/sh ${script} ${name} ${marks}\n\n` +
        `[Install]\nWantedBy=multi-user.target\n`,
    );
    Deno.symlinkSync(`/etc/systemd/system/${name}`, join(wants, name));
  }
  return marks;
}

function countDir(dir: string): number {
  let n = 0;
  try {
    for (const _ of Deno.readDirSync(dir)) n++;
  } catch { /* not there */ }
  return n;
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name: state is field 3, ppid 4, utime 14, stime 15.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** The first child of `ppid` (host pids), scanning /proc. */
function childOf(ppid: number): number | undefined {
  try {
    const kids = Deno.readTextFileSync(`/proc/${ppid}/task/${ppid}/children`).trim();
    if (kids) return Number(kids.split(/\s+/)[0]);
  } catch { /* no such file: scan */ }
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const f = statFields(Number(e.name));
    if (f && Number(f[1]) === ppid) return Number(e.name);
  }
  return undefined;
}

function cpuTicks(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[11]) + Number(f[12]) : undefined;
}

function rssKiB(pid: number): number | undefined {
  try {
    const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/^VmRSS:\s+(\d+) kB$/m);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

let clkTck: number | undefined;
async function ticksPerSecond(): Promise<number> {
  if (clkTck === undefined) {
    try {
      const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stderr: "null" })
        .output();
      clkTck = Number(new TextDecoder().decode(out.stdout).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** A namespace whose PID 1 runs `argv`, with its output in `logFile`. */
class Namespace {
  readonly child: Deno.ChildProcess;
  /** Host pid of the namespace's PID 1 (the child of unshare). */
  pid1 = 0;
  /** Inode of its pid namespace (/proc/<pid1>/ns/pid). */
  nsLink = "";
  readonly spawnedAt: number;
  private statusResult: Deno.CommandStatus | undefined;
  private readonly statusPromise: Promise<Deno.CommandStatus>;

  constructor(argv: string[], readonly runDir: string, readonly logFile: string) {
    // sh: the log redirection; then unshare, whose child mounts a tmpfs on
    // the root's /run (a private mount) and execs PID 1's program.
    const inner = 'mount -t tmpfs -o size=64m,mode=755 bench-run "$0" && exec "$@"';
    this.spawnedAt = performance.now();
    this.child = new Deno.Command("/bin/sh", {
      args: [
        "-c",
        'exec "$@" >"$BENCH_PID1_LOG" 2>&1',
        "sh",
        "unshare",
        "--pid",
        "--fork",
        "--mount",
        "--kill-child",
        "--mount-proc",
        "/bin/sh",
        "-c",
        inner,
        runDir,
        ...argv,
      ],
      env: { BENCH_PID1_LOG: logFile, DENO_NO_UPDATE_CHECK: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.statusPromise = this.child.status.then((s) => (this.statusResult = s));
  }

  /** Waits until PID 1 is found (and has exec'd past the shell). */
  async find(timeoutMs = 10_000): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      if (this.statusResult) throw new Error(`the namespace exited: ${this.tailText()}`);
      const p = childOf(this.child.pid);
      if (p) {
        try {
          const comm = Deno.readTextFileSync(`/proc/${p}/comm`).trim();
          if (comm !== "sh") {
            this.pid1 = p;
            this.nsLink = Deno.readLinkSync(`/proc/${p}/ns/pid`);
            return;
          }
        } catch { /* not yet */ }
      }
      await sleep(5);
    }
    throw new Error(`PID 1 of the namespace not found within ${timeoutMs} ms`);
  }

  get exited(): boolean {
    return this.statusResult !== undefined;
  }

  /** unshare's status (it passes on PID 1's exit code, or dies by its signal). */
  async wait(timeoutMs: number): Promise<Deno.CommandStatus | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const r = await Promise.race([
      this.statusPromise,
      new Promise<undefined>((res) => (timer = setTimeout(() => res(undefined), timeoutMs))),
    ]);
    clearTimeout(timer);
    return r;
  }

  /** Processes of the namespace (host pids) with their state letter and name. */
  processes(): { pid: number; state: string; comm: string }[] {
    const out: { pid: number; state: string; comm: string }[] = [];
    for (const e of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      const pid = Number(e.name);
      try {
        if (Deno.readLinkSync(`/proc/${pid}/ns/pid`) !== this.nsLink) continue;
      } catch {
        continue;
      }
      try {
        const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
        const close = stat.lastIndexOf(")");
        out.push({
          pid,
          state: stat.slice(close + 2, close + 3),
          comm: stat.slice(stat.indexOf("(") + 1, close),
        });
      } catch { /* gone */ }
    }
    return out;
  }

  zombies(): number {
    return this.processes().filter((p) => p.state === "Z").length;
  }

  logText(): string {
    try {
      return Deno.readTextFileSync(this.logFile);
    } catch {
      return "";
    }
  }

  tailText(lines = 6): string {
    try {
      return Deno.readTextFileSync(this.logFile).trimEnd().split("\n").slice(-lines).join(" | ")
        .slice(0, 600);
    } catch {
      return "";
    }
  }

  /** Ends the namespace: SIGKILL to its PID 1 (the kernel kills the rest), then unshare. */
  async kill(): Promise<void> {
    if (this.exited) return;
    if (this.pid1) {
      try {
        Deno.kill(this.pid1, "SIGKILL");
      } catch { /* gone */ }
    }
    if (await this.wait(5000)) return;
    try {
      this.child.kill("SIGKILL");
    } catch { /* gone */ }
    await this.wait(5000);
  }
}

/** Anonymous and file-backed resident memory (KiB) from /proc/PID/smaps_rollup. */
function rssParts(pid: number): { anonKiB: number; fileKiB: number } | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
    const field = (name: string) =>
      Number(text.match(new RegExp(`^${name}:\\s+(\\d+) kB$`, "m"))?.[1]);
    const rss = field("Rss"), anon = field("Anonymous");
    return Number.isFinite(rss) && Number.isFinite(anon)
      ? { anonKiB: anon, fileKiB: rss - anon }
      : undefined;
  } catch {
    return undefined;
  }
}

const mib = (kib: number) => (kib / 1024).toFixed(1);

/** "59.2 MiB (anonymous 16.7, mapped files 42.5)": the break-down of an idle RSS. */
export function rssText(idle: Idle): string {
  const parts = idle.anonKiB === undefined || idle.fileKiB === undefined
    ? ""
    : ` (anonymous ${mib(idle.anonKiB)}, mapped files ${mib(idle.fileKiB)})`;
  return `${mib(idle.rssKiB)} MiB${parts}`;
}

async function idleWindow(pids: number[], seconds: number): Promise<(Idle | undefined)[]> {
  const hz = await ticksPerSecond();
  const t0 = performance.now();
  const c0 = pids.map(cpuTicks);
  await sleep(seconds * 1000);
  const t1 = performance.now();
  const c1 = pids.map(cpuTicks);
  return pids.map((pid, i) => {
    const rss = rssKiB(pid);
    const a = c0[i], b = c1[i];
    if (rss === undefined || a === undefined || b === undefined) return undefined;
    const wall = (t1 - t0) / 1000;
    return { rssKiB: rss, ...rssParts(pid), cpuPct: ((b - a) / hz / wall) * 100, seconds: wall };
  });
}

async function makeOrphans(
  ns: Namespace,
  n: number,
  delay: number,
  timeoutMs: number,
): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command("nsenter", {
    args: ["-t", String(ns.pid1), "-p", "/usr/bin/python3", "-c", FORKER, String(n), String(delay)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  if (out.code !== 0) {
    throw new Error(
      `orphan forker exited ${out.code}: ${new TextDecoder().decode(out.stderr).slice(0, 300)}`,
    );
  }
  return (performance.now() - t0) / 1000 - delay;
}

/** One tool at one service count: boot, idle, zombies, shutdown. */
async function runOne(
  cfg: Pid1Config,
  tool: "ours" | "ref",
  n: number,
  bare: Namespace | undefined,
): Promise<Pid1Run> {
  const dir = join(cfg.work, `pid1-${tool}-${n}`);
  const marks = pid1Root(dir, n);
  const logFile = join(cfg.work, `pid1-${tool}-${n}.log`);
  const run: Pid1Run = { tool, services: n, zombies: [], logFile };
  const argv = tool === "ours"
    ? [cfg.ours.cmd, ...cfg.ours.args, `--root=${dir}`]
    : [cfg.refScript, `--root=${dir}`];
  const started = join(marks, "started"), stopped = join(marks, "stopped");
  // The reference starts services one by one with a 0.5 s pause each.
  const bootCap = tool === "ref" ? 30_000 + n * 1500 : 30_000 + n * 100;
  const ns = new Namespace(argv, join(dir, "run"), logFile);
  try {
    await ns.find();
    // Boot: until every started marker is there.
    const end = ns.spawnedAt + bootCap;
    let count = 0;
    while ((count = countDir(started)) < n && performance.now() < end && !ns.exited) {
      await sleep(10);
    }
    if (count < n) {
      run.bootStarted = count;
      throw new Error(
        `${count}/${n} services started ` +
          (ns.exited ? "and PID 1 exited" : `after ${bootCap / 1000} s`) + `: ${ns.tailText()}`,
      );
    }
    run.bootMs = performance.now() - ns.spawnedAt;
    cfg.log(`  ${tool} ${n}: boot ${(run.bootMs / 1000).toFixed(2)} s`);

    // Idle: a short settle, then the window (the bare baseline over the same window).
    await sleep(1000);
    const pids = bare && tool === "ours" ? [ns.pid1, bare.pid1] : [ns.pid1];
    const [idle, bareIdle] = await idleWindow(pids, cfg.idleSeconds);
    if (!idle) throw new Error(`PID 1 vanished during the idle window: ${ns.tailText()}`);
    run.idle = idle;
    if (bareIdle) run.bareIdle = bareIdle;
    cfg.log(
      `  ${tool} ${n}: idle RSS ${rssText(idle)}, CPU ${idle.cpuPct.toFixed(2)} %` +
        (bareIdle ? `; bare Deno ${rssText(bareIdle)}, ${bareIdle.cpuPct.toFixed(2)} %` : ""),
    );

    // Zombies: a 5 s poller's count depends on where its poll falls, so the release comes
    // after a random 0-5 s delay (else trials that each take about 5 s lock onto one phase),
    // and batches of up to 1,000 run three times (10,000 take about a minute to make: once).
    for (const k of cfg.orphans.flatMap((k) => k <= 1000 ? [k, k, k] : [k])) {
      const makeSeconds = await makeOrphans(ns, k, Math.random() * 5, 240_000);
      // Until the host sees no live orphan: that is when the last one exited.
      const released = performance.now();
      let live = ns.processes().filter((p) => p.comm === "bench-orphan" && p.state !== "Z");
      while (live.length > 0 && performance.now() - released < 60_000) {
        await sleep(20);
        live = ns.processes().filter((p) => p.comm === "bench-orphan" && p.state !== "Z");
      }
      if (live.length > 0) throw new Error(`${live.length} orphans still alive after 60 s`);
      const last = performance.now();
      await sleep(1500);
      const left = ns.zombies();
      const z: Zombies = {
        orphans: k,
        makeSeconds,
        exitSeconds: (last - released) / 1000,
        left,
      };
      // How long until none is left (capped: the reference polls every 5 s).
      let zs = left;
      while (zs > 0 && performance.now() - last < 12_000) {
        await sleep(100);
        zs = ns.zombies();
      }
      if (zs === 0) z.clearedAfter = (performance.now() - last) / 1000;
      run.zombies.push(z);
      cfg.log(
        `  ${tool} ${n}: ${k} orphans (made in ${makeSeconds.toFixed(1)} s, all exited ` +
          `${z.exitSeconds.toFixed(2)} s after release): ${left} zombies after 1.5 s, ${
            z.clearedAfter === undefined
              ? "some left at 12 s"
              : `none after ${z.clearedAfter.toFixed(1)} s`
          }`,
      );
    }
    if (ns.exited) throw new Error(`PID 1 exited after the zombie cases: ${ns.tailText()}`);

    run.startupFinished = ns.logText().match(/^Startup finished in (.*?)\.?$/m)?.[1];

    // Shutdown.
    const running = countDir(started) - countDir(stopped);
    const cap = 30_000 + n * 200;
    const t0 = performance.now();
    Deno.kill(ns.pid1, "SIGTERM");
    const st = await ns.wait(cap);
    const sd: Shutdown = { orderly: countDir(stopped), running };
    if (st) {
      sd.ms = performance.now() - t0;
      sd.code = st.code;
      sd.signal = st.signal;
    } else sd.timedOut = true;
    if (tool === "ref" || (st && st.code !== 0)) sd.tail = ns.tailText(4);
    run.shutdown = sd;
    cfg.log(
      `  ${tool} ${n}: SIGTERM → ` +
        (st ? `exit ${st.signal ?? st.code} after ${sd.ms!.toFixed(0)} ms` : "no exit") +
        `, orderly stops ${sd.orderly}/${running}`,
    );
  } catch (e) {
    run.error = e instanceof Error ? e.message : String(e);
    cfg.log(`  ${tool} ${n}: ERROR ${run.error}`);
  } finally {
    await ns.kill();
    if (cfg.keepLogs) {
      try {
        Deno.mkdirSync(cfg.keepLogs, { recursive: true });
        Deno.copyFileSync(logFile, join(cfg.keepLogs, `pid1-${tool}-${n}.log`));
      } catch (e) {
        cfg.log(`  could not keep ${logFile}: ${e}`);
      }
    }
  }
  return run;
}

/** The section: for each service count, the reference then ours. */
export async function runPid1Cases(cfg: Pid1Config): Promise<Pid1Results> {
  const notes: string[] = [];
  const runs: Pid1Run[] = [];
  const bareDir = join(cfg.work, "pid1-bare");
  Deno.mkdirSync(join(bareDir, "run"), { recursive: true });
  const bare = new Namespace(
    [cfg.bare.cmd, ...cfg.bare.args],
    join(bareDir, "run"),
    join(cfg.work, "pid1-bare.log"),
  );
  try {
    try {
      await bare.find();
      // Until it has bound the symbols and registered its listeners.
      const end = performance.now() + 20_000;
      while (performance.now() < end && !/ready/.test(bare.tailText())) await sleep(20);
      if (!/ready/.test(bare.tailText())) throw new Error(`not ready: ${bare.tailText()}`);
    } catch (e) {
      notes.push(`bare Deno baseline failed: ${e instanceof Error ? e.message : e}`);
    }
    for (const n of cfg.counts) {
      for (const tool of cfg.tools) {
        runs.push(await runOne(cfg, tool, n, bare.exited || !bare.pid1 ? undefined : bare));
      }
    }
  } finally {
    await bare.kill();
  }
  return { runs, notes };
}
