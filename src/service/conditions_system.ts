/**
 * System conditions: environment, host name, architecture, virtualization, kernel
 * command line and version, os-release.
 * @module
 */

import { fnmatch } from "../unit/glob.ts";
import { parseBoolean, scanWord, wordScanner } from "../unit/values.ts";
import {
  CheckError,
  type CompareOp,
  type ConditionEnv,
  exists,
  parseCompareOperator,
  procPath,
  readText,
  sysPath,
  versionOrFnmatchCompare,
  words,
} from "./conditions_common.ts";

// ---------------------------------------------------------------------------
// System checks

export function checkEnvironment(env: ConditionEnv, value: string): boolean {
  const eq = value.indexOf("=");
  if (eq < 0) return Object.hasOwn(env.managerEnv, value);
  const name = value.slice(0, eq);
  return Object.hasOwn(env.managerEnv, name) && env.managerEnv[name] === value.slice(eq + 1);
}

export function checkHost(env: ConditionEnv, value: string): boolean {
  const id = value.toLowerCase();
  const m = /^[0-9a-f]{32}$/.test(id)
    ? id
    : /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)
    ? id.replaceAll("-", "")
    : undefined;
  if (m !== undefined) {
    if (env.machineId === undefined) throw new CheckError("no machine ID");
    return env.machineId.toLowerCase().replaceAll("-", "") === m;
  }
  return fnmatch(value, env.hostname, { casefold: true });
}

/** The architecture names systemd 252 knows. */
export const ARCHITECTURES = new Set([
  "x86",
  "x86-64",
  "ppc",
  "ppc-le",
  "ppc64",
  "ppc64-le",
  "ia64",
  "parisc",
  "parisc64",
  "s390",
  "s390x",
  "sparc",
  "sparc64",
  "mips",
  "mips-le",
  "mips64",
  "mips64-le",
  "alpha",
  "arm",
  "arm-be",
  "arm64",
  "arm64-be",
  "sh",
  "sh64",
  "m68k",
  "tilegx",
  "cris",
  "arc",
  "arc-be",
  "nios2",
  "riscv32",
  "riscv64",
  "loongarch64",
]);

/** The systemd architecture name this program runs as (what `native` means). */
export function nativeArchitecture(): string {
  const map: Record<string, string> = {
    x86_64: "x86-64",
    aarch64: "arm64",
    riscv64: "riscv64",
  };
  return map[Deno.build.arch] ?? Deno.build.arch;
}

export function checkArchitecture(env: ConditionEnv, value: string): boolean {
  const want = value === "native" ? nativeArchitecture() : value;
  // As systemd 252: an unknown architecture is definitely not ours (false, so `!` passes).
  if (!ARCHITECTURES.has(want)) return false;
  return env.architecture === want;
}

export const CONTAINERS = [
  "openvz",
  "lxc",
  "lxc-libvirt",
  "systemd-nspawn",
  "docker",
  "podman",
  "rkt",
  "wsl",
  "proot",
  "pouch",
  "container-other",
];

export function hostFile(env: ConditionEnv, path: string): string {
  return (env.hostRoot ?? "") + path;
}

/** Container files checked last, as systemd does (an image may carry a stray `/.dockerenv`). */
export function detectContainerFiles(env: ConditionEnv): string | undefined {
  if (exists(hostFile(env, "/run/.containerenv"))) return "podman";
  if (exists(hostFile(env, "/.dockerenv"))) return "docker";
  return undefined;
}

export function translateContainer(env: ConditionEnv, name: string): string {
  if (name === "oci") return detectContainerFiles(env) ?? "container-other";
  return CONTAINERS.includes(name) && name !== "container-other" ? name : "container-other";
}

export function detectContainer(env: ConditionEnv): string | undefined {
  if (exists(procPath(env, "vz")) && !exists(procPath(env, "bc"))) return "openvz";
  const osrel = readText(procPath(env, "sys/kernel/osrelease")) ?? "";
  if (/Microsoft|WSL/.test(osrel)) return "wsl";
  const own = (env.processEnv ?? Deno.env.toObject()).container;
  if (own) return translateContainer(env, own);
  const file = readText(hostFile(env, "/run/systemd/container"))?.split("\n")[0].trim();
  if (file) return translateContainer(env, file);
  const environ = readText(procPath(env, "1/environ"));
  if (environ !== undefined) {
    const entry = environ.split("\0").find((e) => e.startsWith("container="));
    if (entry !== undefined && entry.length > "container=".length) {
      return translateContainer(env, entry.slice("container=".length));
    }
  }
  return detectContainerFiles(env);
}

/** DMI vendor strings and the VM they name (systemd's `detect_vm_dmi_vendor()`). */
export const DMI_VENDORS: Array<[string, string]> = [
  ["KVM", "kvm"],
  ["OpenStack", "kvm"],
  ["KubeVirt", "kvm"],
  ["Amazon EC2", "amazon"],
  ["QEMU", "qemu"],
  ["VMware", "vmware"],
  ["VMW", "vmware"],
  ["innotek GmbH", "oracle"],
  ["VirtualBox", "oracle"],
  ["Xen", "xen"],
  ["Bochs", "bochs"],
  ["Parallels", "parallels"],
  ["BHYVE", "bhyve"],
  ["Hyper-V", "microsoft"],
  ["Apple Virtualization", "apple"],
  ["Google Compute Engine", "google"],
];

export function detectVm(env: ConditionEnv): string | undefined {
  for (
    const f of ["product_name", "sys_vendor", "board_vendor", "bios_vendor", "product_version"]
  ) {
    const v = readText(sysPath(env, `class/dmi/id/${f}`))?.trim();
    if (!v) continue;
    for (const [prefix, id] of DMI_VENDORS) if (v.startsWith(prefix)) return id;
  }
  const xen = readText(sysPath(env, "hypervisor/type"))?.trim();
  if (xen === "xen") return "xen";
  const cpuinfo = readText(procPath(env, "cpuinfo")) ?? "";
  if (/^flags\s*:.*\bhypervisor\b/m.test(cpuinfo)) return "vm-other";
  return undefined;
}

/** The innermost virtualization, as systemd-detect-virt names it, or "none". */
export function detectVirtualization(env: ConditionEnv): string {
  return detectContainer(env) ?? detectVm(env) ?? "none";
}

export function runningInUserns(env: ConditionEnv): boolean {
  const map = readText(procPath(env, "self/uid_map"));
  if (map === undefined) return false;
  const lines = map.trim().split("\n");
  if (lines.length !== 1) return true;
  const f = lines[0].trim().split(/\s+/);
  return !(f[0] === "0" && f[1] === "0" && f[2] === "4294967295");
}

export function checkVirtualization(env: ConditionEnv, value: string): boolean {
  if (value === "private-users") return runningInUserns(env);
  const v = detectVirtualization(env);
  const b = parseBoolean(value);
  if (b !== undefined) return b === (v !== "none");
  if (value === "container") return CONTAINERS.includes(v);
  if (value === "vm") return v !== "none" && !CONTAINERS.includes(v);
  return v !== "none" && v === value;
}

export function checkKernelCommandLine(env: ConditionEnv, value: string): boolean {
  const line = readText(procPath(env, "cmdline"));
  if (line === undefined) throw new CheckError("cannot read the kernel command line");
  const equal = value.includes("=");
  const sc = wordScanner(line);
  for (;;) {
    const r = scanWord(sc, { unquote: true, relax: true });
    if ("error" in r || r.word === undefined) return false;
    const w = r.word;
    if (equal ? w === value : w === value || w.startsWith(value + "=")) return true;
  }
}

export function kernelRelease(env: ConditionEnv): string {
  const r = readText(procPath(env, "sys/kernel/osrelease"))?.trim();
  if (r) return r;
  try {
    return Deno.osRelease();
  } catch {
    throw new CheckError("cannot read the kernel release");
  }
}

export function checkKernelVersion(env: ConditionEnv, value: string): boolean {
  const release = kernelRelease(env);
  // Word by word on one scanner: re-slicing the rest was quadratic in a 1 MiB value.
  const sc = wordScanner(value);
  let first = true;
  for (;;) {
    const r = scanWord(sc, { unquote: true });
    if ("error" in r) throw new CheckError(`bad quoting: ${value}`);
    if (r.word === undefined) return true;
    let s = r.word.trim();
    const parsed = parseCompareOperator(s, true, true);
    const op: CompareOp = parsed?.op ?? "fn-eq";
    if (parsed) s = parsed.rest.trimStart();
    if (s === "") {
      // Backwards compatibility: `>= 5.0` (operator and value apart), first expression only.
      if (!first) throw new CheckError(`unexpected end of expression: ${value}`);
      const n = scanWord(sc);
      if ("error" in n || n.word === undefined) {
        throw new CheckError(`unexpected end of expression: ${value}`);
      }
      s = n.word;
    }
    if (!versionOrFnmatchCompare(op, release, s)) return false;
    first = false;
  }
}

export function checkOsRelease(env: ConditionEnv, value: string): boolean {
  for (const cond of words(value)) {
    const m = /^([^!<=>$]*)(.*)$/s.exec(cond)!;
    const key = m[1];
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) || m[2] === "") {
      throw new CheckError(`key/value format expected: ${cond}`);
    }
    const parsed = parseCompareOperator(m[2], true, true);
    if (!parsed || parsed.rest === "" || /^\s/.test(parsed.rest)) {
      throw new CheckError(`key/value format expected: ${cond}`);
    }
    const actual = env.osRelease[key] ?? "";
    if (!versionOrFnmatchCompare(parsed.op, actual, parsed.rest)) return false;
  }
  return true;
}

/** Real and effective IDs from a /proc/self/status `Uid:`/`Gid:` line, or the process's own. */
