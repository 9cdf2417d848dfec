/**
 * Hardware and security conditions: memory, CPUs, CPU features, capabilities,
 * security modules.
 * @module
 */

import { parseSize } from "../unit/values.ts";
import {
  CheckError,
  type ConditionEnv,
  exists,
  parseCompareOperator,
  procPath,
  procStatusField,
  readText,
  statOf,
  sysPath,
  testOrder,
} from "./conditions_common.ts";

export function physicalMemory(env: ConditionEnv): number {
  const meminfo = readText(procPath(env, "meminfo"));
  const m = meminfo ? /^MemTotal:\s*(\d+)\s*kB/m.exec(meminfo) : null;
  if (!m) throw new CheckError("cannot read MemTotal");
  let total = Number(m[1]) * 1024;
  const limit = readText(sysPath(env, "fs/cgroup/memory.max"))?.trim();
  if (limit && /^\d+$/.test(limit)) total = Math.min(total, Number(limit));
  return total;
}

export function cpuCount(env: ConditionEnv): number {
  const list = procStatusField(env, "Cpus_allowed_list");
  if (list) {
    let n = 0;
    for (const part of list.split(",")) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
      if (m) n += m[2] === undefined ? 1 : Number(m[2]) - Number(m[1]) + 1;
    }
    if (n > 0) return n;
  }
  return navigator.hardwareConcurrency;
}

export function checkMemory(env: ConditionEnv, value: string): boolean {
  const parsed = parseCompareOperator(value, false, false);
  const op = parsed?.op ?? "ge";
  const size = parseSize((parsed?.rest ?? value).trim());
  if (size === undefined || !Number.isFinite(size)) throw new CheckError(`bad size: ${value}`);
  const have = physicalMemory(env);
  return testOrder(have < size ? -1 : have > size ? 1 : 0, op);
}

export function checkCpus(env: ConditionEnv, value: string): boolean {
  const parsed = parseCompareOperator(value, false, false);
  const op = parsed?.op ?? "ge";
  const text = (parsed?.rest ?? value).trim();
  if (!/^\d+$/.test(text)) throw new CheckError(`bad CPU count: ${value}`);
  const want = Number(text);
  const have = cpuCount(env);
  return testOrder(have < want ? -1 : have > want ? 1 : 0, op);
}

/** systemd's CPUFeature names that /proc/cpuinfo spells differently. */
export const CPUINFO_FLAG: Record<string, string> = {
  fma3: "fma",
  pclmul: "pclmulqdq",
  osxsave: "xsave",
};

export function checkCpuFeature(env: ConditionEnv, value: string): boolean {
  const text = readText(procPath(env, "cpuinfo")) ?? "";
  const m = /^flags\s*:(.*)$/m.exec(text);
  if (!m) return false;
  return m[1].trim().split(/\s+/).includes(CPUINFO_FLAG[value] ?? value);
}

/** Capability names by number (linux/capability.h). */
export const CAPABILITIES = [
  "chown",
  "dac_override",
  "dac_read_search",
  "fowner",
  "fsetid",
  "kill",
  "setgid",
  "setuid",
  "setpcap",
  "linux_immutable",
  "net_bind_service",
  "net_broadcast",
  "net_admin",
  "net_raw",
  "ipc_lock",
  "ipc_owner",
  "sys_module",
  "sys_rawio",
  "sys_chroot",
  "sys_ptrace",
  "sys_pacct",
  "sys_admin",
  "sys_boot",
  "sys_nice",
  "sys_resource",
  "sys_time",
  "sys_tty_config",
  "mknod",
  "lease",
  "audit_write",
  "audit_control",
  "setfcap",
  "mac_override",
  "mac_admin",
  "syslog",
  "wake_alarm",
  "block_suspend",
  "audit_read",
  "perfmon",
  "bpf",
  "checkpoint_restore",
];

/** A capability number from `CAP_NAME` (any case) or a number below 63, like `capability_from_name()`. */
export function capabilityFromName(name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name) < 63 ? Number(name) : undefined;
  const lower = name.toLowerCase();
  if (!lower.startsWith("cap_")) return undefined;
  const i = CAPABILITIES.indexOf(lower.slice(4));
  return i < 0 ? undefined : i;
}

export function checkCapability(env: ConditionEnv, value: string): boolean {
  const cap = capabilityFromName(value);
  if (cap === undefined) throw new CheckError(`unknown capability: ${value}`);
  const bnd = procStatusField(env, "CapBnd");
  if (bnd === undefined || !/^[0-9a-fA-F]+$/.test(bnd)) throw new CheckError("no CapBnd");
  return ((BigInt("0x" + bnd) >> BigInt(cap)) & 1n) === 1n;
}

export function dirHasEntries(path: string): boolean {
  try {
    for (const _ of Deno.readDirSync(path)) return true;
  } catch {
    return false;
  }
  return false;
}

export function checkSecurity(env: ConditionEnv, value: string): boolean {
  switch (value) {
    case "selinux":
      return statOf(sysPath(env, "fs/selinux"))?.isDirectory === true &&
        dirHasEntries(sysPath(env, "fs/selinux"));
    case "apparmor": {
      const enabled = readText(sysPath(env, "module/apparmor/parameters/enabled"))?.trim();
      if (enabled !== undefined) return enabled.startsWith("Y");
      return exists(sysPath(env, "kernel/security/apparmor"));
    }
    case "tomoyo":
      return exists(sysPath(env, "kernel/security/tomoyo/version"));
    case "ima":
      return exists(sysPath(env, "kernel/security/ima"));
    case "smack":
      return statOf(sysPath(env, "fs/smackfs"))?.isDirectory === true;
    case "audit":
      return exists(procPath(env, "self/loginuid"));
    case "uefi-secureboot": {
      try {
        const data = Deno.readFileSync(
          sysPath(env, "firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"),
        );
        return data.length >= 5 && data[4] === 1;
      } catch {
        return false;
      }
    }
    case "tpm2":
      return dirHasEntries(sysPath(env, "class/tpmrm"));
    default:
      return false;
  }
}
