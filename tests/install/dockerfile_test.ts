/**
 * The README's Dockerfile, run as written (issue 19): the first `dockerfile` block of README.md
 * is parsed and each instruction carried out the way `docker build` would, without Docker:
 *
 * - `FROM debian:bookworm` is a fresh copy of the debootstrap rootfs (`../support/rootfs.ts`),
 *   with what Docker's `debian` image adds to it (`/usr/sbin/policy-rc.d` exiting 101, so that
 *   package scripts start nothing) and this machine's `/etc/resolv.conf`, as Docker provides it;
 *   `denoland/deno:bin-2.9.6` is a root holding `/deno`, this machine's Deno 2.9.6.
 * - `COPY` copies from the repository (the build context) or from an earlier stage or image.
 * - `RUN` runs `/bin/sh -c LINE` chrooted into the stage, in new PID and mount namespaces with
 *   /proc, a minimal /dev and /sys mounted (as a build container has them), Docker's default
 *   PATH and HOME; Deno's download cache is a bind mount of a cache directory of the tests, as
 *   a BuildKit cache mount would be (the first run downloads esbuild from the npm registry).
 * - `STOPSIGNAL` and `CMD` are recorded and checked.
 *
 * An instruction the interpreter does not know fails the test, so the README cannot grow steps
 * that are never run. The image built is then booted as PID 1 (`../e2e/_pid1.ts`): nginx must
 * be active and SIGTERM must end it with exit 0. Needs root, namespaces, the network (apt-get
 * in the second stage, as in a real build) and Deno 2.9.6; skips with a printed reason.
 * @module
 */

import assert from "node:assert/strict";
import { copyRootfs, ensureRootfs, exists, isRoot, rootfsCacheDir } from "../support/rootfs.ts";
import { MOUNT_API_FILESYSTEMS, removeTree } from "../support/services_rootfs.ts";
import { startPid1 } from "../e2e/_pid1.ts";

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** One Dockerfile instruction: its keyword (upper case) and the rest of its line. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The first ```dockerfile block of a Markdown text. Pure. */
export function dockerfileBlock(markdown: string): string {
  const m = markdown.match(/^```dockerfile\n([\s\S]*?)^```$/m);
  if (!m) throw new Error("no ```dockerfile block");
  return m[1];
}

/** Splits a Dockerfile into instructions: comments dropped, `\` continuations joined. Pure. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    if (pending === "" && /^\s*(#|$)/.test(raw)) continue;
    const line = pending + raw;
    if (line.endsWith("\\")) {
      // Docker drops the backslash and the newline: the lines join into one.
      pending = line.slice(0, -1);
      continue;
    }
    pending = "";
    const m = line.trim().match(/^(\w+)\s+([\s\S]*)$/);
    if (!m) throw new Error(`not an instruction: ${line}`);
    out.push({ keyword: m[1].toUpperCase(), args: m[2].trim() });
  }
  if (pending) throw new Error("a continuation line ends the file");
  return out;
}

Deno.test("parseDockerfile joins continuations and keeps the instructions in order", () => {
  const text = '# c\nFROM a AS b\nRUN x \\\n && y\n\nCMD ["/z"]\n';
  assert.deepEqual(parseDockerfile(text), [
    { keyword: "FROM", args: "a AS b" },
    { keyword: "RUN", args: "x  && y" },
    { keyword: "CMD", args: '["/z"]' },
  ]);
  assert.throws(() => parseDockerfile("RUN x \\"), /continuation/);
});

interface Step {
  code: number;
  output: string;
}

async function run(cmd: string, args: string[], env?: Record<string, string>): Promise<Step> {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    clearEnv: env !== undefined,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

/** Docker's default environment of a RUN step. */
const RUN_ENV = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/root",
};

/** Deno's cache for the builds, kept between runs as a build cache is. */
function denoCacheDir(): string {
  return `${rootfsCacheDir()}-dockerfile-deno-dir`;
}

/**
 * Where a RUN step sees the certificate authorities of this machine's network, when it has
 * its own (a TLS-inspecting proxy: SSL_CERT_FILE): a bind mount for the step only, as a build
 * secret, named to Deno by DENO_CERT. The image has no CA bundle of its own, as Docker's
 * debian image has none.
 */
const BUILD_CA = "/run/build-ca.crt";

const RUN_SCRIPT = `set -eu
R="$1"
CACHE="$2"
CA="$3"
shift 3
mount --make-rprivate /
${MOUNT_API_FILESYSTEMS}
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts"
mkdir -p "$R/root/.cache/deno"
mount --bind "$CACHE" "$R/root/.cache/deno"
if [ -n "$CA" ]; then
  touch "$R${BUILD_CA}"
  mount --bind "$CA" "$R${BUILD_CA}"
fi
exec chroot "$R" /bin/sh -c "$1"
`;

/** This machine's own certificate authorities, when it names a bundle (SSL_CERT_FILE). */
function hostCa(): string {
  const file = Deno.env.get("DENO_CERT") ?? Deno.env.get("SSL_CERT_FILE") ?? "";
  try {
    return file && Deno.statSync(file).isFile ? file : "";
  } catch {
    return "";
  }
}

/** The images a FROM or COPY --from may name, made on this machine. */
async function baseImage(name: string): Promise<string | { skip: string }> {
  if (name === "debian:bookworm") {
    const base = await ensureRootfs();
    if (!base.ok) return { skip: base.reason };
    const root = await copyRootfs(base.dir);
    await Deno.writeTextFile(`${root}/usr/sbin/policy-rc.d`, "#!/bin/sh\nexit 101\n", {
      mode: 0o755,
    });
    await Deno.copyFile("/etc/resolv.conf", `${root}/etc/resolv.conf`).catch(() => {});
    return root;
  }
  const deno = name.match(/^denoland\/deno:bin-([\d.]+)$/);
  if (deno) {
    if (Deno.version.deno !== deno[1]) {
      return { skip: `${name} stands for this machine's Deno, which is ${Deno.version.deno}` };
    }
    const root = await Deno.makeTempDir({ prefix: "systemctl-denobin-" });
    await Deno.copyFile(Deno.execPath(), `${root}/deno`);
    await Deno.chmod(`${root}/deno`, 0o755);
    return root;
  }
  throw new Error(`no stand-in for the image ${name}`);
}

/** The result of building a Dockerfile: the last stage's root and its configuration. */
interface Built {
  root: string;
  stopSignal?: string;
  cmd?: string[];
  /** Every directory made, to remove. */
  dirs: string[];
  log: string[];
}

async function build(
  instructions: Instruction[],
  built: Built,
): Promise<{ skip: string } | undefined> {
  const stages = new Map<string, string>();
  const cache = denoCacheDir();
  await Deno.mkdir(cache, { recursive: true });
  for (const { keyword, args } of instructions) {
    built.log.push(`${keyword} ${args}`);
    if (keyword === "FROM") {
      const m = args.match(/^(\S+)(?:\s+AS\s+(\S+))?$/i);
      assert.ok(m, `FROM ${args}`);
      const root = await baseImage(m[1]);
      if (typeof root !== "string") return root;
      built.dirs.push(root);
      built.root = root;
      built.stopSignal = undefined;
      built.cmd = undefined;
      if (m[2]) stages.set(m[2], root);
    } else if (keyword === "COPY") {
      const m = args.match(/^(?:--from=(\S+)\s+)?(\S+)\s+(\S+)$/);
      assert.ok(m, `COPY ${args}`);
      let from = REPO;
      if (m[1]) {
        const stage = stages.get(m[1]);
        if (stage) from = stage;
        else {
          const image = await baseImage(m[1]);
          if (typeof image !== "string") return image;
          built.dirs.push(image);
          from = image;
        }
      }
      const src = m[2] === "." ? from : `${from}/${m[2].replace(/^\/+/, "")}`;
      const dest = `${built.root}/${m[3].replace(/^\/+/, "")}`;
      // A directory's contents go into the destination directory; a file to the path named.
      const isDir = (await Deno.stat(src)).isDirectory;
      await Deno.mkdir(isDir ? dest : dest.replace(/\/[^/]*$/, ""), { recursive: true });
      const r = await run("cp", ["-a", isDir ? `${src}/.` : src, dest]);
      assert.equal(r.code, 0, r.output);
    } else if (keyword === "RUN") {
      const ca = hostCa();
      const r = await run("unshare", [
        "--pid",
        "--fork",
        "--kill-child",
        "--mount",
        "sh",
        "-c",
        RUN_SCRIPT,
        "run",
        built.root,
        cache,
        ca,
        args,
      ], ca ? { ...RUN_ENV, DENO_CERT: BUILD_CA } : RUN_ENV);
      if (ca) await Deno.remove(`${built.root}${BUILD_CA}`).catch(() => {});
      built.log.push(r.output);
      assert.equal(r.code, 0, `RUN ${args} failed:\n${r.output}`);
    } else if (keyword === "STOPSIGNAL") {
      built.stopSignal = args;
    } else if (keyword === "CMD") {
      built.cmd = JSON.parse(args);
    } else {
      throw new Error(`the README's Dockerfile uses ${keyword}, which this test does not run`);
    }
  }
  return undefined;
}

Deno.test({
  name: "the README's Dockerfile builds, as written, an image that boots nginx",
  ignore: !isRoot(),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const instructions = parseDockerfile(
    dockerfileBlock(await Deno.readTextFile(`${REPO}/README.md`)),
  );
  const result: Built = { root: "", dirs: [], log: [] };
  const logDir = await Deno.makeTempDir({ prefix: "systemctl-dockerfile-log-" });
  let pid1: Awaited<ReturnType<typeof startPid1>> | undefined;
  try {
    const skip = await build(instructions, result);
    if (skip) {
      console.log(`skipped: ${skip.skip}`);
      return;
    }
    const root = result.root;
    const why = () => result.log.join("\n");
    assert.equal(result.stopSignal, "SIGTERM");
    assert.deepEqual(result.cmd, ["/usr/bin/systemctl"]);
    assert.match(await Deno.readTextFile(`${root}/usr/bin/systemctl`), /deno-systemctl launcher/);
    assert.ok(await exists(`${root}/usr/lib/deno-systemctl/crt/libc.so.6`), why());
    assert.ok(
      await exists(`${root}/etc/systemd/system/multi-user.target.wants/nginx.service`),
      why(),
    );
    // The image, booted as its CMD says.
    pid1 = await startPid1(root, `${logDir}/pid1.log`, result.cmd!);
    const ns = pid1;
    let state = "";
    for (let i = 0; i < 240 && state !== "running" && state !== "degraded"; i++) {
      state = (await ns.systemctl("is-system-running")).stdout.trim();
      if (state !== "running" && state !== "degraded") await new Promise((r) => setTimeout(r, 250));
    }
    const active = await ns.systemctl("is-active", "nginx.service");
    assert.equal(active.stdout.trim(), "active", ns.log());
    Deno.kill(ns.pid, "SIGTERM");
    const status = await ns.status;
    assert.equal(status.code, 0, ns.log());
    assert.match(ns.log(), /Stopped A high performance web server/);
  } finally {
    if (pid1) await pid1.kill();
    for (const d of result.dirs) await removeTree(d);
    await removeTree(logDir);
  }
});
