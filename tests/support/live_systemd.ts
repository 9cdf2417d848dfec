/**
 * A live systemd 252 for differential tests: Debian's systemd installed into
 * a copy of the cached bookworm rootfs (cached itself, beside it), booted as
 * PID 1 of new PID, mount, UTS and IPC namespaces, chrooted into a private
 * copy. Its `systemctl` is reached through nsenter. Needs root.
 * @module
 */

import { copyRootfs, ensureRootfs, exists, isRoot, rootfsCacheDir } from "./rootfs.ts";
import { descendants, readComm } from "../../src/process/procfs.ts";

const decoder = new TextDecoder();

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], env?: Record<string, string>): Promise<RunResult> {
  try {
    const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
      .output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } catch (e) {
    return { code: 127, stdout: "", stderr: e instanceof Error ? e.message : String(e) };
  }
}

/** The cached rootfs with systemd installed, or why there is none. */
export async function ensureSystemdRootfs(): Promise<
  { ok: true; dir: string } | {
    ok: false;
    reason: string;
  }
> {
  if (!isRoot()) return { ok: false, reason: "chroot and namespaces need root" };
  const dir = `${rootfsCacheDir()}-systemd`;
  if (await exists(`${dir}/lib/systemd/systemd`)) return { ok: true, dir };
  const base = await ensureRootfs();
  if (!base.ok) return base;
  const tmp = await copyRootfs(base.dir);
  try {
    try {
      await Deno.copyFile("/etc/resolv.conf", `${tmp}/etc/resolv.conf`);
    } catch { /* no resolver config: apt may still reach a mirror by address */ }
    const env = { DEBIAN_FRONTEND: "noninteractive", PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };
    const up = await run("chroot", [tmp, "apt-get", "update", "-q"], env);
    if (up.code !== 0) {
      return { ok: false, reason: `apt-get update in the rootfs failed: ${up.stderr}` };
    }
    const inst = await run(
      "chroot",
      [tmp, "apt-get", "install", "-y", "-q", "--no-install-recommends", "systemd"],
      env,
    );
    if (inst.code !== 0) {
      return { ok: false, reason: `apt-get install systemd in the rootfs failed: ${inst.stderr}` };
    }
    await run("chroot", [tmp, "apt-get", "clean"], env);
    try {
      await Deno.rename(tmp, dir);
    } catch (e) {
      if (!(await exists(`${dir}/lib/systemd/systemd`))) throw e;
    }
    return { ok: true, dir };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** A booted systemd and the root it runs in. */
export interface LiveSystemd {
  /** The private root (a copy; our program gets `--root` of it). */
  readonly root: string;
  /** PID 1 of the namespace, as the host sees it. */
  readonly pid: number;
  /** Runs the live `systemctl ARGS`. */
  systemctl(...args: string[]): Promise<RunResult>;
  /** Kills the namespace and removes the root. */
  close(): Promise<void>;
}

const BOOT = `set -e
R="$1"
mount -t proc proc "$R/proc"
mount --rbind /sys "$R/sys"
mount --rbind /dev "$R/dev"
mount -t tmpfs tmpfs "$R/run"
mount -t tmpfs tmpfs "$R/tmp"
exec chroot "$R" /usr/bin/env -i container=docker PATH=/usr/sbin:/usr/bin:/sbin:/bin \\
  /lib/systemd/systemd --system --log-target=null
`;

/** Boots systemd in a private copy of the systemd rootfs; `prepare` edits the root first. */
export async function bootSystemd(
  cached: string,
  prepare: (root: string) => void | Promise<void>,
): Promise<LiveSystemd> {
  const root = await copyRootfs(cached);
  // Units a container cannot run only slow the boot down.
  for (const u of ["systemd-logind.service", "e2scrub_reap.service", "getty@tty1.service"]) {
    try {
      Deno.symlinkSync("/dev/null", `${root}/etc/systemd/system/${u}`);
    } catch { /* already there */ }
  }
  await prepare(root);
  const child = new Deno.Command("unshare", {
    args: [
      "--pid",
      "--fork",
      "--mount",
      "--uts",
      "--ipc",
      "--propagation",
      "private",
      "sh",
      "-c",
      BOOT,
      "boot",
      root,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let pid = 0;
  // A bound for a loaded machine, not an expected duration.
  const started = Date.now() + 60_000;
  while (pid === 0 && Date.now() < started) {
    pid = descendants([child.pid]).find((p) => readComm(p) === "systemd") ?? 0;
    if (pid === 0) await new Promise((r) => setTimeout(r, 5));
  }
  const close = async () => {
    try {
      if (pid) Deno.kill(pid, "SIGKILL");
      else child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    await Deno.remove(root, { recursive: true }).catch(() => {});
  };
  if (pid === 0) {
    await close();
    throw new Error("systemd did not start in the namespace");
  }
  const systemctl = (...args: string[]) =>
    run("nsenter", ["-t", String(pid), "-m", "-p", "-r", "-w", "systemctl", ...args], {
      SYSTEMD_COLORS: "0",
      SYSTEMD_PAGER: "",
      LANG: "C.UTF-8",
    });
  // The private socket appears a moment after exec; then wait for the boot to finish.
  let ready: RunResult = { code: 1, stdout: "", stderr: "" };
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    ready = await run("timeout", [
      "120",
      "nsenter",
      "-t",
      String(pid),
      "-m",
      "-p",
      "-r",
      "-w",
      "systemctl",
      "is-system-running",
      "--wait",
    ]);
    // Before systemd sets up /run/systemd/system, systemctl says "offline" or cannot connect.
    if (!/Failed to connect/.test(ready.stderr) && ready.stdout.trim() !== "offline") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!["running", "degraded"].includes(ready.stdout.trim())) {
    await close();
    throw new Error(`systemd did not finish booting: ${ready.stdout}${ready.stderr}`);
  }
  return { root, pid, systemctl, close };
}
