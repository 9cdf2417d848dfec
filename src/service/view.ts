/**
 * Gathers everything `show` and `status` print about a unit: configuration,
 * unit-file state, dependencies and runtime state.
 * @module
 */

import type { LoadedUnit, UnitLoader } from "../units/loader.ts";
import {
  forwardDependencies,
  requiredMounts,
  REVERSE,
  reverseLinkDependencies,
  sliceOf,
  triggeringUnits,
  triggerTarget,
} from "../units/deps.ts";
import { DEPENDENCY_KEYS, LIMIT_KEYS } from "../unit/model.ts";
import type { UnitView } from "../unit/unit_view.ts";
import { NEVER_RAN, type RuntimeView } from "../unit/runtime_view.ts";
import { logDir } from "../units/paths.ts";
import { InstallLookup, unitFilePreset, unitFileState } from "../units/install.ts";
import {
  needDaemonReload,
  type StateEnv,
  storedState,
  toRuntimeView,
  unitState,
} from "./runtime.ts";
import { timerView } from "./timer_unit.ts";
import { ownLimits } from "../process/procfs.ts";
import { serviceSettingsOf, unitSettingsOf } from "../units/settings.ts";

/** What gathering a view needs of the invocation (the CLI's context has it). */
export interface ViewContext extends StateEnv {
  readonly options: { readonly global: boolean };
}

const LIMIT_PROPERTIES = LIMIT_KEYS.flatMap(([n]) => [`Limit${n}`, `Limit${n}Soft`]);

/** The runtime view of a unit, from its state record corrected by /proc. */
export function runtimeView(ctx: ViewContext, unit: LoadedUnit): Promise<RuntimeView> {
  if (unit.id === "-.slice" || unit.id === "system.slice") {
    return Promise.resolve({ ...NEVER_RAN, activeState: "active", subState: "active" });
  }
  return Promise.resolve(toRuntimeView(unitState(ctx, unit)));
}

/** Every property that needs the dependency scans. */
const DEPENDENCY_PROPERTIES = new Set<string>([
  ...DEPENDENCY_KEYS,
  ...Object.values(REVERSE),
  "Triggers",
  "TriggeredBy",
  // A timer's or path unit's Unit= is the unit it triggers.
  "Unit",
]);

/** The properties that need the forward scan (link dirs, implicit and default dependencies). */
const FORWARD_PROPERTIES = new Set<string>([...DEPENDENCY_KEYS, "Unit"]);

/** Triggers= without the forward scan: the unit a socket, timer or path unit starts. */
function triggersOnly(unit: LoadedUnit): Record<string, string[]> {
  const target = triggerTarget(unit);
  return target ? { Triggers: [target] } : {};
}

/**
 * Builds the view of one unit. With `properties` (show -p), the costly parts
 * that none of them needs (dependency scans, unit-file state) are skipped.
 */
export async function unitView(
  ctx: ViewContext,
  loader: UnitLoader,
  unit: LoadedUnit,
  properties: readonly string[] = [],
): Promise<UnitView> {
  const wants = (names: Iterable<string>) =>
    properties.length === 0 || [...names].some((n) => properties.includes(n));
  const loaded = unit.loadState === "loaded";
  const settings = unitSettingsOf(unit);
  const needDeps = wants(DEPENDENCY_PROPERTIES);
  const deps: Record<string, string[]> = !loaded
    ? {}
    : wants(FORWARD_PROPERTIES)
    ? forwardDependencies(loader, unit)
    : wants(["Triggers"])
    ? triggersOnly(unit)
    : {};
  const reverse = needDeps ? reverseLinkDependencies(loader, unit.id) : {};
  if (needDeps && loaded) {
    // A namesake socket, timer or path unit triggers this one and is ordered before it;
    // systemd knows it once that unit is loaded: when it is enabled or has run.
    const loadedTriggers = triggeringUnits(loader, unit).filter((t) => {
      const links = reverseLinkDependencies(loader, t);
      if ((links.WantedBy ?? []).length || (links.RequiredBy ?? []).length) return true;
      return unitState(ctx, loader.load(t)).ActiveState !== "inactive";
    });
    for (const t of loadedTriggers) {
      for (const key of ["TriggeredBy", "After"]) {
        const list = (reverse[key] ??= []);
        if (!list.includes(t)) list.push(t);
      }
    }
  }
  const service = unit.type === "service" ? serviceSettingsOf(unit) : undefined;
  const merged = {
    ...settings,
    deps: { ...settings.deps, ...deps },
    requiresMountsFor: wants(["RequiresMountsFor"])
      ? requiredMounts(unit, loaded ? service : undefined)
      : settings.requiresMountsFor,
  } as typeof settings;
  const runtime = await runtimeView(ctx, unit);
  const { unitFileState, unitFilePreset } = wants(["UnitFileState", "UnitFilePreset"])
    ? await fileState(ctx, loader, unit, wants(["UnitFilePreset"]))
    : { unitFileState: "", unitFilePreset: "" };
  const canClean: string[] = [];
  if (service) {
    if (service.cacheDirectory.names.length) canClean.push("cache");
    if (service.configurationDirectory.names.length) canClean.push("configuration");
    if (service.logsDirectory.names.length) canClean.push("logs");
    if (service.runtimeDirectory.names.length) canClean.push("runtime");
    if (service.stateDirectory.names.length) canClean.push("state");
  }
  return {
    id: unit.id,
    names: unit.names,
    type: unit.type,
    loadState: unit.loadState,
    loadError: unit.loadError,
    settingsDerived: unit.settingsDerived,
    fragmentPath: unit.fragmentPath,
    sourcePath: unit.sourcePath,
    dropInPaths: unit.dropInPaths,
    unitFileState,
    unitFilePreset,
    unit: merged,
    service,
    reverse,
    runtime,
    canStart: loaded && !settings.refuseManualStart,
    // systemd asks only whether the unit type can stop and RefuseManualStop=, loaded or not.
    canStop: !settings.refuseManualStop && unit.type !== "device",
    canReload: loaded && !!service &&
      (service.exec.ExecReload.length > 0 || service.type === "notify-reload"),
    canIsolate: loaded && settings.allowIsolate,
    canClean,
    journalPath: `${logDir(ctx.scope, ctx.env)}/${unit.id}.log`,
    slice: loaded ? sliceOf(unit) : undefined,
    config: unit.config,
    needDaemonReload: needDaemonReload(ctx, unit),
    timer: loaded && unit.type === "timer"
      ? timerView(ctx, unit, storedState(ctx, unit.id))
      : undefined,
    inheritedLimits: (unit.type === "service" || (loaded && unit.type === "socket")) &&
        wants(LIMIT_PROPERTIES)
      ? ownLimits()
      : undefined,
  };
}

const lookups = new WeakMap<UnitLoader, InstallLookup>();

/** One read-only install lookup per loader: its link maps and presets are read once. */
function installLookup(ctx: ViewContext, loader: UnitLoader): InstallLookup {
  let lp = lookups.get(loader);
  if (!lp) {
    lp = InstallLookup.open(ctx.root, ctx.scope, ctx.env, ctx.options.global, true);
    if (!ctx.options.global) lp.useIndex(loader.index);
    lookups.set(loader, lp);
  }
  return lp;
}

/**
 * UnitFileState and UnitFilePreset as show/status print them; without `preset` (show -p
 * naming only UnitFileState) the preset policy is not read.
 */
export function fileState(
  ctx: ViewContext,
  loader: UnitLoader,
  unit: LoadedUnit,
  preset = true,
): Promise<{ unitFileState: string; unitFilePreset: string }> {
  if (unit.loadState === "not-found" || unit.builtin) {
    return Promise.resolve({ unitFileState: unit.builtin ? "static" : "", unitFilePreset: "" });
  }
  // A SysV script's unit comes from the generator, as on a booted system.
  if (unit.generated) return Promise.resolve({ unitFileState: "generated", unitFilePreset: "" });
  const lp = installLookup(ctx, loader);
  // The unit's own name, not the one asked for: `show ALIAS` reports the unit behind the alias
  // (`enabled`), where `is-enabled ALIAS` says `alias` (systemd 252, live).
  const state = unitFileState(lp, unit.id) ?? "";
  // show asks the preset policy for every unit with a file, static ones too; status hides it
  // for the states whose list-unit-files row has none.
  const policy = state && preset ? unitFilePreset(lp, unit.id) ?? "" : "";
  return Promise.resolve({ unitFileState: state, unitFilePreset: policy });
}

/** The ActiveState of a unit (inactive when it never ran). */
export async function activeStateOf(ctx: ViewContext, unit: LoadedUnit): Promise<string> {
  if (unit.id === "-.slice" || unit.id === "system.slice") return "active";
  return (await runtimeView(ctx, unit)).activeState;
}
