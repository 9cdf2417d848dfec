/**
 * User and group conditions (`ConditionUser=`, `ConditionGroup=`).
 * @module
 */

import { lookupGroup, lookupUser } from "../units/host_info.ts";
import { type ConditionEnv, procStatusField } from "./conditions_common.ts";

export function ids(env: ConditionEnv, key: "Uid" | "Gid"): number[] {
  const field = procStatusField(env, key);
  if (field !== undefined) {
    const f = field.split(/\s+/).map(Number);
    if (f.length >= 2 && f.every(Number.isInteger)) return [f[0], f[1]];
  }
  const own = key === "Uid" ? Deno.uid() : Deno.gid();
  return own === null ? [] : [own];
}

export const SYNTHETIC_USERS: Record<string, number> = { root: 0, nobody: 65534 };
export const SYNTHETIC_GROUPS: Record<string, number> = { root: 0, nobody: 65534, nogroup: 65534 };

export function checkUser(env: ConditionEnv, value: string): boolean {
  const mine = ids(env, "Uid");
  if (/^\d+$/.test(value)) return mine.includes(Number(value));
  if (value === "@system") return mine.some((u) => u <= 999);
  const uid = lookupUser(env.root, value)?.uid ?? SYNTHETIC_USERS[value];
  return uid !== undefined && mine.includes(uid);
}

export function inGid(env: ConditionEnv, gid: number): boolean {
  if (ids(env, "Gid").includes(gid)) return true;
  const groups = procStatusField(env, "Groups");
  return groups !== undefined && groups.split(/\s+/).filter((g) => g).map(Number).includes(gid);
}

export function checkGroup(env: ConditionEnv, value: string): boolean {
  if (/^\d+$/.test(value)) return inGid(env, Number(value));
  const gid = lookupGroup(env.root, value)?.gid ?? SYNTHETIC_GROUPS[value];
  return gid !== undefined && inGid(env, gid);
}

/** The memory available to us: MemTotal, capped by the cgroup v2 `memory.max`. */
