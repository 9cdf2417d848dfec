/**
 * Applying install rules: making and removing the symlinks of enable, disable and preset
 * as systemd 252's `install.c` does, recording each change.
 * @module
 */

import { basename, emptyInstall, errnoOf, InstallError, isTemplate } from "./install_types.ts";
import type { Info, InstallChange, InstallErrno } from "./install_types.ts";
import { builtinUnitText } from "../unit/builtins.ts";
import { instanceName, isValidUnitName, parseUnitName, templateOf } from "../unit/names.ts";
import { dirname, isAbsolute, join, normalize } from "../unit/posix_path.ts";
import { InstallContext, LOAD_FOLLOW, type SearchFlags } from "./install_context.ts";
import { installPrintf } from "./install_file.ts";
import { chaseAll, type InstallLookup } from "./install_lookup.ts";

// ---------------------------------------------------------------------------
// Changing links

export function symlinksEquivalent(lp: InstallLookup, src: string, a: string, b: string): boolean {
  // a, b: link targets as written; resolve relative ones against the link's dir (host paths).
  const hostDir = dirname(src);
  const ha = isAbsolute(a) ? lp.host(a) : join(hostDir, a);
  const hb = isAbsolute(b) ? lp.host(b) : join(hostDir, b);
  if (normalize(ha) === normalize(hb)) return true;
  try {
    const sa = Deno.statSync(ha);
    const sb = Deno.statSync(hb);
    if (sa.ino !== null && sa.ino === sb.ino && sa.dev === sb.dev) return true;
  } catch { /* missing */ }
  if (basename(ha) !== basename(hb)) return false;
  const ia = lp.root.inside(normalize(ha));
  const ib = lp.root.inside(normalize(hb));
  return lp.underSearchPath(ia) && lp.underSearchPath(ib);
}

/**
 * Creates `newPath` → `oldPath` (both inside the root) as systemd's
 * create_symlink: an equivalent existing link is fine, another one is
 * replaced only with `force`. Returns 1 on success, throws on failure.
 */
export function createSymlink(
  lp: InstallLookup,
  oldPath: string,
  newPath: string,
  force: boolean,
  changes: InstallChange[],
): number {
  const hostNew = lp.host(newPath);
  // A directory that could not be made explains the failed link better than its ENOENT.
  let mkdirErrno: InstallErrno | undefined;
  try {
    Deno.mkdirSync(dirname(hostNew), { recursive: true });
  } catch (e) {
    mkdirErrno = errnoOf(e);
  }
  try {
    Deno.symlinkSync(oldPath, hostNew);
    changes.push({ type: "symlink", path: hostNew, source: oldPath });
    return 1;
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) {
      const errno = e instanceof Deno.errors.NotFound && mkdirErrno ? mkdirErrno : errnoOf(e);
      changes.push({ type: "error", errno, path: hostNew });
      throw new InstallError(errno);
    }
  }
  let dest: string;
  try {
    dest = Deno.readLinkSync(hostNew);
  } catch {
    changes.push({ type: "error", errno: "EEXIST", path: hostNew });
    throw new InstallError("EEXIST");
  }
  if (symlinksEquivalent(lp, hostNew, dest, oldPath)) return 1;
  if (!force) {
    changes.push({ type: "error", errno: "EEXIST", path: hostNew, source: dest });
    throw new InstallError("EEXIST");
  }
  const tmp = `${dirname(hostNew)}/.#${basename(hostNew)}${crypto.randomUUID().slice(0, 8)}`;
  try {
    Deno.symlinkSync(oldPath, tmp);
    Deno.renameSync(tmp, hostNew);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* never made */ }
    changes.push({ type: "error", errno: errnoOf(e), path: hostNew });
    throw new InstallError(errnoOf(e));
  }
  changes.push({ type: "unlink", path: hostNew });
  changes.push({ type: "symlink", path: hostNew, source: oldPath });
  return 1;
}

/** Runs one step the way systemd accumulates results: the first error wins. */
export function attempt(fn: () => number): number | InstallErrno {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InstallError) return e.errno;
    throw e;
  }
}

export interface ApplyOptions {
  force: boolean;
  ignoreAuxiliaryFailure: boolean;
}

export function verifyAlias(
  info: Info,
  dst: string,
  changes: InstallChange[],
): string | "self" | InstallErrno {
  if (dst.includes("/")) {
    const dir = dirname(dst);
    const m = /^(.*)\.(wants|requires)$/.exec(dir);
    const unit = m?.[1];
    if (!unit || !isValidUnitName(unit)) {
      changes.push({ type: "error", errno: "EXDEV", path: dst });
      return "EXDEV";
    }
    const aliasName = basename(dst);
    const ok = aliasName === info.name ||
      (isTemplate(unit) && isTemplate(info.name) && templateOf(aliasName) === info.name);
    if (!ok) {
      changes.push({ type: "error", errno: "EXDEV", path: dst, source: info.name });
      return "EXDEV";
    }
    return dst;
  }
  let d = dst;
  if (isTemplate(dst)) {
    const p = parseUnitName(info.name);
    if (p?.instance) d = instanceName(dst, p.instance);
  }
  if (d === info.name) return "self";
  const typeOf = (n: string) => n.slice(n.lastIndexOf(".") + 1);
  const pd = parseUnitName(d);
  const pi = parseUnitName(info.name);
  let ok = pd !== undefined && pi !== undefined && typeOf(d) === typeOf(info.name);
  if (ok && pd && pi) {
    const kind = (p: typeof pd) => p.instance === undefined ? 0 : p.isTemplate ? 1 : 2;
    if (kind(pd) !== kind(pi)) ok = false;
    if (ok && kind(pd) === 2 && pd.instance !== pi.instance) ok = false;
  }
  if (!ok) {
    changes.push({ type: "error", errno: "EXDEV", path: d, source: info.name });
    return "EXDEV";
  }
  return d;
}

export function unitFileExists(lp: InstallLookup, name: string): boolean {
  if (!isValidUnitName(name)) return false;
  const ctx = new InstallContext(lp);
  try {
    ctx.discover(name, { load: false, followConfig: false });
    return true;
  } catch (e) {
    return !(e instanceof InstallError && e.errno === "ENOENT");
  }
}

export function symlinkWants(
  lp: InstallLookup,
  info: Info,
  configPath: string,
  list: readonly string[],
  suffix: string,
  opts: ApplyOptions,
  changes: InstallChange[],
): number | InstallErrno {
  if (list.length === 0) return 0;
  let n: string;
  let templateOnly = false;
  const p = parseUnitName(info.name);
  if (!p?.isTemplate) n = info.name;
  else if (info.install.defaultInstance !== undefined) {
    n = instanceName(info.name, info.install.defaultInstance);
    const inst: Info = { name: n, install: emptyInstall(), auxiliary: false };
    try {
      new InstallContext(lp).search(inst, { load: false, followConfig: true });
    } catch (e) {
      if (e instanceof InstallError) return e.errno;
      throw e;
    }
    if (inst.mode === "masked") {
      changes.push({ type: "error", errno: "ERFKILL", path: lp.host(inst.path as string) });
      return "ERFKILL";
    }
  } else {
    templateOnly = true;
    n = info.name;
  }
  let r: number | InstallErrno = 0;
  for (const s of list) {
    const dst = printed(info, s, changes);
    if (dst === undefined) {
      if (typeof r === "number") r = "EBADSLT";
      continue;
    }
    const dp = parseUnitName(dst);
    const validType = templateOnly
      ? dp !== undefined && dp.instance !== undefined
      : dp !== undefined;
    if (!validType) {
      if (opts.ignoreAuxiliaryFailure) continue;
      if (dp !== undefined) {
        changes.push({ type: "error", errno: "EIDRM", path: dst, source: n });
        if (typeof r === "number") r = "EIDRM";
      } else {
        changes.push({ type: "error", errno: "EUCLEAN", path: dst });
        if (typeof r === "number") r = "EUCLEAN";
      }
      continue;
    }
    const path = `${configPath}/${dst}${suffix}${n}`;
    const q = attempt(() => createSymlink(lp, info.path as string, path, true, changes));
    if ((typeof q === "string" && typeof r === "number") || r === 0) r = q;
    // A target this program provides itself (a minimal image ships no target files) is present.
    if (builtinUnitText(dst) === undefined && !unitFileExists(lp, dst)) {
      changes.push({
        type: "destination-not-present",
        path: dst,
        source: lp.host(info.path as string),
      });
    }
  }
  return r;
}

/** An [Install] value with its specifiers expanded, or undefined (an EBADSLT change made). */
function printed(info: Info, value: string, changes: InstallChange[]): string | undefined {
  try {
    return installPrintf(info.name, value, info.install.defaultInstance);
  } catch {
    changes.push({ type: "error", errno: "EBADSLT", path: value });
    return undefined;
  }
}

export function installInfoApply(
  lp: InstallLookup,
  info: Info,
  configPath: string,
  opts: ApplyOptions,
  changes: InstallChange[],
): number | InstallErrno {
  if (info.mode !== "regular") return 0;
  const path = info.path as string;
  if (!lp.inSearchPath(path)) {
    const q = attempt(() =>
      createSymlink(lp, path, `${configPath}/${info.name}`, opts.force, changes)
    );
    if (typeof q === "string") return q;
  }
  let r: number | InstallErrno = 0;
  for (const s of info.install.aliases) {
    const dst = printed(info, s, changes);
    if (dst === undefined) {
      if (typeof r === "number") r = "EBADSLT";
      continue;
    }
    const v = verifyAlias(info, dst, changes);
    if (v === "self") continue;
    if (v === "EXDEV" || v === "EUCLEAN") {
      if (typeof r === "number") r = v;
      continue;
    }
    const aliasPath = `${configPath}/${v}`;
    const broken = !exists(lp, aliasPath);
    const q = attempt(() => createSymlink(lp, path, aliasPath, opts.force || broken, changes));
    r = typeof r === "string" ? r : q;
  }
  const lists: [string[], string][] = [
    [info.install.wantedBy, ".wants/"],
    [info.install.requiredBy, ".requires/"],
    [info.install.upheldBy, ".upholds/"],
  ];
  for (const [list, suffix] of lists) {
    let q: number | InstallErrno;
    try {
      q = symlinkWants(lp, info, configPath, list, suffix, opts, changes);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      q = "EINVAL";
    }
    if (r === 0) r = q;
  }
  return r;
}

export function exists(lp: InstallLookup, path: string): boolean {
  try {
    Deno.statSync(lp.host(path));
    return true;
  } catch {
    return false;
  }
}

export function contextApply(
  ctx: InstallContext,
  configPath: string,
  flags: SearchFlags,
  opts: ApplyOptions,
  changes: InstallChange[],
): number | InstallErrno {
  let r: number | InstallErrno = 0;
  for (let i = ctx.next(); i !== undefined; i = ctx.next()) {
    try {
      ctx.traverse(i, flags);
    } catch (e) {
      if (!(e instanceof InstallError)) throw e;
      if (i.auxiliary) {
        changes.push({ type: "auxiliary-failed", path: i.name });
        continue;
      }
      changes.push({ type: "error", errno: e.errno, path: i.name });
      return e.errno;
    }
    if (i.mode === "masked") {
      changes.push({ type: "is-masked", path: ctx.lp.host(i.path as string) });
      if (typeof r === "number") r += 1;
      continue;
    }
    if (i.mode !== "regular") continue;
    const q = installInfoApply(ctx.lp, i, configPath, opts, changes);
    if (typeof r === "number") r = typeof q === "string" ? q : r + q;
  }
  return r;
}

export function markForRemoval(
  ctx: InstallContext,
  remove: Set<string>,
  changes: InstallChange[],
): void {
  for (let i = ctx.next(); i !== undefined; i = ctx.next()) {
    try {
      ctx.traverse(i, LOAD_FOLLOW);
    } catch (e) {
      if (!(e instanceof InstallError)) throw e;
      const where = i.path !== undefined ? ctx.lp.host(i.path) : i.name;
      if (e.errno === "ENOLINK") changes.push({ type: "is-dangling", path: where });
      else if (e.errno === "ENOENT") {
        if (!i.auxiliary) changes.push({ type: "error", errno: "ENOENT", path: where });
      } else changes.push({ type: "error", errno: e.errno, path: where });
      remove.add(i.name);
      continue;
    }
    if (i.mode === "masked") {
      changes.push({ type: "is-masked", path: ctx.lp.host(i.path as string) });
      continue;
    }
    if (i.mode !== "regular") continue;
    remove.add(i.name);
  }
}

export function removeMarkedSymlinks(
  lp: InstallLookup,
  remove: Set<string>,
  configPath: string,
  changes: InstallChange[],
  dryRun = false,
): InstallErrno | undefined {
  if (remove.size === 0) return undefined;
  // A dry run leaves the links in place: each is reported once, however often the walk restarts.
  const reported = new Set<string>();
  const hostConfig = lp.host(configPath);
  try {
    if (!Deno.statSync(hostConfig).isDirectory) return undefined;
  } catch {
    return undefined;
  }
  // As systemd: a link that cannot be removed is reported, the walk goes on, the first error wins.
  let failed: InstallErrno | undefined;
  let restart = true;
  while (restart) {
    restart = false;
    walk(hostConfig);
  }
  return failed;

  function walk(hostDir: string): void {
    let it: Iterable<Deno.DirEntry>;
    try {
      it = Deno.readDirSync(hostDir);
    } catch {
      return;
    }
    for (const de of it) {
      const p = `${hostDir}/${de.name}`;
      if (de.isDirectory) {
        walk(p);
        continue;
      }
      if (!de.isSymlink || !isValidUnitName(de.name)) continue;
      let found = remove.has(de.name);
      if (!found) {
        const t = templateOf(de.name);
        if (t !== undefined && t !== de.name) found = remove.has(t);
      }
      if (!found) {
        const destInside = chaseAll(lp, lp.root.inside(p));
        const dest = lp.host(destInside);
        found = remove.has(dest) || remove.has(basename(dest));
      }
      if (!found || reported.has(p)) continue;
      reported.add(p);
      if (!dryRun) {
        try {
          Deno.removeSync(p);
        } catch (e) {
          if (!(e instanceof Deno.errors.NotFound)) {
            changes.push({ type: "error", errno: errnoOf(e), path: p });
            failed ??= errnoOf(e);
            continue;
          }
        }
        rmdirParents(p, hostConfig);
      }
      changes.push({ type: "unlink", path: p });
      const rp = lp.root.inside(p);
      if (!remove.has(rp)) {
        remove.add(rp);
        restart = true;
      }
    }
  }
}

export function rmdirParents(path: string, stop: string): void {
  let d = dirname(path);
  while (d !== stop && d.startsWith(stop + "/")) {
    try {
      Deno.removeSync(d);
    } catch {
      return;
    }
    d = dirname(d);
  }
}

/** Options of the changing operations. */
export interface ChangeOptions {
  /** Write into the runtime config dir instead of the persistent one. */
  readonly runtime?: boolean;
  /** Replace conflicting links. */
  readonly force?: boolean;
  /** Report the changes without making them (`disable` only: `is-enabled --full`). */
  readonly dryRun?: boolean;
}

export function configPathOf(lp: InstallLookup, opts: ChangeOptions): string {
  return opts.runtime ? lp.runtimeConfig : lp.persistentConfig;
}
