/**
 * Stand-ins for container images this machine cannot download, built from Debian packages:
 *
 * - **musl**: Debian's `musl` and `busybox-static` packages, as installed on this machine, in an
 *   otherwise empty root, as an Alpine image is musl plus busybox. It holds no glibc at all.
 * - **bookworm**: the debootstrap rootfs of `rootfs.ts` (glibc 2.36).
 *
 * Plus the pieces the image tests share: our artifact installed by install.sh into a new
 * directory (as a Dockerfile's build stage does, `install.sh --root /out`) and merged into an
 * image root (`COPY --from=… /out/ /`), and a static busybox under `/opt/probe/` as the same
 * web server and client in every image.
 * @module
 */

import { copyRootfs, ensureRootfs } from "./rootfs.ts";

/** An image root, or why there is none. */
export type ImageResult = { ok: true; dir: string } | { ok: false; reason: string };

/** The image kinds the tests build. */
export type ImageKind = "musl" | "bookworm";

const decoder = new TextDecoder();

async function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
  } catch (e) {
    return { code: 127, output: e instanceof Error ? e.message : String(e) };
  }
}

/** The files (not directories) a Debian package installed on this machine, or why not. */
async function packageFiles(name: string): Promise<string[] | string> {
  const r = await run("dpkg", ["-L", name]);
  if (r.code !== 0) {
    return `the Debian package ${name} is not installed (apt-get install -y ${name})`;
  }
  const files: string[] = [];
  for (const path of r.output.split("\n")) {
    if (!path.startsWith("/")) continue;
    try {
      // stat, not lstat: /lib is a link to usr/lib on a merged-/usr machine.
      const st = Deno.statSync(path);
      if (!st.isDirectory && !path.startsWith("/usr/share/")) files.push(path);
    } catch { /* listed, not present */ }
  }
  return files;
}

/** The static busybox of Debian's `busybox-static` package, or why there is none. */
export async function staticBusybox(): Promise<string | { reason: string }> {
  const r = await run("dpkg", ["-S", "/bin/busybox"]);
  if (r.code !== 0 || !/^busybox-static:/.test(r.output)) {
    return {
      reason: "/bin/busybox is not from busybox-static (apt-get install -y busybox-static)",
    };
  }
  return "/bin/busybox";
}

/**
 * A musl + busybox root in `dir` (created): the files of the `musl` package, busybox with a
 * link for each applet, `/etc/passwd` and `/etc/group` with root and nobody, and the
 * directories a container runtime mounts over.
 */
export async function buildMuslRoot(dir: string): Promise<ImageResult> {
  const busybox = await staticBusybox();
  if (typeof busybox !== "string") return { ok: false, reason: busybox.reason };
  const musl = await packageFiles("musl");
  if (typeof musl === "string") return { ok: false, reason: musl };
  for (const d of ["bin", "sbin", "usr/bin", "usr/sbin", "lib", "etc", "root", "srv", "var/log"]) {
    await Deno.mkdir(`${dir}/${d}`, { recursive: true });
  }
  for (const d of ["proc", "sys", "dev", "run", "tmp"]) {
    await Deno.mkdir(`${dir}/${d}`, { recursive: true });
  }
  await Deno.chmod(`${dir}/tmp`, 0o1777);
  for (const file of musl) {
    const to = `${dir}${file}`;
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    const st = Deno.lstatSync(file);
    if (st.isSymlink) await Deno.symlink(Deno.readLinkSync(file), to);
    else await Deno.copyFile(file, to);
  }
  await Deno.copyFile(busybox, `${dir}/bin/busybox`);
  await Deno.chmod(`${dir}/bin/busybox`, 0o755);
  const applets = await run(busybox, ["--list-full"]);
  if (applets.code !== 0) return { ok: false, reason: `busybox --list-full: ${applets.output}` };
  for (const applet of applets.output.split("\n").filter(Boolean)) {
    const to = `${dir}/${applet}`;
    if (to === `${dir}/bin/busybox`) continue;
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    await Deno.symlink("/bin/busybox", to).catch(() => {});
  }
  await Deno.writeTextFile(
    `${dir}/etc/passwd`,
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n",
  );
  await Deno.writeTextFile(`${dir}/etc/group`, "root:x:0:\nnogroup:x:65534:\n");
  await Deno.writeTextFile(
    `${dir}/etc/os-release`,
    'ID=musl-busybox\nPRETTY_NAME="musl + busybox (an Alpine stand-in)"\n',
  );
  return { ok: true, dir };
}

/** A new image root of `kind` in a new temporary directory, or why there is none. */
export async function makeImage(kind: ImageKind): Promise<ImageResult> {
  if (kind === "bookworm") {
    const base = await ensureRootfs();
    if (!base.ok) return base;
    return { ok: true, dir: await copyRootfs(base.dir) };
  }
  const dir = await Deno.makeTempDir({ prefix: "systemctl-musl-" });
  let r: ImageResult | undefined;
  try {
    r = await buildMuslRoot(dir);
    return r;
  } finally {
    if (!r?.ok) await Deno.remove(dir, { recursive: true });
  }
}

/** Puts this machine's static busybox at `/opt/probe/busybox` in `root` (server and client). */
export async function addProbe(root: string): Promise<string | undefined> {
  const busybox = await staticBusybox();
  if (typeof busybox !== "string") return busybox.reason;
  await Deno.mkdir(`${root}/opt/probe`, { recursive: true });
  await Deno.copyFile(busybox, `${root}/opt/probe/busybox`);
  await Deno.chmod(`${root}/opt/probe/busybox`, 0o755);
  return undefined;
}

/**
 * `install.sh --root OUT --bundle` with OUT a directory that does not exist yet, as a
 * Dockerfile's build stage runs it; returns OUT (inside a new temporary directory) or throws
 * with install.sh's output.
 */
export async function buildArtifact(): Promise<string> {
  const parent = await Deno.makeTempDir({ prefix: "systemctl-artifact-" });
  const out = `${parent}/out`;
  const installSh = new URL("../../install.sh", import.meta.url).pathname;
  const r = await run("sh", [installSh, "--root", out, "--bundle"]);
  if (r.code !== 0) {
    await Deno.remove(parent, { recursive: true });
    throw new Error(`install.sh --root ${out} failed:\n${r.output}`);
  }
  return out;
}

/** Copies the artifact into an image root, as `COPY --from=build /out/ /` does. */
export async function mergeArtifact(out: string, root: string): Promise<void> {
  const r = await run("cp", ["-a", `${out}/.`, `${root}/`]);
  if (r.code !== 0) throw new Error(`cp -a ${out} ${root}: ${r.output}`);
}
