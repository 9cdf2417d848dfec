/**
 * One pass of the init's targeted reaper for a client (`reap-zombies`, a verb kept from
 * docker-systemctl-replacement): the zombie children of this process are reaped by PID
 * (never `waitpid(-1)`), and the processes left are counted as the older tool counted
 * them.
 * @module
 */

import { reapZombies } from "../process/reaper.ts";
import { listPids } from "../process/procfs.ts";

/** What one pass did. */
export interface ReapPass {
  /** How many zombie children were reaped. */
  reaped: number;
  /** Processes still there, not counting PID 1 and this process. */
  remaining: number;
}

/** Reaps this process's zombie children once and counts what is left. */
export function reapOnce(): ReapPass {
  const reaped = reapZombies().length;
  const self = Deno.pid;
  const remaining = listPids().filter((pid) => pid > 1 && pid !== self).length;
  return { reaped, remaining };
}
