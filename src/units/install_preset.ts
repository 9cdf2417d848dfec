/**
 * `preset` and `preset-all`: applying the preset policy to units.
 * @module
 */

import { dirEntries } from "./regular_file.ts";
import { isValidUnitName } from "../unit/names.ts";
import { InstallContext, LOAD_FOLLOW } from "./install_context.ts";
import type { InstallLookup } from "./install_lookup.ts";
import { type PresetAnswer, queryPreset } from "./presets.ts";
import {
  type ChangeOptions,
  configPathOf,
  contextApply,
  markForRemoval,
  removeMarkedSymlinks,
} from "./install_apply.ts";
import {
  type InstallChange,
  type InstallErrno,
  InstallError,
  type InstallResult,
} from "./install_types.ts";

/** How `preset` treats the policy. */
export type PresetMode = "full" | "enable-only" | "disable-only";

function presetPrepareOne(
  lp: InstallLookup,
  plus: InstallContext,
  minus: InstallContext,
  name: string,
  changes: InstallChange[],
): void {
  if (plus.find(name) || minus.find(name)) return;
  const tmp = new InstallContext(lp);
  const info = tmp.discover(name, { load: false, followConfig: true }, changes);
  if (name !== info.name) return;
  if (lp.presets.error) throw new InstallError(lp.presets.error);
  const answer: PresetAnswer = queryPreset(lp.presets, name, true);
  if (answer.action === "enable") {
    for (const n of answer.instances ?? [name]) plus.discoverAndCheck(n, LOAD_FOLLOW, changes);
  } else {
    minus.discover(name, { load: false, followConfig: true }, changes);
  }
}

function executePreset(
  lp: InstallLookup,
  plus: InstallContext,
  minus: InstallContext,
  configPath: string,
  mode: PresetMode,
  opts: ChangeOptions,
  changes: InstallChange[],
): InstallErrno | undefined {
  if (mode !== "enable-only") {
    const remove = new Set<string>();
    markForRemoval(minus, remove, changes);
    const q = removeMarkedSymlinks(lp, remove, configPath, changes);
    if (q !== undefined) return q;
  }
  if (mode !== "disable-only") {
    const r = contextApply(plus, configPath, { load: true, followConfig: false }, {
      force: opts.force ?? false,
      ignoreAuxiliaryFailure: true,
    }, changes);
    if (typeof r === "string") return r;
  }
  return undefined;
}

/** Prepares each name (failures in `ignored` are passed over), then applies the policy. */
function runPreset(
  lp: InstallLookup,
  names: Iterable<string>,
  ignored: ReadonlySet<InstallErrno>,
  mode: PresetMode,
  opts: ChangeOptions,
): InstallResult {
  const changes: InstallChange[] = [];
  const plus = new InstallContext(lp);
  const minus = new InstallContext(lp);
  for (const n of names) {
    try {
      presetPrepareOne(lp, plus, minus, n, changes);
    } catch (e) {
      if (!(e instanceof InstallError)) throw e;
      if (!ignored.has(e.errno)) return { changes, error: e.errno };
    }
  }
  const error = executePreset(lp, plus, minus, configPathOf(lp, opts), mode, opts, changes);
  return { changes, error };
}

/** `preset UNIT…`: applies the preset policy to the named units. */
export function presetUnits(
  lp: InstallLookup,
  names: readonly string[],
  mode: PresetMode,
  opts: ChangeOptions = {},
): InstallResult {
  return runPreset(lp, names, new Set(), mode, opts);
}

const PRESET_ALL_IGNORED = new Set<InstallErrno>([
  "EEXIST",
  "ERFKILL",
  "EADDRNOTAVAIL",
  "EBADSLT",
  "EIDRM",
  "EUCLEAN",
  "ELOOP",
  "ENOENT",
  "EXDEV",
]);

/** The unit files and links of the search path, dir by dir, as `preset-all` visits them. */
function* unitFileNames(lp: InstallLookup): Generator<string> {
  for (const dir of lp.searchPath) {
    const entries = dirEntries(lp.host(dir));
    if (!entries) continue;
    for (const de of entries) {
      if (isValidUnitName(de.name) && (de.isFile || de.isSymlink)) yield de.name;
    }
  }
}

/** `preset-all`: applies the preset policy to every unit file in the search path. */
export function presetAllUnits(
  lp: InstallLookup,
  mode: PresetMode,
  opts: ChangeOptions = {},
): InstallResult {
  return runPreset(lp, unitFileNames(lp), PRESET_ALL_IGNORED, mode, opts);
}
