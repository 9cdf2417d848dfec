/**
 * Opening a file under a root the way systemd's `chase()` does: one component at
 * a time with `openat(O_PATH|O_NOFOLLOW)`, symlinks read and resolved by us
 * (absolute ones relative to the root, `..` never above it), so that nothing
 * outside the root is reached and no component can be swapped between a check
 * and its use. With `safe`, as CHASE_SAFE, a transition from a directory or link
 * owned by an unprivileged user to a file owned by someone else is refused
 * (`ENOLINK`): an unprivileged user cannot make us read a privileged file by
 * linking to it.
 * @module
 */

import {
  closeFd,
  type FileStat,
  fileType,
  FsError,
  openAt,
  readFd,
  readLinkFd,
  S,
  statFd,
} from "./fsat.ts";
import { Errno, O } from "./libc.ts";

/** How many symlinks a walk follows before it gives up (ELOOP), as the kernel and chase(). */
const MAX_FOLLOW = 40;

/** chase()'s unsafe_transition(): from privileged to anything is fine; else the owner must stay. */
function unsafeTransition(from: FileStat, to: FileStat): boolean {
  return from.uid !== 0 && from.uid !== to.uid;
}

interface Level {
  fd: number;
  st: FileStat;
}

/** A file opened read-only under a root, with the owner of what was opened. */
export interface OpenedFile {
  fd: number;
  stat: FileStat;
}

/**
 * Opens `path` (absolute, as seen inside `root`) for reading. Every component is
 * resolved inside `root` ("/" for the host) as a chroot would. Only a regular file
 * is opened. Throws {@link FsError}: ENOENT and the like, ELOOP, and ENOLINK for an
 * unsafe transition when `safe` is set.
 */
export function openFileInRoot(root: string, path: string, safe: boolean): OpenedFile {
  const rootFd = openAt(-100, root || "/", O.PATH | O.DIRECTORY);
  if (rootFd < 0) throw new FsError(-rootFd, `open ${root || "/"}`);
  const rootStat = statFd(rootFd);
  const stack: Level[] = [{ fd: rootFd, st: rootStat }];
  let previous = rootStat;
  const todo = path.split("/").filter((c) => c !== "" && c !== ".");
  let follows = 0;
  // The final object: its parent directory (still in `stack`) and name.
  let leaf: { name: string; fd: number; st: FileStat } | undefined;
  try {
    while (todo.length > 0) {
      const name = todo.shift()!;
      if (name === "..") {
        if (stack.length === 1) continue;
        closeFd(stack.pop()!.fd);
        const parent = stack[stack.length - 1];
        if (safe && unsafeTransition(previous, parent.st)) throw new FsError(Errno.ENOLINK, path);
        previous = parent.st;
        continue;
      }
      const dir = stack[stack.length - 1];
      const child = openAt(dir.fd, name, O.PATH | O.NOFOLLOW);
      if (child < 0) throw new FsError(-child, path);
      let st: FileStat;
      try {
        st = statFd(child);
      } catch (e) {
        closeFd(child);
        throw e;
      }
      if (safe && unsafeTransition(previous, st)) {
        closeFd(child);
        throw new FsError(Errno.ENOLINK, path);
      }
      previous = st;
      if (fileType(st.mode) === S.IFLNK) {
        let target: string;
        try {
          target = readLinkFd(child);
        } finally {
          closeFd(child);
        }
        if (++follows > MAX_FOLLOW) throw new FsError(Errno.ELOOP, path);
        if (target === "") throw new FsError(Errno.EINVAL, path);
        if (target.startsWith("/")) {
          while (stack.length > 1) closeFd(stack.pop()!.fd);
          if (safe && unsafeTransition(previous, rootStat)) throw new FsError(Errno.ENOLINK, path);
          previous = rootStat;
        }
        todo.unshift(...target.split("/").filter((c) => c !== "" && c !== "."));
        continue;
      }
      if (todo.length === 0) {
        leaf = { name, fd: child, st };
        break;
      }
      if (fileType(st.mode) !== S.IFDIR) {
        closeFd(child);
        throw new FsError(Errno.ENOTDIR, path);
      }
      stack.push({ fd: child, st });
    }
    if (!leaf) throw new FsError(Errno.EISDIR, path);
    closeFd(leaf.fd);
    if (fileType(leaf.st.mode) !== S.IFREG) throw new FsError(Errno.EINVAL, path);
    // The O_PATH descriptor becomes a readable one: the same name in the same
    // directory, not followed, and checked to be the same file.
    const parent = stack[stack.length - 1];
    const fd = openAt(parent.fd, leaf.name, O.RDONLY | O.NOFOLLOW | O.NONBLOCK | O.NOCTTY);
    if (fd < 0) throw new FsError(-fd, path);
    const stat = statFd(fd);
    if (stat.ino !== leaf.st.ino || stat.dev !== leaf.st.dev) {
      closeFd(fd);
      throw new FsError(Errno.EAGAIN, path);
    }
    return { fd, stat };
  } finally {
    for (const level of stack) closeFd(level.fd);
  }
}

/** What a PID file held, and how far it can be trusted. */
export interface PidFileContent {
  /** The PID on its first line; undefined when that line is not a PID. */
  pid?: number;
  /** The owner of the file. */
  ownerUid: number;
  /**
   * Reached only through an unsafe symlink chain (an unprivileged user's link to
   * someone else's file): systemd then takes no PID from outside the service.
   */
  questionable: boolean;
}

/**
 * Reads a PID file under `root` as systemd's service_load_pid_file() does: chased
 * with CHASE_SAFE and, when that meets an unsafe transition, again without it
 * (the content is then marked questionable). Undefined when it cannot be opened.
 */
export function readPidFileIn(root: string, path: string): PidFileContent | undefined {
  let opened: OpenedFile;
  let questionable = false;
  try {
    try {
      opened = openFileInRoot(root, path, true);
    } catch (e) {
      if (!(e instanceof FsError) || e.code !== Errno.ENOLINK) throw e;
      questionable = true;
      opened = openFileInRoot(root, path, false);
    }
  } catch {
    return undefined;
  }
  try {
    const text = new TextDecoder().decode(readFd(opened.fd, 4096));
    const m = /^\s*(\d+)\s*$/.exec(text.split("\n")[0]);
    const pid = m ? Number(m[1]) : undefined;
    return {
      pid: pid !== undefined && Number.isSafeInteger(pid) && pid > 0 ? pid : undefined,
      ownerUid: opened.stat.uid,
      questionable,
    };
  } catch {
    return undefined;
  } finally {
    closeFd(opened.fd);
  }
}
