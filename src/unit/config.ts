/**
 * A unit's merged configuration: the assignments of the fragment and its
 * drop-ins in application order, with systemd's semantics: list settings
 * accumulate, single settings take the last value, an empty assignment
 * resets. Pure.
 * @module
 */

import type { Assignment } from "./parse.ts";

/** The merged configuration of one unit. */
export class UnitConfig {
  readonly #bySectionKey = new Map<string, Assignment[]>();
  readonly #sections = new Set<string>();

  /** Builds the configuration from assignments in application order. */
  constructor(assignments: readonly Assignment[]) {
    for (const a of assignments) {
      this.#sections.add(a.section);
      const k = `${a.section}\0${a.key}`;
      const list = this.#bySectionKey.get(k);
      if (list) list.push(a);
      else this.#bySectionKey.set(k, [a]);
    }
  }

  /** All assignments of a key since its last empty (reset) assignment. */
  entries(section: string, key: string): Assignment[] {
    const all = this.#bySectionKey.get(`${section}\0${key}`);
    if (!all) return [];
    let start = 0;
    for (let i = all.length - 1; i >= 0; i--) {
      if (all[i].value === "") {
        start = i + 1;
        break;
      }
    }
    return all.slice(start);
  }

  /** Every assignment of a key, resets included (for keys with custom reset rules). */
  raw(section: string, key: string): readonly Assignment[] {
    return this.#bySectionKey.get(`${section}\0${key}`) ?? [];
  }

  /** The effective value of a single-valued key: the last assignment; undefined if unset or reset. */
  get(section: string, key: string): string | undefined {
    const all = this.#bySectionKey.get(`${section}\0${key}`);
    if (!all || all.length === 0) return undefined;
    const v = all[all.length - 1].value;
    return v === "" ? undefined : v;
  }

  /** The last assignment of a key (even when empty). */
  last(section: string, key: string): Assignment | undefined {
    return this.#bySectionKey.get(`${section}\0${key}`)?.at(-1);
  }

  /** The values of a list key since its last reset. */
  list(section: string, key: string): string[] {
    return this.entries(section, key).map((a) => a.value);
  }

  /** The values of a space-separated list key (After=a b), flattened. */
  words(section: string, key: string): string[] {
    return this.list(section, key).flatMap((v) => v.split(/\s+/)).filter((w) => w !== "");
  }

  /** Whether a section appeared. */
  hasSection(section: string): boolean {
    return this.#sections.has(section);
  }

  /** The keys assigned in a section. */
  keys(section: string): string[] {
    const out: string[] = [];
    for (const k of this.#bySectionKey.keys()) {
      const [s, key] = k.split("\0");
      if (s === section) out.push(key);
    }
    return out;
  }
}
