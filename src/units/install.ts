/**
 * Install logic as systemd 252's `install.c` does it offline: finding a unit
 * file by name (following alias and linked symlinks), reading `[Install]`,
 * computing UnitFileState, and planning and applying enable, disable, mask,
 * unmask, link, preset and set-default as lists of changes.
 *
 * Paths handed around are paths inside the root ("/etc/systemd/system/x")
 * unless named `host…`; change records carry host paths, as systemd prints.
 * State queries use one {@link UnitIndex} scan plus a reverse map of every
 * symlink in the search path, so listing N units costs O(N).
 *
 * This module gathers the parts: the types (`install_types.ts`), the lookup
 * (`install_lookup.ts`), reading `[Install]` (`install_file.ts`), finding units
 * (`install_context.ts`), the state (`install_state.ts`), applying rules
 * (`install_apply.ts`), the changing verbs (`install_changes.ts`) and presets
 * (`install_preset.ts`).
 * @module
 */

export {
  ENABLED_STATES,
  errnoOf,
  type InstallChange,
  type InstallErrno,
  InstallError,
  type InstallResult,
  type InstallSection,
  type UnitFileState,
} from "./install_types.ts";
export { InstallLookup, type LinkMaps } from "./install_lookup.ts";
export { installPrintf } from "./install_file.ts";
export {
  getDefaultTarget,
  installSectionOf,
  listUnitFiles,
  lookupState,
  showsPreset,
  unitFilePreset,
  type UnitFileRow,
  unitFileState,
} from "./install_state.ts";
export { type ChangeOptions } from "./install_apply.ts";
export {
  addDependency,
  disableUnits,
  enableUnits,
  linkUnitFiles,
  maskUnits,
  reenableUnits,
  revertUnits,
  setDefaultTarget,
  unmaskUnits,
} from "./install_changes.ts";
export { presetAllUnits, type PresetMode, presetUnits } from "./install_preset.ts";
