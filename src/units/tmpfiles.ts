/**
 * `systemd-tmpfiles --create` for the init instance's boot: containers have
 * no systemd-tmpfiles-setup.service, yet packages rely on its directories
 * (mariadb's `/run/mysqld`, postgresql's `/run/postgresql`, ...), which a fresh
 * `/run` (a tmpfs, or an image whose `/run` was emptied) lacks. Creates what
 * the d/D/v/q/Q, f/F, w, L, e and z/Z lines ask for, inside the root; removal,
 * aging, device nodes, copies and attributes are left to the image.
 * @module
 */

import type { RootMap } from "./paths.ts";
import { type TmpfilesEntry, TmpfilesParser } from "../unit/tmpfiles.ts";
import { readRegularTextChunks } from "./regular_file.ts";
import { lookupGroup, lookupUser } from "./host_info.ts";

/** Where tmpfiles.d files are searched, highest priority first (Debian's systemd 252). */
export const TMPFILES_DIRS = [
  "/etc/tmpfiles.d",
  "/run/tmpfiles.d",
  "/usr/local/lib/tmpfiles.d",
  "/usr/lib/tmpfiles.d",
  "/lib/tmpfiles.d",
];

/**
 * Paths never touched: what the container runtime owns, and /run/nologin, which
 * systemd-user-sessions.service would remove once the boot is done; no such
 * service runs here, so it would lock non-root users out for good.
 */
const FOREIGN = /^\/(dev|proc|sys)(\/|$)|^\/run\/nologin$/;

/** The entries of every tmpfiles.d file, a name in a higher directory masking the same below. */
export function readTmpfiles(root: RootMap, warn: (line: string) => void): TmpfilesEntry[] {
  const chosen = new Map<string, string>();
  for (const dir of TMPFILES_DIRS) {
    try {
      for (const entry of Deno.readDirSync(root.resolve(dir))) {
        if (entry.name.endsWith(".conf") && !chosen.has(entry.name)) {
          chosen.set(entry.name, `${dir}/${entry.name}`);
        }
      }
    } catch { /* no such directory */ }
  }
  const entries: TmpfilesEntry[] = [];
  for (const name of [...chosen.keys()].sort()) {
    const file = chosen.get(name)!;
    // An empty file or a link to /dev/null masks the name. Read in pieces: a line over
    // systemd's limit ends the file there.
    const parser = new TmpfilesParser(file, warn);
    try {
      readRegularTextChunks(root.resolve(file), (text) => parser.push(text), { fatal: false });
    } catch {
      continue;
    }
    for (const e of parser.end()) entries.push(e);
  }
  return entries;
}

function owner(root: RootMap, e: TmpfilesEntry): { uid?: number; gid?: number } {
  const user = e.user === undefined
    ? undefined
    : /^\d+$/.test(e.user)
    ? Number(e.user)
    : lookupUser(root, e.user)?.uid;
  const group = e.group === undefined
    ? undefined
    : /^\d+$/.test(e.group)
    ? Number(e.group)
    : lookupGroup(root, e.group)?.gid;
  return { uid: user, gid: group };
}

/**
 * What the entries need from the file system: the process layer's operations inside the
 * root on descriptors (process/rootfs.ts), passed in by the init. A path is resolved as
 * chroot would (`//`, `..`, links stay inside the root), and modes and owners are never
 * changed through a link, as systemd-tmpfiles does with its O_PATH|O_NOFOLLOW descriptors.
 */
export interface TmpfilesFs {
  mkdirIn(root: string, path: string, mode?: number, safe?: boolean): boolean;
  chmodIn(
    root: string,
    path: string,
    mode: number,
    options?: { safe?: boolean; follow?: boolean },
  ): boolean;
  chownIn(root: string, path: string, uid: number, gid: number, safe?: boolean): boolean;
  statIn(root: string, path: string, follow?: boolean): { readonly kind: string } | undefined;
  writeFileIn(
    root: string,
    path: string,
    data: Uint8Array,
    options?: { create?: boolean; follow?: boolean; append?: boolean },
  ): void;
  symlinkIn(root: string, target: string, path: string): void;
  removeIn(root: string, path: string): boolean;
}

function adjust(root: RootMap, fs: TmpfilesFs, path: string, e: TmpfilesEntry, mode: number) {
  // CHASE_SAFE, as systemd-tmpfiles: no step from an unprivileged owner to another one.
  fs.chmodIn(root.root, path, e.mode ?? mode, { safe: true });
  const { uid, gid } = owner(root, e);
  if (uid !== undefined || gid !== undefined) {
    fs.chownIn(root.root, path, uid ?? -1, gid ?? -1, true);
  }
}

/** Applies one entry; throws on a failure. */
function apply(root: RootMap, fs: TmpfilesFs, e: TmpfilesEntry): void {
  const r = root.root;
  const path = root.inner(e.path);
  const st = fs.statIn(r, path);
  switch (e.type) {
    case "d":
    case "D":
    case "v":
    case "q":
    case "Q":
      if (st === undefined) {
        fs.mkdirIn(r, path, e.mode ?? 0o755, true);
        adjust(root, fs, path, e, 0o755);
      } else if (st.kind === "dir") adjust(root, fs, path, e, 0o755);
      return;
    case "e":
      if (st !== undefined) adjust(root, fs, path, e, 0o755);
      return;
    case "f":
    case "F":
      if (st === undefined || e.type === "F" || e.plus) {
        // As systemd-tmpfiles: a link in the file's place is not written through.
        fs.writeFileIn(r, path, new TextEncoder().encode(e.argument ?? ""), {
          create: true,
          follow: false,
        });
        adjust(root, fs, path, e, 0o644);
      }
      return;
    case "w":
      // Follows a link, inside the root; a missing file is not written (as systemd).
      if (fs.statIn(r, path, true) !== undefined) {
        fs.writeFileIn(r, path, new TextEncoder().encode(e.argument ?? ""), { append: e.plus });
      }
      return;
    case "L":
      if (e.plus && st !== undefined) fs.removeIn(r, path);
      if (e.plus || st === undefined) {
        fs.mkdirIn(r, path.replace(/\/+[^/]*\/*$/, "") || "/");
        fs.symlinkIn(r, e.argument ?? `/usr/share/factory${e.path}`, path);
      }
      return;
    case "z":
    case "Z":
      if (st !== undefined) adjust(root, fs, path, e, st.kind === "dir" ? 0o755 : 0o644);
      return;
    default:
      // x, X, r, R (cleanup), c, b, p (nodes), C (copy), a, h (attributes): left to the image.
      return;
  }
}

/** Creates what the tmpfiles.d entries ask for; returns one line per failure. */
export function createTmpfiles(
  root: RootMap,
  fs: TmpfilesFs,
  warn: (line: string) => void,
): number {
  let created = 0;
  for (const e of readTmpfiles(root, warn)) {
    if (FOREIGN.test(e.path) || /[%*?[]/.test(e.path)) continue;
    try {
      apply(root, fs, e);
      created++;
    } catch (error) {
      warn(`${e.where}: Failed to create ${e.path}: ${(error as Error).message}`);
    }
  }
  return created;
}
