/**
 * What every condition family shares: the environment checks run in, their results,
 * small file helpers under the root, comparison operators and version ordering.
 * @module
 */

import { readProcText } from "../process/procread.ts";
import { fnmatch } from "../unit/glob.ts";
import type { Check } from "../unit/model.ts";
import { allWords } from "../unit/values.ts";
import type { RootMap } from "../units/paths.ts";
import { isAbsolute, join } from "../unit/posix_path.ts";

/** What the checks are evaluated against. */
export interface ConditionEnv {
  /** The `--root` mapping; every path from a unit file goes through it. */
  root: RootMap;
  /** The manager environment block, for `Environment`. */
  managerEnv: Record<string, string>;
  /** The host name, for `Host`. */
  hostname: string;
  /** The machine ID (32 hex digits), for `Host`. */
  machineId?: string;
  /** The uname architecture in systemd's naming (`x86-64`, `arm64`, …). */
  architecture: string;
  /** The os-release fields (read under the root by the caller), for `OSRelease`. */
  osRelease: Record<string, string>;
  /** Where procfs is mounted; default `/proc`. */
  procRoot?: string;
  /** Where sysfs is mounted; default `/sys`. */
  sysRoot?: string;
  /**
   * Prefix for the running system's own marker files (`/.dockerenv`,
   * `/run/.containerenv`, `/run/systemd/container`) used by `Virtualization`;
   * default "" (the real `/`, not the `--root`: virtualization is a fact of
   * the running system, not of the image).
   */
  hostRoot?: string;
  /** Our own process environment, for `$container`; default `Deno.env`. */
  processEnv?: Record<string, string>;
}

/** The result of one evaluated check (negation applied). */
export interface CheckResult {
  check: Check;
  ok: boolean;
}

/** The result of a list of checks. */
export interface ChecksOutcome {
  /** Whether the unit may start. */
  ok: boolean;
  /** The check that decided a failure: the failing plain check, or the first failed trigger. */
  failed?: Check;
  /** The checks evaluated, in order (evaluation stops at the first failing plain check). */
  results: CheckResult[];
}

/** Thrown when a check cannot be evaluated; the check then fails even when negated. */
export class CheckError extends Error {}

// ---------------------------------------------------------------------------
// Small file helpers

export function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    // Deno gates /proc and /sys behind --allow-all; read those through libc.
    return readProcText(path);
  }
}

/** stat(2) of a path (lstat(2) with `follow` false), or undefined when it fails. */
export function statOf(path: string | undefined, follow = true): Deno.FileInfo | undefined {
  if (path === undefined) return undefined;
  try {
    return follow ? Deno.statSync(path) : Deno.lstatSync(path);
  } catch {
    return undefined;
  }
}

export function exists(path: string | undefined): boolean {
  return statOf(path, false) !== undefined;
}

export function procPath(env: ConditionEnv, rel: string): string {
  return join(env.procRoot ?? "/proc", rel);
}

export function sysPath(env: ConditionEnv, rel: string): string {
  return join(env.sysRoot ?? "/sys", rel);
}

/** A `Key:\tvalue` line of /proc/self/status. */
export function procStatusField(env: ConditionEnv, key: string): string | undefined {
  const text = readText(procPath(env, "self/status"));
  if (text === undefined) return undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith(key + ":")) return line.slice(key.length + 1).trim();
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Paths under the root

/**
 * The host path for a unit-file path: resolved inside the root as chroot would, by the
 * one resolver (the last component followed when `followLast`).
 */
export function hostPathOf(env: ConditionEnv, path: string, followLast: boolean): string {
  if (!isAbsolute(path)) throw new CheckError(`path is not absolute: ${path}`);
  try {
    return env.root.resolve(path, followLast);
  } catch {
    throw new CheckError(`too many levels of symbolic links: ${path}`);
  }
}

// ---------------------------------------------------------------------------
// Comparisons

/** systemd's `CompareOperator`. */
export type CompareOp =
  | "lt"
  | "le"
  | "eq"
  | "ne"
  | "ge"
  | "gt"
  | "str-eq"
  | "str-ne"
  | "fn-eq"
  | "fn-ne";

/**
 * Reads a leading comparison operator, like systemd's `parse_compare_operator()`.
 * With `byString`, `=` and `!=` compare strings (`==` and `<>` compare versions);
 * with `fnmatch`, `$=` and `!$=` match shell globs.
 */
export function parseCompareOperator(
  s: string,
  fnmatchOk: boolean,
  byString: boolean,
): { op: CompareOp; rest: string } | undefined {
  const table: Array<[string, CompareOp, boolean]> = [
    ["$=", "fn-eq", fnmatchOk],
    ["!$=", "fn-ne", fnmatchOk],
    ["<>", "ne", true],
    [">=", "ge", true],
    ["<=", "le", true],
    ["!=", byString ? "str-ne" : "ne", true],
    ["<", "lt", true],
    [">", "gt", true],
    ["==", "eq", true],
    ["=", byString ? "str-eq" : "eq", true],
  ];
  for (const [str, op, allowed] of table) {
    if (allowed && s.startsWith(str)) return { op, rest: s.slice(str.length) };
  }
  return undefined;
}

export function testOrder(r: number, op: CompareOp): boolean {
  switch (op) {
    case "lt":
      return r < 0;
    case "le":
      return r <= 0;
    case "eq":
      return r === 0;
    case "ne":
      return r !== 0;
    case "ge":
      return r >= 0;
    case "gt":
      return r > 0;
    default:
      throw new CheckError(`operator ${op} does not order`);
  }
}

export const VERSION_CHARS = /[A-Za-z0-9~\-^.]/;

export function spanOf(s: string, i: number, re: RegExp): number {
  let j = i;
  while (j < s.length && re.test(s[j])) j++;
  return j;
}

/**
 * Compares two version strings like systemd's `strverscmp_improved()` (the
 * UAPI version format specification): `~` sorts before everything, even the end;
 * the end sorts before everything else; `-`, `^` and `.` sort before
 * alphanumerics; numbers compare numerically, letters lexically.
 * Returns a negative number, 0 or a positive number.
 */
export function compareVersions(a: string, b: string): number {
  let i = 0;
  let j = 0;
  const cmp = (x: number, y: number) => (x < y ? -1 : x > y ? 1 : 0);
  for (;;) {
    while (i < a.length && !VERSION_CHARS.test(a[i])) i++;
    while (j < b.length && !VERSION_CHARS.test(b[j])) j++;
    const ca = a[i] ?? "";
    const cb = b[j] ?? "";
    if (ca === "~" || cb === "~") {
      if (ca !== "~") return 1;
      if (cb !== "~") return -1;
      i++, j++;
      continue;
    }
    if (ca === "" || cb === "") return cmp(ca === "" ? 0 : 1, cb === "" ? 0 : 1);
    if (ca === "-" || cb === "-") {
      if (ca !== "-") return 1;
      if (cb !== "-") return -1;
      i++, j++;
      continue;
    }
    if (ca === "^" || cb === "^") {
      if (ca !== "^") return 1;
      if (cb !== "^") return -1;
      i++, j++;
      continue;
    }
    if (ca === "." || cb === ".") {
      if (ca !== ".") return 1;
      if (cb !== ".") return -1;
      i++, j++;
      continue;
    }
    if (/[0-9]/.test(ca) || /[0-9]/.test(cb)) {
      i = spanOf(a, i, /0/);
      j = spanOf(b, j, /0/);
      const ei = spanOf(a, i, /[0-9]/);
      const ej = spanOf(b, j, /[0-9]/);
      const r = cmp(ei - i, ej - j);
      if (r !== 0) return r;
      const sa = a.slice(i, ei);
      const sb = b.slice(j, ej);
      if (sa !== sb) return sa < sb ? -1 : 1;
      i = ei;
      j = ej;
    } else {
      const ei = spanOf(a, i, /[A-Za-z]/);
      const ej = spanOf(b, j, /[A-Za-z]/);
      const n = Math.min(ei - i, ej - j);
      const sa = a.slice(i, i + n);
      const sb = b.slice(j, j + n);
      if (sa !== sb) return sa < sb ? -1 : 1;
      const r = cmp(ei - i, ej - j);
      if (r !== 0) return r;
      i = ei;
      j = ej;
    }
  }
}

export function versionOrFnmatchCompare(op: CompareOp, actual: string, expected: string): boolean {
  switch (op) {
    case "fn-eq":
      return fnmatch(expected, actual);
    case "fn-ne":
      return !fnmatch(expected, actual);
    case "str-eq":
      return actual === expected;
    case "str-ne":
      return actual !== expected;
    default:
      return testOrder(compareVersions(actual, expected), op);
  }
}

export function words(value: string): string[] {
  // Word by word on one scanner: re-slicing the rest was quadratic in a 1 MiB value.
  const out = allWords(value, { unquote: true });
  if (out === undefined) throw new CheckError(`bad quoting: ${value}`);
  return out;
}
