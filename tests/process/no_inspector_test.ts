/**
 * SIGUSR1 never opens the runtime's inspector (127.0.0.1:9229), in any long-running mode:
 * PID 1, the init verb, a client waiting for a start, `log -f`, `journalctl -f` and the exec
 * helper. Each process runs in a network namespace of its own, so any listening socket in
 * it is the process's own. Before the fix, each of them listened on 9229 after SIGUSR1
 * (or, when the signal came before the runtime's handler, died of it).
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { MOD, PERMS } from "../cli/_cli.ts";
import { pid1SkipReason, startPid1, until } from "../init/_pid1.ts";
import { alive, makeRoot, type Root } from "../service/_support.ts";

const reason = await pid1SkipReason();
if (reason) console.log(`no_inspector_test: ignored: ${reason}`);
const dec = new TextDecoder();

/** Listening TCP sockets of the network namespace `pid` is in (`addr:port` in hex). */
function listening(pid: number): string[] {
  const found: string[] = [];
  for (const table of ["tcp", "tcp6"]) {
    let text = "";
    try {
      text = Deno.readTextFileSync(`/proc/${pid}/net/${table}`);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === "0A") found.push(cols[1]);
    }
  }
  return found;
}

/** Whether `pid` ignores SIGUSR1 (bit 9 of the SigIgn mask in its /proc status). */
function ignoresUsr1(pid: number): boolean {
  try {
    const m = /^SigIgn:\s*([0-9a-f]+)$/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m !== null && (BigInt(`0x${m[1]}`) & (1n << 9n)) !== 0n;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends SIGUSR1 three times to `pid` once the runtime has had the time to install its own
 * handler (it does so 500 ms after start), then checks for a while that the process still
 * runs and that nothing in its network namespace listens.
 */
async function assertNoInspector(pid: number, what: string, output: () => string) {
  // A signal that comes before the program's first statement has run ends it (SIGUSR1's
  // default action, as for any program): on a loaded machine start-up takes longer than
  // any fixed wait, so the signal goes only once the process ignores it at the C level.
  assert.ok(
    await until(() => ignoresUsr1(pid) || !alive(pid), 60_000),
    `${what} ignores SIGUSR1\n${output()}`,
  );
  await sleep(700);
  for (let i = 0; i < 3; i++) {
    Deno.kill(pid, "SIGUSR1");
    await sleep(200);
  }
  // A bound, not a measurement: the inspector opens within milliseconds when it does.
  const opened = await until(() => listening(pid).length > 0 || !alive(pid), 1500);
  assert.ok(alive(pid), `${what} survives SIGUSR1\n${output()}`);
  assert.ok(!opened, `${what}: nothing listens after SIGUSR1 (${listening(pid)})\n${output()}`);
  assert.doesNotMatch(output(), /Debugger listening/);
}

/** Runs the CLI in a new network namespace with `lo` up; the child's PID is the program's. */
function spawnInNetns(args: string[]) {
  const child = new Deno.Command("unshare", {
    args: [
      "--net",
      "--",
      "sh",
      "-c",
      'ip link set lo up && exec "$@"',
      "sh",
      Deno.execPath(),
      "run",
      "--quiet",
      ...PERMS,
      MOD,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += dec.decode(chunk);
  };
  const done = Promise.all([pump(child.stdout), pump(child.stderr), child.status]);
  return { child, output: () => text, done };
}

function inspectorTest(name: string, fn: (root: Root) => Promise<void>) {
  Deno.test({
    name,
    ignore: reason !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const root = makeRoot();
      try {
        await fn(root);
      } finally {
        await Deno.remove(root.path, { recursive: true });
      }
    },
  });
}

inspectorTest("SIGUSR1 opens no inspector in PID 1", async (root) => {
  const init = await startPid1(root.path, [], { net: true });
  try {
    assert.ok(await until(async () => (await init.systemctl("is-system-running")).code === 0));
    await assertNoInspector(init.hostPid, "PID 1", init.output);
  } finally {
    init.kill();
    await init.exited;
  }
});

inspectorTest(
  "SIGUSR1 opens no inspector in the init verb, a waiting start, log -f and journalctl -f",
  async (root) => {
    root.unit("slow.service", "[Service]\nType=oneshot\nExecStart=/bin/sleep 6\n");
    const logDir = join(root.path, "var/log/journal");
    Deno.mkdirSync(logDir, { recursive: true });
    Deno.writeTextFileSync(join(logDir, "slow.service.log"), "first line\n");
    const runs = [
      { what: "the init verb", args: ["init"], ready: /Startup finished/ },
      { what: "log -f", args: ["log", "-f", "slow.service"], ready: /first line/ },
      { what: "journalctl -f", args: ["-f", "-u", "slow.service"], ready: /first/, journal: true },
      { what: "a start waiting for its job", args: ["start", "slow.service"], ready: undefined },
    ];
    for (const r of runs) {
      const lead = r.journal ? ["--journalctl"] : [];
      const { child, output, done } = spawnInNetns([...lead, `--root=${root.path}`, ...r.args]);
      try {
        if (r.ready) {
          assert.ok(await until(() => r.ready!.test(output())), `${r.what} is ready: ${output()}`);
        } else {
          // The start waits for the oneshot's sleep.
          assert.ok(await until(() => Deno.readTextFileSync(`/proc/${child.pid}/cmdline`) !== ""));
        }
        await assertNoInspector(child.pid, r.what, output);
      } finally {
        try {
          child.kill("SIGTERM");
        } catch { /* ended */ }
        await done;
      }
    }
    await root.run("stop", "slow.service");
  },
);

inspectorTest("SIGUSR1 opens no inspector in the exec helper", async (root) => {
  // Standard input from a FIFO keeps the helper in its open() until a writer comes; Nice=
  // makes the start go through the helper (a plain command is started by a shell prologue).
  const fifo = root.file("in.fifo");
  const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.equal(mk.code, 0);
  root.unit(
    "fifo.service",
    `[Service]\nType=oneshot\nNice=1\nStandardInput=file:${
      fifo.slice(root.path.length)
    }\nExecStart=/bin/cat\n`,
  );
  const { child, output, done } = spawnInNetns([`--root=${root.path}`, "start", "fifo.service"]);
  let helper = 0;
  try {
    assert.ok(
      await until(() => {
        for (const entry of Deno.readDirSync("/proc")) {
          const pid = Number(entry.name);
          if (!(pid > 0)) continue;
          try {
            const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            const cmd = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
            if (ppid === child.pid && cmd.includes("--exec-helper")) helper = pid;
          } catch { /* gone */ }
        }
        return helper > 0;
      }),
      `the exec helper runs: ${output()}`,
    );
    await assertNoInspector(helper, "the exec helper", output);
  } finally {
    // A writer lets the helper go on; cat then reads end-of-file and the start ends.
    const w = await Deno.open(fifo, { write: true });
    w.close();
    await done;
  }
});
