/**
 * The SysV side of `enable`, `disable` and `is-enabled`: the `/etc/rc?.d`
 * links of an `/etc/init.d` script. systemd hands this to
 * `systemd-sysv-install`, which on Debian runs `update-rc.d`; a container
 * running us has neither systemd's helper nor, often, insserv, so we do what
 * `update-rc.d` does without insserv ("defaults", then the S/K toggle), and
 * answer `is-enabled` as Debian's `systemd-sysv-install` does.
 * @module
 */

import type { RootMap } from "./paths.ts";

/** systemd's compiled-in SysV script directory (`SYSTEM_SYSVINIT_PATH`). */
export const SYSV_SCRIPT_DIR = "/etc/init.d";

/** The script behind `NAME.service`, when `/etc/init.d/NAME` exists (inside the root). */
export function sysvScriptFor(root: RootMap, unit: string): string | undefined {
  if (!unit.endsWith(".service") || unit.includes("/")) return undefined;
  const base = unit.slice(0, -".service".length);
  if (base === "" || base === "." || base === "..") return undefined;
  const path = `${SYSV_SCRIPT_DIR}/${base}`;
  try {
    Deno.statSync(root.host(path)); // access(F_OK) follows symlinks
    return path;
  } catch {
    return undefined;
  }
}

/** Default-Start and Default-Stop of an LSB header, read as update-rc.d reads them. Pure. */
export function defaultLevels(text: string): { start: string[]; stop: string[] } {
  let start: string[] = [];
  let stop: string[] = [];
  let inBlock = false;
  for (const line of text.split("\n")) {
    if (/^### BEGIN INIT INFO\s*$/.test(line)) inBlock = true;
    else if (/^### END INIT INFO\s*$/.test(line)) break;
    else if (inBlock) {
      const s = /^# Default-Start:\s*(.*)$/.exec(line);
      if (s) start = s[1].split(/\s+/).filter((w) => w);
      const k = /^# Default-Stop:\s*(.*)$/.exec(line);
      if (k) stop = k[1].split(/\s+/).filter((w) => w);
    }
  }
  return { start, stop };
}

function entries(root: RootMap, dir: string): string[] {
  try {
    return [...Deno.readDirSync(root.host(dir))].map((e) => e.name);
  } catch {
    return [];
  }
}

/** The `/etc/rc?.d` directories of the root (inside the root). */
function rcDirs(root: RootMap): string[] {
  return entries(root, "/etc").filter((n) => /^rc.\.d$/.test(n)).sort().map((n) => `/etc/${n}`);
}

/** Whether `name` is `[SK]NN<base>` (with `S`, `K` or either). */
function isRcLink(name: string, base: string, kinds = "SK"): boolean {
  return name.length === base.length + 3 && kinds.includes(name[0]) &&
    /^[0-9]{2}$/.test(name.slice(1, 3)) && name.slice(3) === base;
}

/**
 * `is-enabled` of a SysV script as Debian's systemd-sysv-install answers it:
 * enabled when `/etc/rcS.d` or `/etc/rc5.d` holds an `S??<base>` entry.
 */
export function sysvIsEnabled(root: RootMap, base: string): boolean {
  return ["/etc/rcS.d", "/etc/rc5.d"].some((dir) =>
    entries(root, dir).some((n) => n.length === base.length + 3 && n[0] === "S" && n.endsWith(base))
  );
}

/** What a SysV enable or disable did: links made and renamed, or why it failed. */
export interface SysvResult {
  readonly created: string[];
  readonly renamed: Array<{ from: string; to: string }>;
  readonly warnings: string[];
  readonly error?: string;
  /** The file-system error behind `error`, for the verb to name its errno. */
  readonly cause?: unknown;
}

/**
 * `enable`/`disable` of `/etc/init.d/<base>`: first the default links when the
 * script has none (`S01` in its Default-Start levels, `K01` in Default-Stop),
 * then the start levels' links switched to `S` (enable) or `K` (disable).
 */
export function sysvToggle(
  root: RootMap,
  base: string,
  action: "enable" | "disable",
): SysvResult {
  const created: string[] = [];
  const renamed: Array<{ from: string; to: string }> = [];
  const warnings: string[] = [];
  const script = `${SYSV_SCRIPT_DIR}/${base}`;
  let text: string;
  try {
    text = Deno.readTextFileSync(root.host(script));
  } catch {
    return { created, renamed, warnings, error: `unable to read ${script}` };
  }
  const levels = defaultLevels(text);
  const hasLinks = rcDirs(root).some((dir) => entries(root, dir).some((n) => isRcLink(n, base)));
  if (!hasLinks) {
    const make = (level: string, kind: "S" | "K") => {
      const dir = `/etc/rc${level}.d`;
      const link = `${dir}/${kind}01${base}`;
      try {
        Deno.mkdirSync(root.host(dir), { recursive: true });
        Deno.symlinkSync(`../init.d/${base}`, root.host(link));
        created.push(link);
      } catch { /* update-rc.d ignores a link it cannot make */ }
    };
    for (const level of levels.start) make(level, "S");
    for (const level of levels.stop) make(level, "K");
  }
  if (levels.start.length === 0) {
    return { created, renamed, warnings, error: `${base} Default-Start contains no runlevels` };
  }
  const links: string[] = [];
  for (const level of levels.start) {
    if (!/^[S2345]$/.test(level)) {
      warnings.push(`${action} action will have no effect on runlevel ${level}`);
      continue;
    }
    const dir = `/etc/rc${level}.d`;
    for (const n of entries(root, dir).sort()) if (isRcLink(n, base)) links.push(`${dir}/${n}`);
  }
  if (links.length === 0) {
    return { created, renamed, warnings, error: "no runlevel symlinks to modify" };
  }
  const [from, to] = action === "enable" ? ["K", "S"] : ["S", "K"];
  for (const link of links) {
    const slash = link.lastIndexOf("/");
    if (link[slash + 1] !== from) continue;
    const target = `${link.slice(0, slash + 1)}${to}${link.slice(slash + 2)}`;
    try {
      Deno.renameSync(root.host(link), root.host(target));
      renamed.push({ from: link, to: target });
    } catch (e) {
      return { created, renamed, warnings, error: `cannot rename ${link}`, cause: e };
    }
  }
  return { created, renamed, warnings };
}
