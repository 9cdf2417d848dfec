/**
 * Unit log files (spec §5.5): where they are, their last lines, and following them across
 * truncation and replacement. File I/O only.
 * @module
 */

import { join } from "../unit/posix_path.ts";
import { logDir, type PathEnv, type RootMap, type Scope } from "./paths.ts";

/** The host path of a unit's log file: `<root>/var/log/journal/<unit>.log` (system scope). */
export function logPath(root: RootMap, scope: Scope, env: PathEnv, unit: string): string {
  return root.resolve(join(logDir(scope, env), `${unit}.log`));
}

/** The unit names that have a log file in the host directory `hostDir`, sorted. */
export function loggedUnits(hostDir: string): string[] {
  const names: string[] = [];
  try {
    for (const e of Deno.readDirSync(hostDir)) {
      if (e.isFile && e.name.endsWith(".log") && e.name.length > 4) names.push(e.name.slice(0, -4));
    }
  } catch {
    // No log directory yet: no units.
  }
  return names.sort();
}

/** The last lines of a file and the offset just after them. */
export interface TailResult {
  lines: string[];
  /** The byte offset where following should continue. */
  end: number;
  /** False when the file does not exist. */
  exists: boolean;
}

const CHUNK = 64 * 1024;
const decoder = new TextDecoder();

/**
 * journald's default LineMax (48 KiB): a longer line of a service becomes several
 * entries. Log files here are written by the services themselves, so the readers apply
 * it: a line without end costs at most this much memory, however long it grows.
 */
export const LINE_MAX = 48 * 1024;

/**
 * systemd's `utf8_is_printable()`: no C0 control character but tab and newline, no DEL
 * and no C1 control (`unichar_is_control()`), no replacement of a byte that was not UTF-8.
 */
export function isPrintableLine(line: string): boolean {
  // deno-lint-ignore no-control-regex -- the control characters are what is looked for
  return !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/.test(line);
}

/** systemd's `FORMAT_BYTES()` (IEC, one digit below the point, a trailing B below 1 KiB). */
export function formatBytes(t: number): string {
  const units: Array<[string, number]> = [["G", 1024 ** 3], ["M", 1024 ** 2], ["K", 1024]];
  for (let i = 0; i < units.length; i++) {
    const [suffix, factor] = units[i];
    if (t < factor) continue;
    const tenth = i !== units.length - 1
      ? Math.floor(Math.floor(t / units[i + 1][1]) * 10 / 1024) % 10
      : Math.floor(t * 10 / factor) % 10;
    return `${Math.floor(t / factor)}.${tenth}${suffix}`;
  }
  return `${t}B`;
}

/**
 * A log line as journalctl and `systemctl status` show it: a line a service wrote with
 * terminal control sequences (or bytes that are not UTF-8) becomes `[N blob data]`
 * unless `all` (`-a`), as systemd's `output_short()` does, so a service cannot drive the
 * terminal of the administrator who reads its log.
 */
export function shownLine(line: string, all: boolean): string {
  if (all || isPrintableLine(line)) return line;
  return `[${formatBytes(new TextEncoder().encode(line).length)} blob data]`;
}

/** The most a follower reads at once; the rest comes on the next round. */
const FOLLOW_READ_MAX = 1024 * 1024;

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const out: string[] = [];
  for (const line of lines) {
    if (line.length <= LINE_MAX) out.push(line);
    else for (let i = 0; i < line.length; i += LINE_MAX) out.push(line.slice(i, i + LINE_MAX));
  }
  return out;
}

/**
 * Reads the last `n` lines of a file (`Infinity`: all of them), scanning backwards in
 * chunks so a big log costs only what is printed. A last line without a newline counts;
 * lines are cut at {@link LINE_MAX}, so `n` lines never need more than (n + 1) × LINE_MAX
 * bytes of the file, even when it holds one line of gigabytes.
 */
export function readTail(hostPath: string, n: number): TailResult {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(hostPath, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { lines: [], end: 0, exists: false };
    throw e;
  }
  try {
    const size = file.statSync().size;
    if (n <= 0) return { lines: [], end: size, exists: true };
    const parts: Uint8Array[] = [];
    let pos = size;
    let newlines = 0;
    const budget = Number.isFinite(n) ? (n + 1) * LINE_MAX : Infinity;
    // n lines need n+1 newlines in view (the one ending the line before), or the file start.
    while (pos > 0 && newlines <= n && size - pos < budget) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = new Uint8Array(len);
      file.seekSync(pos, Deno.SeekMode.Start);
      let got = 0;
      while (got < len) {
        const r = file.readSync(buf.subarray(got));
        if (r === null) break;
        got += r;
      }
      const chunk = buf.subarray(0, got);
      for (let i = chunk.length - 1; i >= 0; i--) {
        if (chunk[i] !== 0x0a) continue;
        // A newline that ends the file terminates the last line; it does not start one.
        if (pos + i === size - 1) continue;
        newlines++;
      }
      parts.unshift(chunk);
    }
    const total = parts.reduce((s, p) => s + p.length, 0);
    const all = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    const lines = splitLines(decoder.decode(all));
    return { lines: Number.isFinite(n) ? lines.slice(-n) : lines, end: size, exists: true };
  } finally {
    file.close();
  }
}

/** The last `n` lines of a file (`Infinity`: all); none when it does not exist. */
export function tailLines(hostPath: string, n: number): string[] {
  return readTail(hostPath, n).lines;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/**
 * Follows a file like `tail -F`: calls `onLine` for every complete line appended after
 * `start` (default: the current end of the file) until `signal` aborts. When the file
 * shrinks (truncation) or its inode changes (replacement, rotation), reading restarts at
 * offset 0; a file that does not exist yet is waited for. Polls every `pollMs` ms.
 */
export async function followFile(
  hostPath: string,
  onLine: (line: string) => void,
  signal: AbortSignal,
  options: { start?: number; pollMs?: number } = {},
): Promise<void> {
  const pollMs = options.pollMs ?? 100;
  let offset = options.start;
  let ino: number | null | undefined;
  let pending = new Uint8Array(0);
  const streamDecoder = new TextDecoder();
  while (!signal.aborted) {
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.statSync(hostPath);
    } catch {
      info = undefined;
    }
    if (info === undefined) {
      // Gone (rotated away, not yet created): the next file starts at offset 0.
      if (offset !== undefined) {
        offset = 0;
        ino = undefined;
      }
      await sleep(pollMs, signal);
      continue;
    }
    if (offset === undefined) {
      offset = info.size;
      ino = info.ino;
    }
    if ((ino !== undefined && info.ino !== ino) || info.size < offset) {
      offset = 0;
      pending = new Uint8Array(0);
    }
    ino = info.ino;
    if (info.size > offset) {
      const chunk = readRange(hostPath, offset, Math.min(info.size, offset + FOLLOW_READ_MAX));
      if (chunk.length === 0) {
        await sleep(pollMs, signal);
        continue;
      }
      offset += chunk.length;
      const data = new Uint8Array(pending.length + chunk.length);
      data.set(pending);
      data.set(chunk, pending.length);
      let startLine = 0;
      for (let i = 0; i < data.length; i++) {
        // A line longer than LINE_MAX comes out in pieces, as journald stores it.
        if (data[i] !== 0x0a && i - startLine < LINE_MAX) continue;
        onLine(streamDecoder.decode(data.subarray(startLine, i)));
        startLine = data[i] === 0x0a ? i + 1 : i;
      }
      if (data.length - startLine >= LINE_MAX) {
        onLine(streamDecoder.decode(data.subarray(startLine, startLine + LINE_MAX)));
        startLine += LINE_MAX;
      }
      pending = data.slice(startLine);
      // The next read on a later turn of the event loop: a service that writes faster than
      // this reads must not keep SIGINT (or anything else) from being handled.
      await sleep(0, signal);
      continue;
    }
    await sleep(pollMs, signal);
  }
}

function readRange(hostPath: string, from: number, to: number): Uint8Array {
  const file = Deno.openSync(hostPath, { read: true });
  try {
    file.seekSync(from, Deno.SeekMode.Start);
    const buf = new Uint8Array(to - from);
    let got = 0;
    while (got < buf.length) {
      const r = file.readSync(buf.subarray(got));
      if (r === null) break;
      got += r;
    }
    return buf.subarray(0, got);
  } finally {
    file.close();
  }
}
