/**
 * Persistent= timers keep their last trigger as the modification time of
 * `/var/lib/systemd/timers/stamp-<timer>` (user units:
 * `~/.local/share/systemd/timers/`), as systemd does, so a trigger missed while
 * nothing ran is caught up at the next start.
 * @module
 */

/** The stamp file of a timer, relative to the root (system) or the user's home. */
export function stampPath(
  scope: string,
  env: Readonly<Record<string, string | undefined>>,
  id: string,
): string {
  if (scope === "user") {
    const data = env.XDG_DATA_HOME || `${env.HOME ?? "/root"}/.local/share`;
    return `${data}/systemd/timers/stamp-${id}`;
  }
  return `/var/lib/systemd/timers/stamp-${id}`;
}

/** The last trigger recorded in a stamp file (µs since the epoch), if any. */
export function readStamp(hostPath: string): number | undefined {
  try {
    const mtime = Deno.statSync(hostPath).mtime;
    return mtime ? mtime.getTime() * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Records a trigger at `us` (µs since the epoch) in the stamp file. */
export function writeStamp(hostPath: string, us: number): void {
  Deno.mkdirSync(hostPath.slice(0, hostPath.lastIndexOf("/")), { recursive: true, mode: 0o755 });
  Deno.writeFileSync(hostPath, new Uint8Array(), { mode: 0o644 });
  const at = new Date(Math.floor(us / 1000));
  Deno.utimeSync(hostPath, at, at);
}
