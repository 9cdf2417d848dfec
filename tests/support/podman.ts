/**
 * A podman harness for the tests: a private podman store per session (its own `--root`,
 * `--runroot` and tmp directory in a new temporary directory), so the host's podman images
 * and containers are never seen, let alone touched. Every podman call carries the flags these
 * machines need: `--runtime runc --cgroup-manager cgroupfs` (crun refuses the hybrid cgroup
 * layout, and no systemd runs to manage cgroups), `--events-backend file` (no journald), and
 * containers run with `--network none` (a loopback-only network namespace: nothing changes
 * on the host's network) and explicit `--ulimit nofile=N:N --ulimit nproc=N:N` at the
 * current limits (podman's defaults are above them, and raising a limit needs
 * CAP_SYS_RESOURCE, which the sandbox lacks).
 *
 * Generic: image import from a root file system, run, exec, logs, stop, restart, inspect, and
 * a cleanup that removes the containers and images this session made, then the store.
 * @module
 */

/** The outcome of one podman call. */
export interface PodmanStep {
  code: number;
  stdout: string;
  stderr: string;
}

const decoder = new TextDecoder();

/** The runtime and cgroup flags every podman call gets on these machines. */
export const PODMAN_RUNTIME_FLAGS: readonly string[] = [
  "--runtime",
  "runc",
  "--cgroup-manager",
  "cgroupfs",
  "--events-backend",
  "file",
];

async function run(
  cmd: string,
  args: string[],
  timeoutMs = 120_000,
  stdin?: "null",
): Promise<PodmanStep> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdin: stdin ?? "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } catch (e) {
    return { code: -1, stdout: "", stderr: e instanceof Error ? e.message : String(e) };
  }
}

/** The soft limits of this process for open files and processes (`ulimit -n`, `ulimit -u`). */
export async function currentLimits(): Promise<{ nofile: number; nproc: number }> {
  const r = await run("sh", ["-c", "ulimit -n; ulimit -u"]);
  const [n, u] = r.stdout.trim().split("\n");
  const num = (v: string | undefined, fallback: number) =>
    v === undefined || v === "unlimited" || !/^\d+$/.test(v) ? fallback : Number(v);
  return { nofile: num(n, 1024), nproc: num(u, 4096) };
}

/** A podman session with a private store. */
export interface Podman {
  /** The private store's directory (its `--root` is `<dir>/storage`). */
  readonly dir: string;
  /** Runs `podman <store flags> <runtime flags> ARGS`. */
  podman(args: string[], timeoutMs?: number): Promise<PodmanStep>;
  /**
   * Imports a root file system as an image (`tar` of `root` piped into `podman import`), with
   * Dockerfile-style `--change` instructions (`CMD ["/usr/bin/systemctl"]`, `STOPSIGNAL
   * SIGTERM`); returns the image reference.
   */
  importRoot(root: string, name: string, changes: readonly string[]): Promise<string>;
  /** `podman run -d` with the flags of these machines; returns the container's name. */
  run(image: string, name: string, extra?: readonly string[]): Promise<string>;
  /** `podman exec CONTAINER ARGS`. */
  exec(container: string, args: readonly string[], timeoutMs?: number): Promise<PodmanStep>;
  /** `podman logs CONTAINER` (both streams, as the container wrote them). */
  logs(container: string): Promise<string>;
  /** `podman stop -t SECONDS CONTAINER`. */
  stop(container: string, seconds: number): Promise<PodmanStep>;
  /** `podman inspect --format FORMAT CONTAINER`, trimmed. */
  inspect(container: string, format: string): Promise<string>;
  /** The host PID of the container's PID 1, or 0 when it does not run. */
  pid(container: string): Promise<number>;
  /** Removes the containers and images this session made, then the private store. */
  cleanup(): Promise<void>;
}

/** Why podman cannot run containers here, or undefined. */
export async function podmanSkipReason(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "not Linux";
  if (Deno.uid() !== 0) return "podman tests run as root (rootful podman)";
  const version = await run("podman", ["--version"]);
  if (version.code !== 0) return "podman is not installed (apt-get install -y podman)";
  if ((await run("runc", ["--version"])).code !== 0) return "runc is not installed";
  // A real container: a static busybox, if there is one, else this machine's /bin/true.
  let session: Podman | undefined;
  try {
    session = await openPodman();
    const root = await Deno.makeTempDir({ prefix: "systemctl-podman-probe-" });
    try {
      await Deno.mkdir(`${root}/bin`);
      await Deno.copyFile("/bin/busybox", `${root}/bin/busybox`).catch(() => {});
      const image = await session.importRoot(root, "probe", ['CMD ["/bin/busybox", "true"]']);
      const r = await session.podman([
        "run",
        "--rm",
        ...await runFlags(),
        image,
      ]);
      if (r.code !== 0) return `podman cannot run a container here: ${lastLine(r.stderr)}`;
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  } catch (e) {
    return `podman cannot run a container here: ${e instanceof Error ? e.message : e}`;
  } finally {
    await session?.cleanup();
  }
  return undefined;
}

function lastLine(text: string): string {
  return text.trim().split("\n").filter((l) => !/level=warning/.test(l)).at(-1) ?? "";
}

/** The flags of `podman run` on these machines. */
async function runFlags(): Promise<string[]> {
  const limits = await currentLimits();
  return [
    "--network",
    "none",
    "--ulimit",
    `nofile=${limits.nofile}:${limits.nofile}`,
    "--ulimit",
    `nproc=${limits.nproc}:${limits.nproc}`,
  ];
}

/** Opens a session with a new private store. */
export async function openPodman(): Promise<Podman> {
  const dir = await Deno.makeTempDir({ prefix: "systemctl-podman-" });
  await Deno.mkdir(`${dir}/tmp`);
  const store = [
    "--root",
    `${dir}/storage`,
    "--runroot",
    `${dir}/run`,
    "--tmpdir",
    `${dir}/tmp`,
  ];
  const containers = new Set<string>();
  const images = new Set<string>();
  const podman = (args: string[], timeoutMs?: number) =>
    run("podman", [...store, ...PODMAN_RUNTIME_FLAGS, ...args], timeoutMs);
  const must = async (args: string[], timeoutMs?: number) => {
    const r = await podman(args, timeoutMs);
    if (r.code !== 0) {
      throw new Error(`podman ${args[0]} failed (${r.code}): ${lastLine(r.stderr)}`);
    }
    return r;
  };
  return {
    dir,
    podman,
    async importRoot(root, name, changes) {
      const ref = `localhost/deno-systemctl-test-${name}:latest`;
      const changeArgs = changes.flatMap((c) => ["--change", c]).map((a) =>
        `'${a.replaceAll("'", `'\\''`)}'`
      );
      // tar's stream straight into podman: no tarball on disk.
      const script = `set -o pipefail 2>/dev/null || :
tar --numeric-owner -C "$1" -cf - . | podman ${
        [...store, ...PODMAN_RUNTIME_FLAGS].map((a) => `'${a}'`).join(" ")
      } import ${changeArgs.join(" ")} - "$2"`;
      const r = await run("bash", ["-c", script, "import", root, ref], 600_000);
      if (r.code !== 0) throw new Error(`podman import failed (${r.code}): ${lastLine(r.stderr)}`);
      images.add(ref);
      return ref;
    },
    async run(image, name, extra = []) {
      containers.add(name);
      await must(["run", "-d", "--name", name, ...await runFlags(), ...extra, image]);
      return name;
    },
    exec: (container, args, timeoutMs) => podman(["exec", container, ...args], timeoutMs),
    async logs(container) {
      const r = await podman(["logs", container]);
      return r.stdout + r.stderr;
    },
    stop: (container, seconds) =>
      podman(["stop", "-t", String(seconds), container], (seconds + 30) * 1000),
    async inspect(container, format) {
      return (await must(["inspect", "--format", format, container])).stdout.trim();
    },
    async pid(container) {
      const r = await podman(["inspect", "--format", "{{.State.Pid}}", container]);
      return r.code === 0 ? Number(r.stdout.trim()) || 0 : 0;
    },
    async cleanup() {
      for (const c of containers) await podman(["rm", "-f", "-t", "0", c]);
      for (const i of images) await podman(["rmi", "-f", i]);
      // The pause image podman may have made for itself lives in the private store too.
      await podman(["system", "reset", "--force"], 300_000);
      const mounted = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")
        .map((l) => l.split(" ")[4] ?? "").filter((m) => m.startsWith(`${dir}/`));
      for (const m of mounted.reverse()) await run("umount", ["-l", m]);
      await run("rm", ["-rf", "--one-file-system", dir]);
    },
  };
}
