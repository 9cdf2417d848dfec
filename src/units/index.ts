/**
 * One scan of the unit search path: every unit file name, every symlink and
 * every `.d`/`.wants`/`.requires` directory, by search directory. The loader,
 * the install logic and the listings all read this one index.
 * @module
 */

import { dirname, isAbsolute, join, normalize } from "node:path";
import type { RootMap } from "./paths.ts";

/** What a directory entry in the search path is. */
export type EntryKind = "file" | "symlink" | "dir" | "broken" | "other";

/** One unit-file name as found in one search directory. */
export interface UnitFileEntry {
  /** The unit name (the entry's base name). */
  readonly name: string;
  /** The search directory (inside the root). */
  readonly dir: string;
  /** `dir/name` (inside the root). */
  readonly path: string;
  /** The host path. */
  readonly hostPath: string;
  readonly kind: EntryKind;
  /** The raw symlink target, for symlinks. */
  readonly linkTarget?: string;
  /** The final target inside the root after following links; undefined if broken. */
  readonly resolved?: string;
  /** A link to /dev/null or an empty regular file. */
  readonly masked: boolean;
}

const UNIT_SUFFIX = /\.(service|socket|target|timer|path|mount|automount|swap|device|slice|scope)$/;

/** Follows a symlink chain inside the root; returns the final path (inside the root). */
export function resolveInRoot(root: RootMap, path: string, maxDepth = 32): string | undefined {
  let cur = path;
  for (let i = 0; i < maxDepth; i++) {
    if (cur === "/dev/null") return cur;
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(root.host(cur));
    } catch {
      return undefined;
    }
    if (!info.isSymlink) return cur;
    const target = Deno.readLinkSync(root.host(cur));
    cur = normalize(isAbsolute(target) ? root.inside(target) : join(dirname(cur), target));
  }
  return undefined;
}

/** The scanned search path. */
export class UnitIndex {
  /** Search directories (inside the root), highest priority first, deduplicated. */
  readonly dirs: readonly string[];
  readonly #byName = new Map<string, UnitFileEntry[]>();
  readonly #dirsByName = new Map<string, string[]>();
  readonly #root: RootMap;

  private constructor(root: RootMap, dirs: string[]) {
    this.#root = root;
    this.dirs = dirs;
  }

  /** Scans the given search directories under the root. */
  static scan(root: RootMap, searchDirs: readonly string[]): UnitIndex {
    const dirs = existingDirs(root, searchDirs);
    const index = new UnitIndex(root, dirs);
    for (const d of dirs) index.#scanDir(d);
    return index;
  }

  #scanDir(dir: string): void {
    const hostDir = this.#root.safe(dir, true);
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(hostDir)];
    } catch {
      return;
    }
    // Directory order is kept: listings sort their own rows.
    for (const e of entries) {
      if (e.isDirectory && e.name.endsWith(".d") || /\.(wants|requires|upholds)$/.test(e.name)) {
        if (e.isDirectory || e.isSymlink) {
          const list = this.#dirsByName.get(e.name) ?? [];
          list.push(dir);
          this.#dirsByName.set(e.name, list);
          if (e.isDirectory) continue;
        }
      }
      if (!UNIT_SUFFIX.test(e.name)) continue;
      const path = `${dir}/${e.name}`;
      const hostPath = `${hostDir}/${e.name}`;
      let kind: EntryKind;
      let linkTarget: string | undefined;
      let resolved: string | undefined = path;
      let masked = false;
      if (e.isSymlink) {
        kind = "symlink";
        try {
          linkTarget = Deno.readLinkSync(hostPath);
        } catch {
          linkTarget = undefined;
        }
        resolved = resolveInRoot(this.#root, path);
        if (resolved === "/dev/null") masked = true;
        else if (resolved === undefined) kind = "broken";
        else {
          try {
            const st = Deno.statSync(this.#root.host(resolved));
            if (st.isFile && st.size === 0) masked = true;
            if (st.isDirectory) kind = "dir";
            // A link to a FIFO, socket or device is no unit file (systemd lists it as bad).
            else if (!st.isFile) kind = "broken";
          } catch {
            kind = "broken";
          }
        }
      } else if (e.isFile) {
        kind = "file";
      } else if (e.isDirectory) {
        kind = "dir";
      } else {
        // FIFOs, sockets and devices are skipped, as systemd does: opening a FIFO would block.
        continue;
      }
      const entry: UnitFileEntry = {
        name: e.name,
        dir,
        path,
        hostPath,
        kind,
        linkTarget,
        resolved,
        masked,
      };
      const list = this.#byName.get(e.name);
      if (list) list.push(entry);
      else this.#byName.set(e.name, [entry]);
    }
  }

  /** The highest-priority entry for a name. */
  first(name: string): UnitFileEntry | undefined {
    return this.#byName.get(name)?.[0];
  }

  /** All entries for a name, highest priority first. */
  all(name: string): readonly UnitFileEntry[] {
    return this.#byName.get(name) ?? [];
  }

  /** Every unit-file name in the search path, unsorted. */
  names(): IterableIterator<string> {
    return this.#byName.keys();
  }

  /** The search dirs that contain a directory (or dir symlink) of this name, e.g. `foo.service.d`. */
  dirsWith(dirName: string): readonly string[] {
    return this.#dirsByName.get(dirName) ?? [];
  }

  /** Every `X.d`, `X.wants`, `X.requires`, `X.upholds` directory name seen. */
  dirNames(): IterableIterator<string> {
    return this.#dirsByName.keys();
  }

  /** Whether a path (inside the root) lies in one of the search directories. */
  inSearchPath(path: string): boolean {
    const dir = dirname(path);
    return this.dirs.includes(dir);
  }
}

/**
 * The search dirs that exist under the root, each real directory once (the first name
 * wins), in order.
 */
export function existingDirs(root: RootMap, searchDirs: readonly string[]): string[] {
  const seenReal = new Set<string>();
  const dirs: string[] = [];
  for (const d of searchDirs) {
    let real: string;
    try {
      // Resolved inside the root: an absolute link there must not lead to the host.
      real = root.safe(d, true);
      Deno.statSync(real);
    } catch {
      continue;
    }
    if (seenReal.has(real)) continue;
    seenReal.add(real);
    dirs.push(d);
  }
  return dirs;
}
