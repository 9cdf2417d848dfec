/**
 * `Environment=` values and `EnvironmentFile=` contents, parsed like systemd 252
 * (`config_parse_environ`, `parse_env_file_internal`). No `$` expansion happens here.
 * @module
 */

import { quoteListElement, quoteWord, splitWords } from "./values.ts";

/** True for a valid variable name: `[A-Za-z_][A-Za-z0-9_]*`. */
export function isValidEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/**
 * Parses one `Environment=` value: words (quotes and C escapes as in §3.6), each
 * `NAME=value`. Invalid words are skipped with the warning
 * `Invalid environment assignment, ignoring: <word>`. A bad escape or unbalanced quote
 * refuses the whole value: `Invalid syntax, ignoring: <value>`. Later assignments of a
 * name replace earlier ones in place. An empty value yields no variables (a reset is the
 * caller's business).
 */
export function parseEnvironmentValue(
  value: string,
): { vars: Array<[string, string]>; warnings: string[] } {
  const split = splitWords(value, { strict: true });
  if (split.error) return { vars: [], warnings: [split.error] };
  const list = new VarList();
  const warnings: string[] = [];
  for (const word of split.words) {
    const eq = word.indexOf("=");
    if (eq < 0 || !isValidEnvName(word.slice(0, eq))) {
      warnings.push(`Invalid environment assignment, ignoring: ${word}`);
      continue;
    }
    list.set(word.slice(0, eq), word.slice(eq + 1));
  }
  return { vars: list.vars, warnings };
}

/** Assignments in first-seen order where a later value of a name replaces the earlier one. */
class VarList {
  readonly vars: Array<[string, string]> = [];
  // Where each name sits: searching the list per assignment made long values quadratic.
  readonly #at = new Map<string, number>();

  set(name: string, value: string): void {
    const i = this.#at.get(name);
    if (i !== undefined) this.vars[i] = [name, value];
    else this.#at.set(name, this.vars.push([name, value]) - 1);
  }
}

const WS = " \t\n\r";
const NEWLINE = "\n\r";
const SHELL_NEED_ESCAPE = '"\\`$';

/**
 * Parses the text of an environment file (§3.7): `KEY=value` lines; blank lines and lines
 * starting with `#` or `;` are skipped; unquoted values are trimmed, `\x` keeps `x` and a
 * trailing `\` joins lines; `'…'` is literal; `"…"` honours `\" \\ \` \$` and `\`-newline.
 * A leading `export ` is dropped (ref). Entries with invalid names are dropped; a later
 * value of a name replaces the earlier one in place.
 */
export function parseEnvironmentFile(text: string): Array<[string, string]> {
  type State =
    | "preKey"
    | "key"
    | "preValue"
    | "value"
    | "valueEscape"
    | "single"
    | "double"
    | "doubleEscape"
    | "comment"
    | "commentEscape";
  const list = new VarList();
  let state: State = "preKey";
  let key = "";
  let value = "";
  let keyWs = -1;
  let valueWs = -1;
  const push = () => {
    let k = keyWs >= 0 ? key.slice(0, keyWs) : key;
    if (k.startsWith("export ")) k = k.slice(7).replace(/^[ \t]+/, "");
    if (isValidEnvName(k)) list.set(k, value);
    key = "";
    value = "";
  };
  // Where the trailing blanks of `text + c` start (-1: none), given where they start in `text`.
  const blanksFrom = (c: string, text: string, from: number) =>
    !WS.includes(c) ? -1 : from < 0 ? text.length : from;
  // States repeat by shape on purpose: parse_env_file_internal()'s state machine, state by state.
  for (const c of text) {
    switch (state) {
      case "preKey":
        if (c === "#" || c === ";") state = "comment";
        else if (!WS.includes(c)) {
          state = "key";
          keyWs = -1;
          key += c;
        }
        break;
      case "key":
        if (NEWLINE.includes(c)) {
          state = "preKey";
          key = "";
        } else if (c === "=") {
          state = "preValue";
          valueWs = -1;
        } else {
          keyWs = blanksFrom(c, key, keyWs);
          key += c;
        }
        break;
      case "preValue":
        if (NEWLINE.includes(c)) {
          state = "preKey";
          push();
        } else if (c === "'") state = "single";
        else if (c === '"') state = "double";
        else if (c === "\\") state = "valueEscape";
        else if (!WS.includes(c)) {
          state = "value";
          value += c;
        }
        break;
      case "value":
        if (NEWLINE.includes(c)) {
          state = "preKey";
          if (valueWs >= 0) value = value.slice(0, valueWs);
          push();
        } else if (c === "\\") {
          state = "valueEscape";
          valueWs = -1;
        } else {
          valueWs = blanksFrom(c, value, valueWs);
          value += c;
        }
        break;
      case "valueEscape":
        state = "value";
        if (!NEWLINE.includes(c)) value += c;
        break;
      case "single":
        if (c === "'") state = "preValue";
        else value += c;
        break;
      case "double":
        if (c === '"') state = "preValue";
        else if (c === "\\") state = "doubleEscape";
        else value += c;
        break;
      case "doubleEscape":
        state = "double";
        if (SHELL_NEED_ESCAPE.includes(c)) value += c;
        else if (c !== "\n") value += "\\" + c;
        break;
      case "comment":
        if (c === "\\") state = "commentEscape";
        else if (NEWLINE.includes(c)) state = "preKey";
        break;
      case "commentEscape":
        state = "comment";
        break;
    }
  }
  if (
    state === "preValue" || state === "value" || state === "valueEscape" ||
    state === "single" || state === "double" || state === "doubleEscape"
  ) {
    if (state === "value" && valueWs >= 0) value = value.slice(0, valueWs);
    push();
  }
  return list.vars;
}

/**
 * Formats variables for the `Environment=` property of `show`: `NAME=value` elements joined
 * by spaces, each quoted as a list element (§7.4 item 3).
 */
export function formatEnvironmentForShow(vars: ReadonlyArray<readonly [string, string]>): string {
  return vars.map(([k, v]) => quoteListElement(`${k}=${v}`)).join(" ");
}

/**
 * Resolves the specifiers of an `Environment=` value word by word, as systemd 252's
 * `config_parse_environ` does after splitting, so that an expansion with a space never
 * splits an assignment. Returns the value with each word quoted, or undefined when it does
 * not split cleanly (then the caller expands the whole value and the parser warns).
 */
export function expandEnvironmentSpecifiers(
  value: string,
  expand: (word: string) => { value: string } | { error: string },
): { value: string } | { error: string } | undefined {
  const split = splitWords(value, { strict: true });
  if (split.error || split.warnings.length > 0) return undefined;
  const out: string[] = [];
  for (const word of split.words) {
    const r = expand(word);
    if ("error" in r) return r;
    out.push(quoteWord(r.value));
  }
  return { value: out.join(" ") };
}
