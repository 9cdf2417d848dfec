/**
 * The changing operations: enable, disable, reenable, mask, unmask, link,
 * add-wants/add-requires, revert and set-default, each as a list of changes.
 * @module
 */

import {
  attempt,
  type ChangeOptions,
  configPathOf,
  contextApply,
  createSymlink,
  markForRemoval,
  removeMarkedSymlinks,
} from "./install_apply.ts";
import {
  basename,
  emptyInstall,
  errnoOf,
  type Info,
  type InstallChange,
  type InstallErrno,
  InstallError,
  type InstallResult,
  isInstance,
  pathStartsWith,
} from "./install_types.ts";
import { isValidUnitName } from "../unit/names.ts";
import { dirname } from "../unit/posix_path.ts";
import { InstallContext, LOAD_FOLLOW } from "./install_context.ts";
import { type InstallLookup, lstatIn, nullOrEmpty } from "./install_lookup.ts";

function doEnable(
  lp: InstallLookup,
  configPath: string,
  namesOrPaths: readonly string[],
  opts: ChangeOptions,
  changes: InstallChange[],
): InstallResult {
  const ctx = new InstallContext(lp);
  for (const n of namesOrPaths) {
    try {
      ctx.discoverAndCheck(n, LOAD_FOLLOW, changes);
    } catch (e) {
      if (e instanceof InstallError) return { changes, error: e.errno };
      throw e;
    }
  }
  const r = contextApply(ctx, configPath, { load: true, followConfig: false }, {
    force: opts.force ?? false,
    ignoreAuxiliaryFailure: false,
  }, changes);
  if (typeof r === "string") return { changes, error: r };
  return { changes, carriesInstallInfo: r };
}

/**
 * `enable`: names or absolute paths (inside the root). Creates the links
 * `[Install]` asks for, linking files from outside the search path first.
 */
export function enableUnits(
  lp: InstallLookup,
  namesOrPaths: readonly string[],
  opts: ChangeOptions = {},
): InstallResult {
  return doEnable(lp, configPathOf(lp, opts), namesOrPaths, opts, []);
}

function doDisable(
  lp: InstallLookup,
  configPath: string,
  names: readonly string[],
  changes: InstallChange[],
  dryRun = false,
): InstallResult {
  const ctx = new InstallContext(lp);
  for (const n of names) {
    if (!isValidUnitName(n)) {
      changes.push({ type: "error", errno: "EUCLEAN", path: n });
      return { changes, error: "EUCLEAN" };
    }
    ctx.add(n, undefined, false);
  }
  const remove = new Set<string>();
  markForRemoval(ctx, remove, changes);
  return { changes, error: removeMarkedSymlinks(lp, remove, configPath, changes, dryRun) };
}

/** `disable`: removes every link in the config dir that points to the units or their Also= units. */
export function disableUnits(
  lp: InstallLookup,
  names: readonly string[],
  opts: ChangeOptions = {},
): InstallResult {
  return doDisable(lp, configPathOf(lp, opts), names, [], opts.dryRun);
}

/** The unit file a plain name stands for; a path, an instance or a name not found as itself. */
function unitFileOf(lp: InstallLookup, nameOrPath: string): string {
  if (nameOrPath.includes("/") || isInstance(nameOrPath)) return nameOrPath;
  try {
    return new InstallContext(lp).discover(nameOrPath, LOAD_FOLLOW).path || nameOrPath;
  } catch {
    return nameOrPath; // operate on the name
  }
}

/** `reenable`: disable by name, then enable by name or path. */
export function reenableUnits(
  lp: InstallLookup,
  namesOrPaths: readonly string[],
  opts: ChangeOptions = {},
): InstallResult {
  // The files are found before the disable removes the links that may lead to them.
  const files = namesOrPaths.map((a) => unitFileOf(lp, a));
  const names = namesOrPaths.map((a) => basename(a));
  const configPath = configPathOf(lp, opts);
  const changes: InstallChange[] = [];
  const d = doDisable(lp, configPath, names, changes);
  if (d.error) return d;
  return doEnable(lp, configPath, files, opts, changes);
}

/** createSymlink() with its failure as an errno (undefined: linked, or already so). */
function linkAs(
  lp: InstallLookup,
  target: string,
  path: string,
  force: boolean,
  changes: InstallChange[],
): InstallErrno | undefined {
  const q = attempt(() => createSymlink(lp, target, path, force, changes));
  return typeof q === "string" ? q : undefined;
}

/** `mask`: links each name to /dev/null in the config dir. */
export function maskUnits(
  lp: InstallLookup,
  names: readonly string[],
  opts: ChangeOptions = {},
): InstallResult {
  const configPath = configPathOf(lp, opts);
  const changes: InstallChange[] = [];
  let error: InstallErrno | undefined;
  for (const n of names) {
    if (!isValidUnitName(n)) {
      error ??= "EINVAL";
      continue;
    }
    // Every name is linked: the first failure is kept, the rest still run.
    const q = linkAs(lp, "/dev/null", `${configPath}/${n}`, opts.force ?? false, changes);
    error ??= q;
  }
  return { changes, error };
}

/** `unmask`: removes /dev/null links (or empty files) of the names from the config dir. */
export function unmaskUnits(
  lp: InstallLookup,
  names: readonly string[],
  opts: ChangeOptions = {},
): InstallResult {
  if (!names.every((n) => isValidUnitName(n))) return { changes: [], error: "EINVAL" };
  const configPath = configPathOf(lp, opts);
  // Each name once, in the order given; only those masked in the config dir.
  const todo = [...new Set(names)].filter((n) => nullOrEmpty(lp, `${configPath}/${n}`) === true);
  const changes: InstallChange[] = [];
  const remove = new Set<string>();
  let error: InstallErrno | undefined;
  for (const n of todo) {
    const path = `${configPath}/${n}`;
    try {
      Deno.removeSync(lp.host(path));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        changes.push({ type: "error", errno: errnoOf(e), path: lp.host(path) });
        error ??= errnoOf(e);
      }
      continue;
    }
    changes.push({ type: "unlink", path: lp.host(path) });
    remove.add(path);
  }
  const q = removeMarkedSymlinks(lp, remove, configPath, changes);
  return { changes, error: error ?? q };
}

/** `link`: absolute paths (inside the root) linked into the config dir by base name. */
export function linkUnitFiles(
  lp: InstallLookup,
  files: readonly string[],
  opts: ChangeOptions = {},
): InstallResult {
  const changes: InstallChange[] = [];
  const todo: string[] = [];
  for (const f of files) {
    const fail = (errno: InstallErrno): InstallResult => {
      changes.push({ type: "error", errno, path: f });
      return { changes, error: errno };
    };
    if (!f.startsWith("/")) return fail("EINVAL");
    if (!isValidUnitName(basename(f))) return fail("EUCLEAN");
    const st = lstatIn(lp, f);
    if (!st) return fail("ENOENT");
    if (st.isDirectory) return fail("EISDIR");
    if (!st.isFile) return fail("EIO");
    // systemd 252 compares the root-less path with the rooted search path, so under
    // --root a file is never taken to be in it.
    if (lp.root.root === "") {
      if (lp.inSearchPath(f)) continue;
      if (lp.underSearchPath(f)) return fail("ETXTBSY");
    }
    if (!todo.includes(f)) todo.push(f);
  }
  const configPath = configPathOf(lp, opts);
  let error: InstallErrno | undefined;
  for (const f of todo) {
    const q = linkAs(lp, f, `${configPath}/${basename(f)}`, opts.force ?? false, changes);
    error ??= q;
  }
  return { changes, error };
}

/** `add-wants`/`add-requires`: links the units into `TARGET.wants/` or `.requires/`. */
export function addDependency(
  lp: InstallLookup,
  target: string,
  names: readonly string[],
  dep: "wants" | "requires",
  opts: ChangeOptions = {},
): InstallResult {
  const changes: InstallChange[] = [];
  if (!isValidUnitName(target)) {
    changes.push({ type: "error", errno: "EUCLEAN", path: target });
    return { changes, error: "EUCLEAN" };
  }
  const ctx = new InstallContext(lp);
  const follow = { load: false, followConfig: true };
  try {
    const t = ctx.discoverAndCheck(target, follow, changes);
    for (const n of names) {
      const info = ctx.discoverAndCheck(n, follow, changes);
      info.install = emptyInstall();
      if (dep === "wants") info.install.wantedBy = [t.name];
      else info.install.requiredBy = [t.name];
    }
  } catch (e) {
    if (e instanceof InstallError) return { changes, error: e.errno };
    throw e;
  }
  const r = contextApply(ctx, configPathOf(lp, opts), follow, {
    force: opts.force ?? false,
    ignoreAuxiliaryFailure: false,
  }, changes);
  return { changes, error: typeof r === "string" ? r : undefined };
}

/** `revert`: removes drop-ins in config/control/transient dirs and config copies of vendor units. */
export function revertUnits(lp: InstallLookup, names: readonly string[]): InstallResult {
  const changes: InstallChange[] = [];
  const todo: string[] = [];
  const isVendor = (p: string) => pathStartsWith(p, "/usr") || lp.isGenerated(p);
  const shallRevert = (p: string) => {
    const d = dirname(p);
    return d === lp.persistentConfig || d === lp.runtimeConfig || d === lp.persistentControl ||
      d === lp.runtimeControl || d === lp.transient;
  };
  for (const n of names) {
    if (!isValidUnitName(n)) return { changes, error: "EINVAL" };
    let hasVendor = false;
    for (const dir of lp.searchPath) {
      const path = `${dir}/${n}`;
      const st = lstatIn(lp, path);
      if (st?.isFile && isVendor(path)) hasVendor = true;
      const dropin = `${path}.d`;
      const ds = lstatIn(lp, dropin);
      if (ds?.isDirectory && shallRevert(dropin) && !todo.includes(dropin)) todo.push(dropin);
    }
    if (!hasVendor) continue;
    for (const dir of lp.searchPath) {
      const path = `${dir}/${n}`;
      const st = lstatIn(lp, path);
      if ((st?.isFile || st?.isSymlink) && lp.isConfig(path) && !todo.includes(path)) {
        todo.push(path);
      }
    }
  }
  const remove = new Set<string>();
  let error: InstallErrno | undefined;
  for (const p of todo) {
    const host = lp.host(p);
    let files: string[] = [];
    try {
      files = [...Deno.readDirSync(host)].map((e) => e.name);
    } catch { /* not a directory */ }
    try {
      Deno.removeSync(host, { recursive: true });
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        changes.push({ type: "error", errno: errnoOf(e), path: host });
        error ??= errnoOf(e);
      }
      continue;
    }
    for (const f of files) changes.push({ type: "unlink", path: `${host}/${f}` });
    changes.push({ type: "unlink", path: host });
    remove.add(p);
  }
  const q = removeMarkedSymlinks(lp, remove, lp.runtimeConfig, changes);
  const r = removeMarkedSymlinks(lp, remove, lp.persistentConfig, changes);
  return { changes, error: error ?? q ?? r };
}

/** `set-default`: points `default.target` in the persistent config dir at the target's file. */
export function setDefaultTarget(lp: InstallLookup, name: string): InstallResult {
  const changes: InstallChange[] = [];
  if (!name.endsWith(".target") || !isValidUnitName(name) || name === "default.target") {
    return { changes, error: "EINVAL" };
  }
  const ctx = new InstallContext(lp);
  let info: Info;
  try {
    info = ctx.discoverAndCheck(name, { load: false, followConfig: false }, changes);
  } catch (e) {
    if (e instanceof InstallError) return { changes, error: e.errno };
    throw e;
  }
  const target = info.path as string;
  const error = linkAs(lp, target, `${lp.persistentConfig}/default.target`, true, changes);
  return { changes, error };
}
