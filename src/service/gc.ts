/**
 * Which units systemd 252 holds loaded, and the collection of the others, as its
 * manager does it (unit_may_gc(), unit_gc_sweep(), CollectMode=):
 * - a unit may be collected when it has no job, no process left, and is
 *   `inactive` (or `failed` with `CollectMode=inactive-or-failed`);
 * - it stays loaded while a unit that stays loaded references it: every
 *   dependency (Wants=, After=, Triggers=, the link directories, the default
 *   dependencies, …) is a reference, so an enabled unit stays loaded through
 *   its target, and a unit named only by a collected one goes with it.
 *
 * A collected unit is forgotten: its record is removed, so the next query reads it
 * fresh (Result=success, no ExecMain*, no timestamps) and `list-units --all` leaves
 * it out, as systemd does once it has unloaded it. `list-units --all` lists exactly
 * the loaded units, referenced ones that have no file included (`not-found`).
 * @module
 */

import type { LoadedUnit, UnitLoader } from "../units/loader.ts";
import { forwardDependencies } from "../units/deps.ts";
import { withUnitLock } from "../state/lock.ts";
import { removeUnitState, type UnitState } from "../state/store.ts";
import {
  alive,
  effectiveState,
  liveMembers,
  stateDirHost,
  type StateEnv,
  storedState,
} from "./runtime.ts";

/** Units that are never collected (systemd's perpetual units that we model). */
const PERPETUAL: readonly string[] = ["-.slice"];

/** Whether a unit in this state may be collected (unit_may_gc() without the references). */
export function mayCollect(unit: LoadedUnit, st: UnitState): boolean {
  if (alive(st.MainPID, st.MainPIDStartTime) || alive(st.ControlPID, st.ControlPIDStartTime)) {
    return false;
  }
  const collectable = st.ActiveState === "inactive" ||
    (st.ActiveState === "failed" &&
      unit.config.get("Unit", "CollectMode")?.trim() === "inactive-or-failed");
  // Processes left in the unit (KillMode=process, none) keep it, as a non-empty cgroup does.
  return collectable && liveMembers(st).length === 0;
}

/**
 * The units systemd would hold loaded: those that may not be collected, and
 * everything they reference, transitively. `names` are the units with records.
 */
export function loadedUnits(
  loader: UnitLoader,
  se: StateEnv,
  names: readonly string[],
): Set<string> {
  const roots: string[] = [...PERPETUAL];
  for (const name of names) {
    const unit = loader.load(name);
    const st = effectiveState(storedState(se, name), unit.id);
    if (!mayCollect(unit, st)) roots.push(unit.id);
  }
  const kept = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    const id = queue.pop()!;
    if (kept.has(id)) continue;
    kept.add(id);
    let unit: LoadedUnit;
    try {
      unit = loader.load(id);
    } catch {
      continue;
    }
    for (const list of Object.values(forwardDependencies(loader, unit))) {
      for (const other of list) if (!kept.has(other)) queue.push(other);
    }
  }
  return kept;
}

/**
 * Forgets the units that systemd would have collected by now: their records go.
 * Each is re-checked under its lock (a start may be under way); a unit whose lock
 * is held elsewhere is left for a later sweep. Returns the collected names.
 */
export async function collectUnits(
  loader: UnitLoader,
  se: StateEnv,
  names: readonly string[],
): Promise<string[]> {
  const kept = loadedUnits(loader, se, names);
  const dir = stateDirHost(se);
  const out: string[] = [];
  for (const name of names) {
    if (kept.has(name)) continue;
    const unit = loader.load(name);
    if (unit.id !== name) continue;
    try {
      await withUnitLock(dir, name, { verb: "collect" }, async () => {
        const st = storedState(se, name);
        if (!st || !mayCollect(unit, effectiveState(st, name))) return;
        await removeUnitState(dir, name);
        out.push(name);
      }, { timeoutMs: 200 });
    } catch { /* busy or unwritable: a later sweep collects it */ }
  }
  return out;
}
