/**
 * Unit names: validation, templates and instances, `systemd-escape` escaping,
 * the mangling of command-line arguments, fnmatch globs and drop-in directory names.
 * Mirrors systemd 252 `unit-name.c` and `dropin.c`.
 * @module
 */

import { fnmatch, fnmatchSteps } from "./glob.ts";

/** The unit types this program knows, in systemd's order. */
export const UNIT_TYPES: readonly string[] = [
  "service",
  "socket",
  "target",
  "timer",
  "path",
  "mount",
  "automount",
  "swap",
  "device",
  "slice",
  "scope",
];

/** systemd's UNIT_NAME_MAX: names must be shorter than this. */
const UNIT_NAME_MAX = 256;
const DIGITS_LETTERS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Characters valid in a unit name, apart from `@`. */
const VALID_CHARS = DIGITS_LETTERS + ":-_.\\";
const VALID_CHARS_WITH_AT = "@" + VALID_CHARS;
const VALID_CHARS_GLOB = VALID_CHARS_WITH_AT + "[]!-*?";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The parts of a unit name. */
export interface UnitNameParts {
  /** Everything before the first `@`, or before the type suffix when there is no `@`. */
  prefix: string;
  /** The instance (`""` for a template), or undefined for a plain name. */
  instance: string | undefined;
  /** The type, without the dot (`service`). */
  type: string;
  /** True for `name@.type`. */
  isTemplate: boolean;
}

function inCharset(s: string, set: string): boolean {
  for (const c of s) if (!set.includes(c)) return false;
  return true;
}

/**
 * Splits a unit name into its parts; undefined if the name is not valid.
 * Like systemd, the instance may itself contain `@` (`a@b@c.service` has instance `b@c`).
 */
export function parseUnitName(name: string): UnitNameParts | undefined {
  if (!isValidUnitName(name)) return undefined;
  const dot = name.lastIndexOf(".");
  const type = name.slice(dot + 1);
  const at = name.indexOf("@");
  if (at < 0) return { prefix: name.slice(0, dot), instance: undefined, type, isTemplate: false };
  const instance = name.slice(at + 1, dot);
  return { prefix: name.slice(0, at), instance, type, isTemplate: instance === "" };
}

/**
 * True if `name` is a valid unit name (plain, template or instance), as systemd's
 * `unit_name_is_valid(name, UNIT_NAME_ANY)`: characters `[A-Za-z0-9:_.\\-]` plus `@`,
 * a known type after the last dot, a nonempty prefix, at most 255 bytes.
 */
export function isValidUnitName(name: string): boolean {
  if (name === "" || encoder.encode(name).length >= UNIT_NAME_MAX) return false;
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return false;
  if (!UNIT_TYPES.includes(name.slice(dot + 1))) return false;
  const body = name.slice(0, dot);
  if (!inCharset(body, VALID_CHARS_WITH_AT)) return false;
  return !body.startsWith("@");
}

/** The template name of an instance or template (`a@b.service` → `a@.service`); else undefined. */
export function templateOf(name: string): string | undefined {
  const parts = parseUnitName(name);
  if (!parts || parts.instance === undefined) return undefined;
  return `${parts.prefix}@.${parts.type}`;
}

/**
 * Builds the instance name of a template: `instanceName("a@.service", "x")` → `a@x.service`.
 * The template may also be an instance; its instance is replaced.
 * Throws a `TypeError` when the template or the instance is not valid.
 */
export function instanceName(template: string, instance: string): string {
  const parts = parseUnitName(template);
  if (!parts || parts.instance === undefined) {
    throw new TypeError(`Not a template unit name: ${template}`);
  }
  if (instance === "" || !inCharset(instance, VALID_CHARS_WITH_AT)) {
    throw new TypeError(`Invalid instance name: ${instance}`);
  }
  const name = `${parts.prefix}@${instance}.${parts.type}`;
  if (!isValidUnitName(name)) throw new TypeError(`Unit name too long: ${name}`);
  return name;
}

function hexByte(b: number): string {
  return "\\x" + b.toString(16).padStart(2, "0");
}

/** Like `systemd-escape STRING`: `/` → `-`, other bytes outside `[A-Za-z0-9:_.]` → `\xNN`. */
export function escapeName(s: string): string {
  const bytes = encoder.encode(s);
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const c = String.fromCharCode(b);
    if (i === 0 && c === ".") out += hexByte(b);
    else if (c === "/") out += "-";
    else if (b >= 0x80 || c === "-" || c === "\\" || !VALID_CHARS.includes(c)) out += hexByte(b);
    else out += c;
  }
  return out;
}

/** systemd's path_simplify: drops duplicate slashes, `.` components and trailing slashes. */
export function simplifyPath(p: string): string {
  if (p === "") return "";
  const absolute = p.startsWith("/");
  const parts = p.split("/").filter((x) => x !== "" && x !== ".");
  const joined = parts.join("/");
  if (absolute) return "/" + joined;
  return joined === "" ? "." : joined;
}

/** systemd's path_is_normalized: no `..`, `.` or `//` (run on a simplified path, no `..`). */
export function isNormalizedPath(p: string): boolean {
  const parts = p.split("/");
  if (parts.includes("..")) return false;
  if (p === "." || p.startsWith("./") || p.endsWith("/.") || p.includes("/./")) return false;
  return !p.includes("//");
}

/**
 * Like `systemd-escape --path PATH`: the path is simplified, leading and trailing
 * slashes are dropped, then it is escaped; `/` (or an empty path) gives `-`.
 * Returns undefined for a path that is not normalized (contains `..`).
 */
export function escapePath(p: string): string | undefined {
  const simple = simplifyPath(p);
  if (simple === "" || simple === "/") return "-";
  if (!isNormalizedPath(simple)) return undefined;
  return escapeName(simple.replace(/^\/+/, "").replace(/\/+$/, ""));
}

function unhex(c: string | undefined): number {
  if (c === undefined) return -1;
  const v = parseInt(c, 16);
  return /^[0-9a-fA-F]$/.test(c) ? v : -1;
}

/**
 * Like `systemd-escape --unescape`: `-` → `/`, `\xNN` → that byte.
 * Returns undefined for a malformed escape.
 */
export function unescapeName(s: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "-") bytes.push(0x2f);
    else if (c === "\\") {
      if (s[i + 1] !== "x") return undefined;
      const a = unhex(s[i + 2]);
      const b = unhex(s[i + 3]);
      if (a < 0 || b < 0) return undefined;
      bytes.push((a << 4) | b);
      i += 3;
    } else bytes.push(...encoder.encode(c));
  }
  return decoder.decode(new Uint8Array(bytes));
}

/**
 * Like `systemd-escape --unescape --path`: unescapes and prefixes `/`; `-` → `/`.
 * Returns undefined when the result would not be a normalized absolute path.
 */
export function unescapePath(s: string): string | undefined {
  if (s === "") return undefined;
  if (s === "-") return "/";
  const w = unescapeName(s);
  if (w === undefined || w.startsWith("/") || w.endsWith("/")) return undefined;
  const path = "/" + w;
  return isNormalizedPath(path) ? path : undefined;
}

/** True if `s` contains a glob character (`*`, `?` or `[`). */
export function isGlob(s: string): boolean {
  return /[*?[]/.test(s);
}

/** The result of mangling a command-line unit argument. */
export interface MangledName {
  /** The unit name (or glob) to use. */
  name: string;
  /** Set when characters had to be escaped; print it at notice level. */
  warning?: string;
}

function nameFromPath(path: string, suffix: string): string | undefined {
  const escaped = escapePath(path);
  if (escaped === undefined) return undefined;
  const name = escaped + suffix;
  return isValidUnitName(name) ? name : undefined;
}

/**
 * Turns a command-line argument into a unit name, like systemd's
 * `unit_name_mangle_with_suffix(..., UNIT_NAME_MANGLE_GLOB | UNIT_NAME_MANGLE_WARN, suffix)`:
 * valid names and valid globs are kept as they are; `/dev/…` and `/sys/…` become `.device`,
 * other absolute paths `.mount`; invalid characters are escaped (with a warning), and
 * `defaultSuffix` (e.g. `.service`) is appended when the result has no type suffix and is
 * not a glob. Pass `{ allowGlobs: false }` to escape glob characters too.
 */
export function mangleUnitName(
  arg: string,
  defaultSuffix: string,
  options: { allowGlobs?: boolean } = {},
): MangledName {
  const allowGlobs = options.allowGlobs ?? true;
  const suffix = defaultSuffix.startsWith(".") ? defaultSuffix : "." + defaultSuffix;
  if (arg === "" || isValidUnitName(arg)) return { name: arg };
  let suggestEscape = true;
  if (isGlob(arg) && inCharset(arg, VALID_CHARS_GLOB)) {
    if (allowGlobs) return { name: arg };
    suggestEscape = false;
  }
  if (arg.startsWith("/dev/") || arg.startsWith("/sys/")) {
    const name = nameFromPath(arg, ".device");
    if (name !== undefined) return { name };
  }
  if (arg.startsWith("/")) {
    const name = nameFromPath(arg, ".mount");
    if (name !== undefined) return { name };
  }
  const valid = allowGlobs ? VALID_CHARS_GLOB : VALID_CHARS_WITH_AT;
  let s = "";
  let mangled = false;
  for (const b of encoder.encode(arg)) {
    const c = String.fromCharCode(b);
    if (c === "/") {
      s += "-";
      mangled = true;
    } else if (b >= 0x80 || !valid.includes(c)) {
      s += hexByte(b);
      mangled = true;
    } else s += c;
  }
  const result: MangledName = { name: s };
  if (mangled) {
    result.warning = `Invalid unit name "${arg}" escaped as "${s}"${
      suggestEscape ? " (maybe you should use systemd-escape?)" : ""
    }.`;
  }
  if ((!allowGlobs || !isGlob(s)) && !isValidUnitName(s)) result.name = s + suffix;
  return result;
}

/**
 * fnmatch(3) without flags: `*` and `?` match any character including `/`,
 * `[...]` and `[!...]` (also `[^...]`) are character classes with ranges,
 * and a backslash makes the next character literal (the one engine, `glob.ts`).
 */
export function globMatch(pattern: string, name: string): boolean {
  return fnmatch(pattern, name);
}

/** {@link globMatch} with the number of steps it took (for tests of its bound). */
export function globMatchSteps(pattern: string, name: string): { matched: boolean; steps: number } {
  return fnmatchSteps(pattern, name);
}

/**
 * The drop-in directory names of a unit, in systemd 252's search order
 * (`unit_file_find_dirs`): the name itself, its template, then the same for each
 * dash-truncated prefix (`a-b-c@i.service` → `a-b-@i.service`, `a-b-@.service`,
 * `a-@i.service`, …), and finally the top-level `<type>.d`. Duplicates are dropped.
 * Returns an empty list for an invalid name.
 */
export function dropInDirs(name: string): string[] {
  const parts = parseUnitName(name);
  if (!parts) return [];
  const out: string[] = [];
  visit(name);
  add(`${parts.type}.d`);
  return out;

  function add(dir: string): void {
    if (!out.includes(dir)) out.push(dir);
  }

  function visit(n: string): void {
    add(`${n}.d`);
    const p = parseUnitName(n);
    if (!p) return;
    const isInstance = p.instance !== undefined && p.instance !== "";
    if (isInstance) visit(`${p.prefix}@.${p.type}`);
    let prefix = p.prefix;
    let chopped = false;
    for (;;) {
      const dash = prefix.lastIndexOf("-");
      if (dash <= 0) return;
      if (dash + 1 < prefix.length || chopped) {
        prefix = prefix.slice(0, dash + 1);
        break;
      }
      prefix = prefix.slice(0, dash);
      chopped = true;
    }
    if (!inCharset(prefix, VALID_CHARS)) return;
    const built = isInstance ? `${prefix}@${p.instance}.${p.type}` : `${prefix}.${p.type}`;
    if (!isValidUnitName(built)) return;
    visit(built);
  }
}

/**
 * systemd 252's words for a name its manager cannot look up (a bare template `p@.s`), as
 * `show`, `status`, `is-active` and `is-failed` print them after their own prefix.
 */
export function notAUnitName(name: string): string {
  return `Unit name ${name} is neither a valid invocation ID nor unit name.`;
}
