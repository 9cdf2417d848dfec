/**
 * The boot key (spec §5.3): `<boot_id>:<start time of PID 1 in clock ticks>`.
 * A container restart changes it, which makes every state file, PID file and
 * notify socket from before the restart stale.
 * @module
 */

let cached: string | undefined;

/** Builds the key from its two sources (exported for tests). */
export function makeBootKey(bootIdText: string, pid1Stat: string): string {
  const close = pid1Stat.lastIndexOf(")");
  const fields = pid1Stat.slice(close + 2).split(" ");
  return `${bootIdText.trim()}:${fields[19]}`;
}

/**
 * The boot key of the running system (read once per process). Deno 2.9
 * refuses /proc paths without `--allow-all`, so under the program's own
 * permission list this throws; callers there use `bootKey()` of
 * `process/procfs.ts` (libc reads) or {@linkcode makeBootKey}.
 */
export function bootKey(procRoot = "/proc"): string {
  if (procRoot === "/proc" && cached !== undefined) return cached;
  const key = makeBootKey(
    Deno.readTextFileSync(`${procRoot}/sys/kernel/random/boot_id`),
    Deno.readTextFileSync(`${procRoot}/1/stat`),
  );
  if (procRoot === "/proc") cached = key;
  return key;
}
