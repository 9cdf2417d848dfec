/**
 * Our program as PID 1 of new PID, mount and network namespaces, chrooted into a private copy
 * of a rootfs, as a container runtime would run it.
 *
 * `unshare --pid --fork --kill-child --mount --net` runs a short sh script as the namespace's
 * PID 1: it mounts /proc, a minimal /dev, a read-only /sys and a tmpfs /run under the root,
 * brings `lo` up, sends its output to a log file, then execs `chroot ROOT /usr/bin/systemctl`
 * (the installed launcher execs Deno), so our program is PID 1. Clients reach it through
 * `nsenter --target PID --mount --pid --net --root --wd`, with the root's own tools.
 * The host sees the namespace's processes in its own /proc: they are the processes whose
 * `/proc/PID/ns/pid` is PID 1's.
 * @module
 */

import { type ProcStat, readStat } from "../../src/process/procfs.ts";
import { MOUNT_API_FILESYSTEMS, removeTree } from "../support/services_rootfs.ts";

const decoder = new TextDecoder();

/** The outcome of one command. */
export interface Step {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The environment of PID 1 and of the clients: what a container image's config gives. */
export const CONTAINER_ENV: Record<string, string> = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/root",
  LANG: "C.UTF-8",
  NO_COLOR: "1",
  SYSTEMD_COLORS: "0",
  SYSTEMD_PAGER: "",
  PAGER: "cat",
};

/** Runs a host command with a clean environment and a timeout. */
export async function run(
  cmd: string,
  args: string[],
  timeoutMs = 120_000,
  env: Record<string, string> = CONTAINER_ENV,
): Promise<Step> {
  const t0 = performance.now();
  try {
    const out = await new Deno.Command(cmd, {
      args,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      ms: Math.round(performance.now() - t0),
    };
  } catch (e) {
    return { code: -1, stdout: "", stderr: String(e), ms: Math.round(performance.now() - t0) };
  }
}

const BOOT = `set -eu
R="$1"
exec >"$2" 2>&1
shift 2
${MOUNT_API_FILESYSTEMS}
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
ip link set lo up
exec chroot "$R" /usr/bin/env -i ${
  Object.entries(CONTAINER_ENV).map(([k, v]) => `${k}='${v}'`).join(" ")
} "$@"
`;

/** A running PID-1 namespace. */
export interface Pid1 {
  /** The root (a private copy), as the host sees it. */
  readonly root: string;
  /** PID 1 of the namespace, as the host sees it. */
  readonly pid: number;
  /** PID 1's stdout and stderr. */
  readonly logFile: string;
  /** Resolves with `unshare`'s status, which is PID 1's (exit code, or the signal). */
  readonly status: Promise<Deno.CommandStatus>;
  /** Runs ARGS inside the namespace (mount, PID, network), chrooted into the root. */
  exec(args: string[], timeoutMs?: number): Promise<Step>;
  /** Runs the root's `/usr/bin/systemctl ARGS` inside the namespace. */
  systemctl(...args: string[]): Promise<Step>;
  /** The namespace's processes (host PIDs), PID 1 included while it lives. */
  members(): ProcStat[];
  /** What PID 1 wrote so far. */
  log(): string;
  /** Kills the namespace (SIGKILL to PID 1; everything in it dies) and waits for it. */
  kill(): Promise<void>;
}

/** The PID namespace of a process (`pid:[INODE]`), or undefined when it is gone. */
export function pidNamespace(pid: number): string | undefined {
  try {
    return Deno.readLinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** Every process on the host in the PID namespace `ns`. */
export function namespaceMembers(ns: string): ProcStat[] {
  const out: ProcStat[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    const pid = Number(e.name);
    if (!Number.isInteger(pid) || pidNamespace(pid) !== ns) continue;
    const stat = readStat(pid);
    if (stat) out.push(stat);
  }
  return out;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/children`);
      out.push(...text.trim().split(/\s+/).filter(Boolean).map(Number));
    }
  } catch { /* gone */ }
  return out;
}

/**
 * Starts `argv` (default: our program, `/usr/bin/systemctl` in the root) as PID 1 in `root`. Resolves once
 * the namespace's PID 1 exists (it may still be the boot script: wait for the program's own
 * signs of life); throws when it never appears.
 */
export async function startPid1(
  root: string,
  logFile: string,
  argv: string[] = ["/usr/bin/systemctl"],
): Promise<Pid1> {
  const child = new Deno.Command("unshare", {
    args: [
      "--pid",
      "--fork",
      "--kill-child",
      "--mount",
      "--net",
      "--propagation",
      "private",
      "sh",
      "-c",
      BOOT,
      "pid1",
      root,
      logFile,
      ...argv,
    ],
    env: CONTAINER_ENV,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const status = child.status;
  let pid = 0;
  // A bound for a loaded machine, not an expected duration.
  const forked = Date.now() + 60_000;
  while (pid === 0 && Date.now() < forked) {
    pid = childrenOf(child.pid)[0] ?? 0;
    if (pid === 0) await new Promise((r) => setTimeout(r, 5));
  }
  const ns = pid ? pidNamespace(pid) : undefined;
  const kill = async () => {
    try {
      child.kill("SIGKILL"); // --kill-child: PID 1, and with it the namespace, dies too
    } catch { /* gone */ }
    await status;
  };
  if (!pid || !ns) {
    await kill();
    throw new Error(`PID 1 did not start: ${readLog(logFile)}`);
  }
  const exec = (args: string[], timeoutMs = 120_000) =>
    run("nsenter", ["-t", String(pid), "-m", "-p", "-n", "-r", "-w", "--", ...args], timeoutMs);
  return {
    root,
    pid,
    logFile,
    status,
    exec,
    systemctl: (...args: string[]) => exec(["/usr/bin/systemctl", ...args]),
    members: () => namespaceMembers(ns),
    log: () => readLog(logFile),
    kill,
  };
}

function readLog(file: string): string {
  try {
    return Deno.readTextFileSync(file);
  } catch {
    return "(no log)";
  }
}

/** Installs our program into `root` with the repository's install.sh (bundle mode). */
export async function installInto(root: string): Promise<Step> {
  const installSh = new URL("../../install.sh", import.meta.url).pathname;
  // The host's environment: the build may fetch through its proxy and certificates.
  return await run("sh", [installSh, "--root", root, "--bundle"], 300_000, {
    ...Deno.env.toObject(),
    PATH: `${Deno.execPath().replace(/\/[^/]+$/, "")}:${Deno.env.get("PATH") ?? ""}`,
  });
}

/** A private copy of `from` in a new temporary directory. */
export async function copyTree(from: string): Promise<string> {
  const to = await Deno.makeTempDir({ prefix: "systemctl-pid1-" }); // removed by the caller
  const r = await run("cp", ["-a", `${from}/.`, to], 300_000);
  if (r.code !== 0) {
    await removeTree(to);
    throw new Error(`cp -a ${from} ${to} failed: ${r.stderr}`);
  }
  return to;
}
