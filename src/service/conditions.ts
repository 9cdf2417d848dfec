/**
 * `Condition…=` and `Assert…=` checks, evaluated as systemd 252 does when a
 * start job runs (systemd.unit(5), "Conditions and Asserts").
 *
 * Rules:
 * - All non-triggering checks must pass; if any triggering (`|`) checks
 *   exist, at least one of them must pass. `!` negates a check.
 * - A check that cannot be evaluated (relative path, malformed expression,
 *   unknown capability name, unreadable kernel facts) fails
 *   whether or not it is negated, like systemd's `CONDITION_ERROR`.
 * - As in systemd, evaluation stops at the first failing non-triggering
 *   check; {@link ChecksOutcome.results} holds the checks evaluated so far,
 *   and the failed ones among them are what `status` lists.
 * - A check name this module does not know passes (systemd would already
 *   have refused the key when loading the unit).
 *
 * Every path taken from a unit file is opened under the `--root` through
 * {@link RootMap.host}; symlinks met on the way are resolved inside the root.
 * Facts about the running system (kernel, CPUs, memory, capabilities,
 * virtualization, security modules) come from `procRoot` and `sysRoot`.
 * @module
 */

import { isAbsolute, join } from "node:path";
import type { Check } from "../unit/model.ts";
import type { RootMap } from "../units/paths.ts";
import { lookupGroup, lookupUser } from "../units/host_info.ts";
import { allWords, parseBoolean, parseSize, scanWord, wordScanner } from "../unit/values.ts";
import { compileFnmatch, fnmatch, fnmatchSteps } from "../unit/glob.ts";
import { readProcText } from "../process/procread.ts";

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
class CheckError extends Error {}

// ---------------------------------------------------------------------------
// Small file helpers

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    // Deno gates /proc and /sys behind --allow-all; read those through libc.
    return readProcText(path);
  }
}

function statOf(path: string | undefined): Deno.FileInfo | undefined {
  if (path === undefined) return undefined;
  try {
    return Deno.statSync(path);
  } catch {
    return undefined;
  }
}

function lstatOf(path: string | undefined): Deno.FileInfo | undefined {
  if (path === undefined) return undefined;
  try {
    return Deno.lstatSync(path);
  } catch {
    return undefined;
  }
}

function exists(path: string | undefined): boolean {
  return lstatOf(path) !== undefined;
}

function procPath(env: ConditionEnv, rel: string): string {
  return join(env.procRoot ?? "/proc", rel);
}

function sysPath(env: ConditionEnv, rel: string): string {
  return join(env.sysRoot ?? "/sys", rel);
}

/** A `Key:\tvalue` line of /proc/self/status. */
function procStatusField(env: ConditionEnv, key: string): string | undefined {
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
function hostPathOf(env: ConditionEnv, path: string, followLast: boolean): string {
  if (!isAbsolute(path)) throw new CheckError(`path is not absolute: ${path}`);
  try {
    return env.root.resolve(path, followLast);
  } catch {
    throw new CheckError(`too many levels of symbolic links: ${path}`);
  }
}

// ---------------------------------------------------------------------------
// fnmatch(3) and glob(3)

function hasGlobMagic(s: string): boolean {
  return /[*?[]/.test(s);
}

/**
 * How many characters brace expansion may produce before the glob is refused: glob(3)
 * would run out of memory on `{a,b}{a,b}…` (2^n patterns), so the check fails instead.
 */
const BRACE_BUDGET = 16 * 1024 * 1024;

/**
 * Expands `{a,b}` alternatives (GLOB_BRACE), innermost-first, left to right, without
 * recursion; throws a CheckError past {@link BRACE_BUDGET}.
 */
function expandBraces(pattern: string): string[] {
  const out: string[] = [];
  const todo = [pattern];
  let budget = BRACE_BUDGET;
  while (todo.length > 0) {
    const p = todo.pop() as string;
    const group = firstBraceGroup(p);
    if (group === undefined) {
      out.push(p);
      continue;
    }
    const head = p.slice(0, group.start);
    const tail = p.slice(group.end + 1);
    const cuts = [group.start, ...group.commas, group.end];
    const alternatives: string[] = [];
    for (let k = 0; k + 1 < cuts.length; k++) {
      const alt = head + p.slice(cuts[k] + 1, cuts[k + 1]) + tail;
      budget -= alt.length;
      if (budget < 0) throw new CheckError(`too many brace alternatives: ${pattern}`);
      alternatives.push(alt);
    }
    // Reversed onto the stack, so they come out left to right.
    for (let k = alternatives.length - 1; k >= 0; k--) todo.push(alternatives[k]);
  }
  return out;
}

/** The first top-level `{…}` of a pattern: where it starts, its commas, where it ends. */
function firstBraceGroup(
  pattern: string,
): { start: number; commas: number[]; end: number } | undefined {
  let depth = 0;
  let start = -1;
  const commas: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "{") {
      if (depth === 0) {
        start = i;
        commas.length = 0;
      }
      depth++;
    } else if (c === "," && depth === 1) {
      commas.push(i);
    } else if (c === "}" && depth > 0) {
      depth--;
      if (depth === 0) return { start, commas: [...commas], end: i };
    }
  }
  return undefined;
}

function unescapeGlob(s: string): string {
  return s.replace(/\\(.)/g, "$1");
}

/** Longer paths fail with ENAMETOOLONG: the walk stops there, as glob(3) does. */
const PATH_MAX = 4096;

/**
 * How many directory entries one glob may look at. glob(3) has no such bound, and
 * `/*\/*\/*…` would walk the whole tree (and around /proc's links) for ever; past this
 * the check fails instead.
 */
const GLOB_ENTRY_BUDGET = 100_000;

/** Whether glob(3) finds at least one existing match for an absolute host pattern. */
/** Whether a path inside the root matches the glob, as glob(3); each step resolved inside it. */
function globExists(root: RootMap, pattern: string, entries = GLOB_ENTRY_BUDGET): boolean {
  const budget = { entries };
  for (const p of expandBraces(pattern)) {
    const comps = p.split("/").filter((c) => c !== "");
    if (globWalk(root, "", comps, 0, budget)) return true;
  }
  return false;
}

function inRoot(root: RootMap, inside: string, follow = true): string | undefined {
  try {
    return root.resolve(inside || "/", follow);
  } catch {
    return undefined;
  }
}

/**
 * Walks the components from `at` on, each path resolved inside the root. Plain components
 * are joined in a loop, so only wildcard components (which need real directories, at most
 * PATH_MAX/2 deep) nest calls.
 */
function globWalk(
  root: RootMap,
  dir: string,
  comps: readonly string[],
  at: number,
  budget: { entries: number },
): boolean {
  let i = at;
  while (i < comps.length && !hasGlobMagic(comps[i])) {
    dir = `${dir}/${unescapeGlob(comps[i])}`;
    if (dir.length > PATH_MAX) return false;
    i++;
  }
  if (i === comps.length) return exists(inRoot(root, dir, false));
  const comp = comps[i];
  const matcher = compileFnmatch(comp, { pathname: true });
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(inRoot(root, dir) ?? "")];
  } catch {
    return false;
  }
  budget.entries -= entries.length;
  if (budget.entries < 0) throw new CheckError(`glob walks too many directory entries: ${dir}`);
  const last = i + 1 === comps.length;
  for (const e of entries) {
    if (e.name.startsWith(".") && !comp.startsWith(".")) continue;
    if (!matcher.test(e.name)) continue;
    const path = `${dir}/${e.name}`;
    if (path.length > PATH_MAX) continue;
    if (!last && statOf(inRoot(root, path))?.isDirectory !== true) continue;
    if (globWalk(root, path, comps, i + 1, budget)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Comparisons

/** systemd's `CompareOperator`. */
type CompareOp =
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
function parseCompareOperator(
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

function testOrder(r: number, op: CompareOp): boolean {
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

const VERSION_CHARS = /[A-Za-z0-9~\-^.]/;

function spanOf(s: string, i: number, re: RegExp): number {
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

function versionOrFnmatchCompare(op: CompareOp, actual: string, expected: string): boolean {
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

function words(value: string): string[] {
  // Word by word on one scanner: re-slicing the rest was quadratic in a 1 MiB value.
  const out = allWords(value, { unquote: true });
  if (out === undefined) throw new CheckError(`bad quoting: ${value}`);
  return out;
}

// ---------------------------------------------------------------------------
// Path checks

function checkPathExists(env: ConditionEnv, value: string): boolean {
  return statOf(hostPathOf(env, value, true)) !== undefined;
}

function checkPathExistsGlob(env: ConditionEnv, value: string): boolean {
  if (!isAbsolute(value)) throw new CheckError(`path is not absolute: ${value}`);
  return globExists(env.root, value);
}

function checkPathIsDirectory(env: ConditionEnv, value: string): boolean {
  return statOf(hostPathOf(env, value, true))?.isDirectory === true;
}

function checkPathIsSymbolicLink(env: ConditionEnv, value: string): boolean {
  return lstatOf(hostPathOf(env, value, false))?.isSymlink === true;
}

/** One mountinfo line: the mount point (host path) and whether it is read-only. */
interface MountEntry {
  mountPoint: string;
  readOnly: boolean;
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function readMountinfo(env: ConditionEnv): MountEntry[] | undefined {
  const text = readText(procPath(env, "self/mountinfo"));
  if (text === undefined) return undefined;
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length < 6) continue;
    const sep = f.indexOf("-", 6);
    const superOpts = sep > 0 && f[sep + 3] ? f[sep + 3].split(",") : [];
    const opts = f[5].split(",");
    out.push({
      mountPoint: unescapeMountinfo(f[4]),
      readOnly: opts.includes("ro") || superOpts.includes("ro"),
    });
  }
  return out;
}

function realPath(path: string): string | undefined {
  try {
    return Deno.realPathSync(path);
  } catch {
    return undefined;
  }
}

function checkPathIsMountPoint(env: ConditionEnv, value: string): boolean {
  const real = realPath(hostPathOf(env, value, true));
  if (real === undefined) return false;
  if (real === "/") return true;
  const mounts = readMountinfo(env);
  if (mounts === undefined) throw new CheckError("cannot read mountinfo");
  return mounts.some((m) => m.mountPoint === real);
}

/** The mount holding a host path: the longest matching mount point, the later one on ties. */
function mountOf(mounts: MountEntry[], real: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    const mp = m.mountPoint;
    const under = mp === "/" || real === mp || real.startsWith(mp + "/");
    if (under && (best === undefined || mp.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

function checkPathIsReadWrite(env: ConditionEnv, value: string): boolean {
  const real = realPath(hostPathOf(env, value, true));
  if (real === undefined) return false;
  const mounts = readMountinfo(env);
  if (mounts === undefined) return true;
  return mountOf(mounts, real)?.readOnly !== true;
}

const BACKUP_SUFFIXES = [
  "rpmnew",
  "rpmsave",
  "rpmorig",
  "dpkg-old",
  "dpkg-new",
  "dpkg-tmp",
  "dpkg-dist",
  "dpkg-bak",
  "dpkg-backup",
  "dpkg-remove",
  "ucf-new",
  "ucf-old",
  "ucf-dist",
  "swp",
  "bak",
  "old",
  "new",
];

/** systemd's `hidden_or_backup_file()`: names a directory listing ignores. */
function hiddenOrBackup(name: string): boolean {
  if (name.startsWith(".") || name.endsWith("~")) return true;
  if (["lost+found", "aquota.user", "aquota.group"].includes(name)) return true;
  const dot = name.lastIndexOf(".");
  return dot >= 0 && BACKUP_SUFFIXES.includes(name.slice(dot + 1));
}

function checkDirectoryNotEmpty(env: ConditionEnv, value: string): boolean {
  const host = hostPathOf(env, value, true);
  if (statOf(host)?.isDirectory !== true) return false;
  try {
    for (const e of Deno.readDirSync(host)) if (!hiddenOrBackup(e.name)) return true;
  } catch {
    return false;
  }
  return false;
}

function checkFileNotEmpty(env: ConditionEnv, value: string): boolean {
  const info = statOf(hostPathOf(env, value, true));
  return info?.isFile === true && info.size > 0;
}

function checkFileIsExecutable(env: ConditionEnv, value: string): boolean {
  const info = statOf(hostPathOf(env, value, true));
  return info?.isFile === true && ((info.mode ?? 0) & 0o111) !== 0;
}

// ---------------------------------------------------------------------------
// System checks

function checkEnvironment(env: ConditionEnv, value: string): boolean {
  const eq = value.indexOf("=");
  if (eq < 0) return Object.hasOwn(env.managerEnv, value);
  const name = value.slice(0, eq);
  return Object.hasOwn(env.managerEnv, name) && env.managerEnv[name] === value.slice(eq + 1);
}

function checkHost(env: ConditionEnv, value: string): boolean {
  const id = value.toLowerCase();
  const m = /^[0-9a-f]{32}$/.test(id)
    ? id
    : /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)
    ? id.replaceAll("-", "")
    : undefined;
  if (m !== undefined) {
    if (env.machineId === undefined) throw new CheckError("no machine ID");
    return env.machineId.toLowerCase().replaceAll("-", "") === m;
  }
  return fnmatch(value, env.hostname, { casefold: true });
}

/** The architecture names systemd 252 knows. */
const ARCHITECTURES = new Set([
  "x86",
  "x86-64",
  "ppc",
  "ppc-le",
  "ppc64",
  "ppc64-le",
  "ia64",
  "parisc",
  "parisc64",
  "s390",
  "s390x",
  "sparc",
  "sparc64",
  "mips",
  "mips-le",
  "mips64",
  "mips64-le",
  "alpha",
  "arm",
  "arm-be",
  "arm64",
  "arm64-be",
  "sh",
  "sh64",
  "m68k",
  "tilegx",
  "cris",
  "arc",
  "arc-be",
  "nios2",
  "riscv32",
  "riscv64",
  "loongarch64",
]);

/** The systemd architecture name this program runs as (what `native` means). */
export function nativeArchitecture(): string {
  const map: Record<string, string> = {
    x86_64: "x86-64",
    aarch64: "arm64",
    riscv64: "riscv64",
  };
  return map[Deno.build.arch] ?? Deno.build.arch;
}

function checkArchitecture(env: ConditionEnv, value: string): boolean {
  const want = value === "native" ? nativeArchitecture() : value;
  // As systemd 252: an unknown architecture is definitely not ours (false, so `!` passes).
  if (!ARCHITECTURES.has(want)) return false;
  return env.architecture === want;
}

const CONTAINERS = [
  "openvz",
  "lxc",
  "lxc-libvirt",
  "systemd-nspawn",
  "docker",
  "podman",
  "rkt",
  "wsl",
  "proot",
  "pouch",
  "container-other",
];

function hostFile(env: ConditionEnv, path: string): string {
  return (env.hostRoot ?? "") + path;
}

/** Container files checked last, as systemd does (an image may carry a stray `/.dockerenv`). */
function detectContainerFiles(env: ConditionEnv): string | undefined {
  if (exists(hostFile(env, "/run/.containerenv"))) return "podman";
  if (exists(hostFile(env, "/.dockerenv"))) return "docker";
  return undefined;
}

function translateContainer(env: ConditionEnv, name: string): string {
  if (name === "oci") return detectContainerFiles(env) ?? "container-other";
  return CONTAINERS.includes(name) && name !== "container-other" ? name : "container-other";
}

function detectContainer(env: ConditionEnv): string | undefined {
  if (exists(procPath(env, "vz")) && !exists(procPath(env, "bc"))) return "openvz";
  const osrel = readText(procPath(env, "sys/kernel/osrelease")) ?? "";
  if (/Microsoft|WSL/.test(osrel)) return "wsl";
  const own = (env.processEnv ?? Deno.env.toObject()).container;
  if (own) return translateContainer(env, own);
  const file = readText(hostFile(env, "/run/systemd/container"))?.split("\n")[0].trim();
  if (file) return translateContainer(env, file);
  const environ = readText(procPath(env, "1/environ"));
  if (environ !== undefined) {
    const entry = environ.split("\0").find((e) => e.startsWith("container="));
    if (entry !== undefined && entry.length > "container=".length) {
      return translateContainer(env, entry.slice("container=".length));
    }
  }
  return detectContainerFiles(env);
}

/** DMI vendor strings and the VM they name (systemd's `detect_vm_dmi_vendor()`). */
const DMI_VENDORS: Array<[string, string]> = [
  ["KVM", "kvm"],
  ["OpenStack", "kvm"],
  ["KubeVirt", "kvm"],
  ["Amazon EC2", "amazon"],
  ["QEMU", "qemu"],
  ["VMware", "vmware"],
  ["VMW", "vmware"],
  ["innotek GmbH", "oracle"],
  ["VirtualBox", "oracle"],
  ["Xen", "xen"],
  ["Bochs", "bochs"],
  ["Parallels", "parallels"],
  ["BHYVE", "bhyve"],
  ["Hyper-V", "microsoft"],
  ["Apple Virtualization", "apple"],
  ["Google Compute Engine", "google"],
];

function detectVm(env: ConditionEnv): string | undefined {
  for (
    const f of ["product_name", "sys_vendor", "board_vendor", "bios_vendor", "product_version"]
  ) {
    const v = readText(sysPath(env, `class/dmi/id/${f}`))?.trim();
    if (!v) continue;
    for (const [prefix, id] of DMI_VENDORS) if (v.startsWith(prefix)) return id;
  }
  const xen = readText(sysPath(env, "hypervisor/type"))?.trim();
  if (xen === "xen") return "xen";
  const cpuinfo = readText(procPath(env, "cpuinfo")) ?? "";
  if (/^flags\s*:.*\bhypervisor\b/m.test(cpuinfo)) return "vm-other";
  return undefined;
}

/** The innermost virtualization, as systemd-detect-virt names it, or "none". */
export function detectVirtualization(env: ConditionEnv): string {
  return detectContainer(env) ?? detectVm(env) ?? "none";
}

function runningInUserns(env: ConditionEnv): boolean {
  const map = readText(procPath(env, "self/uid_map"));
  if (map === undefined) return false;
  const lines = map.trim().split("\n");
  if (lines.length !== 1) return true;
  const f = lines[0].trim().split(/\s+/);
  return !(f[0] === "0" && f[1] === "0" && f[2] === "4294967295");
}

function checkVirtualization(env: ConditionEnv, value: string): boolean {
  if (value === "private-users") return runningInUserns(env);
  const v = detectVirtualization(env);
  const b = parseBoolean(value);
  if (b !== undefined) return b === (v !== "none");
  if (value === "container") return CONTAINERS.includes(v);
  if (value === "vm") return v !== "none" && !CONTAINERS.includes(v);
  return v !== "none" && v === value;
}

function checkKernelCommandLine(env: ConditionEnv, value: string): boolean {
  const line = readText(procPath(env, "cmdline"));
  if (line === undefined) throw new CheckError("cannot read the kernel command line");
  const equal = value.includes("=");
  const sc = wordScanner(line);
  for (;;) {
    const r = scanWord(sc, { unquote: true, relax: true });
    if ("error" in r || r.word === undefined) return false;
    const w = r.word;
    if (equal ? w === value : w === value || w.startsWith(value + "=")) return true;
  }
}

function kernelRelease(env: ConditionEnv): string {
  const r = readText(procPath(env, "sys/kernel/osrelease"))?.trim();
  if (r) return r;
  try {
    return Deno.osRelease();
  } catch {
    throw new CheckError("cannot read the kernel release");
  }
}

function checkKernelVersion(env: ConditionEnv, value: string): boolean {
  const release = kernelRelease(env);
  // Word by word on one scanner: re-slicing the rest was quadratic in a 1 MiB value.
  const sc = wordScanner(value);
  let first = true;
  for (;;) {
    const r = scanWord(sc, { unquote: true });
    if ("error" in r) throw new CheckError(`bad quoting: ${value}`);
    if (r.word === undefined) return true;
    let s = r.word.trim();
    const parsed = parseCompareOperator(s, true, true);
    const op: CompareOp = parsed?.op ?? "fn-eq";
    if (parsed) s = parsed.rest.trimStart();
    if (s === "") {
      // Backwards compatibility: `>= 5.0` (operator and value apart), first expression only.
      if (!first) throw new CheckError(`unexpected end of expression: ${value}`);
      const n = scanWord(sc);
      if ("error" in n || n.word === undefined) {
        throw new CheckError(`unexpected end of expression: ${value}`);
      }
      s = n.word;
    }
    if (!versionOrFnmatchCompare(op, release, s)) return false;
    first = false;
  }
}

function checkOsRelease(env: ConditionEnv, value: string): boolean {
  for (const cond of words(value)) {
    const m = /^([^!<=>$]*)(.*)$/s.exec(cond)!;
    const key = m[1];
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) || m[2] === "") {
      throw new CheckError(`key/value format expected: ${cond}`);
    }
    const parsed = parseCompareOperator(m[2], true, true);
    if (!parsed || parsed.rest === "" || /^\s/.test(parsed.rest)) {
      throw new CheckError(`key/value format expected: ${cond}`);
    }
    const actual = env.osRelease[key] ?? "";
    if (!versionOrFnmatchCompare(parsed.op, actual, parsed.rest)) return false;
  }
  return true;
}

/** Real and effective IDs from a /proc/self/status `Uid:`/`Gid:` line, or the process's own. */
function ids(env: ConditionEnv, key: "Uid" | "Gid"): number[] {
  const field = procStatusField(env, key);
  if (field !== undefined) {
    const f = field.split(/\s+/).map(Number);
    if (f.length >= 2 && f.every(Number.isInteger)) return [f[0], f[1]];
  }
  const own = key === "Uid" ? Deno.uid() : Deno.gid();
  return own === null ? [] : [own];
}

const SYNTHETIC_USERS: Record<string, number> = { root: 0, nobody: 65534 };
const SYNTHETIC_GROUPS: Record<string, number> = { root: 0, nobody: 65534, nogroup: 65534 };

function checkUser(env: ConditionEnv, value: string): boolean {
  const mine = ids(env, "Uid");
  if (/^\d+$/.test(value)) return mine.includes(Number(value));
  if (value === "@system") return mine.some((u) => u <= 999);
  const uid = lookupUser(env.root, value)?.uid ?? SYNTHETIC_USERS[value];
  return uid !== undefined && mine.includes(uid);
}

function inGid(env: ConditionEnv, gid: number): boolean {
  if (ids(env, "Gid").includes(gid)) return true;
  const groups = procStatusField(env, "Groups");
  return groups !== undefined && groups.split(/\s+/).filter((g) => g).map(Number).includes(gid);
}

function checkGroup(env: ConditionEnv, value: string): boolean {
  if (/^\d+$/.test(value)) return inGid(env, Number(value));
  const gid = lookupGroup(env.root, value)?.gid ?? SYNTHETIC_GROUPS[value];
  return gid !== undefined && inGid(env, gid);
}

/** The memory available to us: MemTotal, capped by the cgroup v2 `memory.max`. */
function physicalMemory(env: ConditionEnv): number {
  const meminfo = readText(procPath(env, "meminfo"));
  const m = meminfo ? /^MemTotal:\s*(\d+)\s*kB/m.exec(meminfo) : null;
  if (!m) throw new CheckError("cannot read MemTotal");
  let total = Number(m[1]) * 1024;
  const limit = readText(sysPath(env, "fs/cgroup/memory.max"))?.trim();
  if (limit && /^\d+$/.test(limit)) total = Math.min(total, Number(limit));
  return total;
}

function cpuCount(env: ConditionEnv): number {
  const list = procStatusField(env, "Cpus_allowed_list");
  if (list) {
    let n = 0;
    for (const part of list.split(",")) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
      if (m) n += m[2] === undefined ? 1 : Number(m[2]) - Number(m[1]) + 1;
    }
    if (n > 0) return n;
  }
  return navigator.hardwareConcurrency;
}

function checkMemory(env: ConditionEnv, value: string): boolean {
  const parsed = parseCompareOperator(value, false, false);
  const op = parsed?.op ?? "ge";
  const size = parseSize((parsed?.rest ?? value).trim());
  if (size === undefined || !Number.isFinite(size)) throw new CheckError(`bad size: ${value}`);
  const have = physicalMemory(env);
  return testOrder(have < size ? -1 : have > size ? 1 : 0, op);
}

function checkCpus(env: ConditionEnv, value: string): boolean {
  const parsed = parseCompareOperator(value, false, false);
  const op = parsed?.op ?? "ge";
  const text = (parsed?.rest ?? value).trim();
  if (!/^\d+$/.test(text)) throw new CheckError(`bad CPU count: ${value}`);
  const want = Number(text);
  const have = cpuCount(env);
  return testOrder(have < want ? -1 : have > want ? 1 : 0, op);
}

/** systemd's CPUFeature names that /proc/cpuinfo spells differently. */
const CPUINFO_FLAG: Record<string, string> = {
  fma3: "fma",
  pclmul: "pclmulqdq",
  osxsave: "xsave",
};

function checkCpuFeature(env: ConditionEnv, value: string): boolean {
  const text = readText(procPath(env, "cpuinfo")) ?? "";
  const m = /^flags\s*:(.*)$/m.exec(text);
  if (!m) return false;
  return m[1].trim().split(/\s+/).includes(CPUINFO_FLAG[value] ?? value);
}

/** Capability names by number (linux/capability.h). */
const CAPABILITIES = [
  "chown",
  "dac_override",
  "dac_read_search",
  "fowner",
  "fsetid",
  "kill",
  "setgid",
  "setuid",
  "setpcap",
  "linux_immutable",
  "net_bind_service",
  "net_broadcast",
  "net_admin",
  "net_raw",
  "ipc_lock",
  "ipc_owner",
  "sys_module",
  "sys_rawio",
  "sys_chroot",
  "sys_ptrace",
  "sys_pacct",
  "sys_admin",
  "sys_boot",
  "sys_nice",
  "sys_resource",
  "sys_time",
  "sys_tty_config",
  "mknod",
  "lease",
  "audit_write",
  "audit_control",
  "setfcap",
  "mac_override",
  "mac_admin",
  "syslog",
  "wake_alarm",
  "block_suspend",
  "audit_read",
  "perfmon",
  "bpf",
  "checkpoint_restore",
];

/** A capability number from `CAP_NAME` (any case) or a number below 63, like `capability_from_name()`. */
function capabilityFromName(name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name) < 63 ? Number(name) : undefined;
  const lower = name.toLowerCase();
  if (!lower.startsWith("cap_")) return undefined;
  const i = CAPABILITIES.indexOf(lower.slice(4));
  return i < 0 ? undefined : i;
}

function checkCapability(env: ConditionEnv, value: string): boolean {
  const cap = capabilityFromName(value);
  if (cap === undefined) throw new CheckError(`unknown capability: ${value}`);
  const bnd = procStatusField(env, "CapBnd");
  if (bnd === undefined || !/^[0-9a-fA-F]+$/.test(bnd)) throw new CheckError("no CapBnd");
  return ((BigInt("0x" + bnd) >> BigInt(cap)) & 1n) === 1n;
}

function dirHasEntries(path: string): boolean {
  try {
    for (const _ of Deno.readDirSync(path)) return true;
  } catch {
    return false;
  }
  return false;
}

function checkSecurity(env: ConditionEnv, value: string): boolean {
  switch (value) {
    case "selinux":
      return statOf(sysPath(env, "fs/selinux"))?.isDirectory === true &&
        dirHasEntries(sysPath(env, "fs/selinux"));
    case "apparmor": {
      const enabled = readText(sysPath(env, "module/apparmor/parameters/enabled"))?.trim();
      if (enabled !== undefined) return enabled.startsWith("Y");
      return exists(sysPath(env, "kernel/security/apparmor"));
    }
    case "tomoyo":
      return exists(sysPath(env, "kernel/security/tomoyo/version"));
    case "ima":
      return exists(sysPath(env, "kernel/security/ima"));
    case "smack":
      return statOf(sysPath(env, "fs/smackfs"))?.isDirectory === true;
    case "audit":
      return exists(procPath(env, "self/loginuid"));
    case "uefi-secureboot": {
      try {
        const data = Deno.readFileSync(
          sysPath(env, "firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"),
        );
        return data.length >= 5 && data[4] === 1;
      } catch {
        return false;
      }
    }
    case "tpm2":
      return dirHasEntries(sysPath(env, "class/tpmrm"));
    default:
      return false;
  }
}

function checkBoolean(value: string): boolean {
  const b = parseBoolean(value);
  if (b === undefined) throw new CheckError(`not a boolean: ${value}`);
  return b;
}

type Evaluator = (env: ConditionEnv, value: string) => boolean;

const EVALUATORS: Record<string, Evaluator> = {
  PathExists: checkPathExists,
  PathExistsGlob: checkPathExistsGlob,
  PathIsDirectory: checkPathIsDirectory,
  PathIsSymbolicLink: checkPathIsSymbolicLink,
  PathIsMountPoint: checkPathIsMountPoint,
  PathIsReadWrite: checkPathIsReadWrite,
  DirectoryNotEmpty: checkDirectoryNotEmpty,
  FileNotEmpty: checkFileNotEmpty,
  FileIsExecutable: checkFileIsExecutable,
  Environment: checkEnvironment,
  Host: checkHost,
  Architecture: checkArchitecture,
  Virtualization: checkVirtualization,
  KernelCommandLine: checkKernelCommandLine,
  KernelVersion: checkKernelVersion,
  User: checkUser,
  Group: checkGroup,
  OSRelease: checkOsRelease,
  Memory: checkMemory,
  CPUs: checkCpus,
  CPUFeature: checkCpuFeature,
  Capability: checkCapability,
  Security: checkSecurity,
  // Not the first boot: `FirstBoot=yes` is false, `FirstBoot=no` true.
  FirstBoot: (_env, value) => !checkBoolean(value),
  NeedsUpdate: () => false,
  Credential: () => false,
  ControlGroupController: () => false,
  PathIsEncrypted: () => false,
  Firmware: () => false,
  // On AC power (or no connectors known): `ACPower=yes` is true, `ACPower=no` false.
  ACPower: (_env, value) => checkBoolean(value),
  MemoryPressure: () => true,
  CPUPressure: () => true,
  IOPressure: () => true,
};

/** Whether the check names one this module evaluates. */
export function isKnownCheck(name: string): boolean {
  return Object.hasOwn(EVALUATORS, name);
}

/** Evaluates one check, negation applied; a check that cannot be evaluated is false. */
export function evaluateCheck(check: Check, env: ConditionEnv): boolean {
  if (!Object.hasOwn(EVALUATORS, check.name)) return true;
  const fn = EVALUATORS[check.name];
  try {
    return fn(env, check.value) !== check.negate;
  } catch {
    return false;
  }
}

/**
 * Evaluates the checks of one kind (`Condition` or `Assert`), as systemd's
 * `condition_test_list()`: every plain check must pass, and when triggering
 * checks exist at least one of them must pass. Checks of the other kind are
 * skipped.
 */
export function evaluateChecks(
  checks: readonly Check[],
  kind: "Condition" | "Assert",
  env: ConditionEnv,
): ChecksOutcome {
  const results: CheckResult[] = [];
  let triggered: boolean | undefined;
  let firstFailedTrigger: Check | undefined;
  for (const check of checks) {
    if (check.kind !== kind) continue;
    const ok = evaluateCheck(check, env);
    results.push({ check, ok });
    if (!check.trigger && !ok) return { ok: false, failed: check, results };
    if (check.trigger) {
      if (ok) triggered = true;
      else {
        triggered ??= false;
        firstFailedTrigger ??= check;
      }
    }
  }
  if (triggered === false) return { ok: false, failed: firstFailedTrigger, results };
  return { ok: true, results };
}

/**
 * The `status` line for a failed check, as systemctl prints it:
 * `ConditionPathExists=|!/x was not met`.
 */
export function describeFailedCheck(c: Check): string {
  return `${c.kind}${c.name}=${c.trigger ? "|" : ""}${c.negate ? "!" : ""}${c.value} was not met`;
}

/** @internal For tests: the fnmatch(3) emulation and the glob existence test. */
export const _internal = {
  fnmatch: (pattern: string, text: string, casefold = false) =>
    fnmatch(pattern, text, { casefold }),
  fnmatchSteps: (pattern: string, text: string) => fnmatchSteps(pattern, text),
  globExists,
  expandBraces,
};
