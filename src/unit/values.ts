/**
 * Value parsers shared by many settings: booleans, word splitting with quotes and C escapes
 * (systemd's `extract_first_word`), sizes, resource limits, modes, exit statuses, and the
 * quoting of list elements in `show` output.
 * @module
 */

import { parseSignal, signalName } from "./signals.ts";
import { parseTimespan, USEC_INFINITY } from "./timespan.ts";

const TRUE_WORDS = ["1", "yes", "y", "true", "t", "on"];
const FALSE_WORDS = ["0", "no", "n", "false", "f", "off"];

/** Parses a systemd boolean (`1 yes y true t on` / `0 no n false f off`, any case). */
export function parseBoolean(s: string): boolean | undefined {
  const v = s.toLowerCase();
  if (TRUE_WORDS.includes(v)) return true;
  if (FALSE_WORDS.includes(v)) return false;
  return undefined;
}

const WHITESPACE = " \t\n\r";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Flags of `extractFirstWord`, named after systemd's `EXTRACT_*` flags. */
export interface ExtractFlags {
  /** Remove quotes (`EXTRACT_UNQUOTE`). */
  unquote?: boolean;
  /** Decode C escapes (`EXTRACT_CUNESCAPE`). */
  cunescape?: boolean;
  /** Keep unknown escapes verbatim (`EXTRACT_UNESCAPE_RELAX`). */
  unescapeRelax?: boolean;
  /** Accept unbalanced quotes and a trailing backslash (`EXTRACT_RELAX`). */
  relax?: boolean;
  /** A backslash is an ordinary character (`EXTRACT_RETAIN_ESCAPE`). */
  retainEscape?: boolean;
  /** Separator characters; whitespace by default. */
  separators?: string;
}

/** The result of `extractFirstWord`: a word and the unparsed rest, the end, or an error. */
export type ExtractResult =
  | { word: string; rest: string }
  | { word: undefined; rest: "" }
  | { error: true };

function hexValue(c: string | undefined): number {
  if (c === undefined || c.length !== 1) return -1;
  const n = c.charCodeAt(0);
  if (n >= 48 && n <= 57) return n - 48;
  if (n >= 97 && n <= 102) return n - 87;
  if (n >= 65 && n <= 70) return n - 55;
  return -1;
}

const SIMPLE_ESCAPES: Record<string, number> = {
  a: 7,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
  v: 11,
  "\\": 92,
  '"': 34,
  "'": 39,
  s: 32,
};

/**
 * Decodes one C escape (the text after the backslash, at `i`), like systemd's
 * `cunescape_one`. Returns the bytes it stands for and how many characters it used, or
 * undefined. Escapes are ASCII, so UTF-16 positions serve.
 */
function cunescapeOne(text: string, i: number): { bytes: number[]; used: number } | undefined {
  const c = text[i];
  if (Object.hasOwn(SIMPLE_ESCAPES, c)) return { bytes: [SIMPLE_ESCAPES[c]], used: 1 };
  if (c === "x") {
    const a = hexValue(text[i + 1]);
    const b = hexValue(text[i + 2]);
    if (a < 0 || b < 0 || (a === 0 && b === 0)) return undefined;
    return { bytes: [(a << 4) | b], used: 3 };
  }
  if (c === "u" || c === "U") {
    const n = c === "u" ? 4 : 8;
    let v = 0;
    for (let k = 1; k <= n; k++) {
      const h = hexValue(text[i + k]);
      if (h < 0) return undefined;
      v = v * 16 + h;
    }
    if (v === 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return undefined;
    return { bytes: Array.from(encoder.encode(String.fromCodePoint(v))), used: n + 1 };
  }
  if (c >= "0" && c <= "7") {
    const digits = [text[i], text[i + 1], text[i + 2]];
    if (!digits.every((d) => d !== undefined && d >= "0" && d <= "7")) return undefined;
    const m = parseInt(digits.join(""), 8);
    if (m === 0 || m > 255) return undefined;
    return { bytes: [m], used: 3 };
  }
  return undefined;
}

/**
 * Extracts the first word of `input`, following systemd 252's `extract_first_word()`:
 * leading separators are skipped; with `unquote`, `'…'` and `"…"` may appear anywhere in a
 * word and are removed; a backslash escapes the next character (decoded as a C escape with
 * `cunescape`). `{ word: undefined }` means there was no word left. Taking word after word
 * this way copies the rest each time: use {@link wordScanner} for that.
 */
export function extractFirstWord(input: string, flags: ExtractFlags = {}): ExtractResult {
  const r = extractAt(input, 0, flags);
  if ("error" in r) return r;
  if (r.word === undefined) return { word: undefined, rest: "" };
  return { word: r.word, rest: input.slice(r.next) };
}

/**
 * A position in a value's text (UTF-16 units), for taking word after word: each word
 * costs its own length only, where re-slicing the rest would make long values quadratic.
 */
export interface WordScanner {
  readonly text: string;
  pos: number;
}

/** A scanner at the start of `input`. */
export function wordScanner(input: string): WordScanner {
  return { text: input, pos: 0 };
}

/** `extractFirstWord` at the scanner's position; advances it past the word on success. */
export function scanWord(
  sc: WordScanner,
  flags: ExtractFlags = {},
): { word: string | undefined } | { error: true } {
  const r = extractAt(sc.text, sc.pos, flags);
  if ("error" in r) return r;
  sc.pos = r.next;
  return { word: r.word };
}

/** Every word of `input` (`extract_first_word` in a loop), or undefined on an error. */
export function allWords(input: string, flags: ExtractFlags = {}): string[] | undefined {
  const sc = wordScanner(input);
  const out: string[] = [];
  for (;;) {
    const r = scanWord(sc, flags);
    if ("error" in r) return undefined;
    if (r.word === undefined) return out;
    out.push(r.word);
  }
}

function skipSeparators(text: string, i: number, seps: string): number {
  while (i < text.length && seps.includes(text[i])) i++;
  return i;
}

function extractAt(
  text: string,
  start: number,
  flags: ExtractFlags,
): { word: string | undefined; next: number } | { error: true } {
  const seps = flags.separators ?? WHITESPACE;
  const from = skipSeparators(text, start, seps);
  if (from >= text.length) return { word: undefined, next: text.length };
  // Most words have no backslash and no quote: they are a slice of the text.
  let i = from;
  for (; i < text.length; i++) {
    const c = text[i];
    if ((c === "\\" && !flags.retainEscape) || ((c === "'" || c === '"') && flags.unquote)) break;
    if (seps.includes(c)) return { word: text.slice(from, i), next: skipSeparators(text, i, seps) };
  }
  if (i >= text.length) return { word: text.slice(from), next: text.length };
  return extractSlow(text, from, flags, seps);
}

/** The general case: quotes and escapes, with the word built as UTF-8 bytes. */
function extractSlow(
  text: string,
  from: number,
  flags: ExtractFlags,
  seps: string,
): { word: string | undefined; next: number } | { error: true } {
  let i = from;
  const out: number[] = [];
  const push = (c: string) => {
    const code = c.charCodeAt(0);
    // ASCII directly: an encoder call per character dominated long values.
    if (code < 0x80) out.push(code);
    else for (const b of encoder.encode(c)) out.push(b);
  };
  // One character: a surrogate pair is taken whole.
  const charAt = (k: number) => {
    const code = text.charCodeAt(k);
    return code >= 0xd800 && code <= 0xdbff && k + 1 < text.length ? text.slice(k, k + 2) : text[k];
  };
  let quote = "";
  const finish = () => ({ word: decoder.decode(new Uint8Array(out)), next: i });
  for (;;) {
    if (i >= text.length) {
      if (quote !== "" && !flags.relax) return { error: true };
      return finish();
    }
    const c = charAt(i);
    if (c === "\\" && !flags.retainEscape) {
      i++;
      if (i >= text.length) {
        if (flags.unescapeRelax && (quote === "" || flags.relax)) {
          push("\\");
          return finish();
        }
        if (flags.relax) return finish();
        return { error: true };
      }
      const e = charAt(i);
      if (flags.cunescape) {
        const dec = cunescapeOne(text, i);
        if (dec) {
          for (const b of dec.bytes) out.push(b);
          i += dec.used;
        } else if (flags.unescapeRelax) {
          push("\\");
          push(e);
          i += e.length;
        } else return { error: true };
      } else {
        push(e);
        i += e.length;
      }
      continue;
    }
    if (quote !== "") {
      if (c === quote) {
        quote = "";
        if (!flags.unquote) push(c);
      } else push(c);
      i += c.length;
      continue;
    }
    if ((c === "'" || c === '"') && flags.unquote) {
      quote = c;
      i++;
      continue;
    }
    if (seps.includes(c)) {
      i = skipSeparators(text, i, seps);
      return finish();
    }
    push(c);
    i += c.length;
  }
}

/** The outcome of splitting a value into words. */
export interface SplitResult {
  /** The words, unquoted and unescaped. Empty when `error` is set. */
  words: string[];
  /** Why the whole value was refused (unbalanced quotes, bad escape in strict mode). */
  error?: string;
  /** Non-fatal problems (unknown escapes kept verbatim). */
  warnings: string[];
  /** With `max`: the text after the last word taken, from its first non-separator. */
  rest?: string;
}

/**
 * Splits a setting value into words with quote removal and C unescaping, like systemd's
 * `extract_first_word_and_warn(..., EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE)`: an unknown escape
 * keeps its backslash and adds the warning `Ignoring unknown escape sequences: "<word>"`;
 * unbalanced quotes fail with `Unbalanced quoting, ignoring: "<value>"`.
 * `cunescape: false` leaves backslash escapes undecoded (the next character is taken
 * literally); `relax: true` accepts unbalanced quotes; `strict: true` refuses unknown escapes
 * (`Invalid syntax, ignoring: <value>`), as `Environment=` does. `retainEscape: true`
 * makes a backslash an ordinary character (`EXTRACT_RETAIN_ESCAPE`, no unescaping), and
 * `partial: true` keeps the words before an error, as `config_parse_strv()` does.
 * `max: n` takes at most n words and returns the text after them as `rest`, as
 * `extract_many_words()` leaves its input.
 */
export function splitWords(
  s: string,
  opts: {
    cunescape?: boolean;
    relax?: boolean;
    strict?: boolean;
    retainEscape?: boolean;
    partial?: boolean;
    max?: number;
  } = {},
): SplitResult {
  const flags: ExtractFlags = {
    unquote: true,
    cunescape: (opts.cunescape ?? true) && !opts.retainEscape,
    relax: opts.relax ?? false,
    retainEscape: opts.retainEscape ?? false,
  };
  const words: string[] = [];
  const warnings: string[] = [];
  const sc = wordScanner(s);
  for (;;) {
    if (words.length === opts.max) return { words, warnings, rest: s.slice(sc.pos) };
    const r = scanWordAndWarn(sc, flags, warnings, opts.strict ?? false);
    if ("error" in r) {
      const error = opts.strict
        ? `Invalid syntax, ignoring: ${s}`
        : `Unbalanced quoting, ignoring: "${s}"`;
      return { words: opts.partial ? words : [], error, warnings };
    }
    if (r.word === undefined) return { words, warnings };
    words.push(r.word);
  }
}

/**
 * `extract_first_word_and_warn`: on failure retry keeping unknown escapes, and warn.
 * With `strict`, no retry is made.
 */
export function extractWordAndWarn(
  input: string,
  flags: ExtractFlags,
  warnings: string[],
  strict = false,
): ExtractResult {
  return relaxedOnError(flags, warnings, strict, (f) => extractFirstWord(input, f));
}

/** `extractWordAndWarn` at a scanner's position; advances it past the word on success. */
export function scanWordAndWarn(
  sc: WordScanner,
  flags: ExtractFlags,
  warnings: string[],
  strict = false,
): { word: string | undefined } | { error: true } {
  return relaxedOnError(flags, warnings, strict, (f) => scanWord(sc, f));
}

/** A bad escape (not strict): extracts again relaxed, with systemd's warning for the word. */
function relaxedOnError<R extends { word: string | undefined } | { error: true }>(
  flags: ExtractFlags,
  warnings: string[],
  strict: boolean,
  extract: (flags: ExtractFlags) => R,
): R {
  const r = extract(flags);
  if (!("error" in r) || strict || flags.unescapeRelax) return r;
  const retry = extract({ ...flags, unescapeRelax: true });
  if (!("error" in retry) && retry.word !== undefined) {
    warnings.push(`Ignoring unknown escape sequences: "${retry.word}"`);
  }
  return retry;
}

const SIZE_SUFFIXES = ["E", "P", "T", "G", "M", "K", "B", ""];

/**
 * Parses a size like systemd's `parse_size()`: a sum of numbers (fractions allowed) with
 * the suffixes `K M G T P E` (powers of `base`, 1024 by default) or `B`; `infinity` gives
 * `Infinity`. Returns undefined when invalid.
 */
export function parseSize(s: string, base: 1024 | 1000 = 1024): number | undefined {
  if (s.trim() === "infinity") return Number.POSITIVE_INFINITY;
  let p = 0;
  let total = 0;
  let startPos = 0;
  do {
    while (p < s.length && WHITESPACE.includes(s[p])) p++;
    if (s[p] === "-") return undefined;
    const m = /^\+?(\d+)/.exec(s.slice(p));
    if (!m) return undefined;
    const whole = Number(m[1]);
    let e = p + m[0].length;
    let frac = 0;
    if (s[e] === ".") {
      e++;
      const f = /^\d+/.exec(s.slice(e));
      if (f) {
        frac = Number("0." + f[0]);
        e += f[0].length;
      }
    }
    while (e < s.length && WHITESPACE.includes(s[e])) e++;
    let i = startPos;
    while (i < SIZE_SUFFIXES.length && !s.startsWith(SIZE_SUFFIXES[i], e)) i++;
    if (i >= SIZE_SUFFIXES.length) return undefined;
    const factor = ["E", "P", "T", "G", "M", "K"].includes(SIZE_SUFFIXES[i]) ? base ** (6 - i) : 1;
    total += whole * factor + Math.floor(frac * factor);
    if (total > 2 ** 64 - 1) return undefined;
    p = e + SIZE_SUFFIXES[i].length;
    startPos = i + 1;
  } while (p < s.length);
  return total;
}

/** How a `Limit*=` value is read (systemd's `rlimit_parse_table`). */
export type RlimitKind = "size" | "number" | "time" | "usec" | "nice";

const RLIMIT_KINDS: Record<string, RlimitKind> = {
  LimitCPU: "time",
  LimitFSIZE: "size",
  LimitDATA: "size",
  LimitSTACK: "size",
  LimitCORE: "size",
  LimitRSS: "size",
  LimitNOFILE: "number",
  LimitAS: "size",
  LimitNPROC: "number",
  LimitMEMLOCK: "size",
  LimitLOCKS: "number",
  LimitSIGPENDING: "number",
  LimitMSGQUEUE: "size",
  LimitNICE: "nice",
  LimitRTPRIO: "number",
  LimitRTTIME: "usec",
};

/** The value kind of a `Limit*=` directive, or undefined for an unknown name. */
export function rlimitKind(key: string): RlimitKind | undefined {
  return RLIMIT_KINDS[key];
}

/** systemd's `safe_atou64`: base 0 (`0x` hex, leading-zero octal), no sign. */
function parseU64(s: string): number | undefined {
  const t = s.replace(/^[ \t\n\r]+/, "");
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) v = parseInt(t.slice(2), 16);
  else if (/^0[0-7]*$/.test(t)) v = parseInt(t, 8);
  else if (/^[1-9][0-9]*$/.test(t)) v = Number(t);
  else return undefined;
  return v >= 2 ** 64 - 1 ? undefined : v;
}

function parseRlimitOne(s: string, kind: RlimitKind): number | undefined {
  if (s === "infinity") return Number.POSITIVE_INFINITY;
  switch (kind) {
    case "number":
      return parseU64(s);
    case "size":
      return parseSize(s, 1024);
    case "time": {
      const t = parseTimespan(s, "s");
      if (t === undefined) return undefined;
      return t === USEC_INFINITY ? t : Math.ceil(t / 1_000_000);
    }
    case "usec":
      return parseTimespan(s, "us");
    case "nice": {
      if (s.startsWith("+") || s.startsWith("-")) {
        if (!/^[+-]\d+$/.test(s)) return undefined;
        const nice = Number(s);
        if (nice < -20 || nice > 19) return undefined;
        return 20 - nice;
      }
      const v = parseU64(s);
      return v === undefined || v > 40 ? undefined : v;
    }
  }
}

/**
 * Parses a `Limit*=` value like systemd's `rlimit_parse()`: `value` or `soft:hard`, each
 * a number or `infinity` (returned as `Infinity`). `kind` picks the unit rules: `size`
 * (bytes with K/M/G…, the default), `number`, `time` (LimitCPU: seconds, rounded up),
 * `usec` (LimitRTTIME: microseconds by default), `nice` (LimitNICE: `+n`/`-n` nice levels
 * or a raw 0…40). Returns undefined when invalid or when soft exceeds hard.
 */
export function parseRlimit(
  s: string,
  kind: RlimitKind = "size",
): { soft: number; hard: number } | undefined {
  const parts = s.split(":");
  if (parts.length > 2 || parts[0] === "") return undefined;
  const soft = parseRlimitOne(parts[0], kind);
  if (soft === undefined) return undefined;
  if (parts.length === 1 || parts[1] === "") return { soft, hard: soft };
  const hard = parseRlimitOne(parts[1], kind);
  if (hard === undefined || soft > hard) return undefined;
  return { soft, hard };
}

/** Parses an octal file mode (`UMask=0022`, `0755`) up to `07777`, like `parse_mode()`. */
export function parseMode(s: string): number | undefined {
  const t = s.replace(/^[ \t\n\r]+/, "");
  if (!/^[0-7]+$/.test(t)) return undefined;
  const v = parseInt(t, 8);
  return v > 0o7777 ? undefined : v;
}

/** Which groups of exit status names to use, as systemd's `ExitStatusClass`. */
export type ExitStatusClass = "libc" | "systemd" | "lsb" | "bsd";

const EXIT_STATUS_TABLE: ReadonlyArray<[number, string, ExitStatusClass]> = [
  [0, "SUCCESS", "libc"],
  [1, "FAILURE", "libc"],
  [2, "INVALIDARGUMENT", "lsb"],
  [3, "NOTIMPLEMENTED", "lsb"],
  [4, "NOPERMISSION", "lsb"],
  [5, "NOTINSTALLED", "lsb"],
  [6, "NOTCONFIGURED", "lsb"],
  [7, "NOTRUNNING", "lsb"],
  [64, "USAGE", "bsd"],
  [65, "DATAERR", "bsd"],
  [66, "NOINPUT", "bsd"],
  [67, "NOUSER", "bsd"],
  [68, "NOHOST", "bsd"],
  [69, "UNAVAILABLE", "bsd"],
  [70, "SOFTWARE", "bsd"],
  [71, "OSERR", "bsd"],
  [72, "OSFILE", "bsd"],
  [73, "CANTCREAT", "bsd"],
  [74, "IOERR", "bsd"],
  [75, "TEMPFAIL", "bsd"],
  [76, "PROTOCOL", "bsd"],
  [77, "NOPERM", "bsd"],
  [78, "CONFIG", "bsd"],
  [200, "CHDIR", "systemd"],
  [201, "NICE", "systemd"],
  [202, "FDS", "systemd"],
  [203, "EXEC", "systemd"],
  [204, "MEMORY", "systemd"],
  [205, "LIMITS", "systemd"],
  [206, "OOM_ADJUST", "systemd"],
  [207, "SIGNAL_MASK", "systemd"],
  [208, "STDIN", "systemd"],
  [209, "STDOUT", "systemd"],
  [210, "CHROOT", "systemd"],
  [211, "IOPRIO", "systemd"],
  [212, "TIMERSLACK", "systemd"],
  [213, "SECUREBITS", "systemd"],
  [214, "SETSCHEDULER", "systemd"],
  [215, "CPUAFFINITY", "systemd"],
  [216, "GROUP", "systemd"],
  [217, "USER", "systemd"],
  [218, "CAPABILITIES", "systemd"],
  [219, "CGROUP", "systemd"],
  [220, "SETSID", "systemd"],
  [221, "CONFIRM", "systemd"],
  [222, "STDERR", "systemd"],
  [224, "PAM", "systemd"],
  [225, "NETWORK", "systemd"],
  [226, "NAMESPACE", "systemd"],
  [227, "NO_NEW_PRIVILEGES", "systemd"],
  [228, "SECCOMP", "systemd"],
  [229, "SELINUX_CONTEXT", "systemd"],
  [230, "PERSONALITY", "systemd"],
  [231, "APPARMOR", "systemd"],
  [232, "ADDRESS_FAMILIES", "systemd"],
  [233, "RUNTIME_DIRECTORY", "systemd"],
  [235, "CHOWN", "systemd"],
  [236, "SMACK_PROCESS_LABEL", "systemd"],
  [237, "KEYRING", "systemd"],
  [238, "STATE_DIRECTORY", "systemd"],
  [239, "CACHE_DIRECTORY", "systemd"],
  [240, "LOGS_DIRECTORY", "systemd"],
  [241, "CONFIGURATION_DIRECTORY", "systemd"],
  [242, "NUMA_POLICY", "systemd"],
  [243, "CREDENTIALS", "systemd"],
  [245, "BPF", "systemd"],
  [255, "EXCEPTION", "systemd"],
];

/** All exit status classes: what `SuccessExitStatus=` and friends accept by name. */
export const EXIT_STATUS_ALL: readonly ExitStatusClass[] = ["libc", "systemd", "lsb", "bsd"];

/**
 * The symbolic name of an exit status (`1` → `FAILURE`, `203` → `EXEC`), or undefined.
 * `classes` defaults to `["libc", "systemd"]`: that is what systemd 252's `status` prints
 * (`exit_status_to_string(..., EXIT_STATUS_LIBC | EXIT_STATUS_SYSTEMD)`), so 2…7 and 64…78
 * print as bare numbers there. Pass `EXIT_STATUS_ALL` to include the LSB and BSD names.
 */
export function exitStatusName(
  code: number,
  classes: readonly ExitStatusClass[] = ["libc", "systemd"],
): string | undefined {
  const row = EXIT_STATUS_TABLE.find(([n]) => n === code);
  return row && classes.includes(row[2]) ? row[1] : undefined;
}

/**
 * How a process ended, as systemd's journal words it (unit_log_process_exit):
 * `code=exited, status=4/NOPERMISSION`, `code=killed, status=15/TERM`; exit statuses are
 * named from systemd's EXIT_STATUS_FULL (libc, systemd and LSB), an unnamed one is `n/a`.
 */
export function describeExit(exit: { code: string; status: number }): string {
  const name = exit.code === "exited"
    ? exitStatusName(exit.status, ["libc", "systemd", "lsb"])
    : signalName(exit.status);
  return `code=${exit.code}, status=${exit.status}/${name ?? "n/a"}`;
}

/** The exit status for a name from the full table (`TEMPFAIL` → 75), or undefined. */
export function exitStatusFromName(name: string): number | undefined {
  return EXIT_STATUS_TABLE.find(([, n]) => n === name)?.[0];
}

/**
 * Parses an exit-status list (`SuccessExitStatus=`, `RestartPreventExitStatus=`, …) like
 * systemd's `config_parse_set_status`: each word is a status name (any class), a number
 * 0…255, or a signal (`TERM`, `SIGKILL`). Words that are none of these are collected in
 * `invalid` (systemd warns `Failed to parse value, ignoring: <word>` and skips them).
 * Words are split without quote removal, as systemd does. Returns undefined only for a
 * trailing backslash.
 */
export function parseExitStatusList(
  s: string,
): { codes: number[]; signals: number[]; invalid: string[] } | undefined {
  const words = allWords(s);
  if (words === undefined) return undefined;
  const codes: number[] = [];
  const signals: number[] = [];
  const invalid: string[] = [];
  for (const word of words) {
    const named = exitStatusFromName(word);
    const numeric = /^[ \t\n\r]*\+?\d+$/.test(word) ? Number(word.trim()) : undefined;
    const code = named ?? (numeric !== undefined && numeric <= 255 ? numeric : undefined);
    if (code !== undefined) {
      if (!codes.includes(code)) codes.push(code);
      continue;
    }
    const sig = parseSignal(word);
    if (sig !== undefined) {
      if (!signals.includes(sig)) signals.push(sig);
    } else invalid.push(word);
  }
  return { codes, signals, invalid };
}

const SHELL_NEED_ESCAPE = '"\\`$';
const SHELL_NEED_QUOTES = SHELL_NEED_ESCAPE + "*?[" + "'()<>|&;!";

function isControl(c: string): boolean {
  const n = c.charCodeAt(0);
  return n < 32 || n === 127;
}

function cescapeChar(c: string): string {
  const named: Record<string, string> = {
    "\x07": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
  };
  return named[c] ?? "\\" + c.charCodeAt(0).toString(8).padStart(3, "0");
}

/**
 * Quotes one element of a list for `show` output, like systemd's `shell_maybe_quote(s, 0)`:
 * an element with whitespace, a control character or one of `` " \ ` $ * ? [ ' ( ) < > | & ; ! ``
 * is wrapped in double quotes; inside, `` " \ ` $ `` get a backslash and control characters
 * are C-escaped. Other elements are returned unchanged.
 */
export function quoteListElement(s: string): string {
  let first = -1;
  for (let i = 0; i < s.length; i++) {
    if (isControl(s[i]) || WHITESPACE.includes(s[i]) || SHELL_NEED_QUOTES.includes(s[i])) {
      first = i;
      break;
    }
  }
  if (first < 0) return s;
  let out = '"' + s.slice(0, first);
  for (const c of s.slice(first)) {
    if (isControl(c)) out += cescapeChar(c);
    else out += (SHELL_NEED_ESCAPE.includes(c) ? "\\" : "") + c;
  }
  return out + '"';
}

/**
 * Quotes one word so that splitting with unquoting and C unescaping gives it back exactly
 * (an empty word included).
 */
export function quoteWord(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => "\\" + c)}"`;
}
