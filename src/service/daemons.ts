/**
 * What makes a process a service's own when no cgroup says so (spec §12): the daemons a
 * Type=forking start leaves behind, and the main PID a PID file names. Proof comes only
 * from what a stranger cannot forge: a process seen as a descendant of the verified
 * ExecStart= process while it ran, a child of this client (a subreaper: only the orphans
 * of what it spawned come to it), the unit's INVOCATION_ID, or a live session leader.
 * @module
 */

import type { UnitState } from "../state/store.ts";
import { isTrackedChild } from "../process/spawn.ts";
import { descendantsIn, listStats, readEnviron } from "../process/procfs.ts";
import type { ProcessId } from "../process/kill.ts";
import { readPidFileIn } from "../process/safe_open.ts";
import { judgeMainPid } from "./notify_access.ts";
import { alive, type StateEnv } from "./runtime.ts";

/**
 * Our own direct children that we did not spawn (daemons re-parented to us). In the init
 * instance every unit's daemons are, so only those that appeared since `before` and that
 * carry this activation's invocation id (when their environment is readable) count.
 */
export function adoptedChildren(
  exclude: Set<number>,
  before?: ReadonlySet<number>,
  invocationId?: string,
): number[] {
  const out: number[] = [];
  const marker = invocationId ? `INVOCATION_ID=${invocationId}` : undefined;
  for (const st of listStats()) {
    if (exclude.has(st.pid) || before?.has(st.pid)) continue;
    // A process this one spawned itself is another unit's (the init instance runs many).
    if (isTrackedChild(st.pid)) continue;
    if (st.ppid !== Deno.pid || st.state === "Z") continue;
    if (marker) {
      const env = readEnviron(st.pid);
      if (env.length && !env.includes(marker)) continue;
    }
    out.push(st.pid);
  }
  return out;
}

/** How often the descendants of a running ExecStart= are looked at (ms). */
const WATCH_MS = 20;

/**
 * Watches the descendants of a control process while it runs (a forking ExecStart=): a
 * daemon seen below it, with its start time, is the service's even after its parents are
 * gone and it was handed to whoever reaps orphans. `stop()` ends the watch.
 */
export class DescendantWatch {
  readonly #seen = new Map<number, number>();
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(readonly root: ProcessId) {
    this.look();
    this.#timer = setInterval(() => this.look(), WATCH_MS);
  }

  /** One look at the process table. */
  look(): void {
    if (!alive(this.root.pid, this.root.startTime)) return;
    const stats = listStats().filter((s) => s.state !== "Z" && s.state !== "X");
    const byPid = new Map(stats.map((s) => [s.pid, s.startTime]));
    for (const pid of descendantsIn(stats, [this.root.pid])) {
      const start = byPid.get(pid);
      if (start !== undefined && !this.#seen.has(pid)) this.#seen.set(pid, start);
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The processes seen that still live (same start time), with their descendants now. */
  alive(): number[] {
    const stats = listStats().filter((s) => s.state !== "Z" && s.state !== "X");
    const byPid = new Map(stats.map((s) => [s.pid, s.startTime]));
    const live = [...this.#seen].filter(([pid, start]) => byPid.get(pid) === start).map(([p]) => p);
    return [...live, ...descendantsIn(stats, live)];
  }
}

/**
 * Reads the service's PID file as systemd's service_load_pid_file() does: opened inside the
 * root without an unsafe symlink chain (process/safe_open.ts), and its PID judged as a new
 * main PID (notify_access.ts): one that is not the service's is taken only from a PID file
 * owned by root. `extra` lists processes known to be the service's (asked only when needed);
 * `warn` gets systemd's
 * refusal. Undefined while no acceptable PID is there.
 */
export function loadPidFile(
  se: StateEnv,
  st: UnitState,
  path: string,
  extra: () => readonly number[] = () => [],
  warn?: (reason: string) => void,
): number | undefined {
  const file = readPidFileIn(se.root.root, path);
  if (file?.pid === undefined) return undefined;
  if (file.pid === st.MainPID && alive(st.MainPID, st.MainPIDStartTime)) return file.pid;
  const verdict = judgeMainPid(st, file.pid, { kind: "pidfile", path, file }, extra);
  if (verdict.accept) return file.pid;
  if (!verdict.gone) warn?.(verdict.reason);
  return undefined;
}

/** A warner that says each distinct text once. */
export function once(say: (text: string) => void): (text: string) => void {
  const said = new Set<string>();
  return (text) => {
    if (said.has(text)) return;
    said.add(text);
    say(text);
  };
}
