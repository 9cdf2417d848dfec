/**
 * The typed view of a loaded unit, built once: the first reader of a unit's `[Unit]` or
 * `[Service]` settings builds them from its configuration and every later reader of the
 * same loaded unit gets the same object. Readers must not change what they get (copy first).
 * @module
 */

import type { LoadedUnit } from "./loader.ts";
import {
  type ServiceSettings,
  serviceSettings,
  type UnitSettings,
  unitSettings,
} from "../unit/model.ts";

/** A view built from a unit's configuration the first time it is asked for, then kept. */
function builtOnce<T>(build: (config: LoadedUnit["config"]) => T): (unit: LoadedUnit) => T {
  const views = new WeakMap<LoadedUnit, T>();
  return (unit) => {
    let s = views.get(unit);
    if (s === undefined) {
      s = build(unit.config);
      views.set(unit, s);
    }
    return s;
  };
}

/** The `[Unit]` settings of a loaded unit (dependencies, conditions, description, ...). */
export const unitSettingsOf: (unit: LoadedUnit) => UnitSettings = builtOnce(unitSettings);

/** The `[Service]` settings of a loaded unit (its exec context and Type= and timeouts). */
export const serviceSettingsOf: (unit: LoadedUnit) => ServiceSettings = builtOnce(serviceSettings);
