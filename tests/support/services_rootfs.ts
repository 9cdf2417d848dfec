/**
 * The cached bookworm rootfs of `rootfs.ts` with real services installed by apt inside it:
 * nginx, redis-server and mariadb-server (and curl, to talk to nginx from inside). A second
 * cache layer beside the base one, `$SYSTEMCTL_ROOTFS_CACHE-services-<version>`, built once
 * into a temporary directory beside it and renamed into place when complete.
 *
 * apt runs in a chroot inside its own PID and mount namespaces (`unshare --pid --fork
 * --kill-child --mount`), with /proc, a minimal /dev and a read-only /sys mounted there and a
 * `policy-rc.d` that keeps the packages' scripts from starting their services: the mounts and
 * any process the maintainer scripts leave behind die with the namespace, even when the build
 * is killed. Needs root.
 * @module
 */

import { ensureRootfs, exists, isRoot, rootfsCacheDir } from "./rootfs.ts";

/** Bump when the package list or the build changes: a new cache directory is built. */
export const SERVICES_ROOTFS_VERSION = "v1";

/** The packages installed into the services rootfs. */
export const SERVICES_PACKAGES = ["nginx", "redis-server", "mariadb-server", "curl"];

/** Where the services rootfs is cached. */
export function servicesRootfsDir(): string {
  return `${rootfsCacheDir()}-services-${SERVICES_ROOTFS_VERSION}`;
}

const decoder = new TextDecoder();

async function run(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): Promise<{ code: number; output: string }> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
  } catch (e) {
    return { code: 127, output: e instanceof Error ? e.message : String(e) };
  }
}

/** Whether any mount point lies at or under `dir` in this mount namespace. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await Deno.readTextFile("/proc/self/mountinfo");
  return text.split("\n").map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/**
 * Removes a directory tree, refusing (and saying so) when anything is still mounted under it:
 * a bind mount of /dev under it would otherwise take the host's device nodes with it.
 */
export async function removeTree(dir: string): Promise<void> {
  const mounted = await mountsUnder(dir);
  if (mounted.length > 0) {
    console.error(`not removing ${dir}: still mounted: ${mounted.join(", ")}`);
    return;
  }
  // --one-file-system: should a mount appear meanwhile, rm does not descend into it.
  const rm = await run("rm", ["-rf", "--one-file-system", dir]);
  if (rm.code !== 0) console.error(`rm -rf ${dir}: ${rm.output}`);
}

/**
 * Shell lines (for a script whose `$R` is the root) that mount, in the current mount
 * namespace, /proc, a tmpfs /dev holding bind mounts of the few device nodes services use
 * (as container runtimes lay out /dev), and a read-only /sys. No recursive bind of the host's
 * /dev: nothing under the root ever leads back to the host's device nodes.
 */
export const MOUNT_API_FILESYSTEMS = `
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=755,nosuid tmpfs "$R/dev"
for n in null zero full random urandom tty; do
  touch "$R/dev/$n"
  mount --bind "/dev/$n" "$R/dev/$n"
done
mkdir -p "$R/dev/shm" "$R/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
mount --bind /sys "$R/sys"
mount -o remount,bind,ro "$R/sys"
`;

const APT = `set -eu
R="$1"
shift
mount --make-rprivate /
${MOUNT_API_FILESYSTEMS}
printf '#!/bin/sh\\nexit 101\\n' > "$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
chroot "$R" apt-get update -q
chroot "$R" apt-get install -y -q --no-install-recommends "$@"
chroot "$R" apt-get clean
rm -f "$R/usr/sbin/policy-rc.d"
rm -rf "$R"/var/lib/apt/lists/* "$R"/var/log/apt/* "$R"/run/* "$R"/tmp/*
`;

/** The services rootfs, built when missing (a few minutes), or why there is none. */
export async function ensureServicesRootfs(): Promise<
  { ok: true; dir: string } | { ok: false; reason: string }
> {
  const dir = servicesRootfsDir();
  if (await exists(`${dir}/usr/sbin/mariadbd`)) return { ok: true, dir };
  if (!isRoot()) return { ok: false, reason: "chroot and apt in the rootfs need root" };
  const base = await ensureRootfs();
  if (!base.ok) return base;
  const parent = dir.replace(/\/[^/]+\/?$/, "") || "/";
  const tmp = await Deno.makeTempDir({ dir: parent, prefix: ".rootfs-services-build-" });
  const root = `${tmp}/rootfs`;
  try {
    const cp = await run("cp", ["-a", base.dir, root]);
    if (cp.code !== 0) return { ok: false, reason: `cp -a ${base.dir} failed: ${cp.output}` };
    try {
      await Deno.copyFile("/etc/resolv.conf", `${root}/etc/resolv.conf`);
    } catch { /* no resolver config: apt may still reach a mirror by address */ }
    const env = {
      DEBIAN_FRONTEND: "noninteractive",
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      LANG: "C.UTF-8",
    };
    const apt = await run("unshare", [
      "--pid",
      "--fork",
      "--kill-child",
      "--mount",
      "sh",
      "-c",
      APT,
      "apt",
      root,
      ...SERVICES_PACKAGES,
    ], env);
    if (apt.code !== 0) {
      const tail = apt.output.trim().split("\n").slice(-5).join("\n");
      return { ok: false, reason: `apt-get install in the rootfs failed:\n${tail}` };
    }
    try {
      await Deno.rename(root, dir);
    } catch (e) {
      // Another run finished first: use its rootfs.
      if (!(await exists(`${dir}/usr/sbin/mariadbd`))) throw e;
    }
    return { ok: true, dir };
  } finally {
    await removeTree(tmp);
  }
}
