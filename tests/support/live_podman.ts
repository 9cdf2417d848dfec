/**
 * Podman images and containers for the live differential harness: real
 * systemd 252 as PID 1 of one container, our program as PID 1 of another,
 * both from the same cached bookworm root with the `systemd` package.
 *
 * Images (kept between runs, like the rootfs caches; `podman images
 * 'localhost/deno-systemctl-live*'` lists them, `podman rmi` removes them):
 * - `localhost/deno-systemctl-live-systemd:v1`: the root of
 *   `ensureSystemdRootfs()` imported as it is (about 230 MB), with
 *   `CMD ["/lib/systemd/systemd"]` and `STOPSIGNAL SIGRTMIN+3`;
 * - `localhost/deno-systemctl-live-ours:<hash of the sources>`: a layer on it
 *   with what `install.sh --root DIR --force` installs (about 95 MB), with
 *   `CMD ["/usr/bin/systemctl"]` and `STOPSIGNAL SIGTERM`. A source change
 *   makes a new tag; the older tags are removed when it is built.
 *
 * Containers are named `deno-systemctl-live-*` and removed by whoever started them.
 * @module
 */

import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { ensureSystemdRootfs } from "./live_systemd.ts";
import { isRoot } from "./rootfs.ts";

const decoder = new TextDecoder();
const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The repository and tag of the systemd image (bump when its contents change). */
export const SYSTEMD_IMAGE = "localhost/deno-systemctl-live-systemd:v1";
/** The repository of our image; the tag is the sources' hash. */
export const OURS_REPO = "localhost/deno-systemctl-live-ours";
/** Prefix of every container the harness starts. */
export const CONTAINER_PREFIX = "deno-systemctl-live-";

/** A finished command. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; a missing program is exit 127. */
export async function run(
  cmd: string,
  args: string[],
  opts: { stdin?: string | Uint8Array; env?: Record<string, string> } = {},
): Promise<Ran> {
  try {
    const child = new Deno.Command(cmd, {
      args,
      env: opts.env,
      stdin: opts.stdin !== undefined ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (opts.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(
        typeof opts.stdin === "string" ? new TextEncoder().encode(opts.stdin) : opts.stdin,
      )
        .catch(() => {});
      await w.close().catch(() => {});
    }
    const out = await child.output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } catch (e) {
    return { code: 127, stdout: "", stderr: e instanceof Error ? e.message : String(e) };
  }
}

async function podman(...args: string[]): Promise<Ran> {
  return await run("podman", args);
}

/** Why podman cannot run the containers here, or undefined when it can. */
export async function podmanProblem(): Promise<string | undefined> {
  if (!isRoot()) return "the live containers need root (rootful podman, chroot, debootstrap)";
  const v = await podman("--version");
  if (v.code !== 0) return `podman is not installed (${v.stderr.trim() || "exit " + v.code})`;
  const r = await run("runc", ["--version"]);
  if (r.code !== 0) return "runc is not installed (apt-get install -y runc)";
  return undefined;
}

/** The sources our image is built from, hashed: a change gives a new image tag. */
async function sourceHash(): Promise<string> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(join(REPO, dir))) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (e.isFile) files.push(p);
    }
  };
  walk("src");
  walk("scripts");
  files.push("mod.ts", "install.sh", "deno.json", "deno.lock");
  files.sort();
  const parts: Uint8Array[] = [];
  for (const f of files) {
    parts.push(new TextEncoder().encode(`${f}\0`), Deno.readFileSync(join(REPO, f)));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function imageExists(ref: string): Promise<boolean> {
  return (await podman("image", "exists", ref)).code === 0;
}

async function ensureSystemdImage(): Promise<string> {
  if (await imageExists(SYSTEMD_IMAGE)) return SYSTEMD_IMAGE;
  const rootfs = await ensureSystemdRootfs();
  if (!rootfs.ok) throw new Error(`no systemd rootfs: ${rootfs.reason}`);
  const tar = new Deno.Command("tar", {
    args: ["-C", rootfs.dir, "--numeric-owner", "-c", "."],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const imp = new Deno.Command("podman", {
    args: [
      "import",
      "--change",
      'CMD ["/lib/systemd/systemd"]',
      "--change",
      "STOPSIGNAL SIGRTMIN+3",
      "-",
      SYSTEMD_IMAGE,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await tar.stdout.pipeTo(imp.stdin);
  const [t, i] = await Promise.all([tar.status, imp.output()]);
  if (!t.success || !i.success) {
    throw new Error(`podman import of ${rootfs.dir} failed: ${decoder.decode(i.stderr).trim()}`);
  }
  return SYSTEMD_IMAGE;
}

async function ensureOursImage(base: string): Promise<string> {
  const ref = `${OURS_REPO}:${await sourceHash()}`;
  if (await imageExists(ref)) return ref;
  const ctx = await Deno.makeTempDir({ prefix: "deno-systemctl-live-image-" });
  try {
    const inst = await run("sh", [join(REPO, "install.sh"), "--root", ctx, "--force"]);
    if (inst.code !== 0) {
      throw new Error(`install.sh --root ${ctx} --force failed: ${inst.stderr.trim()}`);
    }
    await Deno.writeTextFile(
      join(ctx, "Containerfile"),
      `FROM ${base}\nCOPY usr/ /usr/\nSTOPSIGNAL SIGTERM\nCMD ["/usr/bin/systemctl"]\n`,
    );
    const b = await podman(
      "build",
      "--runtime",
      "runc",
      "-q",
      "-t",
      ref,
      "-f",
      "Containerfile",
      ctx,
    );
    if (b.code !== 0) throw new Error(`podman build of ${ref} failed: ${b.stderr.trim()}`);
  } finally {
    await Deno.remove(ctx, { recursive: true }).catch(() => {});
  }
  // Older builds of our image are no longer needed; one a running container uses (another
  // run of the tests) stays until a later build (no -f: that would remove its containers).
  const old = await podman("images", "--format", "{{.Repository}}:{{.Tag}}", OURS_REPO);
  for (const r of old.stdout.split("\n").map((l) => l.trim()).filter(Boolean)) {
    if (r !== ref) await podman("rmi", r);
  }
  return ref;
}

/** The two images, built when missing. */
export async function ensureLiveImages(): Promise<{ systemd: string; ours: string }> {
  const systemd = await ensureSystemdImage();
  return { systemd, ours: await ensureOursImage(systemd) };
}

/** Which manager is PID 1 of a container. */
export type Side = "systemd" | "ours";

/**
 * The resource limits passed to `podman run`: the sandbox has no CAP_SYS_RESOURCE, so runc
 * may only lower them. Podman lowers its own (conmon's) RLIMIT_NPROC to 32768.
 */
function ulimits(): string[] {
  const limit = (flag: string, cap: number) => {
    const r = new Deno.Command("sh", { args: ["-c", `ulimit ${flag}`], stdout: "piped" })
      .outputSync();
    const v = Number(decoder.decode(r.stdout).trim());
    return Number.isFinite(v) && v > 0 ? Math.min(v, cap) : cap;
  };
  const n = limit("-n", 65536);
  const u = limit("-u", 32768);
  return ["--ulimit", `nofile=${n}:${n}`, "--ulimit", `nproc=${u}:${u}`];
}

let counter = 0;
/** The containers this process started and has not removed yet. */
const started = new Set<LiveContainer>();

/** Removes every container this process started (for a signal handler). */
export async function removeStarted(): Promise<void> {
  await Promise.all([...started].map((c) => c.remove().catch(() => {})));
}

/**
 * Removes the harness's containers that a process that is gone left behind (killed before
 * its cleanup ran): their names carry the PID of the process that started them.
 */
export async function removeLeftovers(): Promise<string[]> {
  const r = await podman("ps", "-a", "--format", "{{.Names}}");
  const out: string[] = [];
  for (const name of r.stdout.split("\n").map((l) => l.trim())) {
    const m = new RegExp(`^${CONTAINER_PREFIX}(?:systemd|ours)-(\\d+)-\\d+$`).exec(name);
    if (!m || Number(m[1]) === Deno.pid) continue;
    try {
      Deno.statSync(`/proc/${m[1]}`);
      continue; // its process still runs (another test run): not ours to remove
    } catch { /* gone */ }
    if ((await podman("rm", "-f", "-t", "0", name)).code === 0) out.push(name);
  }
  return out;
}

/** One running container. */
export class LiveContainer {
  readonly name: string;
  readonly side: Side;
  #removed = false;

  private constructor(name: string, side: Side) {
    this.name = name;
    this.side = side;
  }

  /**
   * Creates the container, runs `preBoot` (a shell script) chrooted into its root with /proc
   * mounted, then starts it. Throws with podman's words when it cannot start.
   */
  static async start(image: string, side: Side, preBoot?: string): Promise<LiveContainer> {
    const name = `${CONTAINER_PREFIX}${side}-${Deno.pid}-${++counter}`;
    const c = new LiveContainer(name, side);
    started.add(c);
    const created = await podman(
      "create",
      "--name",
      name,
      "--hostname",
      "live",
      "--network",
      "none",
      "--runtime",
      "runc",
      "--cgroup-manager",
      "cgroupfs",
      "--systemd=always",
      ...(side === "ours" ? ["--stop-signal", "SIGTERM"] : []),
      ...ulimits(),
      image,
    );
    if (created.code !== 0) throw new Error(`podman create failed: ${created.stderr.trim()}`);
    try {
      if (preBoot !== undefined) await c.#preBoot(preBoot);
      const started = await podman("start", name);
      if (started.code !== 0) throw new Error(`podman start failed: ${started.stderr.trim()}`);
    } catch (e) {
      await c.remove();
      throw e;
    }
    return c;
  }

  async #preBoot(script: string): Promise<void> {
    const m = await podman("mount", this.name);
    if (m.code !== 0) throw new Error(`podman mount failed: ${m.stderr.trim()}`);
    const dir = m.stdout.trim();
    try {
      const r = await run("unshare", [
        "--mount",
        "--fork",
        "sh",
        "-c",
        'mount -t proc proc "$1/proc" && exec chroot "$1" /bin/sh -s',
        "preboot",
        dir,
      ], { stdin: script });
      if (r.code !== 0) {
        throw new Error(`the pre-boot part failed (exit ${r.code}): ${r.stderr.trim()}`);
      }
    } finally {
      await podman("umount", this.name);
    }
  }

  /** Runs a shell script inside (stdin), as `podman exec -i NAME /bin/sh -s`. */
  async sh(script: string, env: Record<string, string> = {}): Promise<Ran> {
    const envArgs = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    return await run("podman", ["exec", "-i", ...envArgs, this.name, "/bin/sh", "-s"], {
      stdin: script,
    });
  }

  /** Waits until the manager answers queries (the boot may still run); false: it never did. */
  async waitManager(timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = await run("podman", ["exec", this.name, "systemctl", "is-system-running"]);
      const word = r.stdout.trim();
      if (word && word !== "offline" && !/Failed to connect/.test(r.stderr)) return true;
      if (r.stderr.includes("container state improper")) return false;
      await new Promise((res) => setTimeout(res, 100));
    }
    return false;
  }

  /** Whether the container still runs. */
  async running(): Promise<boolean> {
    const r = await podman("inspect", "-f", "{{.State.Running}}", this.name);
    return r.stdout.trim() === "true";
  }

  /** The container's output (PID 1's stdout and stderr). */
  async logs(): Promise<string> {
    const r = await podman("logs", this.name);
    return r.stdout + r.stderr;
  }

  /**
   * Removes the container (killing it first); idempotent. Another process's mount
   * namespace may hold the container's shm mount for a moment (`device or resource
   * busy`): tried again, then the error is thrown.
   */
  async remove(): Promise<void> {
    if (this.#removed) return;
    let last = "";
    for (let i = 0; i < 10; i++) {
      const r = await podman("rm", "-f", "-t", "0", this.name);
      if ((await podman("container", "exists", this.name)).code !== 0) {
        this.#removed = true;
        started.delete(this);
        return;
      }
      last = r.stderr.trim();
      await new Promise((res) => setTimeout(res, 500 * (i + 1)));
    }
    throw new Error(`podman rm ${this.name} failed: ${last}`);
  }
}

/**
 * Boots the systemd image once and asks it whether it finished booting:
 * undefined when it did, else why the live tests cannot run here.
 */
export async function bootProblem(image: string): Promise<string | undefined> {
  let c: LiveContainer | undefined;
  try {
    c = await LiveContainer.start(image, "systemd");
    if (!(await c.waitManager())) return `systemd in ${image} never answered`;
    const r = await c.sh("systemctl is-system-running --wait");
    const word = r.stdout.trim();
    if (word !== "running" && word !== "degraded") {
      return `systemd in ${image} did not finish booting: ${word} ${r.stderr.trim()}`;
    }
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    await c?.remove();
  }
}
