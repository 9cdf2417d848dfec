/**
 * Reading /proc. Deno 2.9 demands `--allow-all` for every path below /proc
 * (denoland/deno#27564) and the program never runs with it, so procfs reads
 * go through libc `open`/`read`/`opendir`/`readlink`. With `--allow-all`
 * (tests, `deno eval`) Deno's own file API is used, which is faster.
 * @module
 */

import { concatBytes, cstr, libc, O } from "./libc.ts";

let direct: boolean | undefined;

function useDeno(): boolean {
  if (direct === undefined) {
    try {
      Deno.statSync("/proc/self");
      direct = true;
    } catch {
      direct = false;
    }
  }
  return direct;
}

/** What `read` returns, or `fallback` when it throws (a process gone, a file unreadable). */
function orElse<T, F>(read: () => T, fallback: F): T | F {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** One read buffer for every procfs read (reads are synchronous; the data is copied out). */
let readBuffer: Uint8Array | undefined;

/** Reads a /proc file as bytes; undefined if it cannot be read. */
export function readProcBytes(path: string): Uint8Array | undefined {
  if (useDeno()) return orElse(() => Deno.readFileSync(path), undefined);
  const c = libc();
  const fd = c.open(cstr(path), O.RDONLY | O.CLOEXEC, 0);
  if (fd < 0) return undefined;
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const buffer = readBuffer ??= new Uint8Array(65536);
    while (true) {
      const n = Number(c.read(fd, buffer, BigInt(buffer.length)));
      if (n < 0) return total ? concatBytes(chunks, total) : undefined;
      if (n === 0) break;
      chunks.push(buffer.slice(0, n));
      total += n;
    }
    return concatBytes(chunks, total);
  } finally {
    c.close(fd);
  }
}

const decoder = new TextDecoder();

/** Reads a /proc file as text; undefined if it cannot be read. */
export function readProcText(path: string): string | undefined {
  const bytes = readProcBytes(path);
  return bytes === undefined ? undefined : decoder.decode(bytes);
}

/** The offset of `d_name` in glibc's `struct dirent` on 64-bit Linux. */
const DIRENT_NAME_OFFSET = 19;

/** The entry names of a /proc directory (without `.` and `..`); empty if unreadable. */
export function readProcDir(path: string): string[] {
  if (useDeno()) return orElse(() => [...Deno.readDirSync(path)].map((entry) => entry.name), []);
  const c = libc();
  const dir = c.opendir(cstr(path));
  if (dir === null) return [];
  const names: string[] = [];
  try {
    while (true) {
      const entry = c.readdir(dir);
      if (entry === null) break;
      const name = new Deno.UnsafePointerView(entry).getCString(DIRENT_NAME_OFFSET);
      if (name !== "." && name !== "..") names.push(name);
    }
  } finally {
    c.closedir(dir);
  }
  return names;
}

/** The target of a /proc symlink (e.g. /proc/PID/exe); undefined if unreadable. */
export function readProcLink(path: string): string | undefined {
  if (useDeno()) return orElse(() => Deno.readLinkSync(path), undefined);
  const buffer = new Uint8Array(4096);
  const n = Number(libc().readlink(cstr(path), buffer, BigInt(buffer.length)));
  return n < 0 ? undefined : decoder.decode(buffer.subarray(0, n));
}
