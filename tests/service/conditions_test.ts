import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import type { Check } from "../../src/unit/model.ts";
import { RootMap } from "../../src/units/paths.ts";
import {
  _internal,
  compareVersions,
  type ConditionEnv,
  describeFailedCheck,
  detectVirtualization,
  evaluateCheck,
  evaluateChecks,
  nativeArchitecture,
} from "../../src/service/conditions.ts";
import { tempDir } from "../support/tmp.ts";

/** A temporary directory, removed when the test module ends. */
function tmp(prefix = "cond-"): string {
  return tempDir(prefix);
}

/** Parses `Name=|!value` into a check, like the unit model does. */
function check(spec: string, kind: "Condition" | "Assert" = "Condition"): Check {
  const eq = spec.indexOf("=");
  let v = spec.slice(eq + 1);
  let trigger = false;
  let negate = false;
  if (v.startsWith("|")) {
    trigger = true;
    v = v.slice(1).trimStart();
  }
  if (v.startsWith("!")) {
    negate = true;
    v = v.slice(1).trimStart();
  }
  return { kind, name: spec.slice(0, eq), trigger, negate, value: v };
}

function makeEnv(root: string, extra: Partial<ConditionEnv> = {}): ConditionEnv {
  return {
    root: new RootMap(root),
    managerEnv: { PATH: "/usr/bin", LANG: "C.UTF-8", EMPTY: "" },
    hostname: "web-01.example.org",
    machineId: "0123456789abcdef0123456789abcdef",
    architecture: "x86-64",
    osRelease: { ID: "debian", VERSION_ID: "12", PRETTY_NAME: "Debian GNU/Linux 12 (bookworm)" },
    hostRoot: root,
    processEnv: {},
    ...extra,
  };
}

/** Evaluates one condition spec. */
function test1(env: ConditionEnv, spec: string): boolean {
  return evaluateCheck(check(spec), env);
}

function write(path: string, text: string, mode?: number): void {
  Deno.mkdirSync(join(path, ".."), { recursive: true });
  Deno.writeTextFileSync(path, text);
  if (mode !== undefined) Deno.chmodSync(path, mode);
}

/** A temporary image root with files, dirs and links. */
function makeRoot(): string {
  const r = tmp("cond-root-");
  write(`${r}/etc/app.conf`, "x=1\n");
  write(`${r}/etc/empty.conf`, "");
  write(`${r}/etc/.hidden`, "h");
  write(`${r}/usr/bin/tool`, "#!/bin/sh\n", 0o755);
  write(`${r}/usr/bin/data`, "data", 0o644);
  Deno.mkdirSync(`${r}/var/empty`, { recursive: true });
  write(`${r}/var/hidden-only/.dot`, "");
  write(`${r}/var/hidden-only/old.conf~`, "");
  write(`${r}/var/hidden-only/x.dpkg-old`, "");
  write(`${r}/var/full/file`, "");
  write(`${r}/opt/only-in-root/marker`, "1");
  Deno.symlinkSync("/opt/only-in-root", `${r}/opt/abs-link`);
  Deno.symlinkSync("../etc/app.conf", `${r}/usr/rel-link`);
  Deno.symlinkSync("/nonexistent-target", `${r}/usr/dangling`);
  Deno.symlinkSync("/var/full", `${r}/var/dir-link`);
  Deno.symlinkSync("/var/full", `${r}/usr/var-full`);
  return r;
}

/** A fake /proc (and /sys) for the system-fact checks. */
function makeProc(opts: {
  environ?: string;
  status?: Record<string, string>;
  osrelease?: string;
  cmdline?: string;
  mountinfo?: string;
  cpuinfo?: string;
  memKb?: number;
} = {}): string {
  const p = tmp("cond-proc-");
  const status: Record<string, string> = {
    Uid: "1000\t1000\t1000\t1000",
    Gid: "1000\t1000\t1000\t1000",
    Groups: "27 100",
    CapBnd: "00000000a80425fb",
    Cpus_allowed_list: "0-3,6",
    ...opts.status,
  };
  write(
    `${p}/self/status`,
    Object.entries(status).map(([k, v]) => `${k}:\t${v}`).join("\n") + "\n",
  );
  write(`${p}/1/environ`, opts.environ ?? "PATH=/bin\0HOME=/\0");
  write(`${p}/sys/kernel/osrelease`, (opts.osrelease ?? "6.1.0-18-amd64") + "\n");
  write(`${p}/cmdline`, (opts.cmdline ?? "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet") + "\n");
  write(`${p}/meminfo`, `MemTotal:       ${opts.memKb ?? 2097152} kB\nMemFree: 10 kB\n`);
  write(`${p}/cpuinfo`, opts.cpuinfo ?? "processor\t: 0\nflags\t\t: fpu vme sse sse2 avx2 fma\n");
  write(
    `${p}/self/mountinfo`,
    opts.mountinfo ??
      "22 1 0:21 / / rw,relatime - overlay overlay rw\n" +
        "23 22 0:22 / /proc rw,nosuid - proc proc rw\n",
  );
  return p;
}

// ---------------------------------------------------------------------------
// Path checks

Deno.test("PathExists: a file under the root exists, a missing one does not", () => {
  const env = makeEnv(makeRoot());
  strictEqual(test1(env, "PathExists=/etc/app.conf"), true);
  strictEqual(test1(env, "PathExists=/etc/missing.conf"), false);
  strictEqual(test1(env, "PathExists=!/etc/missing.conf"), true);
  strictEqual(test1(env, "PathExists=!/etc/app.conf"), false);
});

Deno.test("PathExists: paths are mapped under the root, host files do not count", () => {
  const env = makeEnv(makeRoot());
  ok(Deno.statSync("/etc/passwd").isFile);
  strictEqual(test1(env, "PathExists=/etc/passwd"), false);
  strictEqual(test1(env, "PathExists=!/etc/passwd"), true);
  // With no root the host file is seen.
  strictEqual(test1(makeEnv(""), "PathExists=/etc/passwd"), true);
});

Deno.test("PathExists: `//x` names the host path, a path already under the root is kept", () => {
  const root = makeRoot();
  const env = makeEnv(root);
  strictEqual(test1(env, "PathExists=//etc/passwd"), true);
  strictEqual(test1(env, `PathExists=${root}/etc/app.conf`), true);
});

Deno.test("path checks: a relative path fails, even negated", () => {
  const env = makeEnv(makeRoot());
  strictEqual(test1(env, "PathExists=etc/app.conf"), false);
  strictEqual(test1(env, "PathExists=!etc/app.conf"), false);
  strictEqual(test1(env, "PathIsDirectory=!relative"), false);
  strictEqual(test1(env, "PathExistsGlob=!etc/*"), false);
});

Deno.test("PathExists follows symlinks; absolute link targets resolve inside the root", () => {
  const env = makeEnv(makeRoot());
  strictEqual(test1(env, "PathExists=/opt/abs-link/marker"), true);
  strictEqual(test1(env, "PathExists=/usr/rel-link"), true);
  strictEqual(test1(env, "PathExists=/usr/dangling"), false);
  strictEqual(test1(env, "PathIsDirectory=/var/dir-link"), true);
  // `..` after a link climbs from the link's target, inside the root.
  strictEqual(test1(env, "PathIsDirectory=/usr/var-full/../empty"), true);
  strictEqual(test1(env, "PathExists=/usr/var-full/../../etc/app.conf"), true);
  strictEqual(test1(env, "PathExists=/../../etc/app.conf"), true);
});

Deno.test("PathIsDirectory: directories only", () => {
  const env = makeEnv(makeRoot());
  strictEqual(test1(env, "PathIsDirectory=/var/empty"), true);
  strictEqual(test1(env, "PathIsDirectory=/etc/app.conf"), false);
  strictEqual(test1(env, "PathIsDirectory=/nope"), false);
  strictEqual(test1(env, "PathIsDirectory=!/etc/app.conf"), true);
});

Deno.test("PathIsSymbolicLink: does not follow the last link, works on dangling links", () => {
  const env = makeEnv(makeRoot());
  strictEqual(test1(env, "PathIsSymbolicLink=/usr/dangling"), true);
  strictEqual(test1(env, "PathIsSymbolicLink=/opt/abs-link"), true);
  strictEqual(test1(env, "PathIsSymbolicLink=/etc/app.conf"), false);
  strictEqual(test1(env, "PathIsSymbolicLink=!/etc/app.conf"), true);
});

Deno.test("PathExistsGlob: wildcards, classes, braces; `*` skips dot files", () => {
  const env = makeEnv(makeRoot());
  strictEqual(test1(env, "PathExistsGlob=/etc/*.conf"), true);
  strictEqual(test1(env, "PathExistsGlob=/etc/*.ini"), false);
  strictEqual(test1(env, "PathExistsGlob=/usr/bin/t??l"), true);
  strictEqual(test1(env, "PathExistsGlob=/usr/bin/[st]ool"), true);
  strictEqual(test1(env, "PathExistsGlob=/usr/bin/[!t]ool"), false);
  strictEqual(test1(env, "PathExistsGlob=/etc/*hidden"), false);
  strictEqual(test1(env, "PathExistsGlob=/etc/.hid*"), true);
  strictEqual(test1(env, "PathExistsGlob=/{srv,opt}/*/marker"), true);
  strictEqual(test1(env, "PathExistsGlob=/*/bin/tool"), true);
  strictEqual(test1(env, "PathExistsGlob=!/etc/*.ini"), true);
});

Deno.test("PathExistsGlob does not find host files outside the root", () => {
  const env = makeEnv(makeRoot());
  strictEqual(test1(env, "PathExistsGlob=/etc/pass*"), false);
  strictEqual(test1(makeEnv(""), "PathExistsGlob=/etc/pass*"), true);
});

Deno.test("DirectoryNotEmpty: hidden and backup files do not count", () => {
  const env = makeEnv(makeRoot());
  strictEqual(test1(env, "DirectoryNotEmpty=/var/full"), true);
  strictEqual(test1(env, "DirectoryNotEmpty=/var/empty"), false);
  strictEqual(test1(env, "DirectoryNotEmpty=/var/hidden-only"), false);
  strictEqual(test1(env, "DirectoryNotEmpty=/etc/app.conf"), false);
  strictEqual(test1(env, "DirectoryNotEmpty=/missing"), false);
  strictEqual(test1(env, "DirectoryNotEmpty=/var/dir-link"), true);
});

Deno.test("FileNotEmpty: regular files with data", () => {
  const env = makeEnv(makeRoot());
  strictEqual(test1(env, "FileNotEmpty=/etc/app.conf"), true);
  strictEqual(test1(env, "FileNotEmpty=/etc/empty.conf"), false);
  strictEqual(test1(env, "FileNotEmpty=/var/full"), false);
  strictEqual(test1(env, "FileNotEmpty=!/etc/empty.conf"), true);
  strictEqual(test1(env, "FileNotEmpty=/usr/rel-link"), true);
});

Deno.test("FileIsExecutable: regular files with an x bit", () => {
  const env = makeEnv(makeRoot());
  strictEqual(test1(env, "FileIsExecutable=/usr/bin/tool"), true);
  strictEqual(test1(env, "FileIsExecutable=/usr/bin/data"), false);
  strictEqual(test1(env, "FileIsExecutable=/usr/bin"), false);
  strictEqual(test1(env, "FileIsExecutable=/usr/bin/missing"), false);
});

Deno.test("PathIsMountPoint: /proc and / are mount points on the host, a plain dir is not", () => {
  const env = makeEnv("");
  strictEqual(test1(env, "PathIsMountPoint=/proc"), true);
  strictEqual(test1(env, "PathIsMountPoint=/"), true);
  strictEqual(test1(env, "PathIsMountPoint=/proc/self"), false);
  strictEqual(test1(env, "PathIsMountPoint=!/proc"), false);
  strictEqual(test1(env, `PathIsMountPoint=${tmp()}`), false);
});

Deno.test("PathIsMountPoint: compares mountinfo with the root-mapped path", () => {
  const root = makeRoot();
  const real = Deno.realPathSync(root);
  const proc = makeProc({
    mountinfo:
      `22 1 0:21 / / rw - overlay overlay rw\n30 22 0:40 / ${real}/var/full rw - tmpfs t rw\n`,
  });
  const env = makeEnv(root, { procRoot: proc });
  strictEqual(test1(env, "PathIsMountPoint=/var/full"), true);
  strictEqual(test1(env, "PathIsMountPoint=/var/dir-link"), true);
  strictEqual(test1(env, "PathIsMountPoint=/var/empty"), false);
  strictEqual(test1(env, "PathIsMountPoint=/missing"), false);
});

Deno.test("PathIsReadWrite: read-only mounts fail, missing paths fail", () => {
  const root = makeRoot();
  const real = Deno.realPathSync(root);
  const proc = makeProc({
    mountinfo: `22 1 0:21 / / rw - overlay overlay rw\n` +
      `30 22 0:40 / ${real}/usr ro,nosuid - squashfs s ro\n` +
      `31 22 0:41 / ${real}/var rw - tmpfs t rw\n` +
      `32 31 0:42 / ${real}/var/full rw - ext4 /dev/x ro\n`,
  });
  const env = makeEnv(root, { procRoot: proc });
  strictEqual(test1(env, "PathIsReadWrite=/etc"), true);
  strictEqual(test1(env, "PathIsReadWrite=/usr/bin/tool"), false);
  strictEqual(test1(env, "PathIsReadWrite=!/usr/bin"), true);
  strictEqual(test1(env, "PathIsReadWrite=/var/empty"), true);
  strictEqual(test1(env, "PathIsReadWrite=/var/full"), false);
  strictEqual(test1(env, "PathIsReadWrite=/missing"), false);
});

// ---------------------------------------------------------------------------
// Environment, host, architecture

Deno.test("Environment: NAME and NAME=VALUE against the manager block", () => {
  const env = makeEnv("");
  strictEqual(test1(env, "Environment=PATH"), true);
  strictEqual(test1(env, "Environment=LANG=C.UTF-8"), true);
  strictEqual(test1(env, "Environment=LANG=C"), false);
  strictEqual(test1(env, "Environment=EMPTY"), true);
  strictEqual(test1(env, "Environment=EMPTY="), true);
  strictEqual(test1(env, "Environment=NOPE"), false);
  strictEqual(test1(env, "Environment=!NOPE"), true);
  strictEqual(test1(env, "Environment=PAT"), false);
});

Deno.test("Host: hostname glob (case-insensitive) or machine ID", () => {
  const env = makeEnv("");
  strictEqual(test1(env, "Host=web-01.example.org"), true);
  strictEqual(test1(env, "Host=WEB-*"), true);
  strictEqual(test1(env, "Host=db-*"), false);
  strictEqual(test1(env, "Host=web-0[0-9].*"), true);
  strictEqual(test1(env, "Host=0123456789abcdef0123456789abcdef"), true);
  strictEqual(test1(env, "Host=01234567-89ab-cdef-0123-456789ABCDEF"), true);
  strictEqual(test1(env, "Host=ffffffffffffffffffffffffffffffff"), false);
  strictEqual(test1(env, "Host=!db-*"), true);
});

Deno.test("Architecture: systemd names and `native`; an unknown name is not ours, so `!` passes", () => {
  const env = makeEnv("", { architecture: nativeArchitecture() });
  strictEqual(test1(env, "Architecture=native"), true);
  strictEqual(test1(env, "Architecture=!native"), false);
  const x86 = makeEnv("", { architecture: "x86-64" });
  strictEqual(test1(x86, "Architecture=x86-64"), true);
  strictEqual(test1(x86, "Architecture=arm64"), false);
  strictEqual(test1(x86, "Architecture=!arm64"), true);
  strictEqual(test1(x86, "Architecture=amd64"), false);
  // systemd 252: "unknown architecture? Then it's definitely not ours" (false, not an error).
  strictEqual(test1(x86, "Architecture=!amd64"), true);
  strictEqual(test1(x86, "Architecture=!foo"), true);
});

// ---------------------------------------------------------------------------
// Virtualization

Deno.test("Virtualization: $container in /proc/1/environ names the container", () => {
  const root = tmp();
  const env = makeEnv(root, { procRoot: makeProc({ environ: "PATH=/bin\0container=docker\0" }) });
  strictEqual(detectVirtualization(env), "docker");
  strictEqual(test1(env, "Virtualization=docker"), true);
  strictEqual(test1(env, "Virtualization=container"), true);
  strictEqual(test1(env, "Virtualization=yes"), true);
  strictEqual(test1(env, "Virtualization=vm"), false);
  strictEqual(test1(env, "Virtualization=!vm"), true);
  strictEqual(test1(env, "Virtualization=podman"), false);
  strictEqual(test1(env, "Virtualization=no"), false);
});

Deno.test("Virtualization: nothing detected → no", () => {
  const env = makeEnv(tmp(), { procRoot: makeProc(), sysRoot: "/nonexistent" });
  strictEqual(detectVirtualization(env), "none");
  strictEqual(test1(env, "Virtualization=no"), true);
  strictEqual(test1(env, "Virtualization=false"), true);
  strictEqual(test1(env, "Virtualization=container"), false);
  strictEqual(test1(env, "Virtualization=!yes"), true);
});

Deno.test("Virtualization: marker files, own $container, oci and unknown names", () => {
  const proc = makeProc();
  const podman = tmp();
  write(`${podman}/run/.containerenv`, "");
  write(`${podman}/.dockerenv`, "");
  strictEqual(detectVirtualization(makeEnv("", { hostRoot: podman, procRoot: proc })), "podman");
  const docker = tmp();
  write(`${docker}/.dockerenv`, "");
  strictEqual(detectVirtualization(makeEnv("", { hostRoot: docker, procRoot: proc })), "docker");
  const lxc = makeEnv("", { hostRoot: docker, procRoot: proc, processEnv: { container: "lxc" } });
  strictEqual(detectVirtualization(lxc), "lxc");
  strictEqual(test1(lxc, "Virtualization=lxc"), true);
  const oci = makeEnv("", { hostRoot: docker, procRoot: proc, processEnv: { container: "oci" } });
  strictEqual(detectVirtualization(oci), "docker");
  const other = makeEnv("", { procRoot: makeProc({ environ: "container=weird\0" }) });
  strictEqual(
    detectVirtualization({ ...other, hostRoot: tmp() }),
    "container-other",
  );
  const nspawn = tmp();
  write(`${nspawn}/run/systemd/container`, "systemd-nspawn\n");
  const ns = makeEnv("", { hostRoot: nspawn, procRoot: proc });
  strictEqual(test1(ns, "Virtualization=systemd-nspawn"), true);
  strictEqual(test1(ns, "Virtualization=container"), true);
});

Deno.test("Virtualization: a VM from DMI when no container is found", () => {
  const sys = tmp();
  write(`${sys}/class/dmi/id/sys_vendor`, "QEMU\n");
  const env = makeEnv(tmp(), { procRoot: makeProc(), sysRoot: sys });
  strictEqual(detectVirtualization(env), "qemu");
  strictEqual(test1(env, "Virtualization=vm"), true);
  strictEqual(test1(env, "Virtualization=qemu"), true);
  strictEqual(test1(env, "Virtualization=container"), false);
  strictEqual(test1(env, "Virtualization=yes"), true);
});

// ---------------------------------------------------------------------------
// Kernel

Deno.test("KernelCommandLine: words and assignments from /proc/cmdline", () => {
  const env = makeEnv("", { procRoot: makeProc() });
  strictEqual(test1(env, "KernelCommandLine=quiet"), true);
  strictEqual(test1(env, "KernelCommandLine=root"), true);
  strictEqual(test1(env, "KernelCommandLine=root=/dev/sda1"), true);
  strictEqual(test1(env, "KernelCommandLine=root=/dev/sdb1"), false);
  strictEqual(test1(env, "KernelCommandLine=qui"), false);
  strictEqual(test1(env, "KernelCommandLine=!debug"), true);
});

Deno.test("KernelVersion: version operators, globs and several expressions", () => {
  const env = makeEnv("", { procRoot: makeProc({ osrelease: "6.1.0-18-amd64" }) });
  strictEqual(test1(env, "KernelVersion=>=5.10"), true);
  strictEqual(test1(env, "KernelVersion=>= 5.10"), true);
  strictEqual(test1(env, "KernelVersion=<6"), false);
  strictEqual(test1(env, "KernelVersion=<6.2"), true);
  strictEqual(test1(env, "KernelVersion=>6.1.0"), true);
  strictEqual(test1(env, "KernelVersion=<=6.1.0-18-amd64"), true);
  strictEqual(test1(env, "KernelVersion===6.1.0-18-amd64"), true);
  strictEqual(test1(env, "KernelVersion==6.1.0-18-amd64"), true);
  strictEqual(test1(env, "KernelVersion=!=6.1.0-18-amd64"), false);
  strictEqual(test1(env, "KernelVersion=<>6.1"), true);
  strictEqual(test1(env, "KernelVersion=6.1.*"), true);
  strictEqual(test1(env, "KernelVersion=$=*-amd64"), true);
  strictEqual(test1(env, "KernelVersion=!$=*-amd64"), false);
  strictEqual(test1(env, "KernelVersion=5.*"), false);
  strictEqual(test1(env, "KernelVersion=>=5.10 <7"), true);
  strictEqual(test1(env, "KernelVersion=>=5.10 <6"), false);
  strictEqual(test1(env, "KernelVersion=!<6"), true);
});

Deno.test("compareVersions follows systemd's strverscmp_improved", () => {
  const cases: Array<[string, string, number]> = [
    ["1", "2", -1],
    ["2", "10", -1],
    ["1.0", "1.0", 0],
    ["1.0", "1.0.1", -1],
    ["1.01", "1.1", 0],
    ["1~rc1", "1", -1],
    ["1^p1", "1", 1],
    ["1^p1", "1.1", -1],
    ["1-2", "1.1", -1],
    ["1a", "1b", -1],
    ["1a", "1", 1],
    ["6.1.0-18-amd64", "6.1", 1],
    ["abc", "abd", -1],
    ["122", "123", -1],
    ["1.0^post", "1.0", 1],
    ["1.0^post", "1.0.1", -1],
    ["1.1", "1a", -1],
    ["1_0", "1.0", 1],
    ["1..0", "1.0", -1],
  ];
  for (const [a, b, want] of cases) {
    strictEqual(Math.sign(compareVersions(a, b)), want, `${a} vs ${b}`);
    strictEqual(Math.sign(compareVersions(b, a)), 0 - want || 0, `${b} vs ${a}`);
  }
});

// ---------------------------------------------------------------------------
// OSRelease, User, Group

Deno.test("OSRelease: string, version and glob comparisons; missing keys are empty", () => {
  const env = makeEnv("");
  strictEqual(test1(env, "OSRelease=ID=debian"), true);
  strictEqual(test1(env, "OSRelease=ID=ubuntu"), false);
  strictEqual(test1(env, "OSRelease=ID!=ubuntu"), true);
  strictEqual(test1(env, "OSRelease=VERSION_ID>=11"), true);
  strictEqual(test1(env, "OSRelease=VERSION_ID<12"), false);
  strictEqual(test1(env, "OSRelease=VERSION_ID==12.0"), false);
  strictEqual(test1(env, "OSRelease=PRETTY_NAME$=Debian*"), true);
  strictEqual(test1(env, `OSRelease="PRETTY_NAME=Debian GNU/Linux 12 (bookworm)"`), true);
  strictEqual(test1(env, "OSRelease=ID=debian VERSION_ID>10"), true);
  strictEqual(test1(env, "OSRelease=ID=debian VERSION_ID>12"), false);
  strictEqual(test1(env, "OSRelease=VARIANT_ID!=server"), true);
  strictEqual(test1(env, "OSRelease=!ID=ubuntu"), true);
});

Deno.test("OSRelease: malformed expressions fail, even negated", () => {
  const env = makeEnv("");
  strictEqual(test1(env, "OSRelease=debian"), false);
  strictEqual(test1(env, "OSRelease=!debian"), false);
  strictEqual(test1(env, "OSRelease=ID="), false);
  strictEqual(test1(env, "OSRelease=1D=x"), false);
});

Deno.test("User: root, 0 and @system match the root manager", () => {
  const env = makeEnv(makeRoot(), { procRoot: makeProc({ status: { Uid: "0\t0\t0\t0" } }) });
  strictEqual(test1(env, "User=root"), true);
  strictEqual(test1(env, "User=0"), true);
  strictEqual(test1(env, "User=@system"), true);
  strictEqual(test1(env, "User=1000"), false);
  strictEqual(test1(env, "User=nosuchuser"), false);
  strictEqual(test1(env, "User=!nobody"), true);
});

Deno.test("User: looks names up in the root's /etc/passwd; a normal user is not @system", () => {
  const root = makeRoot();
  write(
    `${root}/etc/passwd`,
    "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
  );
  const env = makeEnv(root, { procRoot: makeProc() });
  strictEqual(test1(env, "User=alice"), true);
  strictEqual(test1(env, "User=1000"), true);
  strictEqual(test1(env, "User=root"), false);
  strictEqual(test1(env, "User=@system"), false);
  strictEqual(test1(env, "User=!@system"), true);
});

Deno.test("User and Group of the real process: we run as root in the test container", () => {
  if (Deno.uid() !== 0) return;
  const env = makeEnv("");
  strictEqual(test1(env, "User=root"), true);
  strictEqual(test1(env, "User=0"), true);
  strictEqual(test1(env, "User=@system"), true);
  strictEqual(test1(env, "Group=root"), true);
  strictEqual(test1(env, "Group=0"), true);
});

Deno.test("Group: primary and supplementary groups, by number or name", () => {
  const root = makeRoot();
  write(`${root}/etc/group`, "root:x:0:\nsudo:x:27:alice\nusers:x:100:\nstaff:x:50:\n");
  const env = makeEnv(root, { procRoot: makeProc() });
  strictEqual(test1(env, "Group=1000"), true);
  strictEqual(test1(env, "Group=27"), true);
  strictEqual(test1(env, "Group=sudo"), true);
  strictEqual(test1(env, "Group=users"), true);
  strictEqual(test1(env, "Group=staff"), false);
  strictEqual(test1(env, "Group=root"), false);
  strictEqual(test1(env, "Group=nosuchgroup"), false);
  strictEqual(test1(env, "Group=@system"), false);
  strictEqual(test1(env, "Group=!staff"), true);
});

// ---------------------------------------------------------------------------
// Memory, CPUs, CPU features, capabilities, security

Deno.test("Memory: comparisons with base-1024 suffixes against MemTotal", () => {
  const env = makeEnv("", { procRoot: makeProc({ memKb: 2 * 1024 * 1024 }), sysRoot: "/none" });
  strictEqual(test1(env, "Memory=1G"), true);
  strictEqual(test1(env, "Memory=>=2G"), true);
  strictEqual(test1(env, "Memory=> 2G"), false);
  strictEqual(test1(env, "Memory=<4G"), true);
  strictEqual(test1(env, "Memory==2048M"), true);
  strictEqual(test1(env, "Memory=!=2G"), false);
  strictEqual(test1(env, "Memory=<>2G"), false);
  strictEqual(test1(env, "Memory=<=1.5G"), false);
  strictEqual(test1(env, "Memory=3G"), false);
  strictEqual(test1(env, "Memory=!3G"), true);
  strictEqual(test1(env, "Memory=lots"), false);
  strictEqual(test1(env, "Memory=!lots"), false);
});

Deno.test("Memory: a cgroup v2 memory.max caps MemTotal", () => {
  const sys = tmp();
  write(`${sys}/fs/cgroup/memory.max`, `${512 * 1024 * 1024}\n`);
  const env = makeEnv("", { procRoot: makeProc({ memKb: 8 * 1024 * 1024 }), sysRoot: sys });
  strictEqual(test1(env, "Memory=1G"), false);
  strictEqual(test1(env, "Memory==512M"), true);
  write(`${sys}/fs/cgroup/memory.max`, "max\n");
  strictEqual(test1(env, "Memory=8G"), true);
});

Deno.test("CPUs: counts the affinity list", () => {
  const env = makeEnv("", { procRoot: makeProc({ status: { Cpus_allowed_list: "0-3,6" } }) });
  strictEqual(test1(env, "CPUs=5"), true);
  strictEqual(test1(env, "CPUs=>=2"), true);
  strictEqual(test1(env, "CPUs=>5"), false);
  strictEqual(test1(env, "CPUs==5"), true);
  strictEqual(test1(env, "CPUs=<=4"), false);
  strictEqual(test1(env, "CPUs=!=5"), false);
  strictEqual(test1(env, "CPUs=6"), false);
  strictEqual(test1(env, "CPUs=x"), false);
  strictEqual(test1(makeEnv(""), "CPUs=>=1"), true);
});

Deno.test("CPUFeature: /proc/cpuinfo flags, with systemd's names", () => {
  const env = makeEnv("", { procRoot: makeProc() });
  strictEqual(test1(env, "CPUFeature=sse2"), true);
  strictEqual(test1(env, "CPUFeature=avx2"), true);
  strictEqual(test1(env, "CPUFeature=fma3"), true);
  strictEqual(test1(env, "CPUFeature=avx512f"), false);
  strictEqual(test1(env, "CPUFeature=!avx512f"), true);
  const arm = makeEnv("", { procRoot: makeProc({ cpuinfo: "Features\t: fp asimd\n" }) });
  strictEqual(test1(arm, "CPUFeature=sse2"), false);
});

Deno.test("Capability: the CapBnd bounding set", () => {
  // 0xa80425fb is the classic Docker default set.
  const env = makeEnv("", { procRoot: makeProc() });
  strictEqual(test1(env, "Capability=CAP_CHOWN"), true);
  strictEqual(test1(env, "Capability=cap_net_bind_service"), true);
  strictEqual(test1(env, "Capability=CAP_NET_ADMIN"), false);
  strictEqual(test1(env, "Capability=CAP_SYS_ADMIN"), false);
  strictEqual(test1(env, "Capability=!CAP_SYS_ADMIN"), true);
  strictEqual(test1(env, "Capability=CAP_SETFCAP"), true);
  strictEqual(test1(env, "Capability=CAP_NOPE"), false);
  strictEqual(test1(env, "Capability=!CAP_NOPE"), false);
  const all = makeEnv("", { procRoot: makeProc({ status: { CapBnd: "000001ffffffffff" } }) });
  strictEqual(test1(all, "Capability=CAP_CHECKPOINT_RESTORE"), true);
  strictEqual(test1(all, "Capability=CAP_BPF"), true);
});

Deno.test("Security: technologies from a fake /sys", () => {
  const sys = tmp();
  write(`${sys}/module/apparmor/parameters/enabled`, "Y\n");
  write(`${sys}/kernel/security/ima/policy`, "");
  write(`${sys}/class/tpmrm/tpmrm0/x`, "");
  const env = makeEnv("", { sysRoot: sys, procRoot: makeProc() });
  strictEqual(test1(env, "Security=apparmor"), true);
  strictEqual(test1(env, "Security=ima"), true);
  strictEqual(test1(env, "Security=tpm2"), true);
  strictEqual(test1(env, "Security=selinux"), false);
  strictEqual(test1(env, "Security=!selinux"), true);
  strictEqual(test1(env, "Security=smack"), false);
  strictEqual(test1(env, "Security=tomoyo"), false);
  strictEqual(test1(env, "Security=uefi-secureboot"), false);
  strictEqual(test1(env, "Security=audit"), false);
  strictEqual(test1(env, "Security=bogus"), false);
  write(`${sys}/fs/selinux/enforce`, "1");
  Deno.mkdirSync(`${sys}/firmware/efi/efivars`, { recursive: true });
  Deno.writeFileSync(
    `${sys}/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c`,
    new Uint8Array([6, 0, 0, 0, 1]),
  );
  write(`${sys}/fs/smackfs/load2`, "");
  strictEqual(test1(env, "Security=selinux"), true);
  strictEqual(test1(env, "Security=uefi-secureboot"), true);
  strictEqual(test1(env, "Security=smack"), true);
});

// ---------------------------------------------------------------------------
// Fixed results

Deno.test("FirstBoot, NeedsUpdate, Credential, … evaluate as false; negated as true", () => {
  const env = makeEnv("");
  strictEqual(test1(env, "FirstBoot=yes"), false);
  strictEqual(test1(env, "FirstBoot=!yes"), true);
  strictEqual(test1(env, "FirstBoot=no"), true);
  for (const name of ["NeedsUpdate", "Credential", "ControlGroupController", "Firmware"]) {
    strictEqual(test1(env, `${name}=x`), false, name);
    strictEqual(test1(env, `${name}=!x`), true, name);
  }
  strictEqual(test1(env, "NeedsUpdate=/etc"), false);
  strictEqual(test1(env, "PathIsEncrypted=/"), false);
  strictEqual(test1(env, "PathIsEncrypted=!/"), true);
});

Deno.test("ACPower and the pressure checks evaluate as true", () => {
  const env = makeEnv("");
  strictEqual(test1(env, "ACPower=true"), true);
  strictEqual(test1(env, "ACPower=false"), false);
  strictEqual(test1(env, "MemoryPressure=10%"), true);
  strictEqual(test1(env, "CPUPressure=system.slice:5%/1min"), true);
  strictEqual(test1(env, "IOPressure=50%"), true);
  strictEqual(test1(env, "IOPressure=!50%"), false);
});

Deno.test("an unknown check name passes", () => {
  const env = makeEnv("");
  strictEqual(test1(env, "Frobnicate=yes"), true);
  strictEqual(test1(env, "Frobnicate=!yes"), true);
  strictEqual(test1(env, "constructor=x"), true);
});

// ---------------------------------------------------------------------------
// Lists: triggers, negation, kinds

Deno.test("evaluateChecks: all plain checks must pass", () => {
  const env = makeEnv(makeRoot());
  const checks = [check("PathExists=/etc/app.conf"), check("PathIsDirectory=/var/empty")];
  deepStrictEqual(evaluateChecks(checks, "Condition", env).ok, true);
  const bad = [check("PathExists=/etc/app.conf"), check("PathExists=/nope"), check("Host=x")];
  const out = evaluateChecks(bad, "Condition", env);
  strictEqual(out.ok, false);
  deepStrictEqual(out.failed, bad[1]);
  // Evaluation stops at the first failing plain check, as in systemd.
  deepStrictEqual(out.results.map((r) => r.ok), [true, false]);
});

Deno.test("evaluateChecks: one passing trigger is enough, none is a failure", () => {
  const env = makeEnv(makeRoot());
  const some = [check("PathExists=|/nope"), check("PathExists=|/etc/app.conf")];
  strictEqual(evaluateChecks(some, "Condition", env).ok, true);
  const none = [check("PathExists=|/nope"), check("PathExists=|/nope2")];
  const out = evaluateChecks(none, "Condition", env);
  strictEqual(out.ok, false);
  deepStrictEqual(out.failed, none[0]);
  deepStrictEqual(out.results.map((r) => r.ok), [false, false]);
});

Deno.test("evaluateChecks: triggers and plain checks combine; `|!` negates a trigger", () => {
  const env = makeEnv(makeRoot());
  const mixed = [
    check("PathExists=|/nope"),
    check("PathExists=|!/nope"),
    check("Environment=PATH"),
  ];
  strictEqual(evaluateChecks(mixed, "Condition", env).ok, true);
  const plainFails = [check("PathExists=|/etc/app.conf"), check("Environment=NOPE")];
  const out = evaluateChecks(plainFails, "Condition", env);
  strictEqual(out.ok, false);
  deepStrictEqual(out.failed, plainFails[1]);
  const negTrigger = [check("PathExists=|!/etc/app.conf"), check("Environment=PATH")];
  strictEqual(evaluateChecks(negTrigger, "Condition", env).ok, false);
});

Deno.test("evaluateChecks: only the requested kind is evaluated; empty lists pass", () => {
  const env = makeEnv(makeRoot());
  const checks = [check("PathExists=/nope", "Assert"), check("PathExists=/etc/app.conf")];
  strictEqual(evaluateChecks(checks, "Condition", env).ok, true);
  const asserts = evaluateChecks(checks, "Assert", env);
  strictEqual(asserts.ok, false);
  deepStrictEqual(asserts.failed, checks[0]);
  deepStrictEqual(evaluateChecks([], "Condition", env), { ok: true, results: [] });
});

Deno.test("describeFailedCheck prints as systemctl status does", () => {
  strictEqual(describeFailedCheck(check("PathExists=/x")), "ConditionPathExists=/x was not met");
  strictEqual(
    describeFailedCheck(check("PathExists=|!/x")),
    "ConditionPathExists=|!/x was not met",
  );
  strictEqual(
    describeFailedCheck(check("Environment=!FOO", "Assert")),
    "AssertEnvironment=!FOO was not met",
  );
});

// ---------------------------------------------------------------------------
// Helpers

Deno.test("fnmatch: wildcards cross slashes, classes, escapes, case folding", () => {
  const { fnmatch } = _internal;
  strictEqual(fnmatch("a*c", "a/b/c"), true);
  strictEqual(fnmatch("a?c", "abc"), true);
  strictEqual(fnmatch("[a-c]x", "bx"), true);
  strictEqual(fnmatch("[!a-c]x", "bx"), false);
  strictEqual(fnmatch("[[:digit:]]*", "5.1"), true);
  strictEqual(fnmatch("\\*", "*"), true);
  strictEqual(fnmatch("\\*", "x"), false);
  strictEqual(fnmatch("a.b", "axb"), false);
  strictEqual(fnmatch("[", "["), true);
  strictEqual(fnmatch("HOST", "host", true), true);
  strictEqual(fnmatch("[]]", "]"), true);
  strictEqual(fnmatch("x-y", "x-y"), true);
});

Deno.test("expandBraces expands alternatives, nested too", () => {
  deepStrictEqual(_internal.expandBraces("/a/{b,c}/d"), ["/a/b/d", "/a/c/d"]);
  deepStrictEqual(_internal.expandBraces("{x,y{1,2}}"), ["x", "y1", "y2"]);
  deepStrictEqual(_internal.expandBraces("plain"), ["plain"]);
});
