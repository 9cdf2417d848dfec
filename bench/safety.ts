/**
 * Issue 9, safety trials (`BENCH_SKIP=safety` skips them). Run by bench/run.ts inside a
 * fresh PID namespace (`unshare --pid --fork --mount-proc`) whose PID 1 reaps orphans;
 * `deno run --allow-all bench/safety.ts OUT.json [TRIALS]` inside such a namespace.
 *
 * - PID reuse: a unit with `ExecStartPre=/bin/true` is started; the exited ExecStartPre's
 *   PID is handed to a stranger (`setsid sleep`, a session leader as the pre command was)
 *   by writing `ns_last_pid`; then `stop`. A stranger killed is a foreign process killed.
 * - kill -9: a client running `start` is killed with SIGKILL, either the moment the main
 *   process exists or after a random delay; then `start` and `stop`. More than one main
 *   process after the second start is a duplicate; one left after stop is a leftover.
 * @module
 */

import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { PERMISSION_FLAGS } from "../src/process/self.ts";

const MOD = join(dirname(dirname(fileURLToPath(import.meta.url))), "mod.ts");

/** What the trials found. */
export interface SafetyResults {
  pidReuse: { trials: number; reused: number; foreignKilled: number };
  kill9: { trials: number; duplicates: number; leftovers: number; adopted: number };
  seconds: number;
}

async function cli(root: string, ...args: string[]): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSION_FLAGS, "--quiet", MOD, `--root=${root}`, ...args],
    env: { DENO_NO_UPDATE_CHECK: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  return out.code;
}

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function pidsMatching(needle: string): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
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

function makeRoot(): string {
  const root = Deno.makeTempDirSync({ prefix: "safety-" });
  Deno.mkdirSync(join(root, "etc/systemd/system"), { recursive: true });
  return root;
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

async function pidReuseTrial(
  root: string,
  n: number,
): Promise<{ reused: boolean; killed: boolean }> {
  const unit = `reuse${n}.service`;
  Deno.writeTextFileSync(
    join(root, "etc/systemd/system", unit),
    `[Service]\nExecStartPre=/bin/true\nExecStart=/bin/sleep 7${n}01\n`,
  );
  if (await cli(root, "start", unit) !== 0) throw new Error(`start ${unit} failed`);
  const st = JSON.parse(Deno.readTextFileSync(join(root, "run/systemctl/units", `${unit}.json`)));
  const prePid: number = st.Exec.ExecStartPre[0].pid;
  const stranger = await strangerAt(prePid, `7${n}02`);
  if (!stranger) {
    await cli(root, "stop", unit);
    return { reused: false, killed: false };
  }
  await cli(root, "stop", unit);
  const killed = !alive(stranger.pid);
  try {
    stranger.kill("SIGKILL");
  } catch { /* killed by stop: the failure this trial counts */ }
  await stranger.status;
  for (const pid of pidsMatching(`sleep 7${n}01`)) killPid(pid);
  return { reused: true, killed };
}

async function kill9Trial(
  root: string,
  n: number,
): Promise<{ duplicate: boolean; leftover: boolean; adopted: boolean }> {
  const unit = `k9-${n}.service`;
  const needle = `sleep 8${n}01`;
  Deno.writeTextFileSync(
    join(root, "etc/systemd/system", unit),
    `[Service]\nExecStart=/bin/sleep 8${n}01\n`,
  );
  const client = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSION_FLAGS, "--quiet", MOD, `--root=${root}`, "start", unit],
    env: { DENO_NO_UPDATE_CHECK: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  // Even trials: the moment the main process exists; odd ones: at a random time.
  const deadline = performance.now() + (n % 2 === 0 ? 10_000 : 50 + Math.random() * 400);
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

/** Runs both kinds of trials (call inside a fresh PID namespace, as root). */
export async function runSafetyTrials(trials: number): Promise<SafetyResults> {
  const t0 = performance.now();
  const root = makeRoot();
  const res: SafetyResults = {
    pidReuse: { trials, reused: 0, foreignKilled: 0 },
    kill9: { trials, duplicates: 0, leftovers: 0, adopted: 0 },
    seconds: 0,
  };
  try {
    for (let n = 0; n < trials; n++) {
      const r = await pidReuseTrial(root, n);
      if (r.reused) res.pidReuse.reused++;
      if (r.killed) res.pidReuse.foreignKilled++;
    }
    for (let n = 0; n < trials; n++) {
      const r = await kill9Trial(root, n);
      if (r.duplicate) res.kill9.duplicates++;
      if (r.leftover) res.kill9.leftovers++;
      if (r.adopted) res.kill9.adopted++;
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
  res.seconds = Math.round((performance.now() - t0) / 1000);
  return res;
}

if (import.meta.main) {
  const [outPath, trials] = Deno.args;
  const res = await runSafetyTrials(Number(trials ?? 100));
  Deno.writeTextFileSync(outPath, JSON.stringify(res));
}
