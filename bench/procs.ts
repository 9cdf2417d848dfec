/**
 * The processes the service cases start, found by the BENCH_TAG=<tag> in
 * their environment (so nobody else's `sleep` is ever touched), and killed
 * by pid at the end.
 * @module
 */

/** Live processes (not zombies) whose environment holds BENCH_TAG=`tag`. */
export function taggedPids(tag: string): number[] {
  const needle = `BENCH_TAG=${tag}`;
  const found: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const pid = Number(e.name);
    if (pid === Deno.pid) continue;
    try {
      const env = Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0");
      if (!env.includes(needle)) continue;
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state !== "Z" && state !== "X") found.push(pid);
    } catch { /* gone, or not ours to read */ }
  }
  return found;
}

/** Whether `pid` is alive, not a zombie, and still carries the tag (no reused pid). */
function stillTagged(pid: number, tag: string): boolean {
  return taggedPids(tag).includes(pid);
}

/** Kills, by pid, each recorded or still tagged process; returns the pids it had to kill. */
export async function killLeftovers(tag: string, recorded: Iterable<number>): Promise<number[]> {
  const pids = new Set<number>([...recorded, ...taggedPids(tag)]);
  const killed: number[] = [];
  for (const pid of pids) {
    if (!stillTagged(pid, tag)) continue;
    killed.push(pid);
    try {
      Deno.kill(pid, "SIGTERM");
    } catch { /* gone */ }
  }
  if (killed.length === 0) return killed;
  await new Promise((r) => setTimeout(r, 300));
  for (const pid of killed) {
    if (!stillTagged(pid, tag)) continue;
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
  return killed;
}
