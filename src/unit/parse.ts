/**
 * The generic unit-file line parser: text in, assignments and diagnostics out.
 * It knows nothing about services; the key table in `schema.ts` gives meaning.
 * @module
 */

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

/** A `.include PATH` directive found while parsing. */
export interface Include {
  readonly path: string;
  readonly line: number;
}

/** What parsing one file yields. Parsing never throws on bad input. */
export interface ParsedFile {
  readonly file: string;
  readonly assignments: Assignment[];
  readonly diagnostics: Diagnostic[];
  readonly sections: string[];
  readonly includes: Include[];
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

function isComment(line: string): boolean {
  return line.startsWith("#") || line.startsWith(";");
}

/**
 * Parses unit-file text. Handles the BOM, comments, backslash continuation
 * (comment lines inside a continuation are skipped), sections and `.include`.
 */
export function parseUnitText(text: string, file: string): ParsedFile {
  const assignments: Assignment[] = [];
  const diagnostics: Diagnostic[] = [];
  const sections: string[] = [];
  const includes: Include[] = [];
  if (text.startsWith("\uFEFF")) text = text.slice(1);
  const lines = text.split("\n");
  let section: string | undefined;
  let pending: string | undefined;
  let pendingLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, "");
    let line = raw.trim();
    if (pending !== undefined) {
      if (isComment(line)) continue;
    } else {
      if (line === "" || isComment(line)) continue;
      pendingLine = i + 1;
    }
    if (line.endsWith("\\") && i < lines.length - 1) {
      pending = (pending ?? "") + line.slice(0, -1) + " ";
      continue;
    }
    if (pending !== undefined) {
      line = (pending + line).trim();
      pending = undefined;
    }
    handleLine(line, pendingLine);
  }
  if (pending !== undefined) handleLine(pending.trim(), pendingLine);
  return { file, assignments, diagnostics, sections, includes };

  function handleLine(line: string, lineNo: number): void {
    if (line === "") return;
    if (line.startsWith(".include ") || line === ".include") {
      includes.push({ path: line.slice(8).trim(), line: lineNo });
      return;
    }
    if (line.startsWith("[")) {
      if (!line.endsWith("]") || line.length < 3) {
        diagnostics.push({ file, line: lineNo, message: `Invalid section header '${line}'` });
        section = undefined;
        return;
      }
      section = line.slice(1, -1);
      sections.push(section);
      return;
    }
    const eq = line.indexOf("=");
    if (eq < 0) {
      diagnostics.push({ file, line: lineNo, message: "Missing '=', ignoring line." });
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
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === "") {
      diagnostics.push({ file, line: lineNo, message: "Missing key name, ignoring line." });
      return;
    }
    assignments.push({ section, key, value, file, line: lineNo });
  }
}
