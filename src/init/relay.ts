/**
 * The log relay (§8.4): every line appended to a unit log file while the init
 * instance runs is copied to its stdout as `<unit>: <line>`, so `docker logs`
 * shows service output. Reading starts at each file's size when the relay
 * starts; a truncated or replaced file is read again from the start. Lines are
 * handled as bytes (no decoding per line); a partial last line is copied when
 * it is completed or after a second.
 * @module
 */

import { LINE_MAX } from "../units/journal_files.ts";

const NEWLINE = 0x0a;
const LINE_END = new Uint8Array([NEWLINE]);
const PARTIAL_FLUSH_MS = 1000;
const READ_CHUNK = 1 << 16;

interface Tail {
  offset: number;
  ino: number | null;
  prefix: Uint8Array;
  partial?: Uint8Array;
}

/** Writes bytes to the relay's output. */
export type ByteSink = (bytes: Uint8Array) => void;

/** Follows the `*.log` files of one directory. */
export class LogRelay {
  readonly #dir: string;
  readonly #out: ByteSink;
  readonly #tails = new Map<string, Tail>();
  #watcher?: Deno.FsWatcher;
  #partialTimer?: ReturnType<typeof setTimeout>;
  #closed = false;

  constructor(dir: string, out: ByteSink) {
    this.#dir = dir;
    this.#out = out;
  }

  /** Notes the current size of every log file and starts watching the directory. */
  start(): void {
    try {
      Deno.mkdirSync(this.#dir, { recursive: true, mode: 0o755 });
    } catch { /* reported when watching fails */ }
    try {
      for (const entry of Deno.readDirSync(this.#dir)) {
        if (!entry.name.endsWith(".log")) continue;
        const path = `${this.#dir}/${entry.name}`;
        try {
          const st = Deno.statSync(path);
          this.#tails.set(path, this.#newTail(entry.name, st.size, st.ino));
        } catch { /* vanished */ }
      }
      this.#watcher = Deno.watchFs(this.#dir, { recursive: false });
      this.#follow(this.#watcher);
    } catch (e) {
      this.#out(new TextEncoder().encode(
        `Failed to follow the unit logs in ${this.#dir}: ${(e as Error).message}\n`,
      ));
    }
  }

  #newTail(name: string, offset: number, ino: number | null): Tail {
    return { offset, ino, prefix: new TextEncoder().encode(`${name.slice(0, -4)}: `) };
  }

  async #follow(watcher: Deno.FsWatcher): Promise<void> {
    try {
      for await (const event of watcher) {
        for (const path of event.paths) {
          if (path.endsWith(".log")) this.pump(path);
        }
      }
    } catch { /* closed */ }
  }

  /** Copies what was appended to one file since the last look. */
  pump(path: string): void {
    if (this.#closed) return;
    let file: Deno.FsFile;
    try {
      // Log files are made by the exec helper; a link here (absolute ones mean the host's
      // files to the kernel) is never read and copied out.
      if (Deno.lstatSync(path).isSymlink) return;
      file = Deno.openSync(path, { read: true });
    } catch {
      return;
    }
    try {
      const st = file.statSync();
      let tail = this.#tails.get(path);
      if (!tail) {
        // A log file created while we run: relay it from its start.
        tail = this.#newTail(path.slice(path.lastIndexOf("/") + 1), 0, st.ino);
        this.#tails.set(path, tail);
      }
      if (st.size < tail.offset || (tail.ino !== null && st.ino !== tail.ino)) {
        tail.offset = 0;
        tail.ino = st.ino;
      }
      if (st.size === tail.offset) return;
      file.seekSync(tail.offset, Deno.SeekMode.Start);
      const buffer = new Uint8Array(Math.min(st.size - tail.offset, READ_CHUNK * 16));
      let got = 0;
      while (got < buffer.length) {
        const n = file.readSync(buffer.subarray(got));
        if (n === null || n === 0) break;
        got += n;
      }
      tail.offset += got;
      this.#emit(tail, buffer.subarray(0, got));
      // The rest on a later turn of the event loop: a service that writes faster than this
      // reads must not keep the init from its signals, children and jobs (a chain of
      // microtasks would run before any of them).
      if (tail.offset < st.size) setTimeout(() => this.pump(path), 0);
    } catch {
      /* read error: try again on the next event */
    } finally {
      file.close();
    }
  }

  #emit(tail: Tail, bytes: Uint8Array): void {
    let data = bytes;
    if (tail.partial) {
      data = new Uint8Array(tail.partial.length + bytes.length);
      data.set(tail.partial);
      data.set(bytes, tail.partial.length);
      tail.partial = undefined;
    }
    // A line longer than LINE_MAX is copied in pieces of LINE_MAX, as journald stores it:
    // what is kept for the next read stays below that, however long a line grows.
    const parts: Uint8Array[] = [];
    let from = 0, lineStart = 0;
    for (let i = 0; i < data.length; i++) {
      if (data[i] === NEWLINE) lineStart = i + 1;
      else if (i - lineStart === LINE_MAX) {
        parts.push(data.subarray(from, i), LINE_END);
        from = lineStart = i;
      }
    }
    parts.push(data.subarray(from, lineStart));
    if (lineStart < data.length) {
      tail.partial = data.slice(lineStart);
      this.#armPartialTimer();
    }
    const complete = parts.length === 1 ? parts[0] : concat(parts);
    if (complete.length > 0) this.#out(prefixLines(tail.prefix, complete));
  }

  #armPartialTimer(): void {
    if (this.#partialTimer !== undefined) return;
    this.#partialTimer = setTimeout(() => {
      this.#partialTimer = undefined;
      this.#flushPartials();
    }, PARTIAL_FLUSH_MS);
  }

  #flushPartials(): void {
    for (const tail of this.#tails.values()) {
      if (!tail.partial) continue;
      const line = new Uint8Array(tail.partial.length + 1);
      line.set(tail.partial);
      line[tail.partial.length] = NEWLINE;
      tail.partial = undefined;
      this.#out(prefixLines(tail.prefix, line));
    }
  }

  /** Copies everything not yet copied, partial lines included. */
  flush(): void {
    for (const path of this.#tails.keys()) this.pump(path);
    try {
      for (const entry of Deno.readDirSync(this.#dir)) {
        const path = `${this.#dir}/${entry.name}`;
        if (entry.name.endsWith(".log") && !this.#tails.has(path)) this.pump(path);
      }
    } catch { /* no directory */ }
    this.#flushPartials();
  }

  /** Stops following (after a final flush). */
  close(): void {
    this.flush();
    this.#closed = true;
    clearTimeout(this.#partialTimer);
    try {
      this.#watcher?.close();
    } catch { /* already closed */ }
  }
}

/** `prefix` before every line of `lines` (which ends with a newline). */
export function prefixLines(prefix: Uint8Array, lines: Uint8Array): Uint8Array {
  let count = 0;
  for (let i = 0; i < lines.length; i++) if (lines[i] === NEWLINE) count++;
  const out = new Uint8Array(lines.length + count * prefix.length);
  let o = 0;
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== NEWLINE) continue;
    out.set(prefix, o);
    o += prefix.length;
    out.set(lines.subarray(start, i + 1), o);
    o += i + 1 - start;
    start = i + 1;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
