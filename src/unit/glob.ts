/**
 * The one glob engine: fnmatch(3) as glibc does it, with the flags systemd uses
 * (`FNM_PATHNAME`, `FNM_CASEFOLD`), for unit-name patterns, preset rules and conditions.
 * Patterns are split into `*` and one-character tests, so a `*` only ever retries from
 * the last one: time is at most the product of the two lengths, where a regular
 * expression of many stars backtracked without end.
 * @module
 */

/** fnmatch(3) flags. */
export interface FnmatchFlags {
  /** Wildcards and bracket expressions do not match `/` (`FNM_PATHNAME`). */
  readonly pathname?: boolean;
  /** Letters match in either case (`FNM_CASEFOLD`). */
  readonly casefold?: boolean;
}

/** One element of a pattern: `*`, or a test of one character. */
type Token = "*" | ((ch: string) => boolean);

/** A compiled pattern. */
export interface Fnmatcher {
  /** Whether the text matches, with the number of steps taken (for tests of its bound). */
  steps(text: string): { matched: boolean; steps: number };
  /** Whether the text matches. */
  test(text: string): boolean;
}

/** The POSIX character classes of bracket expressions (`[[:alpha:]]`), in the C locale. */
const CLASSES: Readonly<Record<string, RegExp>> = {
  alpha: /^[a-zA-Z]$/,
  digit: /^[0-9]$/,
  alnum: /^[a-zA-Z0-9]$/,
  upper: /^[A-Z]$/,
  lower: /^[a-z]$/,
  space: /^[ \t\n\r\f\v]$/,
  blank: /^[ \t]$/,
  punct: /^[!-\/:-@\[-`{-~]$/,
  xdigit: /^[0-9A-Fa-f]$/,
  // deno-lint-ignore no-control-regex -- the class is the control characters
  cntrl: /^[\x00-\x1f\x7f]$/,
  print: /^[\x20-\x7e]$/,
  graph: /^[\x21-\x7e]$/,
};

const code = (c: string) => c.codePointAt(0) as number;

/** A `[...]` expression at `start` as a test, and where it ends; undefined without a `]`. */
function bracket(
  p: readonly string[],
  start: number,
  flags: FnmatchFlags,
): { test: (ch: string) => boolean; next: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (p[i] === "!" || p[i] === "^") {
    negate = true;
    i++;
  }
  const ranges: Array<[number, number]> = [];
  const classes: RegExp[] = [];
  let first = true;
  while (i < p.length) {
    let c = p[i];
    if (c === "]" && !first) {
      const inSet = (ch: string) =>
        ranges.some(([lo, hi]) => code(ch) >= lo && code(ch) <= hi) ||
        classes.some((re) => re.test(ch));
      const fold = flags.casefold
        ? (ch: string) => inSet(ch) || inSet(ch.toLowerCase()) || inSet(ch.toUpperCase())
        : inSet;
      const pathname = flags.pathname === true;
      // Under FNM_PATHNAME a slash is matched by a slash in the pattern only.
      const test = (ch: string) => !(pathname && ch === "/") && fold(ch) !== negate;
      return { test, next: i + 1 };
    }
    first = false;
    if (c === "[" && p[i + 1] === ":") {
      const end = p.indexOf(":", i + 2);
      const re = end > 0 && p[end + 1] === "]" ? CLASSES[p.slice(i + 2, end).join("")] : undefined;
      if (re !== undefined) {
        classes.push(re);
        i = end + 2;
        continue;
      }
    }
    if (c === "\\" && i + 1 < p.length) c = p[++i];
    if (p[i + 1] === "-" && p[i + 2] !== undefined && p[i + 2] !== "]") {
      let hi = p[i + 2];
      i += 2;
      if (hi === "\\" && i + 1 < p.length) hi = p[++i];
      ranges.push([code(c), code(hi)]);
    } else ranges.push([code(c), code(c)]);
    i++;
  }
  return undefined;
}

function tokens(pattern: string, flags: FnmatchFlags): Token[] {
  const p = Array.from(pattern);
  const out: Token[] = [];
  const literal = (lit: string): Token =>
    flags.casefold
      ? (ch) => ch === lit || ch.toLowerCase() === lit.toLowerCase()
      : (ch) => ch === lit;
  for (let i = 0; i < p.length;) {
    const c = p[i];
    if (c === "*") {
      if (out.at(-1) !== "*") out.push("*");
      i++;
    } else if (c === "?") {
      out.push(flags.pathname ? (ch) => ch !== "/" : () => true);
      i++;
    } else if (c === "[" && bracket(p, i, flags) !== undefined) {
      const b = bracket(p, i, flags)!;
      out.push(b.test);
      i = b.next;
    } else {
      // A backslash makes the next character literal; "[" without "]" is one itself.
      out.push(literal(c === "\\" && i + 1 < p.length ? p[++i] : c));
      i++;
    }
  }
  return out;
}

/** Compiles a pattern once, for matching many texts. */
export function compileFnmatch(pattern: string, flags: FnmatchFlags = {}): Fnmatcher {
  const t = tokens(pattern, flags);
  const pathname = flags.pathname === true;
  const steps = (text: string) => {
    const s = Array.from(text);
    let ti = 0;
    let si = 0;
    let starTi = -1;
    let starSi = 0;
    let n = 0;
    while (si < s.length) {
      n++;
      const tok = t[ti];
      if (tok === "*") {
        starTi = ++ti;
        starSi = si;
        // A trailing `*` takes the rest (unless a `/` is in it under FNM_PATHNAME).
        if (ti === t.length && !pathname) return { matched: true, steps: n };
        continue;
      }
      if (tok !== undefined && tok(s[si])) {
        ti++;
        si++;
        continue;
      }
      // The last `*` takes one more character; under FNM_PATHNAME never a `/`.
      if (starTi < 0 || (pathname && s[starSi] === "/")) return { matched: false, steps: n };
      ti = starTi;
      si = ++starSi;
    }
    while (t[ti] === "*") ti++;
    return { matched: ti === t.length, steps: n };
  };
  return { steps, test: (text) => steps(text).matched };
}

/**
 * fnmatch(3): `*` and `?` match any character (not `/` with `pathname`), `[...]` and
 * `[!...]` (also `[^...]`) are bracket expressions with ranges and `[:class:]`es, and a
 * backslash makes the next character literal.
 */
export function fnmatch(pattern: string, text: string, flags: FnmatchFlags = {}): boolean {
  return compileFnmatch(pattern, flags).test(text);
}

/** {@link fnmatch} with the number of steps it took (for tests of its bound). */
export function fnmatchSteps(
  pattern: string,
  text: string,
  flags: FnmatchFlags = {},
): { matched: boolean; steps: number } {
  return compileFnmatch(pattern, flags).steps(text);
}
