/**
 * Reading unit files without ever opening a FIFO (or a device, or a socket):
 * opening a FIFO blocks until a writer appears, which would hang every verb
 * that scans the search path. systemd skips such entries, so do we.
 * Files are read in pieces, so that a reader that stops early (a line over systemd's
 * limit) never holds more than one piece, however large the file is.
 * @module
 */

import { UnitBytesDecoder } from "../unit/utf8.ts";

/** The size of one piece read. */
const CHUNK = 64 * 1024;

/** Reads a regular file's bytes; throws `Deno.errors.NotFound` for anything else. */
export function readRegularFileSync(hostPath: string): Uint8Array {
  if (!Deno.statSync(hostPath).isFile) {
    throw new Deno.errors.NotFound(`not a regular file: ${hostPath}`);
  }
  return Deno.readFileSync(hostPath);
}

/** Reads a regular file as UTF-8 text; throws `Deno.errors.NotFound` for anything else. */
export function readRegularTextSync(hostPath: string): string {
  return new TextDecoder().decode(readRegularFileSync(hostPath));
}

/** Thrown by {@link readRegularTextChunks} for bytes that are not UTF-8. */
export class InvalidUtf8Error extends Error {
  constructor(hostPath: string) {
    super(`not UTF-8: ${hostPath}`);
    this.name = "InvalidUtf8Error";
  }
}

/**
 * Reads a regular file as UTF-8 text in pieces, handing each to `take` until it returns
 * false or the file ends. Throws `Deno.errors.IsADirectory` for a directory,
 * `Deno.errors.NotFound` for anything else that is not a regular file,
 * {@link InvalidUtf8Error} for bytes that are not UTF-8 (`fatal`, the default; `unit`
 * decodes as systemd reads unit files instead, see unit/utf8.ts) and the
 * file system's errors. Memory stays at one piece, whatever the file's size.
 */
export function readRegularTextChunks(
  hostPath: string,
  take: (text: string) => boolean,
  opts: { fatal?: boolean; unit?: boolean } = {},
): void {
  const st = Deno.statSync(hostPath);
  if (st.isDirectory) throw new Deno.errors.IsADirectory(`a directory: ${hostPath}`);
  if (!st.isFile) throw new Deno.errors.NotFound(`not a regular file: ${hostPath}`);
  const decoder = new TextDecoder("utf-8", { fatal: opts.fatal ?? true, ignoreBOM: true });
  // Unit files: bytes systemd would not take stay visible (unit/utf8.ts).
  const unitDecoder = opts.unit ? new UnitBytesDecoder() : undefined;
  const buf = new Uint8Array(CHUNK);
  using file = Deno.openSync(hostPath, { read: true });
  const decode = (bytes: Uint8Array | undefined, stream: boolean): string => {
    if (unitDecoder) return unitDecoder.decode(bytes ?? new Uint8Array(0), stream);
    try {
      return decoder.decode(bytes, { stream });
    } catch (e) {
      if (e instanceof TypeError) throw new InvalidUtf8Error(hostPath);
      throw e;
    }
  };
  for (;;) {
    const n = file.readSync(buf);
    if (n === null || n === 0) break;
    const text = decode(buf.subarray(0, n), true);
    if (text !== "" && !take(text)) return;
  }
  const rest = decode(undefined, false);
  if (rest !== "") take(rest);
}

/** Thrown by {@link readTextCapped} for a file of more than its limit. */
export class FileTooLargeError extends Error {
  constructor(hostPath: string) {
    super(`larger than the limit: ${hostPath}`);
    this.name = "FileTooLargeError";
  }
}

/**
 * systemd's READ_FULL_BYTES_MAX: `read_full_stream()` refuses a file of more bytes
 * with E2BIG ("Argument list too long"), environment files included.
 */
export const READ_FULL_BYTES_MAX = 64 * 1024 * 1024 - 1;

/**
 * Reads a whole file as text (lossy UTF-8, as before), any kind of file as `open` gives
 * it, but never more than `max` bytes: a longer one throws {@link FileTooLargeError}
 * once `max + 1` bytes were read, so /dev/zero or a huge file cost at most that.
 */
export function readTextCapped(hostPath: string, max = READ_FULL_BYTES_MAX): string {
  using file = Deno.openSync(hostPath, { read: true });
  const st = file.statSync();
  if (st.isFile && st.size > max) throw new FileTooLargeError(hostPath);
  const decoder = new TextDecoder();
  const parts: string[] = [];
  const buf = new Uint8Array(CHUNK);
  let total = 0;
  for (;;) {
    const n = file.readSync(buf);
    if (n === null) break;
    total += n;
    if (total > max) throw new FileTooLargeError(hostPath);
    parts.push(decoder.decode(buf.subarray(0, n), { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join("");
}

/** A directory's entries, in the order it gives them; undefined when it cannot be read. */
export function dirEntries(hostDir: string): Deno.DirEntry[] | undefined {
  try {
    return [...Deno.readDirSync(hostDir)];
  } catch {
    return undefined;
  }
}
