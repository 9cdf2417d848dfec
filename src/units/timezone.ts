/**
 * The compiled zoneinfo file of the local time zone, found as libc finds it: `TZ` (a
 * zone name under /usr/share/zoneinfo, or an absolute path, with an optional leading
 * `:`), else /etc/localtime. Read only when a timestamp is printed in a zone other
 * than UTC. This is the process's own zone, not the `--root` tree's.
 * @module
 */

import { parseTzif, type ZoneInfo } from "../unit/tzif.ts";

const ZONEINFO = "/usr/share/zoneinfo";

/** The TZif data of the local zone, or undefined (no file, a POSIX rule string, bad data). */
export function readLocalZone(tz = Deno.env.get("TZ")): ZoneInfo | undefined {
  let path = "/etc/localtime";
  if (tz !== undefined) {
    const name = tz.startsWith(":") ? tz.slice(1) : tz;
    if (name === "") return undefined;
    if (name.startsWith("/")) path = name;
    else if (/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(name)) path = `${ZONEINFO}/${name}`;
    else return undefined;
  }
  try {
    return parseTzif(Deno.readFileSync(path));
  } catch {
    return undefined;
  }
}

/**
 * Whether `name` names a compiled zone file, as systemd's `timezone_is_valid()` checks:
 * `UTC`, or letters, digits, `-_+` and single inner slashes naming a regular file under
 * /usr/share/zoneinfo that starts with `TZif`.
 */
export function isZoneFile(name: string): boolean {
  if (name === "UTC") return true;
  if (!/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  const path = `${ZONEINFO}/${name}`;
  try {
    // stat first: opening a FIFO would block.
    if (!Deno.statSync(path).isFile) return false;
    const file = Deno.openSync(path);
    try {
      const magic = new Uint8Array(4);
      return file.readSync(magic) === 4 && new TextDecoder().decode(magic) === "TZif";
    } finally {
      file.close();
    }
  } catch {
    return false;
  }
}
