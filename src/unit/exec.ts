/**
 * `Exec*=` command lines: parsing (prefixes, `;` separators, quoting) like systemd 252's
 * `config_parse_exec`, `$` expansion like `replace_env_argv`, and the `show` format.
 * Specifiers are resolved before these functions are called.
 * @module
 */

import { quoteWord, scanWord, scanWordAndWarn, wordScanner } from "./values.ts";
import { formatTimestamp } from "./timespan.ts";
import { signalName } from "./signals.ts";

/** One command of an `Exec*=` line. */
export interface ExecCommand {
  /** The executable: an absolute path or a bare name (searched at run time). */
  path: string;
  /** The argument vector, argv[0] included (with `@`, the word after the path). */
  argv: string[];
  /** `-`: a failure exit is recorded but counts as success. */
  ignoreFailure: boolean;
  /** `+`: run with full privileges. */
  privileged: boolean;
  /** `!`: User=/Group= are not applied. */
  noSetuid: boolean;
  /** `!!`: like `!`, ambient capabilities kept. */
  ambient: boolean;
  /** `:`: no `$` expansion. */
  noEnvExpand: boolean;
  /** `@`: argv[0] was given separately. */
  argv0Override: boolean;
}

/** The commands of one `Exec*=` line, or why the line is refused. */
export interface ExecParseResult {
  /** The commands; empty when `error` is set or the value is empty. */
  commands: ExecCommand[];
  /** A refusal in systemd's words (without `file:line:`). */
  error?: string;
  /** Non-fatal problems (unknown escapes). */
  warnings: string[];
}

const WHITESPACE = " \t\n\r";

function isFilenameValid(s: string): boolean {
  return s !== "" && s !== "." && s !== ".." && !s.includes("/") &&
    new TextEncoder().encode(s).length <= 255;
}

function isSafeString(s: string): boolean {
  for (const c of s) {
    const n = c.charCodeAt(0);
    if ((n > 0 && n < 32) || n === 127 || c === '"' || c === "'" || c === "\\") return false;
  }
  return true;
}

/** Whether `word` stands at `pos` of `text`, followed by whitespace or the end. */
function isWordAt(text: string, pos: number, word: string): boolean {
  return text.startsWith(word, pos) &&
    (pos + word.length === text.length || WHITESPACE.includes(text[pos + word.length]));
}

/** Collapses duplicate slashes and `.` components, like systemd's `path_simplify`. */
function simplifyPath(p: string): string {
  if (!p.startsWith("/")) return p;
  const parts = p.split("/").filter((x) => x !== "" && x !== ".");
  return "/" + parts.join("/");
}

/**
 * Parses an `Exec*=` value into commands. Commands are separated by a word that is just
 * `;` (`\;` is a literal `;` argument). Prefixes on the first word, in any order: `-`, `@`,
 * `:`, and at most one of `+`, `!`, `!!`. An invalid line yields `error` in systemd 252's
 * words (a relative path with `/`: `Neither a valid executable name nor an absolute path:
 * <path>`; spec §3.6 words that one differently). The caller decides whether an error makes
 * the unit `bad-setting` (systemd does that unless `-` was given).
 */
export function parseExecLine(value: string): ExecParseResult {
  const commands: ExecCommand[] = [];
  const warnings: string[] = [];
  const flags = { unquote: true, cunescape: true };
  const sc = wordScanner(value);
  const text = sc.text;
  const skipBlanks = () => {
    while (sc.pos < text.length && WHITESPACE.includes(text[sc.pos])) sc.pos++;
  };
  // Whether the word at the position is exactly `word` (followed by whitespace or the end).
  const isWord = (word: string) => isWordAt(text, sc.pos, word);
  let semicolon: boolean;
  do {
    semicolon = false;
    const first = scanWordAndWarn(sc, flags, warnings);
    if ("error" in first) return fail(`Unbalanced quoting, ignoring: "${value}"`);
    if (first.word === undefined) break;
    if (first.word === ";") {
      semicolon = true;
      continue;
    }
    const cmd: ExecCommand = {
      path: "",
      argv: [],
      ignoreFailure: false,
      privileged: false,
      noSetuid: false,
      ambient: false,
      noEnvExpand: false,
      argv0Override: false,
    };
    let f = first.word;
    for (;;) {
      const c = f[0];
      if (c === "-" && !cmd.ignoreFailure) cmd.ignoreFailure = true;
      else if (c === "@" && !cmd.argv0Override) cmd.argv0Override = true;
      else if (c === ":" && !cmd.noEnvExpand) cmd.noEnvExpand = true;
      else if (c === "+" && !cmd.privileged && !cmd.noSetuid && !cmd.ambient) cmd.privileged = true;
      else if (c === "!" && !cmd.privileged && !cmd.noSetuid && !cmd.ambient) cmd.noSetuid = true;
      else if (c === "!" && !cmd.privileged && !cmd.ambient) {
        cmd.noSetuid = false;
        cmd.ambient = true;
      } else break;
      f = f.slice(1);
    }
    const ignoring = cmd.ignoreFailure ? ", ignoring" : "";
    if (f === "") return fail(`Empty path in command line${ignoring}: '${value}'`);
    if (!isSafeString(f)) {
      return fail(`Executable name contains special characters${ignoring}: ${f}`);
    }
    if (f.endsWith("/")) return fail(`Executable path specifies a directory${ignoring}: ${f}`);
    if (!f.startsWith("/")) {
      if (f.includes("/")) {
        return fail(`Neither a valid executable name nor an absolute path: ${f}`);
      }
      if (!isFilenameValid(f)) {
        return fail(`Neither a valid executable name nor an absolute path${ignoring}: ${f}`);
      }
    }
    if (!cmd.argv0Override) cmd.argv.push(f);
    cmd.path = simplifyPath(f);
    while (sc.pos < text.length) {
      if (isWord(";")) {
        sc.pos += 1;
        skipBlanks();
        semicolon = true;
        break;
      }
      if (isWord("\\;")) {
        sc.pos += 2;
        skipBlanks();
        cmd.argv.push(";");
        continue;
      }
      const w = scanWordAndWarn(sc, flags, warnings);
      if ("error" in w) return fail(`Unbalanced quoting, ignoring: "${value}"`);
      if (w.word === undefined) break;
      cmd.argv.push(w.word);
    }
    if (cmd.argv.length === 0) {
      return fail(`Empty executable name or zeroeth argument${ignoring}: ${value}`);
    }
    commands.push(cmd);
  } while (semicolon);
  return { commands, warnings };

  function fail(error: string): ExecParseResult {
    return { commands: [], error, warnings };
  }
}

/**
 * Expands `$` references in the arguments of a command, like systemd's `replace_env_argv`.
 * Pass the arguments after the executable (argv[0] included when it came from `@`); the
 * executable path itself is never expanded. A word that starts with `$` (not `${` or `$$`)
 * is a whole-word reference: it becomes the variable's value split at whitespace (quotes
 * honoured and removed), or nothing when unset. Elsewhere `${NAME}` is replaced by the exact
 * value (empty when unset), `$$` gives `$`, and any other `$` stays literal.
 */
export function expandExecArgs(argv: string[], env: Record<string, string>): string[] {
  const out: string[] = [];
  for (const word of argv) {
    if (word[0] === "$" && word[1] !== "{" && word[1] !== "$") {
      const value = Object.hasOwn(env, word.slice(1)) ? env[word.slice(1)] : undefined;
      // A loop, not push(...words): a value of 500,000 words overflows the stack.
      if (value !== undefined) { for (const w of splitRelaxed(value)) out.push(w); }
      continue;
    }
    out.push(replaceEnv(word, env));
  }
  return out;
}

function splitRelaxed(value: string): string[] {
  const words: string[] = [];
  const sc = wordScanner(value);
  for (;;) {
    const r = scanWord(sc, { unquote: true, relax: true });
    if ("error" in r || r.word === undefined) return words;
    words.push(r.word);
  }
}

/** `${NAME}` and `$$` inside one word (systemd's `replace_env` with no flags). */
function replaceEnv(word: string, env: Record<string, string>): string {
  let out = "";
  let i = 0;
  while (i < word.length) {
    const c = word[i];
    if (c === "$" && word[i + 1] === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (c === "$" && word[i + 1] === "{") {
      const end = word.indexOf("}", i + 2);
      const colon = word.indexOf(":", i + 2);
      if (colon >= 0 && (end < 0 || colon < end)) {
        // `${A:-x}` is not supported here: literal up to the colon, then scanning resumes.
        out += word.slice(i, colon + 1);
        i = colon + 1;
        continue;
      }
      if (end < 0) {
        // Unterminated: the rest is literal.
        out += word.slice(i);
        break;
      }
      const name = word.slice(i + 2, end);
      out += Object.hasOwn(env, name) ? env[name] : "";
      i = end + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** What is known about the last run of a command, for `show`. */
export interface ExecRunInfo {
  /** Start time in µs since the epoch (0 or undefined: never). */
  startUs?: number;
  /** Exit time in µs since the epoch. */
  exitUs?: number;
  pid?: number;
  /** How the process ended. */
  code?: "exited" | "killed" | "dumped";
  /** The exit status (exited) or the signal number (killed, dumped). */
  status?: number;
  /** The time zone for the timestamps; UTC by default. */
  tz?: "local" | "UTC" | { offsetMinutes: number; abbrev: string };
}

/** The `flags=` words of the `…Ex` properties, in systemd's order. */
export function execFlagWords(cmd: ExecCommand): string[] {
  const words: string[] = [];
  if (cmd.ignoreFailure) words.push("ignore-failure");
  if (cmd.privileged) words.push("privileged");
  if (cmd.noSetuid) words.push("no-setuid");
  if (cmd.ambient) words.push("ambient");
  if (cmd.noEnvExpand) words.push("no-env-expand");
  return words;
}

/**
 * One `show` line for a command (spec §7.4 item 4), e.g.
 * `ExecStart={ path=/usr/bin/app ; argv[]=/usr/bin/app -f x ; ignore_errors=no ;
 * start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }`.
 * A key ending in `Ex` (`ExecStartEx`) prints `flags=…` instead of `ignore_errors=…`.
 */
export function formatExecShow(key: string, cmd: ExecCommand, run: ExecRunInfo = {}): string {
  const ts = (us: number | undefined) =>
    us === undefined || us <= 0 ? "n/a" : formatTimestamp(us, run.tz ?? "UTC");
  const middle = key.endsWith("Ex")
    ? `flags=${execFlagWords(cmd).join(" ")}`
    : `ignore_errors=${cmd.ignoreFailure ? "yes" : "no"}`;
  let status = "0/0";
  if (run.code === "exited") status = String(run.status ?? 0);
  else if (run.code === "killed" || run.code === "dumped") {
    const n = run.status ?? 0;
    status = `${n}/${signalName(n) ?? n}`;
  }
  return `${key}={ path=${cmd.path} ; argv[]=${cmd.argv.join(" ")} ; ${middle} ; ` +
    `start_time=[${ts(run.startUs)}] ; stop_time=[${ts(run.exitUs)}] ; ` +
    `pid=${run.pid ?? 0} ; code=${run.code ?? "(null)"} ; status=${status} }`;
}

/**
 * Resolves the specifiers of an `Exec*=` value word by word, as systemd 252's
 * `config_parse_exec` does after splitting: a specifier never splits a word (`%f` with a
 * space stays one argument), an empty expansion stays an empty argument, and the escapes in
 * a unit name (`%n` of `a\x2db.service`) are not decoded a second time. The result is the
 * line again, each word quoted so that `parseExecLine` reads back exactly the expanded words;
 * prefixes and `;` separators are kept as written. `expand` returns the expanded word or an
 * error. Returns undefined when the line does not split cleanly (unbalanced quotes, unknown
 * escapes): the caller then expands the whole value, and `parseExecLine` reports the problem.
 */
export function expandExecSpecifiers(
  value: string,
  expand: (word: string) => { value: string } | { error: string },
): { value: string } | { error: string } | undefined {
  const flags = { unquote: true, cunescape: true };
  const sc = wordScanner(value);
  const text = sc.text;
  const out: string[] = [];
  let first = true;
  while (sc.pos < text.length) {
    while (sc.pos < text.length && WHITESPACE.includes(text[sc.pos])) sc.pos++;
    // The separators are matched on the raw text, as parseExecLine does (`\;` is no C escape).
    const sep = [";", "\\;"].find((s) => isWordAt(text, sc.pos, s));
    if (sep !== undefined) {
      out.push(sep);
      sc.pos += sep.length;
      first = sep === ";";
      continue;
    }
    const w = scanWord(sc, flags);
    if ("error" in w) return undefined;
    if (w.word === undefined) break;
    let prefix = "";
    let rest = w.word;
    if (first) {
      const m = /^[-@:+!]*/.exec(rest)![0];
      prefix = m;
      rest = rest.slice(m.length);
      first = false;
    }
    const r = expand(rest);
    if ("error" in r) return r;
    out.push(prefix + quoteWord(r.value));
  }
  return { value: out.join(" ") };
}
