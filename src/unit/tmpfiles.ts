/**
 * The tmpfiles.d line format (tmpfiles.d(5)): `Type Path Mode User Group Age
 * Argument`, with `-` for defaults, type modifiers (`!` boot only, `-` errors
 * ignored, `=`, `~`, `^`, `+`) and C-style quoting of the path. Pure: the
 * init instance applies the entries (units/tmpfiles.ts).
 * @module
 */

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

function splitWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    // Only the first six fields are words; the argument is the rest of the line.
    if (words.length === 6) {
      words.push(line.slice(i));
      break;
    }
    let word = "";
    let quote = "";
    while (i < line.length && (quote || !/\s/.test(line[i]))) {
      const ch = line[i];
      if (quote && ch === quote) quote = "";
      else if (!quote && (ch === '"' || ch === "'")) quote = ch;
      else if (ch === "\\" && i + 1 < line.length) word += line[++i];
      else word += ch;
      i++;
    }
    words.push(word);
  }
  return words;
}

const dash = (w: string | undefined) => (w === undefined || w === "-" || w === "" ? undefined : w);

/** Parses one tmpfiles.d file; `warn` gets `file:line: problem` for bad lines. */
export function parseTmpfiles(
  text: string,
  file: string,
  warn: (line: string) => void = () => {},
): TmpfilesEntry[] {
  const entries: TmpfilesEntry[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const where = `${file}:${index + 1}`;
    const [typeWord, path, mode, user, group, _age, argument] = splitWords(line);
    const type = typeWord?.[0];
    if (!type || !path) {
      warn(`${where}: Syntax error.`);
      return;
    }
    if (!path.startsWith("/")) {
      warn(`${where}: Path '${path}' not absolute, skipping.`);
      return;
    }
    const modeText = dash(mode)?.replace(/^[~:]+/, "");
    if (modeText !== undefined && !/^[0-7]{1,4}$/.test(modeText)) {
      warn(`${where}: Invalid mode '${mode}'.`);
      return;
    }
    entries.push({
      type,
      plus: typeWord.slice(1).includes("+"),
      path: path.replace(/\/+$/, "") || "/",
      mode: modeText === undefined ? undefined : parseInt(modeText, 8),
      user: dash(user),
      group: dash(group),
      argument: dash(argument),
      where,
    });
  });
  return entries;
}
