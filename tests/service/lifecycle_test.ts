/**
 * Integration tests of the service manager: the real CLI against temporary roots, for every
 * Type=, the exec environment, stop sequence, dependencies, state files and error messages.
 * Executables run from the host; each test kills what it left behind (see `_support.ts`).
 * @module
 */

import { deepStrictEqual, match, ok, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import {
  alive,
  cli,
  cmdline,
  eventually,
  parseEnv,
  pidsMatching,
  procStatus,
  type Root,
  rootTest,
  type Run,
  script,
  service,
} from "./_support.ts";

const SEE = (u: string) => `See "systemctl status ${u}" and "journalctl -xeu ${u}" for details.`;

function jobFailed(u: string, why: string): string {
  return `Job for ${u} failed because ${why}.\n${SEE(u)}\n`;
}

function ok0(r: Run, what = "command"): void {
  strictEqual(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`);
}

async function mainPid(root: Root, unit: string): Promise<number> {
  return Number((await root.show(unit, "MainPID")).MainPID);
}

async function readWhenExists(path: string, timeoutMs = 3000): Promise<string> {
  ok(
    await eventually(() => {
      try {
        return Deno.statSync(path).size > 0;
      } catch {
        return false;
      }
    }, timeoutMs),
    `${path} was not written`,
  );
  return Deno.readTextFileSync(path);
}

function logOf(root: Root, unit: string): string {
  try {
    return Deno.readTextFileSync(join(root.path, "var/log/journal", `${unit}.log`));
  } catch {
    return "";
  }
}

// ---------------------------------------------------------------------------------------------
// Type=simple

rootTest(
  "start of a Type=simple service runs the command as its MainPID; stop ends it",
  async (root) => {
    root.unit("a.service", service("ExecStart=/bin/sleep 3101", "Description=Sleeper"));
    ok0(await root.run("start", "a"));
    const s = await root.show("a", "MainPID", "ActiveState", "SubState", "ExecMainPID");
    strictEqual(s.ActiveState, "active");
    strictEqual(s.SubState, "running");
    const pid = Number(s.MainPID);
    ok(alive(pid), "MainPID alive");
    strictEqual(cmdline(pid), "/bin/sleep 3101");
    strictEqual(s.ExecMainPID, String(pid));
    const st = await root.run("status", "a");
    strictEqual(st.code, 0);
    match(st.stdout, /^● a\.service - Sleeper\n/);
    match(st.stdout, /\n {5}Active: active \(running\) since .+ ago\n/);
    ok(st.stdout.includes(`\n   Main PID: ${pid} (sleep)\n`), st.stdout);
    const ia = await root.run("is-active", "a");
    deepStrictEqual([ia.code, ia.stdout], [0, "active\n"]);
    const stop = await root.run("stop", "a");
    ok0(stop, "stop");
    console.log(`stop of a Type=simple service took ${stop.ms} ms`);
    // No wall-clock limit: Result=success below says SIGTERM ended it (a stop that ran into
    // TimeoutStopSec= would have SIGKILLed it and recorded Result=timeout).
    ok(!alive(pid), "process gone after stop");
    const after = await root.show("a", "ActiveState", "SubState", "MainPID", "Result");
    deepStrictEqual(after, {
      ActiveState: "inactive",
      SubState: "dead",
      MainPID: "0",
      Result: "success",
    });
    const ia2 = await root.run("is-active", "a");
    deepStrictEqual([ia2.code, ia2.stdout], [3, "inactive\n"]);
  },
);

rootTest(
  "a Type=simple service that exits at once is failed; is-active and status exit 3",
  async (root) => {
    root.unit("f.service", service("ExecStart=/bin/false"));
    ok0(await root.run("start", "f"));
    ok(
      await eventually(async () => (await root.run("is-active", "f")).stdout === "failed\n"),
      "becomes failed",
    );
    const ia = await root.run("is-active", "f");
    strictEqual(ia.code, 3);
    const st = await root.run("status", "f");
    strictEqual(st.code, 3);
    match(st.stdout, /Active: failed \(Result: exit-code\) since /);
    // Its exit status, as the issue asks: the client saw the main process end.
    match(st.stdout, /Process: \d+ ExecStart=\/bin\/false \(code=exited, status=1\/FAILURE\)/);
    match(st.stdout, /Main PID: \d+ \(code=exited, status=1\/FAILURE\)/);
    const sh = await root.run("show", "f", "-p", "ExecMainCode,ExecMainStatus,Result");
    strictEqual(sh.stdout, "Result=exit-code\nExecMainCode=1\nExecMainStatus=1\n");
    const fl = await root.run("is-failed", "f");
    deepStrictEqual([fl.code, fl.stdout], [0, "failed\n"]);
  },
);

rootTest("Type=exec with a missing binary fails the start with 203/EXEC", async (root) => {
  root.unit("x.service", service("Type=exec\nExecStart=/nonexistent --flag"));
  const r = await root.run("start", "x");
  strictEqual(r.code, 1);
  strictEqual(r.stderr, jobFailed("x.service", "the control process exited with error code"));
  const f = await root.run("is-failed", "x");
  deepStrictEqual([f.code, f.stdout], [0, "failed\n"]);
  ok(
    logOf(root, "x.service").includes(
      "Failed at step EXEC spawning /nonexistent: No such file or directory",
    ),
    logOf(root, "x.service"),
  );
  const st = await root.run("status", "x");
  strictEqual(st.code, 3);
  match(st.stdout, /203\/EXEC/);
  const s = await root.show("x", "ExecMainStatus", "ExecMainCode", "Result");
  deepStrictEqual(s, { ExecMainStatus: "203", ExecMainCode: "1", Result: "exit-code" });
});

rootTest("Type=simple with a missing binary starts, then is failed with 203/EXEC", async (root) => {
  root.unit("x.service", service("ExecStart=/nonexistent"));
  ok0(await root.run("start", "x"));
  ok(await eventually(async () => (await root.run("is-failed", "x")).code === 0));
  const s = await root.show("x", "ExecMainStatus", "ActiveState", "Result");
  deepStrictEqual(s, { ExecMainStatus: "203", ActiveState: "failed", Result: "exit-code" });
  match((await root.run("status", "x")).stdout, /status=203\/EXEC/);
});

rootTest("an unknown User= fails with 217/USER", async (root) => {
  root.unit("u.service", service("Type=exec\nUser=no-such-user-xyz\nExecStart=/bin/true"));
  root.unit("v.service", service("User=no-such-user-xyz\nExecStart=/bin/sleep 3102"));
  const r = await root.run("start", "u");
  strictEqual(r.code, 1);
  strictEqual(r.stderr, jobFailed("u.service", "the control process exited with error code"));
  deepStrictEqual(await root.show("u", "ExecMainStatus", "ExecMainCode", "ActiveState"), {
    ExecMainStatus: "217",
    ExecMainCode: "1",
    ActiveState: "failed",
  });
  // No process was spawned, so there is no Main PID line; the reason is in the unit log.
  match(
    (await root.run("status", "u")).stdout,
    /\nu\.service: Failed to determine user credentials: No such process\n/,
  );
  ok0(await root.run("start", "v"));
  ok(await eventually(async () => (await root.run("is-failed", "v")).code === 0));
  strictEqual((await root.show("v", "ExecMainStatus")).ExecMainStatus, "217");
  // Type=simple: as systemd's forked child, a main process fails at the USER step.
  const st = (await root.run("status", "v")).stdout;
  match(st, /Process: \d+ ExecStart=\/bin\/sleep 3102 \(code=exited, status=217\/USER\)/);
  match(st, /Main PID: \d+ \(code=exited, status=217\/USER\)/);
  match(st, /\nv\.service: Failed at step USER spawning \/bin\/sleep: No such process\n/);
});

// ---------------------------------------------------------------------------------------------
// Type=forking, oneshot, notify

rootTest("Type=forking with PIDFile takes the MainPID from the PID file", async (root) => {
  const script = root.file("fork.sh");
  // PIDFile= names a path inside the root; the daemon (run on this host) writes its host path.
  const pidFile = "/run/fk.pid";
  const hostPidFile = `${root.path}${pidFile}`;
  Deno.mkdirSync(`${root.path}/run`, { recursive: true });
  Deno.writeTextFileSync(script, `#!/bin/sh\n/bin/sleep 3103 &\necho $! > ${hostPidFile}\n`);
  Deno.chmodSync(script, 0o755);
  root.unit("fk.service", service(`Type=forking\nPIDFile=${pidFile}\nExecStart=${script}`));
  ok0(await root.run("start", "fk"));
  const s = await root.show("fk", "MainPID", "ActiveState", "SubState");
  strictEqual(s.MainPID, Deno.readTextFileSync(hostPidFile).trim());
  deepStrictEqual([s.ActiveState, s.SubState], ["active", "running"]);
  strictEqual(cmdline(Number(s.MainPID)), "/bin/sleep 3103");
  ok0(await root.run("stop", "fk"));
  ok(!alive(Number(s.MainPID)), "daemon gone after stop");
});

rootTest(
  "Type=forking whose PID file never appears fails with a timeout, as in systemd",
  async (root) => {
    // systemd's service_demand_pid_file(): the start waits for the file until TimeoutStartSec=,
    // then fails (result timeout) and stops what the daemon left running.
    const pidFile = root.file("never.pid");
    const script = root.file("never.sh");
    Deno.writeTextFileSync(script, `#!/bin/sh\n/bin/sleep 3109 &\n`);
    Deno.chmodSync(script, 0o755);
    root.unit(
      "nv.service",
      service(`Type=forking\nPIDFile=${pidFile}\nTimeoutStartSec=1\nExecStart=${script}`),
    );
    const r = await root.run("start", "nv");
    strictEqual(r.code, 1, r.stderr);
    strictEqual(r.stderr, jobFailed("nv.service", "a timeout was exceeded"));
    const s = await root.show("nv", "ActiveState", "SubState", "Result", "MainPID");
    deepStrictEqual(s, {
      ActiveState: "failed",
      SubState: "failed",
      Result: "timeout",
      MainPID: "0",
    });
    ok(
      await eventually(() => pidsMatching("sleep 3109").length === 0, 5000),
      "daemon left running",
    );
    strictEqual((await root.run("try-restart", "nv")).code, 0);
    strictEqual((await root.show("nv", "ActiveState")).ActiveState, "failed");
  },
);

rootTest("Type=forking without PIDFile guesses the main process", async (root) => {
  const script = root.file("fork.sh");
  Deno.writeTextFileSync(script, `#!/bin/sh\n/bin/sleep 3104 &\n`);
  Deno.chmodSync(script, 0o755);
  root.unit("fk.service", service(`Type=forking\nExecStart=${script}`));
  ok0(await root.run("start", "fk"));
  const pid = await mainPid(root, "fk");
  ok(pid > 0, "a main pid was guessed");
  strictEqual(cmdline(pid), "/bin/sleep 3104");
  ok0(await root.run("stop", "fk"));
  ok(!alive(pid));
});

rootTest("Type=oneshot runs every ExecStart in order and ends inactive", async (root) => {
  const log = root.file("order");
  root.unit(
    "o.service",
    service(
      `Type=oneshot\nExecStart=/bin/sh -c 'echo one >> ${log}'\nExecStart=/bin/sh -c 'echo two >> ${log}'`,
    ),
  );
  ok0(await root.run("start", "o"));
  strictEqual(Deno.readTextFileSync(log), "one\ntwo\n");
  const s = await root.show("o", "ActiveState", "SubState", "Result");
  deepStrictEqual(s, { ActiveState: "inactive", SubState: "dead", Result: "success" });
});

rootTest("Type=oneshot with RemainAfterExit=yes stays active (exited)", async (root) => {
  root.unit("o.service", service(`Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true`));
  ok0(await root.run("start", "o"));
  const s = await root.show("o", "ActiveState", "SubState");
  deepStrictEqual(s, { ActiveState: "active", SubState: "exited" });
  match((await root.run("status", "o")).stdout, /Active: active \(exited\)/);
  ok0(await root.run("stop", "o"));
  strictEqual((await root.show("o", "ActiveState")).ActiveState, "inactive");
});

rootTest("a failing Type=oneshot ExecStart fails the start", async (root) => {
  root.unit("o.service", service(`Type=oneshot\nExecStart=/bin/sh -c 'exit 4'`));
  const r = await root.run("start", "o");
  strictEqual(r.code, 1);
  strictEqual(r.stderr, jobFailed("o.service", "the control process exited with error code"));
  const s = await root.show("o", "ActiveState", "Result", "ExecMainStatus");
  deepStrictEqual(s, { ActiveState: "failed", Result: "exit-code", ExecMainStatus: "4" });
});

rootTest("Type=notify waits for READY=1 and records STATUS=", async (root) => {
  const script = root.file("notify.sh");
  const marker = root.file("before-ready");
  Deno.writeTextFileSync(
    script,
    `#!/bin/sh\n/bin/sleep 0.3\necho x > ${marker}\n` +
      `systemd-notify --ready --status="Serving 3 clients"\nexec /bin/sleep 3105\n`,
  );
  Deno.chmodSync(script, 0o755);
  root.unit("n.service", service(`Type=notify\nNotifyAccess=all\nExecStart=${script}`));
  const r = await root.run("start", "n");
  ok0(r, "start");
  ok(Deno.statSync(marker).isFile, "start returned only after the service signalled READY");
  const s = await root.show("n", "StatusText", "ActiveState", "SubState", "MainPID");
  deepStrictEqual([s.StatusText, s.ActiveState, s.SubState], [
    "Serving 3 clients",
    "active",
    "running",
  ]);
  const st = await root.run("status", "n");
  ok(st.stdout.includes(`\n     Status: "Serving 3 clients"\n`), st.stdout);
  ok0(await root.run("stop", "n"));
  ok(!alive(Number(s.MainPID)));
});

rootTest(
  "a Type=notify service that never sends READY fails after TimeoutStartSec",
  async (root) => {
    root.unit(
      "n.service",
      service(`Type=notify\nTimeoutStartSec=1\nTimeoutStopSec=2\nExecStart=/bin/sleep 3106`),
    );
    const r = await root.run("start", "n");
    strictEqual(r.code, 1);
    strictEqual(r.stderr, jobFailed("n.service", "a timeout was exceeded"));
    console.log(`start with TimeoutStartSec=1 returned after ${r.ms} ms`);
    const s = await root.show("n", "ActiveState", "Result");
    deepStrictEqual(s, { ActiveState: "failed", Result: "timeout" });
    deepStrictEqual(pidsMatching("/bin/sleep 3106"), []);
  },
);

rootTest(
  "TimeoutStartSec=30d and infinity wait for the command (no 32-bit timer overflow)",
  async (root) => {
    // 30 days is more than setTimeout's 2^31-1 ms: unclamped, the timer fired after 1 ms.
    for (const [name, timeout] of [["long", "30d"], ["forever", "infinity"], ["huge", "1y"]]) {
      root.unit(
        `${name}.service`,
        service(`Type=oneshot\nTimeoutStartSec=${timeout}\nExecStart=/bin/sleep 0.3`),
      );
      ok0(await root.run("start", name), `start with TimeoutStartSec=${timeout}`);
      const s = await root.show(name, "Result");
      strictEqual(s.Result, "success", timeout);
    }
  },
);

rootTest(
  "Type=exec starts when the exec succeeded; ExecStop and ExecStopPost run on stop",
  async (root) => {
    const stop = root.file("stop");
    const post = root.file("post");
    root.unit(
      "s.service",
      service(
        `Type=exec\nExecStart=/bin/sleep 3129\nExecStop=/bin/sh -c 'echo "$MAINPID" > ${stop}'\n` +
          `ExecStopPost=/bin/sh -c 'echo "$SERVICE_RESULT $EXIT_CODE $EXIT_STATUS" > ${post}'`,
      ),
    );
    ok0(await root.run("start", "s"));
    const pid = await mainPid(root, "s");
    strictEqual(cmdline(pid), "/bin/sleep 3129");
    strictEqual((await root.run("is-failed", "s")).code, 1);
    ok0(await root.run("stop", "s"));
    strictEqual(Deno.readTextFileSync(stop), `${pid}\n`);
    strictEqual(Deno.readTextFileSync(post), "success killed TERM\n");
    deepStrictEqual(await root.show("s", "ActiveState", "Result"), {
      ActiveState: "inactive",
      Result: "success",
    });
  },
);

rootTest(
  "a Type=notify service that exits 0 before READY=1 violates the protocol",
  async (root) => {
    root.unit("n.service", service(`Type=notify\nExecStart=/bin/true`));
    const r = await root.run("start", "n");
    strictEqual(r.code, 1);
    strictEqual(
      r.stderr,
      jobFailed(
        "n.service",
        "the service did not take the steps required by its unit configuration",
      ),
    );
    deepStrictEqual(await root.show("n", "ActiveState", "Result"), {
      ActiveState: "failed",
      Result: "protocol",
    });
  },
);

// ---------------------------------------------------------------------------------------------
// Exec lines

rootTest(
  "a failing ExecStartPre fails the start and ExecStopPost still runs with the result",
  async (root) => {
    const env = root.file("stoppost.env");
    root.unit(
      "p.service",
      service(
        `ExecStartPre=/bin/sh -c 'exit 3'\nExecStart=/bin/sleep 3107\nExecStopPost=/bin/sh -c 'env > ${env}'`,
      ),
    );
    const r = await root.run("start", "p");
    strictEqual(r.code, 1);
    strictEqual(r.stderr, jobFailed("p.service", "the control process exited with error code"));
    const text = Deno.readTextFileSync(env);
    const vars = Object.fromEntries(
      text.trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    deepStrictEqual(
      [vars.SERVICE_RESULT, vars.EXIT_CODE, vars.EXIT_STATUS],
      ["exit-code", "exited", "3"],
    );
    deepStrictEqual(pidsMatching("/bin/sleep 3107"), []);
    strictEqual((await root.show("p", "ActiveState")).ActiveState, "failed");
  },
);

rootTest(
  "ExecStart prefixes: - ignores failure, @ sets argv[0], : keeps $ literal",
  async (root) => {
    const argv0 = root.file("argv0");
    const literal = root.file("literal");
    root.unit(
      "pre.service",
      service(
        `Type=oneshot\nEnvironment=FOO=bar\nExecStart=-/bin/false\n` +
          `ExecStart=@/bin/sh mysh -c 'echo $0 > ${argv0}'\n` +
          `ExecStart=:/bin/sh -c 'echo "$FOO" \${FOO} > ${literal}'`,
      ),
    );
    ok0(await root.run("start", "pre"));
    strictEqual(Deno.readTextFileSync(argv0), "mysh\n");
    // With ":" the manager does not expand ${FOO}; the shell does, from the environment.
    strictEqual(Deno.readTextFileSync(literal), "bar bar\n");
    strictEqual((await root.show("pre", "Result")).Result, "success");
  },
);

rootTest(
  "ExecStart prefixes + and ! run with full privileges despite User=nobody",
  async (root) => {
    const ids = root.file("ids");
    Deno.chmodSync(join(root.path, "scratch"), 0o777);
    root.unit(
      "priv.service",
      service(
        `Type=oneshot\nUser=nobody\nExecStart=/bin/sh -c 'id -u >> ${ids}'\n` +
          `ExecStart=+/bin/sh -c 'id -u >> ${ids}'\nExecStart=!/bin/sh -c 'id -u >> ${ids}'`,
      ),
    );
    ok0(await root.run("start", "priv"));
    strictEqual(Deno.readTextFileSync(ids), "65534\n0\n0\n");
  },
);

// ---------------------------------------------------------------------------------------------
// Environment and $ expansion

rootTest("$VAR and ${VAR} expand as systemd documents (spec 3.8 example)", async (root) => {
  const out = root.file("args");
  const printer = script(root, "args.sh", `out=$1; shift; for a; do echo "[$a]"; done > "$out"\n`);
  root.unit(
    "e.service",
    service(
      `Type=oneshot\nEnvironment=A=1 "B=x y"\nExecStart=${printer} ${out} $A \${B} $B "\${B}z" a$A $$A $NOPE`,
    ),
  );
  ok0(await root.run("start", "e"));
  strictEqual(Deno.readTextFileSync(out), "[1]\n[x y]\n[x]\n[y]\n[x yz]\n[a$A]\n[$A]\n");
});

rootTest(
  "Environment=, EnvironmentFile= and UnsetEnvironment= build the service environment",
  async (root) => {
    const out = root.file("env");
    const envFile = root.file("vars");
    Deno.writeTextFileSync(envFile, `# comment\nFROMFILE="a b"\nOVER=file\nexport EXPORTED=1\n`);
    root.unit(
      "e.service",
      service(
        `Type=oneshot\nEnvironment=OVER=env GONE=1 KEEP=2\nEnvironmentFile=${envFile}\n` +
          `EnvironmentFile=-/nonexistent/vars\nUnsetEnvironment=GONE KEEP=3\n` +
          `ExecStart=/bin/sh -c 'env > ${out}'`,
      ),
    );
    ok0(await root.run("start", "e"));
    const env = parseEnv(Deno.readTextFileSync(out));
    strictEqual(env.FROMFILE, "a b");
    strictEqual(env.OVER, "file");
    strictEqual(env.EXPORTED, "1");
    strictEqual(env.GONE, undefined);
    strictEqual(env.KEEP, "2");
    match(env.INVOCATION_ID, /^[0-9a-f]{32}$/);
    ok(env.PATH.includes("/usr/bin"));
  },
);

rootTest(
  "a missing required EnvironmentFile= fails the start for lack of resources",
  async (root) => {
    root.unit("e.service", service(`EnvironmentFile=/nonexistent/vars\nExecStart=/bin/sleep 3108`));
    const r = await root.run("start", "e");
    strictEqual(r.code, 1);
    strictEqual(
      r.stderr,
      jobFailed("e.service", "of unavailable resources or another system error"),
    );
    strictEqual((await root.show("e", "Result")).Result, "resources");
    deepStrictEqual(pidsMatching("/bin/sleep 3108"), []);
  },
);

rootTest("PassEnvironment= copies names from the caller when inheritance is off", async (root) => {
  const out = root.file("env");
  root.unit(
    "e.service",
    service(`Type=oneshot\nPassEnvironment=PASSME\nExecStart=/bin/sh -c 'env > ${out}'`),
  );
  ok0(
    await root.runEnv(
      { SYSTEMCTL_INHERIT_ENVIRONMENT: "no", PASSME: "yes", NOTPASSED: "x" },
      "start",
      "e",
    ),
  );
  const env = parseEnv(Deno.readTextFileSync(out));
  strictEqual(env.PASSME, "yes");
  strictEqual(env.NOTPASSED, undefined);
});

rootTest("$MAINPID is set for ExecStartPost and ExecReload", async (root) => {
  const post = root.file("post");
  const hup = root.file("hup");
  root.unit(
    "m.service",
    service(
      `ExecStart=/bin/sh -c 'trap "echo hup >> ${hup}" HUP; while :; do /bin/sleep 0.05; done'\n` +
        `ExecStartPost=/bin/sh -c 'echo "$1 $MAINPID" > ${post}' sh $MAINPID\n` +
        `ExecReload=/bin/kill -HUP $MAINPID`,
    ),
  );
  ok0(await root.run("start", "m"));
  const pid = await mainPid(root, "m");
  strictEqual(Deno.readTextFileSync(post), `${pid} ${pid}\n`);
  ok0(await root.run("reload", "m"));
  strictEqual(await readWhenExists(hup), "hup\n");
  strictEqual(await mainPid(root, "m"), pid);
  ok0(await root.run("stop", "m"));
  ok(!alive(pid));
});

// ---------------------------------------------------------------------------------------------
// Execution environment

rootTest(
  "User=, Group=, SupplementaryGroups=, UMask=, LimitNOFILE=, Nice=, WorkingDirectory= apply",
  async (root) => {
    Deno.chmodSync(join(root.path, "scratch"), 0o777);
    // Paths in unit files (WorkingDirectory=, StandardOutput=file:, ...) live under --root.
    Deno.mkdirSync(join(root.path, "tmp"));
    const out = root.file("out");
    const created = root.file("created");
    const body = `{ ulimit -n; pwd; } > ${out}\ntouch ${created}\nexec /bin/sleep 3109\n`;
    const sh = script(root, "ctx.sh", body);
    root.unit(
      "c.service",
      service(
        `User=nobody\nGroup=users\nSupplementaryGroups=audio video\nUMask=0077\n` +
          `LimitNOFILE=1234\nNice=5\nWorkingDirectory=/tmp\nExecStart=${sh}`,
      ),
    );
    ok0(await root.run("start", "c"));
    ok(await eventually(() => pidsMatching("/bin/sleep 3109").length === 1));
    const pid = await mainPid(root, "c");
    strictEqual(cmdline(pid), "/bin/sleep 3109");
    strictEqual(procStatus(pid, "Uid").split(/\s+/)[0], "65534");
    strictEqual(procStatus(pid, "Gid").split(/\s+/)[0], "100");
    deepStrictEqual(procStatus(pid, "Groups").split(/\s+/).sort(), ["100", "29", "44"]);
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    strictEqual(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16], "5", "nice");
    strictEqual(Deno.readTextFileSync(out), `1234\n${root.path}/tmp\n`);
    strictEqual(Deno.statSync(created).mode! & 0o777, 0o600);
    strictEqual(Deno.statSync(created).uid, 65534);
    ok0(await root.run("stop", "c"));
  },
);

rootTest(
  "WorkingDirectory=~ is the home directory; a missing one fails with 200/CHDIR",
  async (root) => {
    const out = root.file("pwd");
    root.unit(
      "h.service",
      service(`Type=oneshot\nWorkingDirectory=~\nExecStart=/bin/sh -c 'pwd > ${out}'`),
    );
    root.unit(
      "d.service",
      service(`Type=oneshot\nWorkingDirectory=/nonexistent\nExecStart=/bin/true`),
    );
    root.unit(
      "o.service",
      service(`Type=oneshot\nWorkingDirectory=-/nonexistent\nExecStart=/bin/true`),
    );
    Deno.mkdirSync(join(root.path, "root"));
    ok0(await root.run("start", "h"));
    // The home directory of the manager user (root), under --root.
    strictEqual(Deno.readTextFileSync(out), `${root.path}/root\n`);
    strictEqual((await root.run("start", "d")).code, 1);
    strictEqual((await root.show("d", "ExecMainStatus")).ExecMainStatus, "200");
    ok0(await root.run("start", "o"));
  },
);

rootTest(
  "StandardOutput= file:, append:, truncate: and journal write where they say",
  async (root) => {
    const f = root.file("file");
    const a = root.file("append");
    const t = root.file("truncate");
    Deno.writeTextFileSync(f, "123456\n");
    Deno.writeTextFileSync(a, "old\n");
    Deno.writeTextFileSync(t, "junk junk junk\n");
    root.unit(
      "f.service",
      service(`Type=oneshot\nStandardOutput=file:${f}\nExecStart=/bin/echo ab`),
    );
    root.unit(
      "a.service",
      service(`Type=oneshot\nStandardOutput=append:${a}\nExecStart=/bin/echo new`),
    );
    root.unit(
      "t.service",
      service(
        `Type=oneshot\nStandardOutput=truncate:${t}\nExecStart=/bin/echo one\nExecStart=/bin/echo two`,
      ),
    );
    root.unit(
      "j.service",
      service(`Type=oneshot\nExecStart=/bin/sh -c 'echo out; echo err >&2; echo third'`),
    );
    for (const u of ["f", "a", "a", "t", "j"]) ok0(await root.run("start", u), u);
    strictEqual(Deno.readTextFileSync(f), "ab\n456\n");
    strictEqual(Deno.readTextFileSync(a), "old\nnew\nnew\n");
    strictEqual(Deno.readTextFileSync(t), "two\n");
    strictEqual(logOf(root, "j.service"), "out\nerr\nthird\n");
    strictEqual(logOf(root, "f.service"), "");
    const jc = await cli(["--journalctl", `--root=${root.path}`, "-u", "j", "-n", "2"]);
    ok0(jc, "journalctl");
    strictEqual(jc.stdout, "err\nthird\n");
  },
);

rootTest(
  "RuntimeDirectory= is created with its mode and removed after stop unless preserved",
  async (root) => {
    const out = root.file("env");
    root.unit(
      "r.service",
      service(
        `RuntimeDirectory=rt/sub\nRuntimeDirectoryMode=0700\nStateDirectory=st\n` +
          `ExecStart=/bin/sh -c 'env > ${out}; exec /bin/sleep 3111'`,
      ),
    );
    root.unit(
      "p.service",
      service(`RuntimeDirectory=keep\nRuntimeDirectoryPreserve=yes\nExecStart=/bin/sleep 3112`),
    );
    ok0(await root.run("start", "r", "p"));
    const rt = join(root.path, "run/rt/sub");
    strictEqual(Deno.statSync(rt).mode! & 0o777, 0o700);
    const env = parseEnv(await readWhenExists(out));
    strictEqual(env.RUNTIME_DIRECTORY, rt);
    strictEqual(env.STATE_DIRECTORY, join(root.path, "var/lib/st"));
    ok(Deno.statSync(join(root.path, "var/lib/st")).isDirectory);
    ok0(await root.run("stop", "r", "p"));
    throws(() => Deno.statSync(rt));
    ok(Deno.statSync(join(root.path, "var/lib/st")).isDirectory, "state directory kept");
    ok(Deno.statSync(join(root.path, "run/keep")).isDirectory, "preserved runtime directory kept");
  },
);

// ---------------------------------------------------------------------------------------------
// Stop sequence

rootTest(
  "a process that ignores SIGTERM is killed with SIGKILL after TimeoutStopSec",
  async (root) => {
    root.unit(
      "t.service",
      service(
        `TimeoutStopSec=1\nExecStart=/bin/sh -c 'trap "" TERM; while :; do /bin/sleep 0.1; done; : 3113'`,
      ),
    );
    ok0(await root.run("start", "t"));
    const pid = await mainPid(root, "t");
    ok(alive(pid));
    const r = await root.run("stop", "t");
    console.log(`stop of a SIGTERM-ignoring service took ${r.ms} ms (TimeoutStopSec=1)`);
    ok0(r, "stop");
    ok(r.ms >= 1000, "waited for the timeout before SIGKILL");
    // A bound, not a speed: well below the default TimeoutStopSec= (90 s), so the unit's 1 s
    // was the one used.
    ok(r.ms < 60_000, `stop took ${r.ms} ms`);
    ok(!alive(pid), "killed");
    deepStrictEqual(pidsMatching(": 3113"), []);
    // Spec 4.5 steps 4 and 7: SIGKILL after the timeout is an unclean end, Result timeout.
    deepStrictEqual(
      await root.show("t", "ActiveState", "Result", "ExecMainCode", "ExecMainStatus"),
      {
        ActiveState: "failed",
        Result: "timeout",
        ExecMainCode: "2",
        ExecMainStatus: "9",
      },
    );
  },
);

rootTest("ExecCondition= exiting 1 skips the start like a failed condition", async (root) => {
  root.unit(
    "c.service",
    service(`ExecCondition=/bin/sh -c 'exit 1'\nExecStart=/bin/sleep 3133`),
  );
  // Referenced by an active unit: c stays loaded, so its Result can be read after the skip.
  root.unit("hold.target", "[Unit]\nAfter=c.service\n");
  ok0(await root.run("start", "hold.target"));
  const r = await root.run("start", "c");
  deepStrictEqual([r.code, r.stderr], [0, ""]);
  deepStrictEqual(await root.show("c", "ActiveState", "Result", "ConditionResult"), {
    ActiveState: "inactive",
    Result: "exec-condition",
    ConditionResult: "no",
  });
  deepStrictEqual(pidsMatching("/bin/sleep 3133"), []);
});

rootTest(
  "Requires=, Wants= and After= pull in and order; Conflicts= stops the other",
  async (root) => {
    const log = root.file("order");
    const oneshot = (n: string) =>
      `Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'echo ${n} >> ${log}'`;
    root.unit(
      "main.service",
      service(
        oneshot("main"),
        "Requires=req.service\nWants=want.service\nAfter=req.service want.service",
      ),
    );
    root.unit("req.service", service(oneshot("req")));
    root.unit("want.service", service(oneshot("want")));
    root.unit("rival.service", service(`ExecStart=/bin/sleep 3117`, "Conflicts=main.service"));
    ok0(await root.run("start", "rival"));
    ok0(await root.run("start", "main"));
    const order = Deno.readTextFileSync(log).trim().split("\n");
    strictEqual(order.at(-1), "main");
    deepStrictEqual(order.slice(0, 2).sort(), ["req", "want"]);
    for (const u of ["main", "req", "want"]) {
      strictEqual((await root.run("is-active", u)).stdout, "active\n", u);
    }
    strictEqual((await root.run("is-active", "rival")).stdout, "inactive\n");
    deepStrictEqual(pidsMatching("/bin/sleep 3117"), []);
  },
);

rootTest("a failing Requires= dependency fails the dependent job", async (root) => {
  root.unit(
    "top.service",
    service(`ExecStart=/bin/sleep 3118`, "Requires=bad.service\nAfter=bad.service"),
  );
  root.unit("bad.service", service(`Type=oneshot\nExecStart=/bin/false`));
  const r = await root.run("start", "top");
  strictEqual(r.code, 1);
  ok(
    r.stderr.includes(
      "A dependency job for top.service failed. See 'journalctl -xe' for details.\n",
    ),
    r.stderr,
  );
  strictEqual((await root.run("is-active", "top")).stdout, "inactive\n");
  strictEqual((await root.run("is-failed", "bad")).code, 0);
  deepStrictEqual(pidsMatching("/bin/sleep 3118"), []);
});

rootTest("OnFailure= starts its unit when the service fails", async (root) => {
  const marker = root.file("onfailure");
  root.unit(
    "bad.service",
    service(`Type=oneshot\nExecStart=/bin/false`, "OnFailure=rescue.service"),
  );
  root.unit(
    "rescue.service",
    service(
      `Type=oneshot\nExecStart=/bin/sh -c 'echo "$MONITOR_UNIT $MONITOR_SERVICE_RESULT" > ${marker}'`,
    ),
  );
  strictEqual((await root.run("start", "bad")).code, 1);
  strictEqual(await readWhenExists(marker), "bad.service exit-code\n");
});

rootTest(
  "a third start within StartLimitIntervalSec with StartLimitBurst=2 hits the limit",
  async (root) => {
    root.unit(
      "l.service",
      service(`Type=oneshot\nExecStart=/bin/true`, "StartLimitBurst=2\nStartLimitIntervalSec=60"),
    );
    // An active unit that refers to l (After= pulls nothing in) keeps it loaded between its
    // runs, so its start history is kept (a collected unit starts afresh, as in systemd).
    root.unit("hold.target", "[Unit]\nAfter=l.service\n");
    ok0(await root.run("start", "hold.target"));
    ok0(await root.run("start", "l"));
    ok0(await root.run("start", "l"));
    const r = await root.run("start", "l");
    strictEqual(r.code, 1);
    strictEqual(
      r.stderr,
      jobFailed("l.service", "start of the service was attempted too often") +
        'To force a start use "systemctl reset-failed l.service"\n' +
        'followed by "systemctl start l.service" again.\n',
    );
    deepStrictEqual(await root.show("l", "ActiveState", "Result"), {
      ActiveState: "failed",
      Result: "start-limit-hit",
    });
    ok0(await root.run("reset-failed", "l"));
    deepStrictEqual(await root.show("l", "ActiveState", "Result"), {
      ActiveState: "inactive",
      Result: "success",
    });
    ok0(await root.run("start", "l"));
  },
);

// ---------------------------------------------------------------------------------------------
// restart, reload, kill

rootTest(
  "restart gives a new MainPID; try-restart of an inactive unit is a no-op",
  async (root) => {
    root.unit("r.service", service(`ExecStart=/bin/sleep 3119`));
    root.unit("idle.service", service(`ExecStart=/bin/sleep 3120`));
    ok0(await root.run("start", "r"));
    const before = await mainPid(root, "r");
    ok0(await root.run("restart", "r"));
    const after = await mainPid(root, "r");
    ok(after > 0 && after !== before, `${before} -> ${after}`);
    ok(!alive(before) && alive(after));
    ok0(await root.run("try-restart", "idle"));
    strictEqual((await root.run("is-active", "idle")).stdout, "inactive\n");
    deepStrictEqual(pidsMatching("/bin/sleep 3120"), []);
    ok0(await root.run("try-restart", "r"));
    ok((await mainPid(root, "r")) !== after);
    ok0(await root.run("stop", "r"));
  },
);

rootTest(
  "reload without ExecReload is not applicable; reload-or-restart starts an inactive unit",
  async (root) => {
    root.unit("n.service", service(`ExecStart=/bin/sleep 3121`));
    ok0(await root.run("start", "n"));
    const r = await root.run("reload", "n");
    // systemctl maps "not applicable" to exit 3 (EXIT_NOTIMPLEMENTED), as a live systemd does.
    deepStrictEqual([r.code, r.stderr], [
      3,
      "Failed to reload n.service: Job type reload is not applicable for unit n.service.\n",
    ]);
    ok0(await root.run("stop", "n"));
    strictEqual((await root.run("reload", "n")).code, 3);
    root.unit("r.service", service(`ExecStart=/bin/sleep 3134\nExecReload=/bin/true`));
    const inactive = await root.run("reload", "r");
    deepStrictEqual([inactive.code, inactive.stderr], [
      1,
      "Failed to reload r.service: Unit r.service is not active.\n",
    ]);
    ok0(await root.run("reload-or-restart", "n"));
    const pid = await mainPid(root, "n");
    ok(alive(pid));
    strictEqual(cmdline(pid), "/bin/sleep 3121");
    ok0(await root.run("stop", "n"));
  },
);

rootTest("kill --signal=SIGUSR1 --kill-whom=main signals the main process only", async (root) => {
  const usr1 = root.file("usr1");
  root.unit(
    "k.service",
    service(
      `ExecStart=/bin/sh -c 'trap "echo usr1 >> ${usr1}" USR1; while :; do /bin/sleep 0.05; done'`,
    ),
  );
  root.unit("o.service", service(`Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true`));
  ok0(await root.run("start", "k", "o"));
  const pid = await mainPid(root, "k");
  ok0(await root.run("kill", "--signal=SIGUSR1", "--kill-whom=main", "k"));
  strictEqual(await readWhenExists(usr1), "usr1\n");
  ok(alive(pid), "USR1 is trapped, the service keeps running");
  strictEqual((await root.run("is-active", "k")).stdout, "active\n");
  const none = await root.run("kill", "--kill-whom=main", "o");
  deepStrictEqual([none.code, none.stderr], [
    1,
    "Failed to kill unit o.service: No main process to kill\n",
  ]);
  ok0(await root.run("kill", "k"));
  ok(await eventually(() => !alive(pid)), "SIGTERM to all ends it");
});

// ---------------------------------------------------------------------------------------------
// Bad input and state files

rootTest("unknown and masked units give systemd's messages and exit codes", async (root) => {
  const start = await root.run("start", "nope");
  deepStrictEqual([start.code, start.stderr], [
    5,
    "Failed to start nope.service: Unit nope.service not found.\n",
  ]);
  const stop = await root.run("stop", "nope");
  deepStrictEqual([stop.code, stop.stderr], [
    5,
    "Failed to stop nope.service: Unit nope.service not loaded.\n",
  ]);
  const status = await root.run("status", "nope");
  deepStrictEqual([status.code, status.stdout, status.stderr], [
    4,
    "",
    "Unit nope.service could not be found.\n",
  ]);
  const ia = await root.run("is-active", "nope");
  deepStrictEqual([ia.code, ia.stdout], [3, "inactive\n"]);
  Deno.symlinkSync("/dev/null", join(root.path, "etc/systemd/system/m.service"));
  const masked = await root.run("start", "m");
  deepStrictEqual([masked.code, masked.stderr], [
    1,
    "Failed to start m.service: Unit m.service is masked.\n",
  ]);
});

rootTest(
  "a corrupt state file is reported in one line and the unit counts as inactive",
  async (root) => {
    root.unit("x.service", service(`ExecStart=/bin/sleep 3122`));
    const dir = join(root.path, "run/systemctl/units");
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(join(dir, "x.service.json"), "{ garbage \u0000 not json");
    const r = await root.run("is-active", "x");
    deepStrictEqual([r.code, r.stdout], [3, "inactive\n"]);
    const lines = r.stderr.trimEnd().split("\n");
    strictEqual(lines.length, 1, r.stderr);
    match(lines[0], /^Ignoring unreadable state file .*x\.service\.json: .+\.$/);
    const st = await root.run("status", "x");
    strictEqual(st.code, 3);
    ok(!/error:|\n {4}at /.test(st.stderr), st.stderr);
    ok0(await root.run("start", "x"));
    ok(alive(await mainPid(root, "x")));
    ok0(await root.run("stop", "x"));
  },
);

rootTest("state written under another boot is ignored", async (root) => {
  root.unit("x.service", service(`ExecStart=/bin/sleep 3123`));
  ok0(await root.run("start", "x"));
  const pid = await mainPid(root, "x");
  const file = join(root.path, "run/systemctl/units/x.service.json");
  const state = JSON.parse(Deno.readTextFileSync(file));
  ok0(await root.run("stop", "x"));
  // A live process under a stale boot key must not make the unit active (nor be signalled).
  const sleeper = new Deno.Command("/bin/sleep", { args: ["3124"] }).spawn();
  try {
    const stat = Deno.readTextFileSync(`/proc/${sleeper.pid}/stat`);
    state.MainPID = sleeper.pid;
    state.MainPIDStartTime = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    state.ActiveState = "active";
    state.SubState = "running";
    state.Boot = "00000000-0000-0000-0000-000000000000:1";
    Deno.writeTextFileSync(file, JSON.stringify(state));
    const r = await root.run("is-active", "x");
    deepStrictEqual([r.code, r.stdout], [3, "inactive\n"]);
    strictEqual((await root.show("x", "MainPID")).MainPID, "0");
    ok(pid !== sleeper.pid);
  } finally {
    sleeper.kill("SIGKILL");
    await sleeper.status;
  }
});

rootTest(
  "fifty concurrent starts of one unit leave one instance and one consistent state",
  async (root) => {
    const tag = `/bin/sleep 3125`;
    root.unit("c.service", service(`ExecStart=${tag}`));
    const t0 = performance.now();
    const runs = await Promise.all(Array.from({ length: 50 }, () => root.run("start", "c")));
    console.log(`50 concurrent starts took ${Math.round(performance.now() - t0)} ms`);
    const codes = runs.map((r) => r.code);
    deepStrictEqual([...new Set(codes)], [0], runs.find((r) => r.code)?.stderr);
    const pids = pidsMatching(tag);
    strictEqual(pids.length, 1, `instances: ${pids}`);
    const state = JSON.parse(
      Deno.readTextFileSync(join(root.path, "run/systemctl/units/c.service.json")),
    );
    strictEqual(state.MainPID, pids[0]);
    strictEqual(state.ActiveState, "active");
    ok(alive(state.MainPID));
    const leftovers = [...Deno.readDirSync(join(root.path, "run/systemctl/units"))]
      .map((e) => e.name).filter((n) => n.includes(".tmp"));
    deepStrictEqual(leftovers, []);
    ok0(await root.run("stop", "c"));
    deepStrictEqual(pidsMatching(tag), []);
  },
);

// ---------------------------------------------------------------------------------------------
// Listings, canaries, enable --now

rootTest(
  "list-units shows running and failed units, --all, --state=failed and -o json",
  async (root) => {
    root.unit("run.service", service(`ExecStart=/bin/sleep 3126`, "Description=Runner"));
    root.unit("bad.service", service(`Type=oneshot\nExecStart=/bin/false`, "Description=Bad"));
    root.unit("idle.service", service(`ExecStart=/bin/sleep 3127`, "Description=Idle"));
    ok0(await root.run("start", "run"));
    strictEqual((await root.run("start", "bad")).code, 1);
    const lu = await root.run("list-units");
    ok0(lu);
    match(lu.stdout, /^ {2}run\.service +loaded active running Runner$/m);
    match(lu.stdout, /^● bad\.service +loaded failed failed +Bad$/m);
    ok(!lu.stdout.includes("idle.service"), lu.stdout);
    // A unit that never ran and that nothing references is not loaded (systemd's manager).
    const all = await root.run("list-units", "--all");
    match(all.stdout, /^ {2}run\.service +loaded +active +running +Runner$/m);
    ok(!all.stdout.includes("idle.service"), all.stdout);
    const failed = await root.run("list-units", "--state=failed", "--no-legend");
    strictEqual(failed.stdout.trim().split("\n").length, 1, failed.stdout);
    match(failed.stdout, /^● bad\.service +loaded failed failed Bad$/m);
    const json = await root.run("list-units", "-o", "json", "run.service");
    deepStrictEqual(JSON.parse(json.stdout), [
      {
        unit: "run.service",
        load: "loaded",
        active: "active",
        sub: "running",
        description: "Runner",
      },
    ]);
    ok0(await root.run("stop", "run"));
  },
);

rootTest("a start creates /run/systemd/system under the root", async (root) => {
  root.unit("o.service", service(`Type=oneshot\nExecStart=/bin/true`));
  ok0(await root.run("start", "o"));
  ok(Deno.statSync(join(root.path, "run/systemd/system")).isDirectory);
});

rootTest(
  "enable --now starts the unit and links it; disable --now stops and unlinks",
  async (root) => {
    root.unit(
      "e.service",
      `${service("ExecStart=/bin/sleep 3128")}[Install]\nWantedBy=multi-user.target\n`,
    );
    const link = join(root.path, "etc/systemd/system/multi-user.target.wants/e.service");
    const en = await root.run("enable", "--now", "e");
    ok0(en, "enable --now");
    ok(Deno.lstatSync(link).isSymlink);
    strictEqual((await root.run("is-active", "e")).stdout, "active\n");
    const pid = await mainPid(root, "e");
    ok(alive(pid));
    ok0(await root.run("disable", "--now", "e"), "disable --now");
    throws(() => Deno.lstatSync(link));
    strictEqual((await root.run("is-active", "e")).stdout, "inactive\n");
    ok(!alive(pid));
  },
);

rootTest(
  "starting a target starts what it wants; force-reload of an inactive unit is a no-op",
  async (root) => {
    root.unit("app.target", "[Unit]\nDescription=App\nWants=w.service\n");
    root.unit("w.service", service(`ExecStart=/bin/sleep 3130`));
    root.unit("idle.service", service(`ExecStart=/bin/sleep 3131\nExecReload=/bin/true`));
    ok0(await root.run("start", "app.target"));
    deepStrictEqual(await root.show("app.target", "ActiveState", "SubState"), {
      ActiveState: "active",
      SubState: "active",
    });
    strictEqual((await root.run("is-active", "w")).stdout, "active\n");
    ok0(await root.run("force-reload", "idle"));
    ok0(await root.run("condrestart", "idle"));
    strictEqual((await root.run("is-active", "idle")).stdout, "inactive\n");
    deepStrictEqual(pidsMatching("/bin/sleep 3131"), []);
    ok0(await root.run("stop", "w", "app.target"));
    deepStrictEqual(pidsMatching("/bin/sleep 3130"), []);
  },
);

rootTest(
  "clean --what=state removes the state directory of an inactive unit only",
  async (root) => {
    root.unit("c.service", service(`StateDirectory=cst\nExecStart=/bin/sleep 3132`));
    const dir = join(root.path, "var/lib/cst");
    ok0(await root.run("start", "c"));
    ok(Deno.statSync(dir).isDirectory);
    const busy = await root.run("clean", "--what=state", "c");
    deepStrictEqual([busy.code, busy.stderr], [
      1,
      "Failed to clean unit c.service: Unit is not inactive or has pending job.\n",
    ]);
    ok0(await root.run("stop", "c"));
    ok0(await root.run("clean", "--what=state", "c"));
    throws(() => Deno.statSync(dir));
  },
);
