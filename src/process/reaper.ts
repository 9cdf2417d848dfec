/**
 * The targeted reaper for the init instance: it collects zombie children of
 * this process by PID (never `waitpid(-1)`, which would steal the statuses
 * of children that Deno itself waits for), and the prctl switches an init
 * needs.
 * @module
 */

import { type ExitInfo, reapChild } from "./_children.ts";
import { cstr, errno, libc, strerror } from "./libc.ts";
import { listStats } from "./procfs.ts";

const PR_SET_NAME = 15;
const PR_SET_CHILD_SUBREAPER = 36;

/**
 * Reaps every zombie whose parent is this process, except the PIDs in
 * `exclude` (children of `Deno.Command`). Children spawned by `spawnProcess`
 * are reaped too; their `status()` promises resolve with the result.
 */
export function reapOrphans(exclude: Set<number>): Array<{ pid: number; exit: ExitInfo }> {
  const self = Deno.pid;
  const reaped: Array<{ pid: number; exit: ExitInfo }> = [];
  for (const stat of listStats()) {
    if (stat.ppid !== self || stat.state !== "Z" || exclude.has(stat.pid)) continue;
    const exit = reapChild(stat.pid);
    if (exit) reaped.push({ pid: stat.pid, exit });
  }
  return reaped;
}

/** Makes this process adopt orphaned descendants (PR_SET_CHILD_SUBREAPER). */
export function setChildSubreaper(): void {
  if (libc().prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n) !== 0) {
    throw new Error(`cannot become a child subreaper: ${strerror(errno())}`);
  }
}

/** Sets this thread's command name (PR_SET_NAME; at most 15 bytes are kept). */
export function setProcessName(name: string): void {
  const bytes = cstr(name.slice(0, 15));
  const buffer = new Uint8Array(256);
  buffer.set(bytes);
  const pointer = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
  if (libc().prctl(PR_SET_NAME, pointer, 0n, 0n, 0n) !== 0) {
    throw new Error(`cannot set the process name: ${strerror(errno())}`);
  }
}
