/**
 * Signals and the stop sequence (spec §4.5). Without cgroups, a unit's
 * processes are approximated by the sessions of its main and control
 * processes (each Exec command starts a new session), their descendants, and
 * optionally the processes whose environment carries the unit's invocation id.
 * @module
 */

import { childExit, reapChild } from "./_children.ts";
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

/** A process as a unit recorded it: the PID and the start time that make it that process. */
export interface ProcessId {
  /** Process id. */
  pid: number;
  /** Start time after boot in clock ticks (`/proc/PID/stat` field 22). */
  startTime: number;
}

const SYS_PIDFD_SEND_SIGNAL = 424n;

/**
 * Sends `sig` to `pid` only while it is still the process that started at
 * `startTime` (spec §5.3: a reused PID is never signalled). A pidfd pins the
 * process, its start time is checked, and the signal goes through the pidfd,
 * so a PID that is reused in between cannot receive it. A child of ours that
 * was already reaped, or a PID without a known start time, is never signalled.
 * Returns whether the signal was sent.
 */
export function signalIdentified(pid: number, startTime: number, sig: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1 || pid === Deno.pid || !(startTime > 0)) return false;
  // Our own child table knows which of our children ended (the init instance reaps them all).
  if (childExit(pid)) return false;
  const fd = Number(libc().syscall(SYS_PIDFD_OPEN, BigInt(pid), 0n));
  if (fd < 0) {
    if (errno() === Errno.ESRCH) return false;
    // No pidfds (a kernel before 5.3): check, then kill, the best that is left.
    return readStat(pid)?.startTime === startTime && signalProcess(pid, sig);
  }
  try {
    if (readStat(pid)?.startTime !== startTime) return false;
    if (Number(libc().syscall5(SYS_PIDFD_SEND_SIGNAL, BigInt(fd), BigInt(sig), 0n, 0n)) === 0) {
      return true;
    }
    const code = errno();
    if (code === Errno.ESRCH) return false;
    throw new Error(`cannot send signal ${sig} to process ${pid}: ${strerror(code)}`);
  } finally {
    libc().close(fd);
  }
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
  /**
   * Start times of the recorded session leaders by session id. A session counts only
   * while its leader lives with that start time; a session without a recorded start
   * (older state files) only while its leader is the verified main or control process.
   */
  sessionStartTimes?: Record<number, number>;
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
  if (!snapshot || performance.now() - snapshot.at > maxAgeMs) takeSnapshot();
  return snapshot!;
}

function takeSnapshot(): Snapshot {
  // Stamped before the scan: the snapshot holds every process that existed then.
  const at = performance.now();
  const stats = listStats().filter((s) => s.state !== "Z" && s.state !== "X");
  snapshot = { at, stats };
  if (environs.size > stats.length * 2) {
    const live = new Set(stats.map((s) => `${s.pid}:${s.startTime}`));
    for (const key of environs.keys()) if (!live.has(key)) environs.delete(key);
  }
  return snapshot;
}

let freshScan: Promise<Snapshot> | undefined;

/**
 * A snapshot taken after this call: every process that exists now is in it. The
 * callers of one event-loop turn share one scan (an init whose hundreds of stops
 * end together would otherwise read the whole process table once per unit).
 */
function freshSnapshot(): Promise<Snapshot> {
  freshScan ??= new Promise((resolve, reject) => {
    setTimeout(() => {
      freshScan = undefined;
      try {
        resolve(takeSnapshot());
      } catch (e) {
        reject(e);
      }
    }, 0);
  });
  return freshScan;
}

/**
 * How many environment reads came back empty. A process in the middle of an `execve` shows
 * none for a moment (its new memory has no environment yet): such a read is not cached (the
 * process would never be found by its INVOCATION_ID again), and a stop that finds no new
 * member after one scans again (see {@link stopSequence}).
 */
let emptyEnvironReads = 0;

function environOf(stat: { pid: number; startTime: number }): string[] {
  const key = `${stat.pid}:${stat.startTime}`;
  let env = environs.get(key);
  if (!env) {
    env = readEnviron(stat.pid);
    if (env.length > 0) environs.set(key, env);
    else emptyEnvironReads++;
  }
  return env;
}

/** How long a stop waits before scanning again after an empty environment read. */
const EXEC_WINDOW_MS = 20;

/**
 * Whether a recorded session still is the unit's: only while its leader lives (a zombie
 * holds the id too) with the recorded start time. A session whose leader is gone proves
 * nothing: once the unit's session ended, its id was free for any process to lead a new
 * one (a stranger's `setsid` under a reused PID), and from the id alone the two cannot be
 * told apart. The members of such a session count only through what a stranger cannot
 * forge: descent from a verified process, or the start of a stop that saw the leader.
 */
function sessionIsOurs(
  sid: number,
  start: number | undefined,
  byPid: ReadonlyMap<number, { session: number; startTime: number }>,
  roots: ReadonlySet<number>,
): boolean {
  const leader = byPid.get(sid) ?? readStat(sid);
  if (!leader || leader.session !== sid) return false;
  if (start === undefined) return roots.has(sid);
  return leader.startTime === start;
}

/**
 * The unit's live processes with their start times: the members of the sessions led
 * by its main or control process (or the recorded sessions), their descendants, and
 * processes carrying the invocation id. This process and PID 1 are never members.
 */
export function unitMemberIds(query: MemberQuery, maxAgeMs = 0): ProcessId[] {
  return namesNothing(query) ? [] : membersIn(processSnapshot(maxAgeMs), query);
}

/**
 * Whether a query can match no process at all: no main or control process, no session, no
 * invocation id (a unit that never ran). Its members are none without a scan of /proc.
 */
function namesNothing(query: MemberQuery): boolean {
  return (query.mainPid ?? 0) <= 0 && (query.controlPid ?? 0) <= 0 && !query.invocationId &&
    (query.sessionId ?? 0) <= 1 && !(query.sessionIds ?? []).some((sid) => sid > 1);
}

function membersIn(snap: Snapshot, query: MemberQuery): ProcessId[] {
  const stats = snap.stats;
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const roots: number[] = [];
  for (const pid of [query.mainPid, query.controlPid]) {
    if (pid === undefined || pid <= 0) continue;
    const stat = byPid.get(pid);
    const expected = query.startTimes?.[pid];
    if (stat && (expected === undefined || stat.startTime === expected)) roots.push(pid);
  }
  const rootSet = new Set(roots);
  const recorded = new Map<number, number | undefined>();
  for (const sid of [query.sessionId ?? 0, ...(query.sessionIds ?? [])]) {
    if (sid > 1) recorded.set(sid, query.sessionStartTimes?.[sid]);
  }
  // A root's own session counts only when the root leads it (every Exec process does).
  for (const pid of roots) {
    const stat = byPid.get(pid);
    if (stat?.session === pid) recorded.set(pid, stat.startTime);
  }
  const sessions = new Set<number>();
  for (const [sid, start] of recorded) {
    if (sessionIsOurs(sid, start, byPid, rootSet)) sessions.add(sid);
  }
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
  return [...members].sort((a, b) => a - b).flatMap((pid) => {
    const stat = byPid.get(pid);
    return stat ? [{ pid, startTime: stat.startTime }] : [];
  });
}

/**
 * Whether one live process is a member of the unit as {@link unitMemberIds} would find it,
 * told by walking up from it (a few /proc reads, not a scan of the whole table, which a
 * flood of notify messages must not be able to cause): it or an ancestor is a verified main
 * or control process, belongs to a session that is the unit's, or carries the unit's
 * INVOCATION_ID. This process and PID 1 are never members, nor is anything only below them.
 */
export function isUnitMember(query: MemberQuery, pid: number): boolean {
  const live = (p: number) => {
    const st = readStat(p);
    return st && st.state !== "Z" && st.state !== "X" ? st : undefined;
  };
  const roots = new Set<number>();
  for (const p of [query.mainPid, query.controlPid]) {
    if (p === undefined || p <= 0) continue;
    const st = live(p);
    const expected = query.startTimes?.[p];
    if (st && (expected === undefined || st.startTime === expected)) roots.add(p);
  }
  const recorded = new Map<number, number | undefined>();
  for (const sid of [query.sessionId ?? 0, ...(query.sessionIds ?? [])]) {
    if (sid > 1) recorded.set(sid, query.sessionStartTimes?.[sid]);
  }
  for (const root of roots) {
    const st = readStat(root);
    if (st?.session === root) recorded.set(root, st.startTime);
  }
  const verdicts = new Map<number, boolean>();
  const sessionOurs = (sid: number) => {
    if (!recorded.has(sid)) return false;
    let ours = verdicts.get(sid);
    if (ours === undefined) {
      ours = sessionIsOurs(sid, recorded.get(sid), new Map(), roots);
      verdicts.set(sid, ours);
    }
    return ours;
  };
  const marker = query.invocationId ? `INVOCATION_ID=${query.invocationId}` : undefined;
  const seen = new Set<number>();
  for (let st = live(pid); st && st.pid > 1 && st.pid !== Deno.pid; st = live(st.ppid)) {
    if (seen.has(st.pid)) return false;
    seen.add(st.pid);
    if (roots.has(st.pid) || sessionOurs(st.session)) return true;
    if (marker && st.pid !== 2 && st.ppid !== 2 && environOf(st).includes(marker)) return true;
  }
  return false;
}

/** The PIDs of {@link unitMemberIds}. */
export function unitMembers(query: MemberQuery, maxAgeMs = 0): number[] {
  return unitMemberIds(query, maxAgeMs).map((m) => m.pid);
}

async function freshMembers(query: MemberQuery): Promise<ProcessId[]> {
  return namesNothing(query) ? [] : membersIn(await freshSnapshot(), query);
}

/** Sends `sig` to each process that is still the one identified; returns the PIDs reached. */
function killIdentified(targets: readonly ProcessId[], sig: number): number[] {
  const reached: number[] = [];
  for (const t of targets) {
    try {
      if (signalIdentified(t.pid, t.startTime, sig)) reached.push(t.pid);
    } catch {
      // Not permitted: the process is not ours to stop, which is not the unit's failure.
    }
  }
  return reached;
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

function withContinue(targets: ProcessId[], sig: number, sendSIGHUP: boolean): number[] {
  const reached = killIdentified(targets, sig);
  const again = targets.filter((t) => reached.includes(t.pid));
  if (sig !== SIGNALS.SIGKILL && sig !== SIGNALS.SIGCONT) killIdentified(again, SIGNALS.SIGCONT);
  if (sendSIGHUP && sig !== SIGNALS.SIGHUP) killIdentified(again, SIGNALS.SIGHUP);
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
  // The caller vouches for a main or control PID given without a start time (it just
  // checked it): its start time is taken now and every later signal checks it.
  const mainOnly: ProcessId[] = [];
  for (const pid of [opts.mainPid, opts.controlPid]) {
    if (pid === undefined || pid <= 0) continue;
    const startTime = opts.startTimes?.[pid] ?? readStat(pid)?.startTime;
    if (startTime !== undefined && isAlive(pid, startTime)) mainOnly.push({ pid, startTime });
  }
  // Sessions are fixed now: once their leaders exit they can no longer be derived.
  const leaders = mainOnly.filter((p) => readStat(p.pid)?.session === p.pid);
  const query: MemberQuery = {
    ...opts,
    startTimes: {
      ...opts.startTimes,
      ...Object.fromEntries(mainOnly.map((p) => [p.pid, p.startTime])),
    },
    sessionIds: [...(opts.sessionIds ?? []), ...leaders.map((p) => p.pid)],
    sessionStartTimes: {
      ...opts.sessionStartTimes,
      ...Object.fromEntries(leaders.map((p) => [p.pid, p.startTime])),
    },
  };
  const membersAtStart = mode === "process" ? mainOnly : unitMemberIds(query, SNAPSHOT_MS);
  const firstTargets = mode === "control-group" ? membersAtStart : mainOnly;
  const killSignal = opts.killSignal ?? SIGNALS.SIGTERM;
  const deadline = performance.now() + opts.timeoutMs;
  opts.onPhase?.("sigterm");
  outcome.signaled = withContinue(firstTargets, killSignal, opts.sendSIGHUP ?? false);
  let allGone = await waitGone(outcome.signaled, opts.timeoutMs);
  if (mode === "control-group") {
    // Processes forked while we waited get the kill signal too, within the same deadline.
    const unsignaled = async () =>
      (await freshMembers(query)).filter((p) => !outcome.signaled.includes(p.pid));
    for (let round = 0; allGone && round < 8; round++) {
      // A process forked while we waited must be seen.
      const empties = emptyEnvironReads;
      let fresh = await unsignaled();
      if (fresh.length === 0 && emptyEnvironReads !== empties) {
        // A process without an environment may have been caught inside its exec: once more.
        await new Promise((resolve) => setTimeout(resolve, EXEC_WINDOW_MS));
        fresh = await unsignaled();
      }
      if (fresh.length === 0) break;
      const reached = withContinue(fresh, killSignal, opts.sendSIGHUP ?? false);
      outcome.signaled.push(...reached);
      allGone = await waitGone(reached, deadline - performance.now());
    }
  }
  // mixed: even when the main process is gone, the rest gets the final signal.
  if (allGone && mode !== "mixed") return outcome;
  const stillThere = membersAtStart.filter((p) => !isGone(p.pid));
  let finalTargets = stillThere;
  if (mode !== "process") {
    const snap = await freshSnapshot();
    const byPid = new Map(snap.stats.map((st) => [st.pid, st]));
    const below = descendantsIn(snap.stats, stillThere.map((p) => p.pid)).flatMap((pid) => {
      const st = byPid.get(pid);
      return st ? [{ pid, startTime: st.startTime }] : [];
    });
    finalTargets = [...stillThere, ...below, ...membersIn(snap, query)].filter(
      (p) => p.pid !== Deno.pid && p.pid !== 1 && !isGone(p.pid),
    );
  }
  const survivors = [...new Map(finalTargets.map((p) => [p.pid, p])).values()];
  if (survivors.length === 0) return outcome;
  if (opts.sendSIGKILL === false) {
    outcome.remaining = survivors.map((p) => p.pid);
    outcome.result = mode === "mixed" && outcome.signaled.every(isGone) ? "success" : "timeout";
    return outcome;
  }
  opts.onPhase?.("sigkill");
  outcome.finalSignaled = killIdentified(survivors, opts.finalKillSignal ?? SIGNALS.SIGKILL);
  const gone = await waitGone(outcome.finalSignaled, opts.finalTimeoutMs ?? opts.timeoutMs);
  if (!gone) {
    outcome.remaining = outcome.finalSignaled.filter((pid) => !isGone(pid));
    outcome.result = "timeout";
  }
  return outcome;
}
