/**
 * Install state: what is enabled, linked, masked, static or an alias (systemd's
 * UnitFileState), `list-unit-files` rows, and the queries `get-default` and `show` make.
 * @module
 */

import {
  basename,
  errnoOf,
  hasRules,
  type Info,
  type InstallErrno,
  InstallError,
  type InstallSection,
  isInstance,
  isTemplate,
  pathStartsWith,
  type UnitFileState,
} from "./install_types.ts";
import { dirname } from "../unit/posix_path.ts";
import { instanceName, isValidUnitName } from "../unit/names.ts";
import { InstallContext, LOAD_FOLLOW } from "./install_context.ts";
import type { InstallLookup } from "./install_lookup.ts";
import { queryPreset } from "./presets.ts";

// ---------------------------------------------------------------------------
// State

function knownName(info: Info, name: string): boolean {
  if (name === info.name) return true;
  if (info.install.aliases.includes(name)) return true;
  const di = info.install.defaultInstance;
  if (di !== undefined && isTemplate(info.name)) {
    try {
      if (name === instanceName(info.name, di)) return true;
    } catch { /* invalid instance */ }
  }
  return false;
}

function findSymlinksInScope(
  lp: InstallLookup,
  info: Info,
  matchName: boolean,
): UnitFileState | undefined {
  const maps = lp.linksFor(info.name);
  const path = info.path as string;
  let ignoreSameName = false;
  let enabledInRuntime = false;
  let enabledAtAll = false;
  let sameConfig = false;
  let sameRuntime = false;
  const wantsHere = maps.wantsByName.get(info.name);
  const wantsTpl = maps.wantsByTemplate.get(info.name);
  const topSame = maps.topByName.get(info.name);
  const topDest = maps.topByDest.get(info.name);
  for (let i = 0; i < lp.searchPath.length; i++) {
    const dir = lp.searchPath[i];
    let found = false;
    let same = false;
    if (wantsHere?.includes(i)) found = true;
    if (!found && wantsTpl) {
      for (const l of wantsTpl) {
        if (l.dir === i && (!matchName || knownName(info, l.name))) {
          found = true;
          break;
        }
      }
    }
    if (!found && topSame) {
      for (const l of topSame) {
        if (l.dir !== i) continue;
        const foundPath = !ignoreSameName;
        const foundDest = l.dest === info.name;
        if (foundPath && foundDest) same = true;
        else if (foundPath || foundDest) found = true;
      }
    }
    if (!found && topDest) {
      for (const l of topDest) {
        if (l.dir !== i || l.name === info.name) continue;
        if (!matchName || knownName(info, l.name)) {
          found = true;
          break;
        }
      }
    }
    if (found) {
      if (dir === lp.persistentConfig) return "enabled";
      if (lp.isRuntimeDir(dir)) enabledInRuntime = true;
      else enabledAtAll = true;
    } else if (same) {
      if (dir === lp.persistentConfig) sameConfig = true;
      else if (lp.isRuntimeDir(dir)) sameRuntime = true;
    }
    if (!ignoreSameName && pathStartsWith(path, dir)) ignoreSameName = true;
  }
  if (enabledInRuntime) return "enabled-runtime";
  if (enabledAtAll && isInstance(info.name)) return "static";
  if (sameConfig) return "linked";
  if (sameRuntime) return "linked-runtime";
  return undefined;
}

/**
 * The UnitFileState of a unit name, as `systemctl is-enabled` and the
 * `UnitFileState` property report it. Returns undefined when no file for the
 * name exists, and `bad` when the name or file cannot be used.
 */
export function unitFileState(lp: InstallLookup, name: string): UnitFileState | undefined {
  const r = lookupState(lp, name);
  if (r === "ENOENT") return undefined;
  if (typeof r === "object") return r.state;
  return "bad";
}

/** Like {@link unitFileState}, but tells the failure: an errno-like code or the state. */
export function lookupState(
  lp: InstallLookup,
  name: string,
): { state: UnitFileState } | InstallErrno {
  if (!isValidUnitName(name)) return "EINVAL";
  const ctx = new InstallContext(lp);
  let info: Info;
  try {
    info = ctx.discover(name, LOAD_FOLLOW);
  } catch (e) {
    if (e instanceof InstallError) return e.errno;
    return errnoOf(e);
  }
  const path = info.path as string;
  if (info.mode === "masked") {
    return { state: lp.isRuntimeDir(dirname(path)) ? "masked-runtime" : "masked" };
  }
  if (name !== basename(path) && !isInstance(info.name)) return { state: "alias" };
  if (lp.isGenerated(path)) return { state: "generated" };
  if (lp.isTransient(path)) return { state: "transient" };
  const s = findSymlinksInScope(lp, info, true);
  if (s) return { state: s };
  if (findSymlinksInScope(lp, info, false)) return { state: "indirect" };
  if (hasRules(info.install)) return { state: "disabled" };
  if (info.install.also.length > 0) return { state: "indirect" };
  return { state: "static" };
}

/**
 * UnitFilePreset of a unit: `enabled`/`disabled` from the preset policy; undefined when
 * the policy cannot be read (list-unit-files then shows `n/a`, as systemd 252 does).
 */
export function unitFilePreset(
  lp: InstallLookup,
  name: string,
): "enabled" | "disabled" | undefined {
  if (lp.presets.error) return undefined;
  return queryPreset(lp.presets, name).action === "enable" ? "enabled" : "disabled";
}

/** Whether list-unit-files shows a preset for a state (not for static, alias, generated, transient). */
export function showsPreset(state: UnitFileState): boolean {
  return state !== "alias" && state !== "static" && state !== "generated" &&
    state !== "transient";
}

/** One row of list-unit-files. */
export interface UnitFileRow {
  readonly name: string;
  /** Where the listed entry is (inside the root). */
  readonly path: string;
  readonly state: UnitFileState;
}

/**
 * Every unit file of the search path with its state, as systemd's
 * `unit_file_get_list`: the first directory holding a name wins; only
 * regular files and symlinks with valid unit names count. Unsorted.
 */
export function listUnitFiles(
  lp: InstallLookup,
  filter: (name: string) => boolean = () => true,
): UnitFileRow[] {
  const rows: UnitFileRow[] = [];
  const seen = new Set<string>();
  for (const dir of lp.searchPath) {
    let entries: Iterable<Deno.DirEntry>;
    try {
      entries = Deno.readDirSync(lp.host(dir));
    } catch {
      continue;
    }
    // Directory order, as systemd walks it: the order of warnings depends on it.
    for (const e of entries) {
      if (!isValidUnitName(e.name) || !filter(e.name) || seen.has(e.name)) continue;
      if (!e.isFile && !e.isSymlink) continue;
      seen.add(e.name);
      rows.push({
        name: e.name,
        path: `${dir}/${e.name}`,
        state: unitFileState(lp, e.name) ?? "bad",
      });
    }
  }
  return rows;
}

/** `get-default`: the name `default.target` resolves to, or undefined. */
export function getDefaultTarget(lp: InstallLookup): string | undefined {
  try {
    return new InstallContext(lp).discover("default.target", { load: false, followConfig: true })
      .name;
  } catch {
    return undefined;
  }
}

/** The install settings of a unit, for `show` (undefined when not found). */
export function installSectionOf(lp: InstallLookup, name: string): InstallSection | undefined {
  try {
    return new InstallContext(lp).discover(name, LOAD_FOLLOW).install;
  } catch {
    return undefined;
  }
}
