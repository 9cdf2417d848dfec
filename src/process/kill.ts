/**
 * Signals and the stop sequence (spec §4.5). Without cgroups, a unit's
 * processes are approximated by the sessions of its main and control
 * processes (each Exec command starts a new session), their descendants, and
 * optionally the processes whose environment carries the unit's invocation id.
 * @module
 */

import { reapChild } from "./_children.ts";
import { Errno, errno, libc, strerror } from "./libc.ts";
import { descendantsIn, isAlive, listStats, readEnviron, readStat } from "./procfs.ts";

/** Signal numbers used by the stop sequence. */
export const SIGNALS = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGCONT: 18,
  SIGSTOP: 19,
} as const;

/** Sends `sig` to `pid`; false when the process does not exist. Other errors throw. */
export function signalProcess(pid: number, sig: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (libc().kill(pid, sig) === 0) return true;
  const code = errno();
  if (code === Errno.ESRCH) return false;
  throw new Error(`cannot send signal ${sig} to process ${pid}: ${strerror(code)}`);
}

/** What identifies a unit's processes. */
export interface MemberQuery {
  /** The main process. */
  mainPid?: number;
  /** The control process. */
  controlPid?: number;
  /** A session id recorded at spawn (the Exec process's PID). */
  sessionId?: number;
  /** More recorded session ids. */
  sessionIds?: number[];
  /** Recorded start times by PID; a PID whose start time differs is not a member. */
  startTimes?: Record<number, number>;
  /** The unit's INVOCATION_ID: processes whose environment holds it are members. */
  invocationId?: string;
}

/** How long one process-table snapshot serves member lookups. */
const SNAPSHOT_MS = 25;

interface Snapshot {
  at: number;
  stats: ReturnType<typeof listStats>;
}

let snapshot: Snapshot | undefined;
/**
 * Environments by `pid:starttime`: a process's environment is fixed at its exec,
 * and the invocation id a member inherits is there from its start.
 */
const environs = new Map<string, string[]>();

/**
 * The live processes, read at most once per SNAPSHOT_MS: an init that stops
 * hundreds of units at once would otherwise read every /proc entry (and
 * environment) once per unit. A process forked after the snapshot is found by
 * the stop sequence's next round, which waits longer than that.
 */
function processSnapshot(maxAgeMs = SNAPSHOT_MS): Snapshot {
  const now = performance.now();
  if (!snapshot || now - snapshot.at > maxAgeMs) {
    const stats = listStats().filter((s) => s.state !== "Z" && s.state !== "X");
    snapshot = { at: performance.now(), stats };
    if (environs.size > stats.length * 2) {
      const live = new Set(stats.map((s) => `${s.pid}:${s.startTime}`));
      for (const key of environs.keys()) if (!live.has(key)) environs.delete(key);
    }
  }
  return snapshot;
}

function environOf(stat: { pid: number; startTime: number }): string[] {
  const key = `${stat.pid}:${stat.startTime}`;
  let env = environs.get(key);
  if (!env) {
    env = readEnviron(stat.pid);
    environs.set(key, env);
  }
  return env;
}

/**
 * The unit's live processes: the members of the sessions led by its main or
 * control process (or the recorded session), their descendants, and processes
 * carrying the invocation id. This process and PID 1 are never members.
 */
export function unitMembers(query: MemberQuery, maxAgeMs = 0): number[] {
  const snap = processSnapshot(maxAgeMs);
  const stats = snap.stats;
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const roots: number[] = [];
  for (const pid of [query.mainPid, query.controlPid]) {
    if (pid === undefined || pid <= 0) continue;
    const stat = byPid.get(pid);
    const expected = query.startTimes?.[pid];
    if (stat && (expected === undefined || stat.startTime === expected)) roots.push(pid);
  }
  const sessions = new Set(
    [query.sessionId ?? 0, ...(query.sessionIds ?? [])].filter((sid) => sid > 1),
  );
  // A root's own session counts only when the root leads it (every Exec process does).
  for (const pid of roots) if (byPid.get(pid)?.session === pid) sessions.add(pid);
  const members = new Set<number>(roots);
  for (const stat of stats) {
    if (sessions.has(stat.session)) members.add(stat.pid);
  }
  if (query.invocationId) {
    const marker = `INVOCATION_ID=${query.invocationId}`;
    for (const stat of stats) {
      // Kernel threads (kthreadd and its children) carry no environment: not worth a read.
      if (stat.pid === 2 || stat.ppid === 2 || stat.pid === Deno.pid || members.has(stat.pid)) {
        continue;
      }
      if (environOf(stat).includes(marker)) members.add(stat.pid);
    }
  }
  for (const pid of descendantsIn(stats, [...members])) members.add(pid);
  members.delete(Deno.pid);
  members.delete(1);
  return [...members].sort((a, b) => a - b);
}

function freshMembers(query: MemberQuery): number[] {
  return unitMembers(query, 0);
}

/** Sends `sig` to each PID; returns those that received it. */
export function killMembers(pids: number[], sig: number): number[] {
  const reached: number[] = [];
  for (const pid of pids) {
    try {
      if (signalProcess(pid, sig)) reached.push(pid);
    } catch {
      // Not permitted: the process is not ours to stop, which is not the unit's failure.
    }
  }
  return reached;
}

/**
 * Whether a process is gone: no stat, or a zombie. A zombie child of ours is
 * reaped (by PID) so its exit status is recorded.
 */
function isGone(pid: number): boolean {
  const stat = readStat(pid);
  if (!stat) return true;
  if (stat.state !== "Z" && stat.state !== "X") return false;
  if (stat.ppid === Deno.pid) reapChild(pid);
  return true;
}

const SYS_PIDFD_OPEN = 434n;
const POLLIN = 1;
const MAX_POLL_MS = 1000;

function openPidfds(pids: number[]): Map<number, number> | undefined {
  const fds = new Map<number, number>();
  for (const pid of pids) {
    const fd = Number(libc().syscall(SYS_PIDFD_OPEN, BigInt(pid), 0n));
    if (fd >= 0) {
      fds.set(pid, fd);
      continue;
    }
    if (errno() === Errno.ESRCH) continue;
    for (const open of fds.values()) libc().close(open);
    return undefined;
  }
  return fds;
}

/**
 * Waits until every PID is gone (zombies count as gone; our own zombie
 * children are reaped). Returns false if some remain after `timeoutMs`
 * (`Infinity` waits forever). Uses pidfds polled on a worker thread, so the
 * wait ends as soon as the last process exits; falls back to adaptive polling.
 */
export async function waitGone(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let pending = pids.filter((pid) => !isGone(pid));
  if (pending.length === 0) return true;
  const fds = openPidfds(pending);
  try {
    let delay = 2;
    while (true) {
      pending = pending.filter((pid) => !isGone(pid));
      if (pending.length === 0) return true;
      const remaining = deadline - performance.now();
      if (remaining <= 0) return false;
      if (fds) await pollPidfds(pending.map((pid) => fds.get(pid) ?? -1), remaining);
      else {
        await new Promise((resolve) => setTimeout(resolve, Math.min(delay, remaining)));
        delay = Math.min(delay * 2, 50);
      }
    }
  } finally {
    for (const fd of fds?.values() ?? []) libc().close(fd);
  }
}

async function pollPidfds(fds: number[], remainingMs: number): Promise<void> {
  const entries = new Int32Array(fds.length * 2);
  fds.forEach((fd, index) => {
    entries[index * 2] = fd;
    entries[index * 2 + 1] = POLLIN;
  });
  const timeout = Math.max(1, Math.min(Math.ceil(remainingMs), MAX_POLL_MS));
  await libc().pollAsync(new Uint8Array(entries.buffer), BigInt(fds.length), timeout);
}

/** How to stop a unit's processes. */
export interface StopOptions extends MemberQuery {
  /** control-group (default), mixed, process or none. */
  killMode?: "control-group" | "mixed" | "process" | "none";
  /** Default SIGTERM. */
  killSignal?: number;
  /** Default SIGKILL. */
  finalKillSignal?: number;
  /** Send SIGHUP right after the kill signal. Default false. */
  sendSIGHUP?: boolean;
  /** Send the final kill signal after the timeout. Default true. */
  sendSIGKILL?: boolean;
  /** TimeoutStopSec in milliseconds; `Infinity` for no limit. */
  timeoutMs: number;
  /** How long to wait after the final kill signal; default `timeoutMs`. */
  finalTimeoutMs?: number;
  /** Called when a phase begins, so the caller can record stop-sigterm / stop-sigkill. */
  onPhase?: (phase: "sigterm" | "sigkill") => void;
}

/** What the stop sequence did. */
export interface StopOutcome {
  /** PIDs that received the kill signal. */
  signaled: number[];
  /** PIDs that received the final kill signal. */
  finalSignaled: number[];
  /** PIDs still alive at the end. */
  remaining: number[];
  /** `success`, or `timeout` when processes survived. */
  result: "success" | "timeout";
}

function withContinue(pids: number[], sig: number, sendSIGHUP: boolean): number[] {
  const reached = killMembers(pids, sig);
  if (sig !== SIGNALS.SIGKILL && sig !== SIGNALS.SIGCONT) killMembers(reached, SIGNALS.SIGCONT);
  if (sendSIGHUP && sig !== SIGNALS.SIGHUP) killMembers(reached, SIGNALS.SIGHUP);
  return reached;
}

/**
 * The kill part of the stop sequence (spec §4.5 steps 2–4): the kill signal
 * (+SIGCONT, +SIGHUP) to the KillMode targets, a wait of up to the stop
 * timeout, then the final kill signal to what remains. Returns as soon as
 * the processes are gone.
 */
export async function stopSequence(opts: StopOptions): Promise<StopOutcome> {
  const mode = opts.killMode ?? "control-group";
  const outcome: StopOutcome = {
    signaled: [],
    finalSignaled: [],
    remaining: [],
    result: "success",
  };
  if (mode === "none") return outcome;
  const mainOnly = [opts.mainPid, opts.controlPid].filter((pid): pid is number =>
    pid !== undefined && pid > 0 && isAlive(pid, opts.startTimes?.[pid])
  );
  // Sessions are fixed now: once their leaders exit they can no longer be derived.
  const query: MemberQuery = {
    ...opts,
    sessionIds: [
      ...(opts.sessionIds ?? []),
      ...mainOnly.filter((pid) => readStat(pid)?.session === pid),
    ],
  };
  const membersAtStart = mode === "process" ? mainOnly : unitMembers(query, SNAPSHOT_MS);
  const firstTargets = mode === "control-group" ? membersAtStart : mainOnly;
  const killSignal = opts.killSignal ?? SIGNALS.SIGTERM;
  const deadline = performance.now() + opts.timeoutMs;
  opts.onPhase?.("sigterm");
  outcome.signaled = withContinue(firstTargets, killSignal, opts.sendSIGHUP ?? false);
  let allGone = await waitGone(outcome.signaled, opts.timeoutMs);
  if (mode === "control-group") {
    // Processes forked while we waited get the kill signal too, within the same deadline.
    for (let round = 0; allGone && round < 8; round++) {
      // A process forked while we waited must be seen.
      const fresh = freshMembers(query).filter((pid) => !outcome.signaled.includes(pid));
      if (fresh.length === 0) break;
      const reached = withContinue(fresh, killSignal, opts.sendSIGHUP ?? false);
      outcome.signaled.push(...reached);
      allGone = await waitGone(reached, deadline - performance.now());
    }
  }
  // mixed: even when the main process is gone, the rest gets the final signal.
  if (allGone && mode !== "mixed") return outcome;
  const stillThere = membersAtStart.filter((pid) => !isGone(pid));
  const finalTargets = mode === "process"
    ? stillThere
    : [...stillThere, ...descendantsIn(listStats(), stillThere), ...freshMembers(query)].filter(
      (pid) => pid !== Deno.pid && pid !== 1 && !isGone(pid),
    );
  const survivors = [...new Set(finalTargets)];
  if (survivors.length === 0) return outcome;
  if (opts.sendSIGKILL === false) {
    outcome.remaining = survivors;
    outcome.result = mode === "mixed" && outcome.signaled.every(isGone) ? "success" : "timeout";
    return outcome;
  }
  opts.onPhase?.("sigkill");
  outcome.finalSignaled = killMembers(survivors, opts.finalKillSignal ?? SIGNALS.SIGKILL);
  const gone = await waitGone(outcome.finalSignaled, opts.finalTimeoutMs ?? opts.timeoutMs);
  if (!gone) {
    outcome.remaining = outcome.finalSignaled.filter((pid) => !isGone(pid));
    outcome.result = "timeout";
  }
  return outcome;
}
