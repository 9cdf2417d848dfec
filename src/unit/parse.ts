/**
 * The generic unit-file line parser: text in, assignments and diagnostics out.
 * It knows nothing about services; the key table in `schema.ts` gives meaning.
 * Parsing takes time and memory linear in the input: lines are read as systemd 252's
 * `read_line()` reads them, with its limit (`LONG_LINE_MAX`), and continuation lines are
 * collected in a list and joined once.
 * @module
 */

import { escapeInvalid, isUtf8Clean } from "./utf8.ts";

/** One `Key=Value` line, with where it came from. */
export interface Assignment {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

/** A problem found in a unit file, reported as `file:line: message`. */
export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** What parsing one file yields. Parsing never throws on bad input. */
export interface ParsedFile {
  readonly file: string;
  readonly assignments: Assignment[];
  readonly diagnostics: Diagnostic[];
  readonly sections: string[];
  /** Each section header with its line, in file order. */
  readonly headers: Array<{ readonly name: string; readonly line: number }>;
  /**
   * Why the file cannot be used, as `config_parse()` fails: `Bad message` after an invalid
   * section header, `Invalid argument` after a line that is not UTF-8 clean, `No buffer
   * space available` after a line (or a continued line) of {@link LONG_LINE_MAX} bytes or
   * more. Parsing stopped at that line; what came before it is kept (systemd applied it
   * already).
   */
  readonly error?: string;
}

/** A syntax problem raised as an error, carrying the file and line. */
export class UnitSyntaxError extends SyntaxError {
  /** The file the problem is in. */
  readonly file: string;
  /** The 1-based line number. */
  readonly line: number;
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = "UnitSyntaxError";
    this.file = file;
    this.line = line;
  }
}

/** Formats a diagnostic as systemd does: `path:line: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.message}`;
}

/**
 * systemd's `LONG_LINE_MAX` (1 MiB): `read_line()` refuses a line of this many bytes or
 * more (its end not counted), and `config_parse()` a continued line longer than this.
 */
export const LONG_LINE_MAX = 1024 * 1024;

/** strerror(ENOBUFS): why a file with a line over the limit does not load. */
export const ENOBUFS_TEXT = "No buffer space available";

const WHITESPACE = " \t\n\r";

/** Strips systemd's WHITESPACE (not every Unicode space, unlike `String.prototype.trim`). */
function strip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && WHITESPACE.includes(s[a])) a++;
  while (b > a && WHITESPACE.includes(s[b - 1])) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Whether the first character that is not a blank is `#` or `;`. */
function isComment(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9) continue;
    return c === 35 || c === 59;
  }
  return false;
}

/** The number of backslashes the text ends in. */
function trailingBackslashes(text: string): number {
  let n = 0;
  for (let i = text.length - 1; i >= 0 && text.charCodeAt(i) === 92; i--) n++;
  return n;
}

const NON_ASCII = /[\u0080-\uffff]/;

/** The UTF-8 size of well-formed text (a surrogate pair is 4 bytes). */
function utf8Length(s: string): number {
  if (!NON_ASCII.test(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return n;
}

/** Line-end kinds, as `read_line()` tells them apart. */
const EOL_TEN = 1;
const EOL_THIRTEEN = 2;
const EOL_ZERO = 4;
const EOL_CHAR = /[\n\r\0]/g;

function eolKind(c: number): number {
  return c === 10 ? EOL_TEN : c === 13 ? EOL_THIRTEEN : c === 0 ? EOL_ZERO : 0;
}

/**
 * Splits text into lines as systemd 252's `read_line(f, limit, …)` does, fed in pieces:
 * `\n`, `\r` and NUL end lines, a run of distinct end characters (`\r\n`, `\n\r`, then one
 * NUL) ends one line, and a NUL always ends one. A line of `limit` bytes or more (UTF-8,
 * its end not counted) stops the reader: {@link LineReader.tooLong} is then set and no
 * more lines come. Memory is bounded by the limit, time is linear in the input.
 */
export class LineReader {
  /** The line limit in bytes. */
  readonly limit: number;
  /** True once a line reached the limit; nothing more is read. */
  tooLong = false;
  #parts: string[] = [];
  #bytes = 0;
  /** Whether anything (content or line end) of the current line was read. */
  #started = false;
  #eol = 0;
  readonly #emit: (line: string, bytes: number) => boolean;
  #stopped = false;

  /**
   * `emit` gets each line (without its end) and its size in bytes; it returns false to
   * stop reading.
   */
  constructor(emit: (line: string, bytes: number) => boolean, limit = LONG_LINE_MAX) {
    this.#emit = emit;
    this.limit = limit;
  }

  /** Reads the next piece of text; returns false once reading stopped. */
  push(chunk: string): boolean {
    if (this.#stopped) return false;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.#eol !== 0) {
        // Inside a run of line ends: it goes on while each end is of a kind not yet seen.
        const eol = eolKind(chunk.charCodeAt(i));
        if ((this.#eol & EOL_ZERO) !== 0 || eol === 0 || (this.#eol & eol) !== 0) {
          if (!this.#flush()) return false;
          continue;
        }
        this.#eol |= eol;
        i++;
        continue;
      }
      EOL_CHAR.lastIndex = i;
      const m = EOL_CHAR.exec(chunk);
      const end = m ? m.index : n;
      this.#started = true;
      if (end > i) {
        const piece = chunk.slice(i, end);
        this.#bytes += utf8Length(piece);
        if (this.#bytes >= this.limit) {
          this.tooLong = true;
          this.#stopped = true;
          this.#parts = [];
          return false;
        }
        this.#parts.push(piece);
      }
      if (!m) break;
      this.#eol = eolKind(chunk.charCodeAt(end));
      i = end + 1;
    }
    return true;
  }

  /** Ends the input: the last line (without a line end) comes out. */
  end(): void {
    if (this.#stopped) return;
    if (this.#started) this.#flush();
    this.#stopped = true;
  }

  #flush(): boolean {
    const line = this.#parts.length === 1 ? this.#parts[0] : this.#parts.join("");
    const bytes = this.#bytes;
    this.#parts = [];
    this.#bytes = 0;
    this.#eol = 0;
    this.#started = false;
    if (!this.#emit(line, bytes)) {
      this.#stopped = true;
      return false;
    }
    return true;
  }
}

/**
 * Parses unit-file text like systemd 252's `config_parse()`, fed in pieces (see
 * {@link parseUnitText} for the rules). Feed text with {@link UnitTextParser.push} and
 * take the result from {@link UnitTextParser.end}; `push` returns false once parsing
 * stopped (an invalid section header, a line too long), and the rest need not be read.
 */
export class UnitTextParser {
  readonly #file: string;
  readonly #assignments: Assignment[] = [];
  readonly #diagnostics: Diagnostic[] = [];
  readonly #sections: string[] = [];
  readonly #headers: Array<{ name: string; line: number }> = [];
  #error: string | undefined;
  #section: string | undefined;
  /** The pieces of a continued line so far (each continued piece ends in a space). */
  #continuation: string[] | undefined;
  #continuationBytes = 0;
  #lineNo = 0;
  #first = true;
  readonly #reader: LineReader;

  constructor(file: string) {
    this.#file = file;
    this.#reader = new LineReader((line, bytes) => this.#physical(line, bytes));
  }

  /** Feeds the next piece of text; false once parsing stopped. */
  push(chunk: string): boolean {
    if (this.#error !== undefined) return false;
    this.#reader.push(chunk);
    if (this.#reader.tooLong && this.#error === undefined) {
      // The line that did not fit is the next one.
      this.#fail(this.#lineNo + 1, "Line too long");
    }
    return this.#error === undefined;
  }

  /** Ends the input and returns what was parsed. */
  end(): ParsedFile {
    if (this.#error === undefined) this.#reader.end();
    if (this.#continuation !== undefined && this.#error === undefined) {
      this.#logical(this.#continuation.join(""), this.#lineNo + 1);
    }
    this.#continuation = undefined;
    return {
      file: this.#file,
      assignments: this.#assignments,
      diagnostics: this.#diagnostics,
      sections: this.#sections,
      headers: this.#headers,
      error: this.#error,
    };
  }

  #fail(line: number, message: string): void {
    this.#diagnostics.push({ file: this.#file, line, message });
    this.#error = ENOBUFS_TEXT;
  }

  #physical(raw: string, bytes: number): boolean {
    this.#lineNo++;
    if (this.#first) {
      this.#first = false;
      if (raw.charCodeAt(0) === 0xfeff) {
        raw = raw.slice(1);
        bytes -= 3;
      }
    }
    if (isComment(raw)) return true;
    const escaped = trailingBackslashes(raw) % 2 === 1;
    if (this.#continuation !== undefined) {
      if (this.#continuationBytes + bytes > LONG_LINE_MAX) {
        this.#fail(this.#lineNo, "Continuation line too long");
        return false;
      }
      this.#continuationBytes += bytes;
      if (escaped) {
        this.#continuation.push(raw.slice(0, -1) + " ");
        return true;
      }
      const parts = this.#continuation;
      parts.push(raw);
      this.#continuation = undefined;
      this.#logical(parts.join(""), this.#lineNo);
      return this.#error === undefined;
    }
    if (escaped) {
      this.#continuation = [raw.slice(0, -1) + " "];
      this.#continuationBytes = bytes;
      return true;
    }
    this.#logical(raw, this.#lineNo);
    return this.#error === undefined;
  }

  #logical(joined: string, lineNo: number): void {
    const line = strip(joined);
    const file = this.#file;
    if (line === "") return;
    if (!isUtf8Clean(line)) {
      this.#diagnostics.push({
        file,
        line: lineNo,
        message: `String is not UTF-8 clean, ignoring assignment: ${escapeInvalid(line)}`,
      });
      this.#error = "Invalid argument";
      return;
    }
    if (line.startsWith("[")) {
      // `[]` is the section '' (unknown, so its lines are ignored), as in systemd.
      if (!line.endsWith("]") || line.length < 2) {
        this.#diagnostics.push({ file, line: lineNo, message: `Invalid section header '${line}'` });
        this.#error = "Bad message";
        return;
      }
      this.#section = line.slice(1, -1);
      this.#sections.push(this.#section);
      this.#headers.push({ name: this.#section, line: lineNo });
      return;
    }
    const section = this.#section;
    if (section === undefined) {
      this.#diagnostics.push({
        file,
        line: lineNo,
        message: "Assignment outside of section. Ignoring.",
      });
      return;
    }
    const eq = line.indexOf("=");
    if (eq < 0) {
      this.#diagnostics.push({ file, line: lineNo, message: "Missing '=', ignoring line." });
      return;
    }
    const key = strip(line.slice(0, eq));
    const value = strip(line.slice(eq + 1));
    if (key === "") {
      this.#diagnostics.push({
        file,
        line: lineNo,
        message: "Missing key name before '=', ignoring line.",
      });
      return;
    }
    this.#assignments.push({ section, key, value, file, line: lineNo });
  }
}

/**
 * Parses unit-file text like systemd 252's `config_parse()`: a BOM at the start is skipped;
 * lines whose first non-blank character is `#` or `;` are comments, also inside a
 * continuation; a line ending in an unescaped backslash continues on the next line (the backslash
 * becomes a space, the next line is appended as it is); a logical line is reported with the
 * number of its last physical line. `.include` lines get no special treatment: systemd 252
 * dropped them, so they warn as any line without `=` does and nothing is read. A line of
 * {@link LONG_LINE_MAX} bytes or more (`Line too long`), or a continued line growing past
 * it (`Continuation line too long`), stops parsing with the error `No buffer space
 * available`, as systemd's `-ENOBUFS`.
 */
export function parseUnitText(text: string, file: string): ParsedFile {
  const p = new UnitTextParser(file);
  p.push(text);
  return p.end();
}
