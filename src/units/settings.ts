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

const unitViews = new WeakMap<LoadedUnit, UnitSettings>();
const serviceViews = new WeakMap<LoadedUnit, ServiceSettings>();

/** The `[Unit]` settings of a loaded unit (dependencies, conditions, description, ...). */
export function unitSettingsOf(unit: LoadedUnit): UnitSettings {
  let s = unitViews.get(unit);
  if (s === undefined) {
    s = unitSettings(unit.config);
    unitViews.set(unit, s);
  }
  return s;
}

/** The `[Service]` settings of a loaded unit (its exec context and Type= and timeouts). */
export function serviceSettingsOf(unit: LoadedUnit): ServiceSettings {
  let s = serviceViews.get(unit);
  if (s === undefined) {
    s = serviceSettings(unit.config);
    serviceViews.set(unit, s);
  }
  return s;
}
