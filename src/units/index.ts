/**
 * One scan of the unit search path: every unit file name, every symlink and
 * every `.d`/`.wants`/`.requires` directory, by search directory. The loader,
 * the install logic and the listings all read this one index.
 * @module
 */

import { dirname, isAbsolute, join, normalize } from "../unit/posix_path.ts";
import type { RootMap } from "./paths.ts";
import { dirEntries } from "./regular_file.ts";

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

/** Where a link in `dir` (inside the root) whose target is `target` points, inside the root. */
function linkHop(root: RootMap, dir: string, target: string): string {
  return normalize(isAbsolute(target) ? root.inside(target) : join(dir, target));
}

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
    let target: string;
    try {
      target = Deno.readLinkSync(root.host(cur));
    } catch {
      // Gone, or a target that is not UTF-8: a link that leads nowhere.
      return undefined;
    }
    cur = linkHop(root, dirname(cur), target);
  }
  return undefined;
}

/** The scanned search path. */
export class UnitIndex {
  /** Search directories (inside the root), highest priority first, deduplicated. */
  readonly dirs: readonly string[];
  #byName = new Map<string, UnitFileEntry[]>();
  #dirsByName = new Map<string, string[]>();
  /** Per search dir, its entries that are not regular files, in directory order. */
  #special = new Map<string, Map<string, SpecialKind>>();
  /** Host paths of the search dirs. */
  readonly #hostDirs: Map<string, string>;
  /** Set while names come from the search-dir digest: looked up one at a time. */
  #lazy = false;
  /** Lazy mode: names looked up and found nowhere. */
  readonly #absent = new Set<string>();
  readonly #root: RootMap;

  private constructor(root: RootMap, dirs: string[], hostDirs: Map<string, string>) {
    this.#root = root;
    this.dirs = dirs;
    this.#hostDirs = hostDirs;
  }

  /**
   * Scans the given search directories under the root. With `digest` (a file inside the
   * root, under the state directory) a digest of the scan is kept there: each search
   * directory's identity and modification times and its entries that are not regular
   * files. While every directory still matches it, the scan is not repeated: a query
   * about one unit then looks its name up in each directory instead of reading
   * directories of any size (systemd's manager keeps its unit-name map the same way, until
   * a directory's timestamp changes).
   */
  static scan(
    root: RootMap,
    searchDirs: readonly string[],
    options: { digest?: string; now?: number } = {},
  ): UnitIndex {
    return UnitIndex.#open(root, searchDirs, options, false)!;
  }

  /** The index from the digest when it holds; undefined (nothing scanned) when it does not. */
  static fromDigest(
    root: RootMap,
    searchDirs: readonly string[],
    digest: string,
  ): UnitIndex | undefined {
    return UnitIndex.#open(root, searchDirs, { digest }, true);
  }

  static #open(
    root: RootMap,
    searchDirs: readonly string[],
    options: { digest?: string; now?: number },
    digestOnly: boolean,
  ): UnitIndex | undefined {
    const dirs: string[] = [];
    const hostDirs = new Map<string, string>();
    const stamps: DirStamp[] = [];
    for (const { dir, real, info } of existingDirInfos(root, searchDirs)) {
      dirs.push(dir);
      hostDirs.set(dir, real);
      stamps.push(stampOf(dir, real, info));
    }
    const index = new UnitIndex(root, dirs, hostDirs);
    const digest = options.digest;
    if (digest !== undefined) {
      const special = readDigest(root, digest, searchDirs, stamps);
      if (special) {
        index.#lazy = true;
        index.#special = special;
        for (const d of dirs) {
          for (const [name, kind] of special.get(d) ?? []) index.#noteDir(d, name, kind);
        }
        return index;
      }
    }
    if (digestOnly) return undefined;
    for (const d of dirs) index.#scanDir(d);
    if (digest !== undefined) {
      writeDigest(root, digest, searchDirs, stamps, index.#special, options.now ?? Date.now());
    }
    return index;
  }

  /** Records `name` as a `.d`/`.wants`/`.requires`/`.upholds` directory of `dir` if it is one. */
  #noteDir(dir: string, name: string, kind: SpecialKind | "file"): boolean {
    if (kind === "dir" && name.endsWith(".d") || /\.(wants|requires|upholds)$/.test(name)) {
      if (kind === "dir" || kind === "symlink") {
        const list = this.#dirsByName.get(name) ?? [];
        list.push(dir);
        this.#dirsByName.set(name, list);
        if (kind === "dir") return true;
      }
    }
    return false;
  }

  #scanDir(dir: string): void {
    const hostDir = this.#hostDirs.get(dir)!;
    const special = new Map<string, SpecialKind>();
    this.#special.set(dir, special);
    const entries = dirEntries(hostDir);
    if (!entries) return;
    // Directory order is kept: listings sort their own rows.
    for (const e of entries) {
      const kind: SpecialKind | "file" = e.isFile
        ? "file"
        : e.isSymlink
        ? "symlink"
        : e.isDirectory
        ? "dir"
        : "other";
      if (kind !== "file") special.set(e.name, kind);
      if (this.#noteDir(dir, e.name, kind)) continue;
      this.#add(dir, hostDir, e.name, kind);
    }
  }

  /** Adds the entry `name` of kind `kind` in `dir` (a unit file name), as a scan finds it. */
  #add(dir: string, hostDir: string, name: string, kind: SpecialKind | "file"): void {
    if (!UNIT_SUFFIX.test(name)) return;
    // FIFOs, sockets and devices are skipped, as systemd does: opening a FIFO would block.
    if (kind === "other") return;
    const entry = this.#entry(dir, hostDir, name, kind);
    const list = this.#byName.get(name);
    if (list) list.push(entry);
    else this.#byName.set(name, [entry]);
  }

  #entry(dir: string, hostDir: string, name: string, found: "file" | "symlink" | "dir") {
    const path = `${dir}/${name}`;
    const hostPath = `${hostDir}/${name}`;
    let kind: EntryKind = found;
    let linkTarget: string | undefined;
    let resolved: string | undefined = path;
    let masked = false;
    if (found === "symlink") {
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
    }
    const entry: UnitFileEntry = { name, dir, path, hostPath, kind, linkTarget, resolved, masked };
    return entry;
  }

  /** Lazy mode: looks `name` up in every search dir (once). */
  #lookup(name: string): void {
    if (this.#byName.has(name) || this.#absent.has(name)) return;
    if (UNIT_SUFFIX.test(name)) {
      for (const dir of this.dirs) {
        const hostDir = this.#hostDirs.get(dir)!;
        const kind = this.#special.get(dir)?.get(name);
        if (kind !== undefined) {
          this.#add(dir, hostDir, name, kind);
          continue;
        }
        // Not in the digest: a regular file or nothing.
        try {
          if (Deno.lstatSync(`${hostDir}/${name}`).isFile) this.#add(dir, hostDir, name, "file");
        } catch { /* not in this dir */ }
      }
    }
    if (!this.#byName.has(name)) this.#absent.add(name);
  }

  /** Reads every search directory (a listing needs every name). */
  #full(): void {
    if (!this.#lazy) return;
    this.#lazy = false;
    this.#absent.clear();
    this.#byName = new Map();
    this.#dirsByName = new Map();
    this.#special = new Map();
    for (const d of this.dirs) this.#scanDir(d);
  }

  /** Whether names come from the digest, looked up one at a time (no full scan yet). */
  get digested(): boolean {
    return this.#lazy;
  }

  /** The highest-priority entry for a name. */
  first(name: string): UnitFileEntry | undefined {
    if (this.#lazy) this.#lookup(name);
    return this.#byName.get(name)?.[0];
  }

  /** All entries for a name, highest priority first. */
  all(name: string): readonly UnitFileEntry[] {
    if (this.#lazy) this.#lookup(name);
    return this.#byName.get(name) ?? [];
  }

  /** Every unit-file name in the search path, unsorted. */
  names(): IterableIterator<string> {
    this.#full();
    return this.#byName.keys();
  }

  /**
   * A superset of the names whose highest-priority entry is a symlink (aliases, masks),
   * in the order of {@link names}, without reading every directory when the digest holds.
   */
  linkNames(): Iterable<string> {
    if (!this.#lazy) return this.#byName.keys();
    const out = new Set<string>();
    for (const d of this.dirs) {
      for (const [name, kind] of this.#special.get(d) ?? []) {
        if (kind === "symlink" && UNIT_SUFFIX.test(name)) out.add(name);
      }
    }
    return out;
  }

  /**
   * Whether a symlink named `name` in the search path may resolve, through any chain, to a
   * file named `target`: false only when every such link's first hop is known to end
   * elsewhere (a path named otherwise that is no symlink, `/dev/null`, or nothing). A
   * superset test that reads one link and makes one `lstat` per link, where {@link first}
   * looks the name up in every search dir: a query then resolves only the links that may
   * name its unit. Without the digest every entry is already resolved: true.
   */
  mayLinkTo(name: string, target: string): boolean {
    if (!this.#lazy) return true;
    let ends = this.#linkEnds.get(name);
    if (ends === undefined) {
      ends = [];
      for (const dir of this.dirs) {
        if (this.#special.get(dir)?.get(name) === "symlink") ends.push(this.#linkEnd(dir, name));
      }
      this.#linkEnds.set(name, ends);
    }
    return ends.some((end) => end === undefined || end === target);
  }

  /** Per link name, what {@link #linkEnd} says of each of its links. */
  readonly #linkEnds = new Map<string, (string | null | undefined)[]>();

  /**
   * Where the link `dir/name` ends after one hop: the file name it points to when that is
   * no symlink, null for `/dev/null` or nothing, undefined when it cannot be told (the link
   * cannot be read, or it points to another link).
   */
  #linkEnd(dir: string, name: string): string | null | undefined {
    let raw: string;
    try {
      raw = Deno.readLinkSync(`${this.#hostDirs.get(dir)!}/${name}`);
    } catch {
      return undefined;
    }
    // The first hop, as resolveInRoot takes it.
    const hop = linkHop(this.#root, dir, raw);
    if (hop === "/dev/null") return null;
    // `b.service/` (normalize keeps the slash): the full resolution decides.
    if (hop.endsWith("/")) return undefined;
    try {
      if (Deno.lstatSync(this.#root.host(hop)).isSymlink) return undefined;
    } catch {
      // Nothing there: a broken link, no alias.
      return null;
    }
    return hop.slice(hop.lastIndexOf("/") + 1);
  }

  /**
   * The entries of a search dir that are not regular files (symlinks, directories, other
   * kinds), in directory order; undefined for a directory that is not a search dir.
   */
  specialEntries(dir: string): ReadonlyMap<string, SpecialKind> | undefined {
    return this.#special.get(dir);
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

/** The kinds of directory entries a digest keeps (regular files are looked up by name). */
export type SpecialKind = "symlink" | "dir" | "other";

/** What identifies a search directory's contents: a new entry changes its times. */
interface DirStamp {
  readonly dir: string;
  readonly real: string;
  readonly dev: number;
  readonly ino: number;
  readonly mtime: number;
  readonly ctime: number;
}

/** The digest's file name in the state directory. */
export const UNIT_INDEX_FILE = "unit-index.json";

const DIGEST_FORMAT = "systemctl-unit-index/1";
/**
 * A directory changed this recently may change again within the same clock tick, unseen
 * by its times: no digest is written then (git's "racily clean" rule).
 */
const SETTLED_MS = 2000;

function stampOf(dir: string, real: string, info: Deno.FileInfo): DirStamp {
  return {
    dir,
    real,
    dev: info.dev,
    ino: info.ino ?? -1,
    mtime: info.mtime?.getTime() ?? -1,
    ctime: info.ctime?.getTime() ?? -1,
  };
}

function sameStamp(a: DirStamp, b: DirStamp): boolean {
  return a.dir === b.dir && a.real === b.real && a.dev === b.dev && a.ino === b.ino &&
    a.mtime === b.mtime && a.ctime === b.ctime;
}

interface Digest {
  format: string;
  searchDirs: string[];
  dirs: (DirStamp & { special: [string, SpecialKind][] })[];
}

/**
 * The digest's special entries by search dir when it describes exactly these directories
 * as they are now; undefined otherwise (missing, stale, not ours, unreadable).
 */
function readDigest(
  root: RootMap,
  digest: string,
  searchDirs: readonly string[],
  stamps: readonly DirStamp[],
): Map<string, Map<string, SpecialKind>> | undefined {
  try {
    const host = root.safe(digest);
    const st = Deno.lstatSync(host);
    // Only a regular file that no one but its owner (this user, or root) can change.
    const owner = st.uid === Deno.uid() || st.uid === 0;
    if (!st.isFile || !owner || ((st.mode ?? 0o022) & 0o022) !== 0) {
      return undefined;
    }
    const d = JSON.parse(Deno.readTextFileSync(host)) as Digest;
    if (d.format !== DIGEST_FORMAT || !Array.isArray(d.dirs) || !Array.isArray(d.searchDirs)) {
      return undefined;
    }
    if (d.searchDirs.join("\0") !== searchDirs.join("\0")) return undefined;
    if (d.dirs.length !== stamps.length) return undefined;
    const out = new Map<string, Map<string, SpecialKind>>();
    for (let i = 0; i < stamps.length; i++) {
      const rec = d.dirs[i];
      if (!sameStamp(rec, stamps[i]) || !Array.isArray(rec.special)) return undefined;
      const m = new Map<string, SpecialKind>();
      for (const [name, kind] of rec.special) {
        if (typeof name !== "string" || name.includes("/")) return undefined;
        if (kind !== "symlink" && kind !== "dir" && kind !== "other") return undefined;
        m.set(name, kind);
      }
      out.set(rec.dir, m);
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Writes the digest (atomically; best effort: a read-only root just goes without). */
function writeDigest(
  root: RootMap,
  digest: string,
  searchDirs: readonly string[],
  stamps: readonly DirStamp[],
  special: ReadonlyMap<string, ReadonlyMap<string, SpecialKind>>,
  now: number,
): void {
  if (
    stamps.some((s) => s.mtime < 0 || s.ctime < 0 || now - Math.max(s.mtime, s.ctime) < SETTLED_MS)
  ) {
    return;
  }
  const d: Digest = {
    format: DIGEST_FORMAT,
    searchDirs: [...searchDirs],
    dirs: stamps.map((s) => ({ ...s, special: [...special.get(s.dir) ?? []] })),
  };
  let tmp: string | undefined;
  try {
    const host = root.safe(digest);
    const dir = dirname(host);
    // Query verbs run without write permission: they read a digest, never write one.
    if (Deno.permissions.querySync({ name: "write", path: dir }).state !== "granted") return;
    Deno.mkdirSync(dir, { recursive: true, mode: 0o755 });
    tmp = Deno.makeTempFileSync({ dir, prefix: ".unit-index-" });
    Deno.writeTextFileSync(tmp, JSON.stringify(d), { mode: 0o644 });
    Deno.chmodSync(tmp, 0o644);
    Deno.renameSync(tmp, host);
    tmp = undefined;
  } catch {
    // No digest: the next query scans again.
  } finally {
    if (tmp !== undefined) {
      try {
        Deno.removeSync(tmp);
      } catch { /* gone */ }
    }
  }
}

/** The search dirs that exist under the root, each real directory once (the first name wins). */
function existingDirInfos(
  root: RootMap,
  searchDirs: readonly string[],
): { dir: string; real: string; info: Deno.FileInfo }[] {
  return root.lookingOnly(() => {
    const seenReal = new Set<string>();
    const out: { dir: string; real: string; info: Deno.FileInfo }[] = [];
    for (const dir of searchDirs) {
      let real: string | undefined;
      let info: Deno.FileInfo;
      try {
        // Resolved inside the root: an absolute link there must not lead to the host.
        real = root.unlessMissing(dir);
        if (real === undefined) continue;
        info = Deno.statSync(real);
      } catch {
        continue;
      }
      if (seenReal.has(real)) continue;
      seenReal.add(real);
      out.push({ dir, real, info });
    }
    return out;
  });
}

/** The search dirs that exist under the root, each real directory once, in order. */
export function existingDirs(root: RootMap, searchDirs: readonly string[]): string[] {
  return existingDirInfos(root, searchDirs).map((d) => d.dir);
}
