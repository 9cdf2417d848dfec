/**
 * A Debian bookworm root file system (`debootstrap --variant=minbase`) for
 * tests that install into an image root and run the result through chroot.
 * Built once from the mirror in this machine's apt sources and cached in
 * `$SYSTEMCTL_ROOTFS_CACHE` (default `/var/cache/deno-systemctl-test/rootfs-bookworm`);
 * each test works on its own copy.
 * @module
 */

/** Where the cached rootfs lives. */
export function rootfsCacheDir(): string {
  return Deno.env.get("SYSTEMCTL_ROOTFS_CACHE") ??
    "/var/cache/deno-systemctl-test/rootfs-bookworm";
}

/** The rootfs, or the reason there is none (a test that was not ignored then fails). */
export type RootfsResult = { ok: true; dir: string } | { ok: false; reason: string };

async function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
  } catch (e) {
    return { code: 127, output: e instanceof Error ? e.message : String(e) };
  }
}

/** Whether a path exists (without following a final symlink). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** The Debian mirror of this machine's apt sources (deb822 or one-line format). */
export async function debianMirror(): Promise<string | undefined> {
  const texts: string[] = [];
  try {
    for await (const e of Deno.readDir("/etc/apt/sources.list.d")) {
      if (e.name.endsWith(".sources") || e.name.endsWith(".list")) {
        texts.push(await Deno.readTextFile(`/etc/apt/sources.list.d/${e.name}`));
      }
    }
  } catch { /* no directory */ }
  try {
    texts.push(await Deno.readTextFile("/etc/apt/sources.list"));
  } catch { /* no file */ }
  for (const text of texts) {
    for (const line of text.split("\n")) {
      const uri = line.match(/^URIs:\s*(\S+)/)?.[1] ??
        line.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/)?.[1];
      if (uri && !/security/.test(uri)) return uri;
    }
  }
  return undefined;
}

/** Whether the effective user is root (chroot and debootstrap need it). */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}

/**
 * Why no bookworm rootfs can be had here, or undefined when it is cached or can be built:
 * tests that need one are registered as ignored with this reason. (Whether the mirror
 * answers is not probed: a build that fails then fails the test.)
 */
export async function rootfsSkipReason(): Promise<string | undefined> {
  if (await exists(`${rootfsCacheDir()}/etc/debian_version`)) return undefined;
  if (!isRoot()) return "building a rootfs with debootstrap needs root";
  if ((await run("debootstrap", ["--version"])).code === 127) {
    return "debootstrap is not installed (apt-get install -y debootstrap; .ci/run installs it)";
  }
  if (!(await debianMirror())) return "no Debian mirror in /etc/apt/sources.list*";
  return undefined;
}

/**
 * The cached bookworm rootfs, built with debootstrap when missing (30-60 s):
 * into a temporary directory beside the cache, renamed into place when
 * complete, so a killed build never leaves a half rootfs behind.
 */
export async function ensureRootfs(): Promise<RootfsResult> {
  const dir = rootfsCacheDir();
  if (await exists(`${dir}/etc/debian_version`)) return { ok: true, dir };
  if (!isRoot()) return { ok: false, reason: "debootstrap needs root" };
  // Tests never install packages on the host: .ci/run does (see rootfsSkipReason).
  if ((await run("debootstrap", ["--version"])).code === 127) {
    return { ok: false, reason: "debootstrap is not installed (apt-get install -y debootstrap)" };
  }
  const mirror = await debianMirror();
  if (!mirror) return { ok: false, reason: "no Debian mirror in /etc/apt/sources.list*" };
  const parent = dir.replace(/\/[^/]+\/?$/, "") || "/";
  await Deno.mkdir(parent, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: parent, prefix: ".rootfs-build-" });
  try {
    const r = await run("debootstrap", [
      "--variant=minbase",
      "bookworm",
      `${tmp}/rootfs`,
      mirror,
    ]);
    if (r.code !== 0) {
      const last = r.output.trim().split("\n").at(-1);
      return { ok: false, reason: `debootstrap from ${mirror} failed: ${last}` };
    }
    try {
      await Deno.rename(`${tmp}/rootfs`, dir);
    } catch (e) {
      // Another run finished first: use its rootfs.
      if (!(await exists(`${dir}/etc/debian_version`))) throw e;
    }
    return { ok: true, dir };
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * A private copy of the cached rootfs in a new temporary directory (hard
 * links would share inodes with the cache, so files are copied).
 */
export async function copyRootfs(from: string): Promise<string> {
  const to = await Deno.makeTempDir({ prefix: "systemctl-rootfs-" }); // removed by the caller
  const r = await run("cp", ["-a", `${from}/.`, to]);
  if (r.code !== 0) throw new Error(`cp -a ${from} ${to} failed: ${r.output}`);
  return to;
}
