/**
 * Facts about the host and the manager user that specifiers need (%H %m %b
 * %v %a %u %h ...), read once per invocation and only when first needed.
 * @module
 */

import type { RootMap, Scope } from "./paths.ts";
import { readTextCapped } from "./regular_file.ts";

/** Host facts; each read lazily. */
export interface HostFacts {
  hostname: string;
  machineId?: string;
  bootId?: string;
  kernelRelease?: string;
  architecture: string;
  prettyHostname?: string;
  osRelease: Record<string, string>;
  user: { name: string; uid: number; group: string; gid: number; home: string; shell: string };
}

/** A file's text, at most systemd's READ_FULL_BYTES_MAX of it (larger: unreadable). */
function readText(path: string): string | undefined {
  try {
    return readTextCapped(path);
  } catch {
    return undefined;
  }
}

/** Parses KEY=value / KEY="value" files (os-release, machine-info). */
export function parseShellVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2].trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) {
      v = v.slice(1, -1).replace(/\\(.)/g, "$1");
    }
    out[m[1]] = v;
  }
  return out;
}

const ARCH: Record<string, string> = {
  x86_64: "x86-64",
  aarch64: "arm64",
  arm: "arm",
  riscv64: "riscv64",
  s390x: "s390x",
  powerpc64le: "ppc64-le",
};

/**
 * The fields of the first line of `/etc/passwd` or `/etc/group` inside the root that has at
 * least `fields` fields and whose name (1st) or id (3rd) is `key`.
 */
function entryOf(root: RootMap, path: string, fields: number, key: string): string[] | undefined {
  const text = readText(root.resolve(path));
  if (!text) return undefined;
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length >= fields && (f[0] === key || f[2] === key)) return f;
  }
  return undefined;
}

/** Looks up a passwd entry by name or uid inside the root. */
export function lookupUser(
  root: RootMap,
  nameOrUid: string | number,
): { name: string; uid: number; gid: number; home: string; shell: string } | undefined {
  // systemd synthesizes root and nobody and never looks them up (synthesize_user_creds).
  const key = String(nameOrUid);
  if (key === "root" || key === "0") {
    return { name: "root", uid: 0, gid: 0, home: "/root", shell: "/bin/sh" };
  }
  if (key === "nobody" || key === "65534") {
    return { name: "nobody", uid: 65534, gid: 65534, home: "/", shell: "/usr/sbin/nologin" };
  }
  const f = entryOf(root, "/etc/passwd", 7, key);
  return f && { name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5], shell: f[6] };
}

/** Looks up a group entry by name or gid inside the root. */
export function lookupGroup(
  root: RootMap,
  nameOrGid: string | number,
): { name: string; gid: number; members: string[] } | undefined {
  // Synthesized as systemd does; Debian's systemd names group 65534 `nogroup`.
  const key = String(nameOrGid);
  if (key === "root" || key === "0") return { name: "root", gid: 0, members: [] };
  if (key === "nogroup" || key === "65534") return { name: "nogroup", gid: 65534, members: [] };
  const f = entryOf(root, "/etc/group", 4, key);
  return f && { name: f[0], gid: Number(f[2]), members: f[3] ? f[3].split(",") : [] };
}

/** Reads the host facts for the given root and scope. */
export function readHostFacts(root: RootMap, scope: Scope, env: Record<string, string>): HostFacts {
  const hostname = (readText("/proc/sys/kernel/hostname") ?? Deno.hostname()).trim();
  const machineId = readText(root.resolve("/etc/machine-id"))?.trim() || undefined;
  const bootId = readText("/proc/sys/kernel/random/boot_id")?.trim();
  const kernelRelease = readText("/proc/sys/kernel/osrelease")?.trim();
  const architecture = ARCH[Deno.build.arch] ?? Deno.build.arch;
  const mi = readText(root.resolve("/etc/machine-info"));
  const prettyHostname = mi ? parseShellVars(mi).PRETTY_HOSTNAME : undefined;
  const osText = readText(root.resolve("/etc/os-release")) ??
    readText(root.resolve("/usr/lib/os-release"));
  const osRelease = osText ? parseShellVars(osText) : {};
  let user = { name: "root", uid: 0, group: "root", gid: 0, home: "/root", shell: "/bin/sh" };
  if (scope === "user") {
    const uid = Deno.uid() ?? 0;
    const pw = lookupUser(root, uid);
    const gr = pw ? lookupGroup(root, pw.gid) : undefined;
    user = {
      name: pw?.name ?? env.USER ?? String(uid),
      uid,
      group: gr?.name ?? String(pw?.gid ?? 0),
      gid: pw?.gid ?? 0,
      home: env.HOME ?? pw?.home ?? "/",
      shell: pw?.shell ?? "/bin/sh",
    };
  }
  return {
    hostname,
    machineId,
    bootId,
    kernelRelease,
    architecture,
    prettyHostname,
    osRelease,
    user,
  };
}
