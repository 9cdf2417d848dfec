/**
 * The targeted reaper for the init instance: it collects zombie children of
 * this process by PID (never `waitpid(-1)`, which would steal the statuses
 * of children that another waiter owns), and the prctl switches an init
 * needs.
 *
 * Finding the zombies: `waitid(P_ALL, WEXITED | WNOHANG | WNOWAIT)` only
 * peeks (the child stays a zombie), so it names one finished child at a time
 * without reaping it; that child is then reaped by PID. This costs a few
 * microseconds per zombie, where a /proc scan costs a read per process. The
 * program never spawns through `Deno.Command` in the init instance, so every
 * child is ours to reap; a PID that `excluded()` names (or that cannot be
 * reaped) stops the peek loop, and a /proc scan that skips it takes over.
 * @module
 */

import { type ExitInfo, holdBackReap, reapChild } from "./_children.ts";
import { cstr, errno, libc, strerror } from "./libc.ts";
import { listStats, readStat } from "./procfs.ts";

/** prctl(2) options, waitid(2)'s idtype and options (linux/prctl.h, linux/wait.h). */
const PR = { SET_NAME: 15, SET_CHILD_SUBREAPER: 36 } as const;
const P_ALL = 0;
const W = { NOHANG: 1, EXITED: 4, NOWAIT: 0x01000000 } as const;
/** Offset of `si_pid` in `siginfo_t` (x86_64 and aarch64). */
const SI_PID = 16;
/** The most zombies one pass collects, so a flood cannot starve the event loop. */
const MAX_PER_PASS = 20_000;

/** A reaped process: its PID, start time (for identity checks) and how it ended. */
export interface Reaped {
  pid: number;
  /** Start time in clock ticks, read before the zombie was reaped (0 if unknown). */
  startTime: number;
  exit: ExitInfo;
}

function peekZombie(info: Uint8Array<ArrayBuffer>): number {
  info.fill(0);
  const r = libc().waitid(P_ALL, 0, info, W.EXITED | W.NOHANG | W.NOWAIT);
  if (r !== 0) return 0;
  return new DataView(info.buffer).getInt32(SI_PID, true);
}

/**
 * Reaps every finished child of this process, except the PIDs in `exclude`.
 * Children spawned by `spawnProcess` are reaped too: their `status()`
 * promises resolve with the result.
 */
export function reapZombies(exclude: ReadonlySet<number> = new Set()): Reaped[] {
  const reaped: Reaped[] = [];
  const info = new Uint8Array(128);
  let needScan = false;
  while (reaped.length < MAX_PER_PASS) {
    const pid = peekZombie(info);
    if (pid <= 0) break;
    if (exclude.has(pid) || holdBackReap(pid)) {
      needScan = true;
      break;
    }
    const startTime = readStat(pid)?.startTime ?? 0;
    const exit = reapChild(pid);
    if (!exit) {
      needScan = true;
      break;
    }
    reaped.push({ pid, startTime, exit });
  }
  if (needScan) reaped.push(...reapOrphans(exclude));
  return reaped;
}

/**
 * Reaps the zombies whose parent is this process, found by a /proc scan,
 * except the PIDs in `exclude`.
 */
export function reapOrphans(exclude: ReadonlySet<number>): Reaped[] {
  const self = Deno.pid;
  const reaped: Reaped[] = [];
  for (const stat of listStats()) {
    if (stat.ppid !== self || stat.state !== "Z" || exclude.has(stat.pid)) continue;
    if (holdBackReap(stat.pid)) continue;
    const exit = reapChild(stat.pid);
    if (exit) reaped.push({ pid: stat.pid, startTime: stat.startTime, exit });
  }
  return reaped;
}

/** Makes this process adopt orphaned descendants (PR.SET_CHILD_SUBREAPER). */
export function setChildSubreaper(): void {
  if (libc().prctl(PR.SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n) !== 0) {
    throw new Error(`cannot become a child subreaper: ${strerror(errno())}`);
  }
}

/** Sets this thread's command name (PR.SET_NAME; at most 15 bytes are kept). */
export function setProcessName(name: string): void {
  const bytes = cstr(name.slice(0, 15));
  const buffer = new Uint8Array(256);
  buffer.set(bytes);
  const pointer = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
  if (libc().prctl(PR.SET_NAME, pointer, 0n, 0n, 0n) !== 0) {
    throw new Error(`cannot set the process name: ${strerror(errno())}`);
  }
}

/**
 * Gives memory back once the init is idle: a last-resort V8 collection (when the runtime
 * was started with `--expose-gc`, as the launcher does for PID 1), which compacts and
 * releases the heap's free pages as V8's memory reducer would, and `malloc_trim`, which
 * returns the C heap's free pages (the runtime's own allocations) to the system.
 */
export function trimMemory(): void {
  const gc = (globalThis as { gc?: (options?: unknown) => void }).gc;
  gc?.({ type: "major", execution: "sync", flavor: "last-resort" });
  libc().malloc_trim(0n);
}
