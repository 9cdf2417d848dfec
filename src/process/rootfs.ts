/**
 * File operations inside a root directory (`--root`, or "" for `/`) that never leave it
 * and never follow a symlink where the operation must not. A path is walked one
 * component at a time from a descriptor of the root: each step is an
 * `openat(O_PATH|O_NOFOLLOW)` relative to the directory before it, `..` goes back along
 * the descriptors and stops at the root, a link is read and its target walked in its
 * place (an absolute one from the root again), as the kernel resolves a path inside
 * `chroot(root)` (and as `RootMap.resolve` does on path strings). Since every step is
 * taken on a descriptor, a link that a service user swaps in between a check and the use
 * can neither lead out of the root nor turn a mode or owner change onto its target.
 *
 * Ownership and modes are changed on descriptors of the object itself (`O_PATH|O_NOFOLLOW`,
 * `fchownat(AT_EMPTY_PATH)`, `fchmodat2(AT_EMPTY_PATH)` or `/proc/self/fd/N` when the kernel
 * has no fchmodat2); a recursive chown, as systemd's `chown_recursive()`, never enters a
 * linked directory. `safe` walks refuse what systemd's `CHASE_SAFE` refuses: a step from
 * an object owned by an unprivileged user to one owned by someone else.
 *
 * Keep the imports to `libc.ts`: the exec helper loads this module on every spawn.
 * @module
 */

import { AT, concatBytes, cstr, Errno, errno, F, libc, O, strerror } from "./libc.ts";

/** A failed step, with its errno; the message is the C library's text for it. */
export class RootFsError extends Error {
  /** The errno value. */
  readonly code: number;
  /** The path as given. */
  readonly path: string;
  constructor(code: number, path: string, message = strerror(code)) {
    super(message);
    this.code = code;
    this.path = path;
  }
}

/** What `statx` tells about an object (never through a link at the object itself). */
export interface RootStat {
  readonly kind: "file" | "dir" | "link" | "socket" | "fifo" | "other";
  /** Permission bits (07777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  /** Hard links to it. */
  readonly nlink: number;
  /** Device and inode (`major:minor:ino`): which object it is. */
  readonly id: string;
}

/** Where a walk ended: the directory that holds the object and the object's name. */
export interface Walked {
  /** An O_PATH descriptor of the directory (the root's, or one below it). */
  readonly dir: number;
  /** The last component ("." when the path is a directory already open: the root, or after `..`). */
  readonly name: string;
  /** What the walk found at the last component, when it looked (`follow` or `mkdir`). */
  readonly leaf?: RootStat;
  /** Closes every descriptor of the walk. */
  close(): void;
}

/** How a walk treats the path. */
export interface WalkOptions {
  /** Follow a link at the last component (open, stat, chdir), or stop at it (unlink, lstat). */
  readonly follow?: boolean;
  /** Create missing directories (the last component's too) with this mode. */
  readonly mkdir?: number;
  /** Refuse a step from an unprivileged owner to another owner (systemd's CHASE_SAFE). */
  readonly safe?: boolean;
}

const MAX_LINKS = 40;
const ENOLINK = 67;
const E2BIG = 7;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFSOCK = 0o140000;
const S_IFIFO = 0o010000;
const STATX_BASIC_STATS = 0x7ff;
const SYS_FCHMODAT2 = 452n;
const UNCHANGED = 0xffffffff;

function fail(path: string, code = errno()): never {
  throw new RootFsError(code, path);
}

function components(path: string): string[] {
  return path.split("/").filter((c) => c !== "" && c !== ".");
}

function statAt(fd: number, name: string, flags: number): RootStat | undefined {
  const buffer = new Uint8Array(256);
  if (libc().statx(fd, cstr(name), flags, STATX_BASIC_STATS, buffer) !== 0) return undefined;
  const view = new DataView(buffer.buffer);
  const mode = view.getUint16(28, true);
  const type = mode & S_IFMT;
  return {
    kind: type === S_IFDIR
      ? "dir"
      : type === S_IFREG
      ? "file"
      : type === S_IFLNK
      ? "link"
      : type === S_IFSOCK
      ? "socket"
      : type === S_IFIFO
      ? "fifo"
      : "other",
    mode: mode & 0o7777,
    uid: view.getUint32(20, true),
    gid: view.getUint32(24, true),
    size: Number(view.getBigUint64(40, true)),
    nlink: view.getUint32(16, true),
    id: `${view.getUint32(136, true)}:${view.getUint32(140, true)}:${view.getBigUint64(32, true)}`,
  };
}

/** The object a descriptor refers to (an O_PATH descriptor of a link: the link). */
function statFd(fd: number, path: string): RootStat {
  return statAt(fd, "", AT.EMPTY_PATH | AT.SYMLINK_NOFOLLOW) ?? fail(path);
}

function readLinkFd(fd: number, path: string): string {
  const buffer = new Uint8Array(4097);
  const n = Number(libc().readlinkat(fd, cstr(""), buffer, BigInt(buffer.length)));
  if (n < 0) fail(path);
  if (n >= buffer.length) fail(path, 36); // ENAMETOOLONG
  return new TextDecoder().decode(buffer.subarray(0, n));
}

// systemd's unsafe_transition(): from root anything goes; else the owner must stay the same.
function unsafe(from: RootStat, to: RootStat): boolean {
  return from.uid !== 0 && from.uid !== to.uid;
}

function openRoot(root: string): number {
  const fd = libc().open(cstr(root || "/"), O.PATH | O.DIRECTORY | O.CLOEXEC, 0);
  return fd < 0 ? fail(root || "/") : fd;
}

/**
 * Walks `path` inside `root` as chroot(root) would resolve it; returns the directory
 * that holds the last component and its name (which may not exist). A missing directory
 * on the way is ENOENT (unless `mkdir`), a file on the way ENOTDIR, 40 links ELOOP.
 */
export function walk(root: string, path: string, options: WalkOptions = {}): Walked {
  if (path.includes("\0")) throw new RootFsError(Errno.EINVAL, path);
  const c = libc();
  const stack = [openRoot(root)];
  const close = () => {
    for (const fd of stack.splice(0)) c.close(fd);
  };
  const done = (name: string, leaf?: RootStat): Walked => ({
    dir: stack[stack.length - 1],
    name,
    leaf,
    close,
  });
  try {
    const follow = options.follow === true || /\/\.?$/.test(path);
    const rootStat = options.safe ? statFd(stack[0], path) : undefined;
    let previous = rootStat;
    const step = (next: RootStat) => {
      if (previous && unsafe(previous, next)) {
        throw new RootFsError(ENOLINK, path, "Potentially unsafe symlink chain");
      }
      if (previous) previous = next;
    };
    const todo = components(path).reverse();
    let hops = 0;
    while (todo.length > 0) {
      const name = todo.pop()!;
      if (name === "..") {
        if (stack.length > 1) c.close(stack.pop()!);
        if (previous) step(statFd(stack[stack.length - 1], path));
        continue;
      }
      const last = todo.length === 0;
      const top = stack[stack.length - 1];
      if (last && !follow && options.mkdir === undefined) return done(name);
      const nameC = cstr(name);
      let fd = c.openat(top, nameC, O.PATH | O.NOFOLLOW | O.CLOEXEC, 0);
      if (fd < 0 && errno() === Errno.ENOENT && options.mkdir !== undefined) {
        if (c.mkdirat(top, nameC, options.mkdir) !== 0 && errno() !== Errno.EEXIST) {
          fail(path);
        }
        fd = c.openat(top, nameC, O.PATH | O.NOFOLLOW | O.CLOEXEC, 0);
      }
      if (fd < 0) {
        const code = errno();
        if (code === Errno.ENOENT && last) return done(name);
        fail(path, code);
      }
      let info: RootStat;
      try {
        info = statFd(fd, path);
        step(info);
      } catch (e) {
        c.close(fd);
        throw e;
      }
      if (info.kind === "link") {
        let target: string;
        try {
          target = readLinkFd(fd, path);
        } finally {
          c.close(fd);
        }
        if (++hops > MAX_LINKS) fail(path, Errno.ELOOP);
        if (target.startsWith("/")) {
          while (stack.length > 1) c.close(stack.pop()!);
          if (rootStat) step(rootStat);
        }
        todo.push(...components(target).reverse());
        continue;
      }
      if (last) {
        c.close(fd);
        return done(name, info);
      }
      if (info.kind !== "dir") {
        c.close(fd);
        fail(path, Errno.ENOTDIR);
      }
      stack.push(fd);
    }
    return done(".");
  } catch (e) {
    close();
    throw e;
  }
}

function withWalk<T>(root: string, path: string, options: WalkOptions, fn: (w: Walked) => T): T {
  const w = walk(root, path, options);
  try {
    return fn(w);
  } finally {
    w.close();
  }
}

/**
 * Opens `path` inside `root` (`open(2)` flags; O_CLOEXEC is added). The last component
 * is followed inside the root when `follow` (the default), else a link there fails
 * (ELOOP) unless O_PATH is asked for. The caller closes the descriptor.
 */
export function openIn(
  root: string,
  path: string,
  flags: number,
  mode = 0o666,
  options: WalkOptions = { follow: true },
): number {
  return withWalk(root, path, options, (w) => {
    const fd = libc().openat(w.dir, cstr(w.name), flags | O.NOFOLLOW | O.CLOEXEC, mode);
    return fd < 0 ? fail(path) : fd;
  });
}

/** The object at `path` (its last component followed when `follow`); undefined if missing. */
export function statIn(root: string, path: string, follow = false): RootStat | undefined {
  try {
    return withWalk(root, path, { follow }, (w) => {
      return statAt(w.dir, w.name, AT.SYMLINK_NOFOLLOW | (w.name === "." ? AT.EMPTY_PATH : 0));
    });
  } catch {
    return undefined;
  }
}

/**
 * Reads a whole file inside the root (the last component followed inside the root), at most
 * `max` bytes: a longer one fails with E2BIG once `max + 1` bytes were read, as systemd's
 * `read_full_stream()` refuses (so /dev/zero or a huge file cost at most that).
 */
export function readFileIn(
  root: string,
  path: string,
  options: WalkOptions = {},
  max = Number.MAX_SAFE_INTEGER,
): Uint8Array {
  const fd = openIn(root, path, O.RDONLY | O.NOCTTY | O.NONBLOCK, 0, { ...options, follow: true });
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buffer = new Uint8Array(65536);
      const n = Number(libc().read(fd, buffer, BigInt(buffer.length)));
      if (n < 0) {
        if (errno() === Errno.EINTR) continue;
        fail(path);
      }
      if (n === 0) break;
      chunks.push(buffer.subarray(0, n));
      total += n;
      if (total > max) fail(path, E2BIG);
    }
    return concatBytes(chunks, total);
  } finally {
    libc().close(fd);
  }
}

/**
 * Opens the regular file at `path` inside `root` for reading, as systemd's chase() and
 * then open: the object opened is the one the walk checked (same device and inode, else
 * EAGAIN), so a file swapped in after the walk is never read. Not a regular file: EINVAL
 * (EISDIR for the root itself). With `safe`, CHASE_SAFE's ENOLINK. The caller closes `fd`.
 */
export function openFileIn(
  root: string,
  path: string,
  safe: boolean,
): { fd: number; stat: RootStat } {
  return withWalk(root, path, { follow: true, safe }, (w) => {
    if (w.name === ".") fail(path, Errno.EISDIR);
    if (w.leaf === undefined) fail(path, Errno.ENOENT);
    if (w.leaf.kind !== "file") fail(path, Errno.EINVAL);
    const flags = O.RDONLY | O.NOFOLLOW | O.NONBLOCK | O.NOCTTY | O.CLOEXEC;
    const fd = libc().openat(w.dir, cstr(w.name), flags, 0);
    if (fd < 0) fail(path);
    try {
      const stat = statFd(fd, path);
      if (stat.id !== w.leaf.id) fail(path, Errno.EAGAIN);
      return { fd, stat };
    } catch (e) {
      libc().close(fd);
      throw e;
    }
  });
}

/** How {@link writeFileIn} opens the file. */
export interface WriteOptions {
  /** Create it if missing (with `mode`, before the umask). */
  readonly create?: boolean;
  /** Fail if it exists (with `create`). */
  readonly exclusive?: boolean;
  /** Follow a link at the last component, inside the root (default); else ELOOP there. */
  readonly follow?: boolean;
  /** Append instead of truncating. */
  readonly append?: boolean;
  readonly mode?: number;
}

/** Writes a file inside the root (the last component followed inside the root). */
export function writeFileIn(
  root: string,
  path: string,
  data: Uint8Array,
  options: WriteOptions = {},
): void {
  const flags = O.WRONLY | O.NOCTTY | O.NONBLOCK | (options.append ? O.APPEND : O.TRUNC) |
    (options.create ? O.CREAT : 0) | (options.exclusive ? O.EXCL : 0);
  const fd = openIn(root, path, flags, options.mode ?? 0o644, { follow: options.follow !== false });
  try {
    let offset = 0;
    while (offset < data.length) {
      const n = Number(
        libc().write(fd, data.subarray(offset), BigInt(data.length - offset)),
      );
      if (n < 0) {
        if (errno() === Errno.EINTR) continue;
        fail(path);
      }
      offset += n;
    }
  } finally {
    libc().close(fd);
  }
}

/**
 * `mkdir -p` inside the root: missing directories on the way get `parentsMode` (0755),
 * the last one `mode` (both before the umask); links on the way, and one at the end, are followed
 * inside the root. Returns whether the last one was created. ENOTDIR if something else
 * is there.
 */
export function mkdirIn(
  root: string,
  path: string,
  mode = 0o755,
  safe = false,
  parentsMode = 0o755,
): boolean {
  const c = libc();
  const parts = components(path);
  const leaf = parts.at(-1);
  if (leaf === undefined || leaf === "..") {
    withWalk(root, path, { follow: true, mkdir: mode, safe }, () => {});
    return false;
  }
  let created = false;
  const parent = "/" + parts.slice(0, -1).join("/");
  withWalk(root, parent, { follow: true, mkdir: parentsMode, safe }, (p) => {
    const dir = p.name === "." ? p.dir : openDirAt(p.dir, p.name, path);
    try {
      if (c.mkdirat(dir, cstr(leaf), mode) === 0) created = true;
      else if (errno() !== Errno.EEXIST) fail(path);
    } finally {
      if (dir !== p.dir) c.close(dir);
    }
  });
  // Whatever is there now (a link to a directory included) must be a directory.
  withWalk(root, path, { follow: true, safe }, (w) => {
    const st = statAt(w.dir, w.name, AT.SYMLINK_NOFOLLOW | (w.name === "." ? AT.EMPTY_PATH : 0));
    if (st === undefined) fail(path);
    if (st.kind !== "dir") fail(path, Errno.ENOTDIR);
  });
  return created;
}

function openDirAt(dir: number, name: string, path: string): number {
  const fd = libc().openat(dir, cstr(name), O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC, 0);
  return fd < 0 ? fail(path) : fd;
}

let noFchmodat2 = false;

/** chmod of the object an O_PATH (or any) descriptor refers to; never a link's target. */
function chmodFd(fd: number, mode: number, path: string): void {
  const c = libc();
  if (!noFchmodat2) {
    const r = Number(
      c.fchmodat2(SYS_FCHMODAT2, BigInt(fd), cstr(""), BigInt(mode), BigInt(AT.EMPTY_PATH)),
    );
    if (r === 0) return;
    const code = errno();
    if (code !== Errno.ENOSYS && code !== Errno.EINVAL && code !== Errno.EPERM) fail(path, code);
    // No fchmodat2 (Linux before 6.6, or a seccomp filter that refuses it).
    noFchmodat2 = true;
  }
  // The magic link of an O_PATH descriptor is the object itself, a link never (checked).
  if (c.fchmodat(AT.FDCWD, cstr(`/proc/self/fd/${fd}`), mode, 0) === 0) return;
  if (errno() !== Errno.ENOENT) fail(path);
  // No /proc: reopen the object for reading (directories and regular files only).
  const reopened = c.openat(fd, cstr("."), O.RDONLY | O.DIRECTORY | O.CLOEXEC, 0);
  if (reopened < 0) fail(path, Errno.EOPNOTSUPP);
  try {
    if (c.fchmod(reopened, mode) !== 0) fail(path);
  } finally {
    c.close(reopened);
  }
}

/** Opens the object at the last component without following a link there. */
function openObject(root: string, path: string, safe: boolean, follow = false): {
  fd: number;
  st: RootStat;
} | undefined {
  return withWalk(root, path, { follow, safe }, (w) => {
    const fd = libc().openat(w.dir, cstr(w.name), O.PATH | O.NOFOLLOW | O.CLOEXEC, 0);
    if (fd < 0) {
      if (errno() === Errno.ENOENT) return undefined;
      fail(path);
    }
    try {
      return { fd, st: statFd(fd, path) };
    } catch (e) {
      libc().close(fd);
      throw e;
    }
  });
}

/**
 * chmod of `path` inside the root. A link at the last component is left alone (Linux has
 * no mode on links) unless `follow`: then it is followed inside the root (in a `safe`
 * walk, only if owned as CHASE_SAFE allows) and its target changed. Returns false if
 * there is nothing there.
 */
export function chmodIn(
  root: string,
  path: string,
  mode: number,
  options: { safe?: boolean; follow?: boolean } = {},
): boolean {
  const o = openObject(root, path, options.safe === true, options.follow === true);
  if (!o) return false;
  try {
    if (o.st.kind !== "link" && o.st.mode !== (mode & 0o7777)) chmodFd(o.fd, mode & 0o7777, path);
    return true;
  } finally {
    libc().close(o.fd);
  }
}

function chownFd(fd: number, st: RootStat, uid: number, gid: number, path: string): void {
  const u = uid < 0 ? UNCHANGED : uid;
  const g = gid < 0 ? UNCHANGED : gid;
  if ((u === UNCHANGED || st.uid === u) && (g === UNCHANGED || st.gid === g)) return;
  if (libc().fchownat(fd, cstr(""), u, g, AT.EMPTY_PATH) !== 0) fail(path);
  // chown clears the set-user/group-ID bits: put them back, as systemd's chown_one().
  if (st.kind !== "link" && (st.mode & 0o6000) !== 0) chmodFd(fd, st.mode, path);
}

/**
 * chown of `path` inside the root (-1 keeps a value); a link at the last component is
 * changed itself, never its target. Returns false if there is nothing there.
 */
export function chownIn(
  root: string,
  path: string,
  uid: number,
  gid: number,
  safe = false,
): boolean {
  const o = openObject(root, path, safe);
  if (!o) return false;
  try {
    chownFd(o.fd, o.st, uid, gid, path);
    return true;
  } finally {
    libc().close(o.fd);
  }
}

/** The names in a directory (an open descriptor of it), without `.` and `..`. */
function listDir(dir: number, path: string): string[] {
  const c = libc();
  const copy = c.fcntl(dir, F.DUPFD_CLOEXEC, 0);
  if (copy < 0) fail(path);
  const stream = c.fdopendir(copy);
  if (stream === null) {
    c.close(copy);
    fail(path);
  }
  const names: string[] = [];
  try {
    for (;;) {
      const entry = c.readdir(stream);
      if (entry === null) break;
      // struct dirent: d_ino, d_off (8 bytes each), d_reclen (2), d_type (1), d_name.
      const name = new Deno.UnsafePointerView(entry).getCString(19);
      if (name !== "." && name !== "..") names.push(name);
    }
  } finally {
    c.closedir(stream);
  }
  return names;
}

function openDirectory(dir: number, name: string, path: string): number {
  const fd = libc().openat(
    dir,
    cstr(name),
    O.RDONLY | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC | O.NONBLOCK | O.NOCTTY,
    0,
  );
  return fd < 0 ? fail(path) : fd;
}

/**
 * The tree below an open directory gets the owner. `from` is the owner the top had: a file
 * with more than one link that someone else owns is a hard link into the tree (possible
 * where fs.protected_hardlinks is off) and is left alone, or its owner would pass with it.
 */
function chownChildren(dir: number, uid: number, gid: number, from: number, path: string): void {
  const c = libc();
  for (const name of listDir(dir, path)) {
    const fd = c.openat(dir, cstr(name), O.PATH | O.NOFOLLOW | O.CLOEXEC, 0);
    if (fd < 0) continue; // gone meanwhile
    try {
      const st = statFd(fd, path);
      if (st.kind !== "dir" && st.kind !== "link" && st.nlink > 1 && st.uid !== from) continue;
      if (st.kind === "dir") {
        // O_NOFOLLOW|O_DIRECTORY: a link swapped in meanwhile is refused, never entered.
        const sub = openDirectory(dir, name, `${path}/${name}`);
        try {
          chownChildren(sub, uid, gid, from, `${path}/${name}`);
        } finally {
          c.close(sub);
        }
      }
      chownFd(fd, st, uid, gid, `${path}/${name}`);
    } finally {
      c.close(fd);
    }
  }
}

/**
 * systemd's `path_chown_recursive()` inside the root: the directory at `path` (a link
 * there is followed inside the root, through a `safe` walk) and everything below it get
 * the owner; below it no link is followed, links are changed themselves. Nothing is done
 * when the top already has that owner (as systemd, which trusts an owned tree).
 */
export function chownTreeIn(root: string, path: string, uid: number, gid: number): void {
  const o = openObject(root, path, true, true);
  if (!o) fail(path, Errno.ENOENT);
  const c = libc();
  try {
    if (o.st.uid === uid && o.st.gid === gid) return;
    if (o.st.kind === "dir") {
      const dir = openDirectory(o.fd, ".", path);
      try {
        chownChildren(dir, uid, gid, o.st.uid, path);
      } finally {
        c.close(dir);
      }
    }
    chownFd(o.fd, o.st, uid, gid, path);
  } finally {
    c.close(o.fd);
  }
}

function removeChildren(dir: number, path: string): void {
  const c = libc();
  for (const name of listDir(dir, path)) {
    const st = statAt(dir, name, AT.SYMLINK_NOFOLLOW);
    if (st?.kind === "dir") {
      const sub = c.openat(dir, cstr(name), O.RDONLY | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC, 0);
      if (sub >= 0) {
        try {
          removeChildren(sub, `${path}/${name}`);
        } finally {
          c.close(sub);
        }
      }
      if (c.unlinkat(dir, cstr(name), AT.REMOVEDIR) !== 0 && errno() !== Errno.ENOENT) {
        fail(`${path}/${name}`);
      }
    } else if (c.unlinkat(dir, cstr(name), 0) !== 0 && errno() !== Errno.ENOENT) {
      fail(`${path}/${name}`);
    }
  }
}

/**
 * `rm -rf` inside the root: a link at `path` is removed itself, nothing below is followed.
 * Returns false if nothing was there.
 */
export function removeIn(root: string, path: string): boolean {
  const c = libc();
  return withWalk(root, path, { follow: false }, (w) => {
    if (w.name === ".") fail(path, Errno.EINVAL);
    const st = statAt(w.dir, w.name, AT.SYMLINK_NOFOLLOW);
    if (st === undefined) return false;
    if (st.kind === "dir") {
      const dir = openDirectory(w.dir, w.name, path);
      try {
        removeChildren(dir, path);
      } finally {
        c.close(dir);
      }
      if (c.unlinkat(w.dir, cstr(w.name), AT.REMOVEDIR) !== 0) fail(path);
    } else if (c.unlinkat(w.dir, cstr(w.name), 0) !== 0) fail(path);
    return true;
  });
}

/** `unlink(2)` inside the root (a link is removed itself). Returns false if nothing was there. */
export function unlinkIn(root: string, path: string): boolean {
  return withWalk(root, path, { follow: false }, (w) => {
    if (libc().unlinkat(w.dir, cstr(w.name), 0) === 0) return true;
    return errno() === Errno.ENOENT ? false : fail(path);
  });
}

/** `symlink(2)`: creates a link at `path` inside the root with the given target text. */
export function symlinkIn(root: string, target: string, path: string): void {
  withWalk(root, path, { follow: false }, (w) => {
    if (libc().symlinkat(cstr(target), w.dir, cstr(w.name)) !== 0) fail(path);
  });
}

/** `mkfifo(3)` inside the root (a link at `path` is not followed: EEXIST). */
export function mkfifoIn(root: string, path: string, mode: number): void {
  withWalk(root, path, { follow: false }, (w) => {
    if (libc().mkfifoat(w.dir, cstr(w.name), mode) !== 0) fail(path);
  });
}

/** `chdir(2)` to a directory inside the root (for the exec helper). */
export function chdirIn(root: string, path: string): void {
  withWalk(root, path, { follow: true }, (w) => {
    const fd = w.name === "." ? w.dir : openDirAt(w.dir, w.name, path);
    try {
      if (libc().fchdir(fd) !== 0) fail(path);
    } finally {
      if (fd !== w.dir) libc().close(fd);
    }
  });
}

/** Test hooks. */
export const _internal = {
  /** Pretends the kernel has no fchmodat2, so the /proc/self/fd path is taken. */
  set noFchmodat2(value: boolean) {
    noFchmodat2 = value;
  },
};
