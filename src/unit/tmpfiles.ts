/**
 * The tmpfiles.d line format (tmpfiles.d(5)): `Type Path Mode User Group Age
 * Argument`, with `-` for defaults, type modifiers (`!` boot only, `-` errors
 * ignored, `=`, `~`, `^`, `+`) and C-style quoting of the path. Pure: the
 * init instance applies the entries (units/tmpfiles.ts).
 * @module
 */

import { LineReader } from "./parse.ts";
import { splitWords } from "./values.ts";

/** One tmpfiles.d entry. */
export interface TmpfilesEntry {
  /** The type letter: d, D, e, v, q, Q, f, F, w, L, z, Z, x, X, r, R, c, b, p, C, a, h... */
  readonly type: string;
  /** Whether `+` was given (f+, L+, w+: replace or append). */
  readonly plus: boolean;
  readonly path: string;
  /** Octal mode, or undefined for `-`. */
  readonly mode?: number;
  readonly user?: string;
  readonly group?: string;
  readonly argument?: string;
  /** `file:line`, for messages. */
  readonly where: string;
}

const dash = (w: string | undefined) => (w === undefined || w === "-" || w === "" ? undefined : w);

/** A path without its trailing slashes (`/` stays); a loop, as a regexp was quadratic. */
function dropTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path[end - 1] === "/") end--;
  return end === 0 ? "/" : path.slice(0, end);
}

/** One line of a tmpfiles.d file as an entry, or undefined (with a warning when bad). */
function parseTmpfilesLine(
  raw: string,
  where: string,
  warn: (line: string) => void,
): TmpfilesEntry | undefined {
  const line = raw.trim();
  if (!line || line.startsWith("#")) return undefined;
  // systemd-tmpfiles 252 takes six words with quotes removed and a backslash taking the next
  // character as it is (no C escapes: `\x41` is `x41`); the argument is the rest of the line.
  const split = splitWords(line, { cunescape: false, strict: true, max: 6 });
  if (split.error !== undefined) {
    warn(`${where}: Failed to parse line: Invalid argument`);
    return undefined;
  }
  const [typeWord, path, mode, user, group] = split.words;
  const argument = split.rest;
  const type = typeWord?.[0];
  if (!type || !path) {
    warn(`${where}: Syntax error.`);
    return undefined;
  }
  if (!path.startsWith("/")) {
    warn(`${where}: Path '${path}' not absolute, skipping.`);
    return undefined;
  }
  const modeText = dash(mode)?.replace(/^[~:]+/, "");
  if (modeText !== undefined && !/^[0-7]{1,4}$/.test(modeText)) {
    warn(`${where}: Invalid mode '${mode}'.`);
    return undefined;
  }
  return {
    type,
    plus: typeWord.slice(1).includes("+"),
    path: dropTrailingSlashes(path),
    mode: modeText === undefined ? undefined : parseInt(modeText, 8),
    user: dash(user),
    group: dash(group),
    argument: dash(argument),
    where,
  };
}

/**
 * Parses a tmpfiles.d file fed in pieces, line by line as systemd-tmpfiles' `read_line()`
 * loop does: a line of LONG_LINE_MAX bytes or more ends the file with its warning
 * `Failed to read '<file>': No buffer space available`, and the entries before it stay.
 */
export class TmpfilesParser {
  readonly entries: TmpfilesEntry[] = [];
  readonly #reader: LineReader;
  readonly #file: string;
  readonly #warn: (line: string) => void;
  #lineNo = 0;

  constructor(file: string, warn: (line: string) => void = () => {}) {
    this.#file = file;
    this.#warn = warn;
    this.#reader = new LineReader((raw) => {
      const e = parseTmpfilesLine(raw, `${file}:${++this.#lineNo}`, warn);
      if (e) this.entries.push(e);
      return true;
    });
  }

  /** Reads the next piece; false once reading stopped (a line too long). */
  push(text: string): boolean {
    return this.#reader.push(text);
  }

  /** Ends the input; returns the entries. */
  end(): TmpfilesEntry[] {
    this.#reader.end();
    if (this.#reader.tooLong) {
      this.#warn(`Failed to read '${this.#file}': No buffer space available`);
    }
    return this.entries;
  }
}

/** Parses one tmpfiles.d file; `warn` gets `file:line: problem` for bad lines. */
export function parseTmpfiles(
  text: string,
  file: string,
  warn: (line: string) => void = () => {},
): TmpfilesEntry[] {
  const p = new TmpfilesParser(file, warn);
  p.push(text);
  return p.end();
}
