/**
 * Path and file conditions (`ConditionPathExists=`, `…Glob=`, `…IsMountPoint=`,
 * `ConditionDirectoryNotEmpty=`, …), with glob(3) walked inside the root on a budget.
 * @module
 */

import { compileFnmatch } from "../unit/glob.ts";
import type { RootMap } from "../units/paths.ts";
import {
  CheckError,
  type ConditionEnv,
  exists,
  hostPathOf,
  procPath,
  readText,
  statOf,
} from "./conditions_common.ts";
import { isAbsolute } from "../unit/posix_path.ts";

// ---------------------------------------------------------------------------
// fnmatch(3) and glob(3)

export function hasGlobMagic(s: string): boolean {
  return /[*?[]/.test(s);
}

/**
 * How many characters brace expansion may produce before the glob is refused: glob(3)
 * would run out of memory on `{a,b}{a,b}…` (2^n patterns), so the check fails instead.
 */
export const BRACE_BUDGET = 16 * 1024 * 1024;

/**
 * Expands `{a,b}` alternatives (GLOB_BRACE), innermost-first, left to right, without
 * recursion; throws a CheckError past {@link BRACE_BUDGET}.
 */
export function expandBraces(pattern: string): string[] {
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
export function firstBraceGroup(
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

export function unescapeGlob(s: string): string {
  return s.replace(/\\(.)/g, "$1");
}

/** Longer paths fail with ENAMETOOLONG: the walk stops there, as glob(3) does. */
export const PATH_MAX = 4096;

/**
 * How many directory entries one glob may look at. glob(3) has no such bound, and
 * `/*\/*\/*…` would walk the whole tree (and around /proc's links) for ever; past this
 * the check fails instead.
 */
export const GLOB_ENTRY_BUDGET = 100_000;

/** Whether glob(3) finds at least one existing match for an absolute host pattern. */
/** Whether a path inside the root matches the glob, as glob(3); each step resolved inside it. */
export function globExists(root: RootMap, pattern: string, entries = GLOB_ENTRY_BUDGET): boolean {
  const budget = { entries };
  for (const p of expandBraces(pattern)) {
    const comps = p.split("/").filter((c) => c !== "");
    if (globWalk(root, "", comps, 0, budget)) return true;
  }
  return false;
}

export function inRoot(root: RootMap, inside: string, follow = true): string | undefined {
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
export function globWalk(
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
// Path checks

export function checkPathExists(env: ConditionEnv, value: string): boolean {
  return statOf(hostPathOf(env, value, true)) !== undefined;
}

export function checkPathExistsGlob(env: ConditionEnv, value: string): boolean {
  if (!isAbsolute(value)) throw new CheckError(`path is not absolute: ${value}`);
  return globExists(env.root, value);
}

export function checkPathIsDirectory(env: ConditionEnv, value: string): boolean {
  return statOf(hostPathOf(env, value, true))?.isDirectory === true;
}

export function checkPathIsSymbolicLink(env: ConditionEnv, value: string): boolean {
  return statOf(hostPathOf(env, value, false), false)?.isSymlink === true;
}

/** One mountinfo line: the mount point (host path) and whether it is read-only. */
export interface MountEntry {
  mountPoint: string;
  readOnly: boolean;
}

export function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function readMountinfo(env: ConditionEnv): MountEntry[] | undefined {
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

export function realPath(path: string): string | undefined {
  try {
    return Deno.realPathSync(path);
  } catch {
    return undefined;
  }
}

export function checkPathIsMountPoint(env: ConditionEnv, value: string): boolean {
  const real = realPath(hostPathOf(env, value, true));
  if (real === undefined) return false;
  if (real === "/") return true;
  const mounts = readMountinfo(env);
  if (mounts === undefined) throw new CheckError("cannot read mountinfo");
  return mounts.some((m) => m.mountPoint === real);
}

/** The mount holding a host path: the longest matching mount point, the later one on ties. */
export function mountOf(mounts: MountEntry[], real: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    const mp = m.mountPoint;
    const under = mp === "/" || real === mp || real.startsWith(mp + "/");
    if (under && (best === undefined || mp.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

export function checkPathIsReadWrite(env: ConditionEnv, value: string): boolean {
  const real = realPath(hostPathOf(env, value, true));
  if (real === undefined) return false;
  const mounts = readMountinfo(env);
  if (mounts === undefined) return true;
  return mountOf(mounts, real)?.readOnly !== true;
}

export const BACKUP_SUFFIXES = [
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
export function hiddenOrBackup(name: string): boolean {
  if (name.startsWith(".") || name.endsWith("~")) return true;
  if (["lost+found", "aquota.user", "aquota.group"].includes(name)) return true;
  const dot = name.lastIndexOf(".");
  return dot >= 0 && BACKUP_SUFFIXES.includes(name.slice(dot + 1));
}

export function checkDirectoryNotEmpty(env: ConditionEnv, value: string): boolean {
  const host = hostPathOf(env, value, true);
  if (statOf(host)?.isDirectory !== true) return false;
  try {
    for (const e of Deno.readDirSync(host)) if (!hiddenOrBackup(e.name)) return true;
  } catch {
    return false;
  }
  return false;
}

export function checkFileNotEmpty(env: ConditionEnv, value: string): boolean {
  const info = statOf(hostPathOf(env, value, true));
  return info?.isFile === true && info.size > 0;
}

export function checkFileIsExecutable(env: ConditionEnv, value: string): boolean {
  const info = statOf(hostPathOf(env, value, true));
  return info?.isFile === true && ((info.mode ?? 0) & 0o111) !== 0;
}
