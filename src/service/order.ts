/**
 * The one dependency ordering of jobs: which units of a set start after which
 * (After=/Before= between them), used by start (the transaction and the named units'
 * jobs), stop (reversed), the boot and the shutdown.
 * @module
 */

import type { LoadedUnit, UnitLoader } from "../units/loader.ts";
import { forwardDependencies } from "../units/deps.ts";

/**
 * For each unit of `units`, the units of the set it is ordered after (its start waits for
 * them). Units that are not loaded order nothing but may be waited for.
 */
export function startOrdering(
  loader: UnitLoader,
  units: Iterable<LoadedUnit>,
): Map<string, Set<string>> {
  const list = [...units];
  const after = new Map<string, Set<string>>(list.map((u) => [u.id, new Set()]));
  for (const u of list) {
    if (u.loadState !== "loaded") continue;
    const deps = forwardDependencies(loader, u);
    for (const a of deps.After ?? []) {
      const t = loader.load(a).id;
      if (after.has(t) && t !== u.id) after.get(u.id)!.add(t);
    }
    for (const b of deps.Before ?? []) {
      const t = loader.load(b).id;
      if (after.has(t) && t !== u.id) after.get(t)!.add(u.id);
    }
  }
  return after;
}

/**
 * The stop ordering of units from their start ordering: a unit ordered after
 * another starts later, so it must stop first.
 */
export function reverseOrdering(
  startAfter: ReadonlyMap<string, ReadonlySet<string>>,
): Map<string, Set<string>> {
  const stopAfter = new Map<string, Set<string>>();
  for (const [id, deps] of startAfter) {
    for (const d of deps) {
      const set = stopAfter.get(d) ?? new Set<string>();
      set.add(id);
      stopAfter.set(d, set);
    }
  }
  return stopAfter;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The ids in job order by `after` (Kahn), ready units by name; a cycle is broken at its
 * first unit by name (`onCycle` is told), whose ordering is dropped. Mutates `after` so that
 * it is acyclic afterwards.
 */
export function sortByName(
  ids: readonly string[],
  after: Map<string, Set<string>>,
  onCycle: (victim: string) => void,
): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  while (done.size < ids.length) {
    const ready = ids.filter((id) => !done.has(id) && [...after.get(id)!].every((d) => done.has(d)))
      .sort(compareNames);
    if (ready.length === 0) {
      const victim = ids.filter((id) => !done.has(id)).sort(compareNames)[0];
      onCycle(victim);
      after.get(victim)!.clear();
      continue;
    }
    for (const id of ready) {
      done.add(id);
      order.push(id);
    }
  }
  return order;
}

/**
 * The ids in job order by `after`, otherwise in the order given: each step takes the first
 * id whose predecessors are done; a cycle keeps the given order for the ids caught in it.
 */
export function sortStable(
  ids: readonly string[],
  after: ReadonlyMap<string, ReadonlySet<string>>,
): string[] {
  const out: string[] = [];
  const done = new Set<string>();
  while (out.length < ids.length) {
    const ready = (id: string) => [...(after.get(id) ?? [])].every((d) => done.has(d));
    const pick = ids.find((id) => !done.has(id) && ready(id)) ??
      ids.find((id) => !done.has(id))!;
    done.add(pick);
    out.push(pick);
  }
  return out;
}
