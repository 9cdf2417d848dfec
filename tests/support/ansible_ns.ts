/**
 * A private copy of this host for configuration-management tools: new PID, mount and network
 * namespaces where `/usr/bin/systemctl` is a tool under test (ours, or the Python reference),
 * `/etc` and `/var` are overlays on tmpfs (nothing the tools write reaches the host), `/run`
 * and `/var/log` are tmpfs holding the host's directory skeleton, and `lo` is up, so services
 * use their default loopback ports without colliding with anything. Ansible runs inside with
 * `nsenter`, as `docker exec` would run it.
 *
 * PID 1 is either our program (its init mode: it names itself `systemd` in `/proc/1/comm`,
 * which is what Ansible's `service_facts` and `ansible_service_mgr` read) or, for a comparison
 * with a tool that has no such init, a small Python reaper that names itself `systemd`.
 * Either way the default target is an empty target, so the boot starts nothing of the host's.
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PERMISSION_FLAGS } from "../../src/process/self.ts";
import { run as runCommand, type Step } from "../e2e/_pid1.ts";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The playbook and units of the client tests. */
export const CLIENT_FIXTURES = join(REPO, "tests", "fixtures", "clients");

/** The outcome of one command. */
export type { Step };

/** The environment of the tools inside: what a container image's config gives. */
export const CLIENT_ENV: Record<string, string> = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  LANG: "C.UTF-8",
  NO_COLOR: "1",
  SYSTEMD_COLORS: "0",
  SYSTEMD_PAGER: "",
  PAGER: "cat",
  DENO_NO_UPDATE_CHECK: "1",
};

/** Runs a host command with the clients' clean environment and a timeout. */
export function run(
  cmd: string,
  args: string[],
  timeoutMs = 60_000,
  env: Record<string, string> = CLIENT_ENV,
): Promise<Step> {
  return runCommand(cmd, args, timeoutMs, env);
}

async function quiet(cmd: string, args: string[]): Promise<number> {
  return (await run(cmd, args, 20_000)).code;
}

/** Why the Ansible namespace cannot be built here, or undefined when it can. */
export async function ansibleSkipReason(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "not Linux";
  if (Deno.uid() !== 0) return "not root (namespaces, overlays and real services need root)";
  if ((await quiet("ansible-playbook", ["--version"])) !== 0) {
    return "ansible-playbook is not installed (apt-get install ansible-core)";
  }
  for (const pkg of ["nginx", "redis-server", "memcached"]) {
    const r = await run("dpkg-query", ["-W", "-f=${Status}", pkg]);
    if (!r.stdout.includes("install ok installed")) return `package ${pkg} is not installed`;
  }
  const probe = await quiet("unshare", [
    "--pid",
    "--fork",
    "--kill-child",
    "--mount",
    "--net",
    "--propagation",
    "private",
    "sh",
    "-c",
    "mount -t tmpfs tmpfs /mnt && mkdir /mnt/u /mnt/w && " +
    "mount -t overlay overlay -o lowerdir=/etc,upperdir=/mnt/u,workdir=/mnt/w /etc",
  ]);
  if (probe !== 0) return "unshare cannot create namespaces with an overlay over /etc here";
  return undefined;
}

/** A `/bin/sh` launcher that runs this checkout's `mod.ts` (our program from source). */
export function sourceLauncher(): string {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  return `#!/bin/sh\nDENO_NO_UPDATE_CHECK=1\nexport DENO_NO_UPDATE_CHECK\nexec ${
    q(Deno.execPath())
  } run ${PERMISSION_FLAGS.join(" ")} --quiet ${q(join(REPO, "mod.ts"))} "$@"\n`;
}

// PID 1 when the tool under test has no init of its own: reaps every child and names itself
// `systemd`, as an init would; exits on SIGTERM.
const REAPER = `
import ctypes, os, signal, sys, time
ctypes.CDLL(None).prctl(15, b"systemd", 0, 0, 0)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(0.2)
`;

// Copies the directories and symlinks of DIR (not its files) onto a fresh tmpfs at DIR.
function skeleton(dir: string): string {
  return [
    `mkdir -p "$S/skel"`,
    `mount --bind ${dir} "$S/skel"`,
    `mount -t tmpfs -o mode=755 tmpfs ${dir}`,
    `(cd "$S/skel" && find . -mindepth 1 -path ./systemd -prune -o -path ./systemctl -prune -o` +
    ` -path ./journal -prune -o \\( -type d -o -type l \\) -print0 |` +
    ` tar --null --no-recursion -T - -cf -) | tar -C ${dir} -xpf -`,
    `umount "$S/skel"`,
  ].join("\n");
}

function overlay(dir: string, name: string): string {
  return [
    `mkdir -p "$S/ovl/${name}.u" "$S/ovl/${name}.w"`,
    `mount -t overlay overlay -o lowerdir=${dir},upperdir="$S/ovl/${name}.u",workdir="$S/ovl/${name}.w" ${dir}`,
  ].join("\n");
}

const BOOT = `set -eu
S="$1"
exec >"$S/pid1.log" 2>&1
mount --make-rprivate /
mount -t proc proc /proc
mkdir -p "$S/ovl"
mount -t tmpfs -o mode=755 tmpfs "$S/ovl"
${overlay("/etc", "etc")}
${overlay("/var", "var")}
${skeleton("/run")}
${skeleton("/var/log")}
mkdir -p /var/log/journal
mount --bind "$S/systemctl" /usr/bin/systemctl
cp "$S/clients-idle.target" /etc/systemd/system/
ln -sf /etc/systemd/system/clients-idle.target /etc/systemd/system/default.target
ip link set lo up
shift
exec "$@"
`;

/** Which program is `/usr/bin/systemctl` and which is PID 1. */
export interface NamespaceOptions {
  /** The launcher script (text) bound over `/usr/bin/systemctl`. */
  systemctl: string;
  /** `init`: `/usr/bin/systemctl` itself is PID 1; `reaper`: the neutral reaper named systemd. */
  pid1: "init" | "reaper";
}

/** A running namespace. */
export interface ClientNamespace {
  /** The stage directory (playbook, facts, logs). */
  readonly stage: string;
  /** PID 1 as the host sees it. */
  readonly pid: number;
  /** Runs ARGS inside (mount, PID, network namespaces) with HOME in the stage. */
  exec(args: string[], timeoutMs?: number, env?: Record<string, string>): Promise<Step>;
  /** `/usr/bin/systemctl ARGS` inside. */
  systemctl(...args: string[]): Promise<Step>;
  /** Runs the fixture playbook once (`lenient`: failed tasks do not stop the play). */
  playbook(tag: string, lenient?: boolean): Promise<PlaybookRun>;
  /** Every process of the namespace but PID 1: `pid comm`. */
  processes(): string[];
  /** PID 1's output. */
  log(): string;
  /** Stops PID 1 with SIGTERM (an init stops its units), waits up to `graceMs`, then kills. */
  close(graceMs?: number): Promise<Deno.CommandStatus>;
}

/** The outcome of one `ansible-playbook` run with the json callback. */
export interface PlaybookRun extends Step {
  /** Per task name: whether it changed, failed or was skipped (handlers included). */
  tasks: { name: string; changed: boolean; failed: boolean; msg?: string }[];
  /** The recap of localhost. */
  stats?: {
    ok: number;
    changed: number;
    failures: number;
    unreachable: number;
    ignored: number;
  };
  /** What the playbook's service_facts returned, with ansible_service_mgr. */
  facts?: {
    service_mgr: string;
    services: Record<string, { name: string; state: string; status: string; source: string }>;
  };
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

function pidNs(pid: number): string | undefined {
  try {
    return Deno.readLinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

interface JsonTask {
  task: { name: string };
  hosts: Record<string, { changed?: boolean; failed?: boolean; skipped?: boolean; msg?: string }>;
}

function parsePlaybook(step: Step): Omit<PlaybookRun, keyof Step | "facts"> {
  try {
    const doc = JSON.parse(step.stdout.slice(step.stdout.indexOf("{")));
    const tasks = (doc.plays ?? []).flatMap((p: { tasks: JsonTask[] }) => p.tasks).map(
      (t: JsonTask) => {
        const h = t.hosts.localhost ?? {};
        return { name: t.task.name, changed: !!h.changed, failed: !!h.failed, msg: h.msg };
      },
    );
    return { tasks, stats: doc.stats?.localhost };
  } catch {
    return { tasks: [] };
  }
}

/** Builds the namespace and waits until PID 1 answers (our init: `is-system-running`). */
export async function startClientNamespace(o: NamespaceOptions): Promise<ClientNamespace> {
  const stage = await Deno.makeTempDir({ prefix: "systemctl-clients-" }); // removed by close()
  for (const f of ["site.yml", "clients-web@.service", "clients-idle.target"]) {
    Deno.copyFileSync(join(CLIENT_FIXTURES, f), join(stage, f));
  }
  Deno.writeTextFileSync(join(stage, "systemctl"), o.systemctl, { mode: 0o755 });
  Deno.mkdirSync(join(stage, "home"));
  const pid1 = o.pid1 === "init" ? ["/usr/bin/systemctl"] : ["/usr/bin/python3", "-c", REAPER];
  const child = new Deno.Command("unshare", {
    args: ["--pid", "--fork", "--kill-child", "--mount", "--net", "sh", "-c", BOOT, "boot", stage]
      .concat(pid1),
    env: CLIENT_ENV,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let pid = 0;
  // Bounds for a loaded machine, not expected durations.
  const forked = Date.now() + 60_000;
  while (pid === 0 && Date.now() < forked) {
    pid = childrenOf(child.pid)[0] ?? 0;
    if (pid === 0) await new Promise((r) => setTimeout(r, 5));
  }
  const ns = pid ? pidNs(pid) : undefined;
  const logText = () => {
    try {
      return Deno.readTextFileSync(join(stage, "pid1.log"));
    } catch {
      return "(no log)";
    }
  };
  const kill = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    return await child.status;
  };
  // Both PID 1s name themselves `systemd` once the boot script has made the mounts.
  const comm = () => {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
    } catch {
      return "";
    }
  };
  const named = Date.now() + 120_000;
  while (pid && comm() !== "systemd" && Date.now() < named) {
    await new Promise((r) => setTimeout(r, 10));
  }
  if (!pid || !ns || comm() !== "systemd") {
    await kill();
    const log = logText();
    await Deno.remove(stage, { recursive: true }).catch(() => {});
    throw new Error(`PID 1 did not start: ${log}`);
  }
  const home = join(stage, "home");
  const exec = (args: string[], timeoutMs = 120_000, env: Record<string, string> = {}) =>
    run("nsenter", ["-t", String(pid), "-m", "-p", "-n", "--", ...args], timeoutMs, {
      ...CLIENT_ENV,
      HOME: home,
      ...env,
    });
  const ns1: ClientNamespace = {
    stage,
    pid,
    exec,
    systemctl: (...args) => exec(["/usr/bin/systemctl", ...args]),
    async playbook(tag, lenient = false) {
      const facts = join(stage, `facts-${tag}.json`);
      try {
        Deno.removeSync(facts);
      } catch { /* first run */ }
      const step = await exec(
        [
          "ansible-playbook",
          "-i",
          "localhost,",
          "-e",
          `facts_out=${facts}`,
          "-e",
          `lenient=${lenient}`,
          join(stage, "site.yml"),
        ],
        600_000,
        {
          ANSIBLE_STDOUT_CALLBACK: "json",
          ANSIBLE_LOCALHOST_WARNING: "false",
          ANSIBLE_INVENTORY_UNPARSED_WARNING: "false",
          ANSIBLE_PYTHON_INTERPRETER: "/usr/bin/python3",
          ANSIBLE_NOCOLOR: "1",
          ANSIBLE_RETRY_FILES_ENABLED: "false",
          ANSIBLE_LOCAL_TEMP: join(home, "tmp"),
          ANSIBLE_REMOTE_TEMP: join(home, "tmp"),
          PWD: stage,
        },
      );
      let parsedFacts: PlaybookRun["facts"];
      try {
        parsedFacts = JSON.parse(Deno.readTextFileSync(facts));
      } catch { /* the play failed before */ }
      return { ...step, ...parsePlaybook(step), facts: parsedFacts };
    },
    processes() {
      const out: string[] = [];
      for (const e of Deno.readDirSync("/proc")) {
        const p = Number(e.name);
        if (!Number.isInteger(p) || p === pid || pidNs(p) !== ns) continue;
        try {
          out.push(`${p} ${Deno.readTextFileSync(`/proc/${p}/comm`).trim()}`);
        } catch { /* gone */ }
      }
      return out;
    },
    log: logText,
    async close(graceMs = 30_000) {
      try {
        Deno.kill(pid, "SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => kill(), graceMs);
      const status = await child.status;
      clearTimeout(timer);
      await Deno.remove(stage, { recursive: true }).catch(() => {});
      return status;
    },
  };
  return ns1;
}
