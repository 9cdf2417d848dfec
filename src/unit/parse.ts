/**
 * The generic unit-file line parser: text in, assignments and diagnostics out.
 * It knows nothing about services; the key table in `schema.ts` gives meaning.
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
   * Why the file cannot be used (`Bad message` after an invalid section header, `Invalid
   * argument` after a line that is not UTF-8 clean), as `config_parse()` fails; parsing
   * stopped at that line.
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

const WHITESPACE = " \t\n\r";

/** Strips systemd's WHITESPACE (not every Unicode space, unlike `String.prototype.trim`). */
function strip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && WHITESPACE.includes(s[a])) a++;
  while (b > a && WHITESPACE.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

function isComment(line: string): boolean {
  const l = line.replace(/^[ \t\n\r]+/, "");
  return l.startsWith("#") || l.startsWith(";");
}

/** True if the text ends in an unescaped backslash (an odd run of trailing backslashes). */
function endsWithContinuation(text: string): boolean {
  let n = 0;
  for (let i = text.length - 1; i >= 0 && text[i] === "\\"; i--) n++;
  return n % 2 === 1;
}

/**
 * Parses unit-file text like systemd 252's `config_parse()`: a BOM at the start is skipped;
 * lines whose first non-blank character is `#` or `;` are comments, also inside a
 * continuation; a line ending in an unescaped backslash continues on the next line (the backslash
 * becomes a space, the next line is appended as it is); a logical line is reported with the
 * number of its last physical line. `.include` lines get no special treatment: systemd 252
 * dropped them, so they warn as any line without `=` does and nothing is read.
 */
export function parseUnitText(text: string, file: string): ParsedFile {
  const assignments: Assignment[] = [];
  const diagnostics: Diagnostic[] = [];
  const sections: string[] = [];
  const headers: Array<{ name: string; line: number }> = [];
  let error: string | undefined;
  if (text.startsWith("\uFEFF")) text = text.slice(1);
  // Line ends as systemd's read_line() sees them: a run of distinct end characters (\r and
  // \n in either order, then NUL) ends one line, and a NUL always ends one.
  const lines = text.split(/(?:\r\n|\n\r|\r|\n)\0?|\0/);
  // A final newline does not start another line.
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  let section: string | undefined;
  let continuation: string | undefined;
  let lineNo = 0;
  for (const raw of lines) {
    if (error !== undefined) break;
    lineNo++;
    if (isComment(raw)) continue;
    const joined = continuation === undefined ? raw : continuation + raw;
    if (endsWithContinuation(joined)) {
      continuation = joined.slice(0, -1) + " ";
      continue;
    }
    continuation = undefined;
    handleLine(strip(joined), lineNo);
  }
  if (continuation !== undefined && error === undefined) {
    handleLine(strip(continuation), lineNo + 1);
  }
  return { file, assignments, diagnostics, sections, headers, error };

  function handleLine(line: string, lineNo: number): void {
    if (line === "") return;
    if (!isUtf8Clean(line)) {
      diagnostics.push({
        file,
        line: lineNo,
        message: `String is not UTF-8 clean, ignoring assignment: ${escapeInvalid(line)}`,
      });
      error = "Invalid argument";
      return;
    }
    if (line.startsWith("[")) {
      // `[]` is the section '' (unknown, so its lines are ignored), as in systemd.
      if (!line.endsWith("]") || line.length < 2) {
        diagnostics.push({ file, line: lineNo, message: `Invalid section header '${line}'` });
        error = "Bad message";
        return;
      }
      section = line.slice(1, -1);
      sections.push(section);
      headers.push({ name: section, line: lineNo });
      return;
    }
    if (section === undefined) {
      diagnostics.push({
        file,
        line: lineNo,
        message: "Assignment outside of section. Ignoring.",
      });
      return;
    }
    const eq = line.indexOf("=");
    if (eq < 0) {
      diagnostics.push({ file, line: lineNo, message: "Missing '=', ignoring line." });
      return;
    }
    const key = strip(line.slice(0, eq));
    const value = strip(line.slice(eq + 1));
    if (key === "") {
      diagnostics.push({
        file,
        line: lineNo,
        message: "Missing key name before '=', ignoring line.",
      });
      return;
    }
    assignments.push({ section, key, value, file, line: lineNo });
  }
}
