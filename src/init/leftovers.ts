/**
 * The last step of a shutdown (§8.5): processes that belong to no unit any
 * more get SIGTERM, then SIGKILL after a grace period. As PID 1 that is
 * every other process of the namespace (the container); as a subreaper, only
 * this process's own descendants. Never anything else.
 * @module
 */

import { descendantsIn, listStats } from "../process/procfs.ts";
import { killMembers, SIGNALS, waitGone } from "../process/kill.ts";

/** The processes a shutdown may end: the container's (as PID 1) or our descendants. */
function remaining(): number[] {
  const stats = listStats().filter((s) =>
    s.state !== "Z" && s.state !== "X" && s.pid !== 2 && s.ppid !== 2
  );
  if (Deno.pid === 1) return stats.filter((s) => s.pid !== 1).map((s) => s.pid);
  return descendantsIn(stats, [Deno.pid]).filter((pid) => pid !== Deno.pid);
}

/** SIGTERM to what is left, SIGKILL after `graceMs`; returns how many got SIGKILL. */
export async function endLeftovers(say: (line: string) => void, graceMs: number): Promise<number> {
  const left = remaining();
  if (left.length === 0) return 0;
  say(`Sending SIGTERM to ${left.length} remaining processes...`);
  const reached = killMembers(left, SIGNALS.SIGTERM);
  killMembers(reached, SIGNALS.SIGCONT);
  if (await waitGone(reached, graceMs)) return 0;
  const stubborn = remaining();
  if (stubborn.length === 0) return 0;
  say(`Sending SIGKILL to ${stubborn.length} remaining processes...`);
  const killed = killMembers(stubborn, SIGNALS.SIGKILL);
  await waitGone(killed, 2000);
  return killed.length;
}
