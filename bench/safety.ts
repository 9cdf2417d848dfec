/**
 * Issues 9 and 18, safety trials (`BENCH_SKIP=safety` skips them). Run by bench/run.ts inside
 * a fresh PID namespace (`unshare --pid --fork --mount-proc`) whose PID 1 reaps orphans;
 * `deno run --allow-all bench/safety.ts OUT.json [TRIALS] [KINDS] [TRIALS_18]` inside such a
 * namespace, or {@link runSafetyInNamespace} from outside (the tests do).
 *
 * Issue 9:
 * - pidReuse: a unit with `ExecStartPre=/bin/true` is started; the exited ExecStartPre's
 *   PID is handed to a stranger (`setsid sleep`, a session leader as the pre command was)
 *   by writing `ns_last_pid`; then `stop`. A stranger killed is a foreign process killed.
 * - kill9: a client running `start` is killed with SIGKILL, either the moment the main
 *   process exists or after a random delay; then `start` and `stop`. More than one main
 *   process after the second start is a duplicate; one left after stop is a leftover.
 *
 * Issue 18 (TRIALS_18 each, 50 by default):
 * - sessionReuse (item 2): `start` of `ExecStart=/bin/sleep`, `kill -9` of its main PID m,
 *   then a stranger leads a session with id m (`ns_last_pid`, `setsid sh -c 'sleep &'`)
 *   whose leader exits; then `stop`, `kill` or `restart` (in turn). The stranger's sleep
 *   signalled is a stranger signalled.
 * - notifyMainPid (item 3): a `User=nobody` Type=notify service whose main process sends
 *   `MAINPID=<a root stranger>`, or an unrelated `nobody` process that sends it onto the
 *   unit's socket during the start (NotifyAccess=main and all in turn); then `stop`.
 * - pidFile (item 4): a `User=nobody` Type=forking service writes a root stranger's PID into
 *   its PIDFile=, directly or through a symlink to a root-owned file holding it; then `stop`.
 * - forkingKill9 (item 8): a client running `start` of a Type=forking service is killed with
 *   SIGKILL, the moment the daemon exists or at a random time; then `start` and `stop`, as
 *   for kill9.
 * @module
 */

import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { PERMISSION_FLAGS } from "../src/process/self.ts";

const MOD = join(dirname(dirname(fileURLToPath(import.meta.url))), "mod.ts");
const SELF = fileURLToPath(import.meta.url);
const PYTHON = "/usr/bin/python3";
const NOBODY = 65534;

/** The kinds of trials, in the order they run. */
export const SAFETY_KINDS = [
  "pidReuse",
  "kill9",
  "sessionReuse",
  "notifyMainPid",
  "pidFile",
  "forkingKill9",
] as const;

/** One kind of trial. */
export type SafetyKind = typeof SAFETY_KINDS[number];

/** Trials where a stranger could be signalled. */
export interface StrangerCount {
  trials: number;
  /** Trials in which the stranger was in place as intended (the PID really reused, ...). */
  staged: number;
  strangersSignalled: number;
}

/** Trials where a client is killed mid-start. */
export interface Kill9Count {
  trials: number;
  duplicates: number;
  leftovers: number;
  adopted: number;
}

/** What the trials found (a kind that did not run is absent). */
export interface SafetyResults {
  pidReuse?: { trials: number; reused: number; foreignKilled: number };
  kill9?: Kill9Count;
  sessionReuse?: StrangerCount;
  notifyMainPid?: StrangerCount;
  pidFile?: StrangerCount;
  forkingKill9?: Kill9Count;
  seconds: number;
}

function cliCommand(root: string, args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSION_FLAGS, "--quiet", MOD, `--root=${root}`, ...args],
    env: { DENO_NO_UPDATE_CHECK: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  });
}

async function cli(root: string, ...args: string[]): Promise<number> {
  return (await cliCommand(root, args).output()).code;
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  const f = statFields(pid);
  return f !== undefined && f[0] !== "Z";
}

function sessionOf(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[3]) : undefined;
}

function pidsMatching(needle: string): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).split("\0").join(" ");
      if (cmd.includes(needle) && alive(Number(e.name))) out.push(Number(e.name));
    } catch { /* gone */ }
  }
  return out;
}

function killPid(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch { /* gone */ }
}

function killMatching(needle: string): void {
  for (const pid of pidsMatching(needle)) killPid(pid);
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

function makeRoot(): string {
  const root = Deno.makeTempDirSync({ prefix: "safety-" });
  // Services running as nobody reach their notify sockets and directories under it.
  Deno.chmodSync(root, 0o755);
  Deno.mkdirSync(join(root, "etc/systemd/system"), { recursive: true });
  for (const f of ["passwd", "group"]) Deno.copyFileSync(`/etc/${f}`, join(root, "etc", f));
  return root;
}

function writeUnit(root: string, name: string, text: string): void {
  Deno.writeTextFileSync(join(root, "etc/systemd/system", name), text);
}

// deno-lint-ignore no-explicit-any
function readState(root: string, unit: string): any {
  try {
    return JSON.parse(Deno.readTextFileSync(join(root, "run/systemctl/units", `${unit}.json`)));
  } catch {
    return undefined;
  }
}

/** Spawns `setsid sleep TAG` so that it gets `pid`; undefined when another fork took it. */
async function strangerAt(pid: number, tag: string): Promise<Deno.ChildProcess | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    if (alive(pid)) return undefined;
    Deno.writeTextFileSync("/proc/sys/kernel/ns_last_pid", String(pid - 1));
    const child = new Deno.Command("/usr/bin/setsid", {
      args: ["/bin/sleep", tag],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    if (child.pid === pid) return child;
    child.kill("SIGKILL");
    await child.status;
  }
  return undefined;
}

/** A root process of nobody's: `setsid sleep TAG` (its own session). */
async function rootStranger(tag: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command("/usr/bin/setsid", {
    args: ["/bin/sleep", tag],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await until(() => pidsMatching(`sleep ${tag}`).includes(child.pid), 5000);
  return child;
}

async function reap(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch { /* killed by the trial: what it counts */ }
  await child.status;
}

async function pidReuseTrial(
  root: string,
  n: number,
): Promise<{ reused: boolean; killed: boolean }> {
  const unit = `reuse${n}.service`;
  writeUnit(root, unit, `[Service]\nExecStartPre=/bin/true\nExecStart=/bin/sleep 7${n}01\n`);
  if (await cli(root, "start", unit) !== 0) throw new Error(`start ${unit} failed`);
  const prePid: number = readState(root, unit).Exec.ExecStartPre[0].pid;
  const stranger = await strangerAt(prePid, `7${n}02`);
  if (!stranger) {
    await cli(root, "stop", unit);
    return { reused: false, killed: false };
  }
  await cli(root, "stop", unit);
  const killed = !alive(stranger.pid);
  await reap(stranger);
  killMatching(`sleep 7${n}01`);
  return { reused: true, killed };
}

async function kill9Trial(
  root: string,
  n: number,
): Promise<{ duplicate: boolean; leftover: boolean; adopted: boolean }> {
  const unit = `k9-${n}.service`;
  const needle = `sleep 8${n}01`;
  writeUnit(root, unit, `[Service]\nExecStart=/bin/sleep 8${n}01\n`);
  return await killClientDuringStart(root, unit, needle, n);
}

/**
 * Starts `unit` in a client and kills it with SIGKILL: in even trials the moment a
 * process matching `needle` exists, in odd ones at a random time. Then `start` again
 * (one process must match, not two) and `stop` (none may be left).
 */
async function killClientDuringStart(
  root: string,
  unit: string,
  needle: string,
  n: number,
): Promise<{ duplicate: boolean; leftover: boolean; adopted: boolean }> {
  const client = cliCommand(root, ["start", unit]).spawn();
  const deadline = performance.now() + (n % 2 === 0 ? 10_000 : 50 + Math.random() * 500);
  while (performance.now() < deadline) {
    if (n % 2 === 0 && pidsMatching(needle).length > 0) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  try {
    client.kill("SIGKILL");
  } catch { /* the start was already done: that trial ends like a normal start */ }
  await client.status;
  const before = pidsMatching(needle).length;
  await cli(root, "start", unit);
  const after = pidsMatching(needle).length;
  await cli(root, "stop", unit);
  const left = pidsMatching(needle);
  for (const pid of left) killPid(pid);
  return { duplicate: after > 1, leftover: left.length > 0, adopted: before === 1 && after === 1 };
}

/**
 * Item 2: the main process's session id is led by a stranger after the main process was
 * killed; the stranger's leader exits, its child stays in that session. Then stop, kill or
 * restart of the unit must leave the stranger's child alone.
 */
async function sessionReuseTrial(
  root: string,
  n: number,
): Promise<{ staged: boolean; signalled: boolean }> {
  const unit = `sess${n}.service`;
  const mine = `sleep 6${n}01`, theirs = `sleep 6${n}02`;
  writeUnit(root, unit, `[Service]\nExecStart=/bin/${mine}\n`);
  try {
    if (await cli(root, "start", unit) !== 0) throw new Error(`start ${unit} failed`);
    const main: number = readState(root, unit)?.MainPID;
    killPid(main);
    await until(() => statFields(main) === undefined, 5000);
    let child: number | undefined;
    for (let attempt = 0; attempt < 20 && child === undefined; attempt++) {
      if (statFields(main) !== undefined) break;
      Deno.writeTextFileSync("/proc/sys/kernel/ns_last_pid", String(main - 1));
      const leader = new Deno.Command("/usr/bin/setsid", {
        args: ["/bin/sh", "-c", `/bin/${theirs} & exit 0`],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      await leader.status;
      await until(() => pidsMatching(theirs).length > 0, 2000);
      const found = pidsMatching(theirs);
      if (leader.pid === main && found.length === 1 && sessionOf(found[0]) === main) {
        child = found[0];
      } else {
        killMatching(theirs);
      }
    }
    if (child === undefined) return { staged: false, signalled: false };
    const verb = ["stop", "kill", "restart"][n % 3];
    await cli(root, verb, unit);
    const signalled = !alive(child);
    await cli(root, "stop", unit);
    return { staged: true, signalled };
  } finally {
    killMatching(theirs);
    killMatching(mine);
  }
}

const SEND_PY = "import os,socket,sys\n" +
  "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n" +
  "s.sendto(sys.argv[1].encode(),sys.argv[2])\n";

/**
 * Item 3: a root stranger named by MAINPID=, sent by the service's own main process (a
 * User=nobody notify service) or injected during the start by an unrelated nobody process.
 */
async function notifyMainPidTrial(
  root: string,
  n: number,
): Promise<{ staged: boolean; signalled: boolean }> {
  const unit = `nm${n}.service`;
  const tag = `6${n}11`;
  const access = n % 4 < 2 ? "main" : "all";
  const injected = n % 2 === 1;
  const stranger = await rootStranger(tag);
  const go = join(root, `go-${n}`);
  const service = injected
    // The main process waits for the go file, then says READY=1 (and nothing else).
    ? "import os,socket,time\n" +
      `while not os.path.exists(${JSON.stringify(go)}): time.sleep(0.01)\n` +
      "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n" +
      "s.sendto(b'READY=1',os.environ['NOTIFY_SOCKET'])\n" +
      `time.sleep(6${n}12)\n`
    : "import os,socket,time\n" +
      "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n" +
      `s.sendto(b'MAINPID=${stranger.pid}\\nREADY=1',os.environ['NOTIFY_SOCKET'])\n` +
      `time.sleep(6${n}12)\n`;
  const script = join(root, `nm${n}.py`);
  Deno.writeTextFileSync(script, service);
  writeUnit(
    root,
    unit,
    `[Service]\nType=notify\nNotifyAccess=${access}\nUser=nobody\nTimeoutStartSec=20\n` +
      `ExecStart=${PYTHON} ${script}\n`,
  );
  let staged = !injected;
  try {
    if (!injected) {
      await cli(root, "start", unit);
    } else {
      const client = cliCommand(root, ["start", unit]).spawn();
      const path = await waitForSocket(root, unit);
      if (path) {
        const sent = await new Deno.Command("/usr/bin/setpriv", {
          args: [
            `--reuid=${NOBODY}`,
            `--regid=${NOBODY}`,
            "--clear-groups",
            PYTHON,
            "-c",
            SEND_PY,
            `MAINPID=${stranger.pid}`,
            path,
          ],
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).output();
        staged = sent.code === 0;
      }
      Deno.writeTextFileSync(go, "");
      await client.status;
    }
    await cli(root, "stop", unit);
    return { staged, signalled: !alive(stranger.pid) };
  } finally {
    await reap(stranger);
    killMatching(`nm${n}.py`);
  }
}

/** The unit's notify socket once it exists (the record names it right after the spawn). */
async function waitForSocket(root: string, unit: string): Promise<string | undefined> {
  let path: string | undefined;
  await until(() => {
    path = readState(root, unit)?.NotifySocket;
    try {
      return path !== undefined && Deno.lstatSync(path).isSocket === true;
    } catch {
      return false;
    }
  }, 10_000);
  return path;
}

/**
 * Item 4: a User=nobody forking service names a root stranger in its PID file: written
 * there directly, or through a symlink of its own to a root-owned file that holds the PID.
 */
async function pidFileTrial(
  root: string,
  n: number,
): Promise<{ staged: boolean; signalled: boolean }> {
  const unit = `pf${n}.service`;
  const stranger = await rootStranger(`6${n}21`);
  const viaLink = n % 2 === 1;
  Deno.mkdirSync(join(root, "var/lib"), { recursive: true });
  Deno.writeTextFileSync(join(root, `var/lib/pf${n}.pid`), `${stranger.pid}\n`);
  const write = viaLink
    ? `ln -s /var/lib/pf${n}.pid "$RUNTIME_DIRECTORY/pid"`
    : `echo ${stranger.pid} > "$RUNTIME_DIRECTORY/pid"`;
  writeUnit(
    root,
    unit,
    `[Service]\nType=forking\nUser=nobody\nRuntimeDirectory=pf${n}\n` +
      `PIDFile=/run/pf${n}/pid\nTimeoutStartSec=1\n` +
      `ExecStart=/bin/sh -c '/bin/sleep 6${n}22 & ${write}'\n`,
  );
  try {
    await cli(root, "start", unit);
    await cli(root, "stop", unit);
    return { staged: true, signalled: !alive(stranger.pid) };
  } finally {
    await reap(stranger);
    killMatching(`sleep 6${n}22`);
  }
}

/** Item 8: kill -9 of the client during a forking start (ExecStart, then the PID file). */
async function forkingKill9Trial(
  root: string,
  n: number,
): Promise<{ duplicate: boolean; leftover: boolean; adopted: boolean }> {
  const unit = `fk${n}.service`;
  const pidFile = join(root, `run/fk${n}.pid`);
  // Some daemons are forked at once, some after a while; some write the PID file late.
  const delay = ["", "sleep 0.2; ", "sleep 0.4; "][n % 3];
  const late = n % 4 === 3 ? "sleep 0.3; " : "";
  writeUnit(
    root,
    unit,
    `[Service]\nType=forking\nPIDFile=/run/fk${n}.pid\n` +
      `ExecStart=/bin/sh -c '${delay}/bin/sleep 6${n}31 & p=$!; ${late}echo $p > ${pidFile}'\n`,
  );
  return await killClientDuringStart(root, unit, `sleep 6${n}31`, n);
}

function stranger(count: StrangerCount, r: { staged: boolean; signalled: boolean }): void {
  if (r.staged) count.staged++;
  if (r.signalled) count.strangersSignalled++;
}

function kill9(count: Kill9Count, r: { duplicate: boolean; leftover: boolean; adopted: boolean }) {
  if (r.duplicate) count.duplicates++;
  if (r.leftover) count.leftovers++;
  if (r.adopted) count.adopted++;
}

/** Runs the trials of `kinds` (call inside a fresh PID namespace, as root). */
export async function runSafetyTrials(
  trials: number,
  kinds: readonly SafetyKind[] = SAFETY_KINDS,
  trials18 = 50,
): Promise<SafetyResults> {
  const t0 = performance.now();
  const root = makeRoot();
  const res: SafetyResults = { seconds: 0 };
  const strangers = (t: number): StrangerCount => ({ trials: t, staged: 0, strangersSignalled: 0 });
  const kills = (t: number): Kill9Count => ({ trials: t, duplicates: 0, leftovers: 0, adopted: 0 });
  try {
    for (const kind of kinds) {
      if (kind === "pidReuse") {
        const c = res.pidReuse = { trials, reused: 0, foreignKilled: 0 };
        for (let n = 0; n < trials; n++) {
          const r = await pidReuseTrial(root, n);
          if (r.reused) c.reused++;
          if (r.killed) c.foreignKilled++;
        }
      } else if (kind === "kill9") {
        const c = res.kill9 = kills(trials);
        for (let n = 0; n < trials; n++) kill9(c, await kill9Trial(root, n));
      } else if (kind === "sessionReuse") {
        const c = res.sessionReuse = strangers(trials18);
        for (let n = 0; n < trials18; n++) stranger(c, await sessionReuseTrial(root, n));
      } else if (kind === "notifyMainPid") {
        const c = res.notifyMainPid = strangers(trials18);
        for (let n = 0; n < trials18; n++) stranger(c, await notifyMainPidTrial(root, n));
      } else if (kind === "pidFile") {
        const c = res.pidFile = strangers(trials18);
        for (let n = 0; n < trials18; n++) stranger(c, await pidFileTrial(root, n));
      } else if (kind === "forkingKill9") {
        const c = res.forkingKill9 = kills(trials18);
        for (let n = 0; n < trials18; n++) kill9(c, await forkingKill9Trial(root, n));
      }
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
  res.seconds = Math.round((performance.now() - t0) / 1000);
  return res;
}

/** PID 1 of the namespace: runs the command and reaps every orphan until it ends. */
const REAPER = `
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
rc = 1
while True:
    try:
        p, st = os.wait()
    except ChildProcessError:
        break
    if p == pid:
        rc = os.waitstatus_to_exitcode(st)
        break
sys.exit(rc)
`;

/** Why the trials cannot run here, or undefined when they can (root, unshare, python3). */
export async function safetySkipReason(): Promise<string | undefined> {
  if (Deno.uid() !== 0) return "needs root";
  try {
    Deno.statSync(PYTHON);
  } catch {
    return `needs ${PYTHON} (the namespace's reaping PID 1)`;
  }
  try {
    const out = await new Deno.Command("unshare", {
      args: ["--pid", "--fork", "--mount-proc", "--kill-child", "true"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (out.code !== 0) return "unshare --pid fails here";
  } catch {
    return "needs unshare";
  }
  return undefined;
}

/**
 * Runs the trials in a fresh PID namespace (`unshare --pid --fork --mount-proc`, a python
 * reaper as its PID 1) and returns what they found.
 */
export async function runSafetyInNamespace(
  trials: number,
  kinds: readonly SafetyKind[] = SAFETY_KINDS,
  trials18 = 50,
  output: "inherit" | "null" = "inherit",
): Promise<SafetyResults> {
  const work = Deno.makeTempDirSync({ prefix: "safety-out-" });
  const outPath = join(work, "out.json");
  try {
    const status = await new Deno.Command("unshare", {
      args: [
        "--pid",
        "--fork",
        "--mount-proc",
        "--kill-child",
        PYTHON,
        "-c",
        REAPER,
        Deno.execPath(),
        "run",
        "--allow-all",
        SELF,
        outPath,
        String(trials),
        kinds.join(","),
        String(trials18),
      ],
      env: { DENO_NO_UPDATE_CHECK: "1" },
      stdout: output,
      stderr: output,
    }).output();
    let text: string | undefined;
    try {
      text = Deno.readTextFileSync(outPath);
    } catch { /* none written */ }
    if (status.code !== 0 || text === undefined) {
      throw new Error(`the safety trials in a PID namespace exited ${status.code}`);
    }
    return JSON.parse(text);
  } finally {
    Deno.removeSync(work, { recursive: true });
  }
}

if (import.meta.main) {
  const [outPath, trials, kinds, trials18] = Deno.args;
  const chosen = (kinds ? kinds.split(",") : [...SAFETY_KINDS]) as SafetyKind[];
  for (const k of chosen) {
    if (!SAFETY_KINDS.includes(k)) throw new Error(`unknown kind of safety trial: ${k}`);
  }
  const res = await runSafetyTrials(Number(trials ?? 100), chosen, Number(trials18 ?? 50));
  Deno.writeTextFileSync(outPath, JSON.stringify(res));
}
