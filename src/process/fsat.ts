/**
 * File-system calls on descriptors (`openat`, `statx`, `unlinkat`, `fchmodat`) for host
 * paths the program owns (the notify socket directory), so that no component can be
 * swapped for a symlink between a check and its use. Paths inside a root are walked by
 * rootfs.ts.
 * @module
 */

import { AT, cstr, errno, libc, O, strerror } from "./libc.ts";

/** What `statx` tells about a file. */
export interface FileStat {
  /** The file type and permission bits (`st_mode`). */
  mode: number;
  uid: number;
  gid: number;
  /** Inode and device, which identify the file. */
  ino: bigint;
  dev: string;
  size: number;
}

const S_IFMT = 0o170000;
/** File type bits of {@link FileStat.mode}. */
export const S = {
  IFSOCK: 0o140000,
  IFLNK: 0o120000,
  IFREG: 0o100000,
  IFDIR: 0o040000,
} as const;

/** The file type bits of a mode. */
export function fileType(mode: number): number {
  return mode & S_IFMT;
}

const STATX_BASIC_STATS = 0x7ff;
/** One statx buffer (256 bytes: outside V8's moving heap), filled and read synchronously. */
const statxBuffer = new Uint8Array(256);
const EMPTY = cstr("");

/** A failed call, with the C library's text and the errno. */
export class FsError extends Error {
  readonly code: number;
  constructor(code: number, what: string) {
    super(`${what}: ${strerror(code)}`);
    this.code = code;
  }
}

/** `statx(fd, "", AT_EMPTY_PATH)`: what the descriptor refers to (O_PATH descriptors too). */
export function statFd(fd: number): FileStat {
  if (
    libc().statx(fd, EMPTY, AT.EMPTY_PATH | AT.SYMLINK_NOFOLLOW, STATX_BASIC_STATS, statxBuffer)
  ) {
    throw new FsError(errno(), "statx");
  }
  const view = new DataView(statxBuffer.buffer);
  return {
    mode: view.getUint16(28, true),
    uid: view.getUint32(20, true),
    gid: view.getUint32(24, true),
    ino: view.getBigUint64(32, true),
    dev: `${view.getUint32(136, true)}:${view.getUint32(140, true)}`,
    size: Number(view.getBigUint64(40, true)),
  };
}

/** `openat(dirFd, name, flags | O_CLOEXEC)`; the errno (negated) when it fails. */
export function openAt(dirFd: number, name: string, flags: number, mode = 0): number {
  const fd = libc().openat(dirFd, cstr(name), flags | O.CLOEXEC, mode);
  return fd >= 0 ? fd : -errno();
}

/** Reads up to `max` bytes from a descriptor. */
export function readFd(fd: number, max: number): Uint8Array {
  const buffer = new Uint8Array(Math.max(max, 256));
  let total = 0;
  while (total < max) {
    const n = Number(libc().read(fd, buffer.subarray(total), BigInt(max - total)));
    if (n < 0) throw new FsError(errno(), "read");
    if (n === 0) break;
    total += n;
  }
  return buffer.slice(0, total);
}

/** `unlinkat(dirFd, name, 0)`; false when there was nothing to remove. */
export function unlinkAt(dirFd: number, name: string): boolean {
  if (libc().unlinkat(dirFd, cstr(name), 0) === 0) return true;
  const code = errno();
  if (code === 2) return false; // ENOENT
  throw new FsError(code, `unlinkat ${name}`);
}

/**
 * `fchmodat(dirFd, name, mode, AT_SYMLINK_NOFOLLOW)`: glibc opens the name with
 * O_PATH|O_NOFOLLOW and refuses a symlink (EOPNOTSUPP), so a link swapped in
 * is never followed.
 */
export function chmodAtNoFollow(dirFd: number, name: string, mode: number): void {
  if (libc().fchmodat(dirFd, cstr(name), mode, AT.SYMLINK_NOFOLLOW) !== 0) {
    throw new FsError(errno(), `fchmodat ${name}`);
  }
}

/** Closes a descriptor (errors ignored). */
export function closeFd(fd: number): void {
  if (fd >= 0) libc().close(fd);
}
