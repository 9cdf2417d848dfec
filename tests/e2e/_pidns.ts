/**
 * Real packaged services in a fresh PID + network + mount namespace.
 *
 * Imported by the tests, this module checks what the namespace tests need (root, `unshare`,
 * packages, client tools) and runs one scenario in `unshare --pid --fork --kill-child
 * --mount-proc --net --mount bash`. Inside, bash (the namespace's PID 1, so orphans are reaped)
 * prepares the mounts and runs this same file as a driver: it drives the real CLI through
 * start, status, reload, restart, stop and is-active of one unit, probes the service with its
 * client, and prints one `@@RESULT <json>` line that the test asserts on.
 *
 * Isolation: `/run` and `/var/log` become tmpfs holding a copy of the host's directory
 * skeleton (directories and symlinks with their owners and modes, no files), as an image's
 * `/run` has after its packages' tmpfiles ran; unit state and logs die with the namespace.
 * The services themselves run from the real system paths (/usr, /etc, /var/lib).
 * @module
 */

import { fileURLToPath } from "node:url";
import { PERMISSION_FLAGS } from "../../scripts/flags.ts";

const MOD = fileURLToPath(new URL("../../mod.ts", import.meta.url));
const SELF = fileURLToPath(import.meta.url);

/** How a service is driven and checked. */
export interface ServiceCase {
  /** The unit to drive, e.g. `nginx.service`. */
  unit: string;
  /** The Debian package that ships the unit. */
  pkg: string;
  /** The TCP port the service listens on at 127.0.0.1. */
  port: number;
  /** The process name (comm) of the main process, for `pgrep -o -x`. */
  comm: string;
  /** The PID file the daemon writes, when it writes one. */
  pidFile?: string;
  /** A client command that must succeed and print `expect` while the service runs. */
  probe: string[];
  /** A pattern the probe's stdout must match. */
  expect: string;
  /** Whether the unit has ExecReload= (else `reload` is "not applicable", exit 3). */
  reloadable: boolean;
}

/** The outcome of one CLI call (or probe) inside the namespace. */
export interface Step {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The result of a probe: the last attempt, and how many attempts it took. */
export interface Probe extends Step {
  ok: boolean;
  attempts: number;
}

/** What the driver reports. */
export interface Scenario {
  start: Step;
  probeAfterStart: Probe;
  status: Step;
  /** `show -p MainPID --value` right after start. */
  mainPid: number;
  /** `pgrep -o -x COMM`: the oldest process with the service's name. */
  oldestPid: number;
  /** The first number of the PID file, when there is one. */
  pidFilePid?: number;
  reload: Step;
  probeAfterReload: Probe;
  /** MainPID after reload (unchanged for a real reload). */
  mainPidAfterReload: number;
  restart: Step;
  mainPidAfterRestart: number;
  oldestPidAfterRestart: number;
  probeAfterRestart: Probe;
  stop: Step;
  /** Whether a TCP connection to the port was refused after stop. */
  portClosedAfterStop: boolean;
  /** Every process of the namespace left after stop, except PID 1 and the driver. */
  leftovers: string[];
  isActive: Step;
  /** The last lines of the unit's log file. */
  log: string;
}

/** What a namespace run returned. */
export interface NamespaceRun {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The driver's result, when it printed one. */
  scenario?: Scenario;
}

const decoder = new TextDecoder();

async function quiet(cmd: string, args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    })
      .output();
    return { code: out.code, stdout: decoder.decode(out.stdout) };
  } catch {
    return { code: 127, stdout: "" };
  }
}

/** Why namespace tests cannot run here, or undefined when they can. */
export async function namespaceSkipReason(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "not Linux";
  if (Deno.uid() !== 0) return "not root (namespaces and real services need root)";
  const probe = await quiet("unshare", [
    "--pid",
    "--fork",
    "--kill-child",
    "--mount-proc",
    "--net",
    "--mount",
    "true",
  ]);
  if (probe.code === 127) return "unshare is not installed";
  if (probe.code !== 0) return "unshare cannot create PID, network and mount namespaces here";
  if ((await quiet("ip", ["-V"])).code === 127) return "ip (iproute2) is not installed";
  return undefined;
}

/** Why a service case cannot run here (package or client missing), or undefined. */
export async function serviceSkipReason(c: ServiceCase): Promise<string | undefined> {
  const status = await quiet("dpkg-query", ["-W", "-f=${Status}", c.pkg]);
  if (!status.stdout.includes("install ok installed")) return `package ${c.pkg} is not installed`;
  const tool = c.probe[0];
  if ((await quiet("sh", ["-c", `command -v ${tool}`])).code !== 0) {
    return `client ${tool} is not installed`;
  }
  return undefined;
}

// Copies the directories and symlinks of DIR (not its files) onto a fresh tmpfs at DIR.
function skeletonMount(dir: string, stage: string, exclude: string[]): string {
  const prune = exclude.map((e) => `-path ./${e} -prune -o`).join(" ");
  return [
    `mount --bind ${dir} ${stage}`,
    `mount -t tmpfs -o mode=755 tmpfs ${dir}`,
    `(cd ${stage} && find . -mindepth 1 ${prune} \\( -type d -o -type l \\) -print0 |` +
    ` tar --null --no-recursion -T - -cf -) | tar -C ${dir} -xpf -`,
    `umount ${stage}`,
  ].join("\n");
}

/**
 * Runs the scenario for one service in a fresh namespace; kills the namespace (its PID 1 dies
 * with `unshare`) after `timeoutMs`.
 */
export async function runServiceScenario(c: ServiceCase, timeoutMs: number): Promise<NamespaceRun> {
  const stage = await Deno.makeTempDir({ prefix: "e2e-pidns-" });
  const driver = [Deno.execPath(), "run", "--allow-all", "--quiet", SELF]
    .map((a) => `'${a}'`).join(" ");
  const script = [
    "set -e",
    skeletonMount("/run", stage, ["systemctl", "systemd"]),
    skeletonMount("/var/log", stage, ["journal"]),
    "mkdir -p /var/log/journal",
    "ip link set lo up",
    "set +e",
    // Not `exec`, and not the last command: bash stays PID 1 and reaps orphans.
    driver,
    'echo "@@EXIT $?"',
  ].join("\n");
  const child = new Deno.Command("unshare", {
    args: [
      "--pid",
      "--fork",
      "--kill-child",
      "--mount-proc",
      "--net",
      "--mount",
      "bash",
      "-c",
      script,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", E2E_SERVICE_CASE: JSON.stringify(c) },
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      // --kill-child: PID 1 of the namespace, and with it every process there, dies too.
      Deno.kill(child.pid, "SIGKILL");
    } catch { /* already gone */ }
  }, timeoutMs);
  try {
    const out = await child.output();
    const stdout = decoder.decode(out.stdout);
    const line = stdout.split("\n").find((l) => l.startsWith("@@RESULT "));
    return {
      code: out.code,
      stdout,
      stderr: decoder.decode(out.stderr),
      timedOut,
      scenario: line ? JSON.parse(line.slice("@@RESULT ".length)) as Scenario : undefined,
    };
  } finally {
    clearTimeout(timer);
    await Deno.remove(stage).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// The driver, inside the namespace.

/** A bound per step for a loaded machine, not an expected duration. */
const STEP_TIMEOUT_MS = 120_000;

async function run(cmd: string, args: string[]): Promise<Step> {
  const t0 = performance.now();
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", SYSTEMD_COLORS: "0", PAGER: "cat" },
      signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
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

function systemctl(...args: string[]): Promise<Step> {
  return run(Deno.execPath(), ["run", ...PERMISSION_FLAGS, "--quiet", MOD, ...args]);
}

// A Type=simple service may still be binding its port when `start` returns: retry (bounded).
async function probe(c: ServiceCase, graceMs = 60_000): Promise<Probe> {
  const t0 = performance.now();
  const pattern = new RegExp(c.expect, "m");
  for (let attempts = 1;; attempts++) {
    const r = await run(c.probe[0], c.probe.slice(1));
    const ok = r.code === 0 && pattern.test(r.stdout);
    if (ok || performance.now() - t0 > graceMs) {
      return { ...r, ok, attempts, ms: Math.round(performance.now() - t0) };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function mainPid(unit: string): Promise<number> {
  const r = await systemctl("show", "-p", "MainPID", "--value", unit);
  return Number(r.stdout.trim()) || 0;
}

async function oldest(comm: string): Promise<number> {
  const r = await run("pgrep", ["-o", "-x", comm]);
  return Number(r.stdout.trim()) || 0;
}

function pidFromFile(path?: string): number | undefined {
  if (!path) return undefined;
  try {
    return Number(Deno.readTextFileSync(path).trim().split(/\s+/)[0]) || undefined;
  } catch {
    return undefined;
  }
}

async function portClosed(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return false;
  } catch {
    return true;
  }
}

// Every process of the namespace but PID 1 (bash) and this driver; our own children are done.
function leftovers(): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid) || pid === 1 || pid === Deno.pid) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ").trim();
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
      out.push(
        `${pid} [${state}] ${cmdline || stat.slice(stat.indexOf("("), stat.lastIndexOf(")") + 1)}`,
      );
    } catch { /* gone meanwhile */ }
  }
  return out;
}

function logTail(unit: string): string {
  try {
    return Deno.readTextFileSync(`/var/log/journal/${unit}.log`).split("\n").slice(-25).join("\n");
  } catch {
    return "(no log file)";
  }
}

async function scenario(c: ServiceCase): Promise<Scenario> {
  const start = await systemctl("start", c.unit);
  const probeAfterStart = await probe(c);
  const status = await systemctl("status", "--no-pager", c.unit);
  const pid = await mainPid(c.unit);
  const oldestPid = await oldest(c.comm);
  const pidFilePid = pidFromFile(c.pidFile);
  const reload = await systemctl("reload", c.unit);
  const probeAfterReload = await probe(c);
  const mainPidAfterReload = await mainPid(c.unit);
  const restart = await systemctl("restart", c.unit);
  const probeAfterRestart = await probe(c);
  const mainPidAfterRestart = await mainPid(c.unit);
  const oldestPidAfterRestart = await oldest(c.comm);
  const stop = await systemctl("stop", c.unit);
  const portClosedAfterStop = await portClosed(c.port);
  const left = leftovers();
  const isActive = await systemctl("is-active", c.unit);
  return {
    start,
    probeAfterStart,
    status,
    mainPid: pid,
    oldestPid,
    pidFilePid,
    reload,
    probeAfterReload,
    mainPidAfterReload,
    restart,
    mainPidAfterRestart,
    oldestPidAfterRestart,
    probeAfterRestart,
    stop,
    portClosedAfterStop,
    leftovers: left,
    isActive,
    log: logTail(c.unit),
  };
}

if (import.meta.main) {
  const result = await scenario(JSON.parse(Deno.env.get("E2E_SERVICE_CASE")!) as ServiceCase);
  console.log(`@@RESULT ${JSON.stringify(result)}`);
}
