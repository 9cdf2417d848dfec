/**
 * The verbs, options and property kept from docker-systemctl-replacement (issue 22, spec
 * §1.5), run side by side with the Python tool itself (Debian's package `systemctl`, 1.4,
 * see tests/support/pyref.ts) on the same `--root`, comparing what a script sees: stdout
 * lines and exit codes. Where the two differ on purpose (systemd's words and exit codes,
 * systemd's quoting, our transitive boot), the test says so and checks ours against
 * systemd's rule instead. Debian's 1.4 lacks `command`, `list-start-dependencies`,
 * `listen`, `log`, `-c`, `-0` and `--maxtimeout` (later releases added them): for those
 * the test shows the oracle refusing them, so no script written for Debian's tool can
 * depend on them, and checks ours against what the oracle does have or against our own
 * runs.
 */

import assert from "node:assert/strict";
import { makeTree, systemctl } from "../cli/_cli.ts";
import { ensurePyRef, pyRef, type ToolRun } from "../support/pyref.ts";
import { pid1SkipReason, startPid1, until } from "../init/_pid1.ts";
import { MOD, PERMS } from "../cli/_cli.ts";

const ref = await ensurePyRef();
if (!ref.ok) console.log(`pyref_verbs_diff_test: oracle tests skipped: ${ref.reason}`);
const script = ref.ok ? ref.script : "";
const ignore = !ref.ok;
const nsSkip = await pid1SkipReason();
if (nsSkip) console.log(`pyref_verbs_diff_test: namespace tests skipped: ${nsSkip}`);

/** Ours, with the same fixed environment as the oracle. */
function ours(root: string, args: string[]): Promise<ToolRun> {
  return systemctl([`--root=${root}`, ...args], { env: { PATH: "/usr/bin:/bin" } });
}

const lines = (text: string) => text.split("\n").filter((l) => l !== "");

const UNITS: Record<string, string> = {
  "/etc/systemd/system/web.service": "[Unit]\nDescription=Web\n[Service]\n" +
    "ExecStart=/bin/sleep 100\n[Install]\nWantedBy=multi-user.target\n",
  "/etc/systemd/system/db.service": "[Unit]\nDescription=DB\n[Service]\n" +
    "ExecStart=/bin/sleep 100\n[Install]\nWantedBy=multi-user.target\n",
  "/etc/systemd/system/multi-user.target.wants/web.service": "->../web.service",
  "/etc/systemd/system/multi-user.target.wants/db.service": "->../db.service",
  // Units a container cannot run: both tools leave them out of the boot.
  "/etc/systemd/system/systemd-foo.service": "[Service]\nExecStart=/bin/true\n",
  "/etc/systemd/system/multi-user.target.wants/systemd-foo.service": "->../systemd-foo.service",
  "/etc/systemd/system/network-setup.service": "[Service]\nExecStart=/bin/true\n",
  "/etc/systemd/system/multi-user.target.wants/network-setup.service": "->../network-setup.service",
  // Not enabled: in neither list.
  "/etc/systemd/system/idle.service": "[Service]\nExecStart=/bin/true\n",
  "/etc/systemd/system/gone.service": "->/dev/null",
  "/etc/systemd/system/env.service": "[Unit]\nDescription=Env\n[Service]\nType=oneshot\n" +
    "EnvironmentFile=/etc/default/env\nEnvironmentFile=-/etc/default/missing\n" +
    'Environment="A=1 2" B=3 C=$A\nEnvironment=E=override\n' +
    'ExecStartPre=-/bin/true pre\nExecStart=/bin/echo "hello world" $B\n' +
    "ExecStart=/bin/echo second\nExecStop=/bin/false\n",
  "/etc/default/env": "# comment\nE=from file\nexport F=\"quoted\"\nG='single'\n",
  "/etc/systemd/system/plain.service": "[Service]\nExecStart=/bin/true\n",
  "/etc/systemd/system/tpl@.service": "[Service]\nEnvironment=I=%i\nExecStart=/bin/echo %i\n",
  "/etc/systemd/system/logger.service": "[Service]\nType=oneshot\n" +
    "ExecStart=/bin/echo line-one\nExecStart=/bin/echo line-two\n",
};

function withRoot(fn: (root: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const root = makeTree(UNITS);
    try {
      await fn(root);
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  };
}

Deno.test({
  name: "default-services prints the enabled services as the Python tool does",
  ignore,
  fn: withRoot(async (root) => {
    const py = await pyRef(script, root, ["default-services"]);
    const we = await ours(root, ["default-services"]);
    assert.equal(py.code, 0, py.stderr);
    assert.deepEqual({ code: we.code, lines: lines(we.stdout) }, {
      code: py.code,
      lines: lines(py.stdout),
    });
    assert.deepEqual(lines(we.stdout), ["db.service", "web.service"]);
  }),
});

Deno.test({
  name: "default-services follows the boot: wanted units transitively, in start order (systemd)",
  ignore,
  fn: withRoot(async (root) => {
    // web wants cache and starts after it: the boot starts cache before web. The Python
    // tool lists the target's .wants/ folder only, sorted; the init starts what the
    // transaction pulls in, so ours lists cache too, in the order the boot starts them.
    Deno.writeTextFileSync(
      `${root}/etc/systemd/system/cache.service`,
      "[Service]\nExecStart=/bin/true\n",
    );
    Deno.writeTextFileSync(
      `${root}/etc/systemd/system/web.service`,
      "[Unit]\nWants=cache.service\nAfter=cache.service db.service\n[Service]\nExecStart=/bin/true\n",
    );
    const py = await pyRef(script, root, ["default-services"]);
    const we = await ours(root, ["default-services"]);
    assert.deepEqual(lines(py.stdout), ["db.service", "web.service"]);
    assert.deepEqual(lines(we.stdout), ["cache.service", "db.service", "web.service"]);
    for (const l of lines(py.stdout)) assert.ok(lines(we.stdout).includes(l), l);
    // --all keeps the units a container cannot run.
    const all = await ours(root, ["default-services", "--all"]);
    assert.ok(lines(all.stdout).includes("systemd-foo.service"), all.stdout);
    assert.ok(lines(all.stdout).includes("network-setup.service"), all.stdout);
  }),
});

/**
 * The variables a unit adds to the base block. The base differs on purpose: the oracle
 * starts from the caller's environment (here PATH and Python's own LC_CTYPE); ours, as
 * systemd, from PATH, the locale and the manager block, never the caller's. So each
 * tool's output for a unit without settings is taken away from its output for the unit.
 */
function added(unitOut: string, baseOut: string): string[] {
  const base = new Set(lines(baseOut));
  return lines(unitOut).filter((l) => !base.has(l));
}

Deno.test({
  name: "environment prints Environment=, EnvironmentFile= and -e as the Python tool does",
  ignore,
  fn: withRoot(async (root) => {
    for (const extra of [[], ["-e", "X=1 Y=2", "-e", '"Z=a b"', "-e", "@/etc/default/env"]]) {
      const py = await pyRef(script, root, ["environment", "env", ...extra]);
      const pyBase = await pyRef(script, root, ["environment", "plain", ...extra]);
      const we = await ours(root, ["environment", "env", ...extra]);
      const weBase = await ours(root, ["environment", "plain", ...extra]);
      assert.equal(py.code, 0, py.stderr);
      assert.equal(we.code, 0, we.stderr);
      assert.deepEqual(added(we.stdout, weBase.stdout), added(py.stdout, pyBase.stdout));
      // The -e extras reach both base blocks alike.
      if (extra.length) {
        for (const v of ["X=1", "Y=2", "Z=a b", "E=from file"]) {
          assert.ok(lines(pyBase.stdout).includes(v), `oracle ${v}`);
          assert.ok(lines(weBase.stdout).includes(v), `ours ${v}`);
        }
      }
    }
    const we = await ours(root, ["environment", "env"]);
    assert.deepEqual(added(we.stdout, (await ours(root, ["environment", "plain"])).stdout), [
      "A=1 2",
      "B=3",
      "C=$A",
      "E=from file",
      "F=quoted",
      "G=single",
    ]);
  }),
});

Deno.test({
  name: "environment follows systemd where the Python tool differs: quotes, specifiers",
  ignore,
  fn: withRoot(async (root) => {
    // systemd unquotes 'x y' and resolves %i; the Python tool prints D='x and I=''.
    Deno.writeTextFileSync(
      `${root}/etc/systemd/system/q.service`,
      "[Service]\nEnvironment=D='x y'\nExecStart=/bin/true\n",
    );
    const py = await pyRef(script, root, ["environment", "q"]);
    assert.ok(lines(py.stdout).includes("D='x"), py.stdout);
    assert.ok(lines((await ours(root, ["environment", "q"])).stdout).includes("D=x y"));
    const pyI = await pyRef(script, root, ["environment", "tpl@v.service"]);
    assert.ok(lines(pyI.stdout).includes("I=''"), pyI.stdout);
    assert.ok(lines((await ours(root, ["environment", "tpl@v"])).stdout).includes("I=v"));
  }),
});

Deno.test({
  name: "command prints ExecStart= as the Python tool's -p ExecStart query does",
  ignore,
  fn: withRoot(async (root) => {
    // Debian's 1.4 has no `command` verb; its `environment -p NAME UNIT` prints the raw
    // values of NAME, which is what later releases' `command` prints.
    const missing = await pyRef(script, root, ["command", "env"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Unknown operation command/);
    for (const key of ["ExecStart", "ExecStartPre", "ExecStop"]) {
      const py = await pyRef(script, root, ["environment", "-p", key, "env"]);
      const we = await ours(root, ["command", "-p", key, "env"]);
      assert.equal(we.code, 0, we.stderr);
      assert.deepEqual(lines(we.stdout), lines(py.stdout), key);
    }
    assert.deepEqual(lines((await ours(root, ["command", "env"])).stdout), [
      '/bin/echo "hello world" $B',
      "/bin/echo second",
    ]);
    // Specifiers are resolved, as the command will run (the oracle prints them raw).
    assert.deepEqual(lines((await ours(root, ["command", "tpl@v"])).stdout), ["/bin/echo v"]);
  }),
});

Deno.test({
  name: "list-start-dependencies lists the start transaction in the order start runs it",
  ignore,
  fn: withRoot(async (root) => {
    const missing = await pyRef(script, root, ["list-start-dependencies", "a"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Unknown operation list-start-dependencies/);
    // a requires b and wants c, after both; b is after d, which nothing pulls in.
    const mark = (n: string) => `ExecStart=/bin/sh -c 'echo ${n} >> ${root}/order'\n`;
    const files: Record<string, string> = {
      a: `[Unit]\nRequires=b.service\nWants=c.service\nAfter=b.service c.service\n` +
        `[Service]\nType=oneshot\nRemainAfterExit=yes\n${mark("a.service")}`,
      b: `[Unit]\nAfter=d.service\n[Service]\nType=oneshot\nRemainAfterExit=yes\n` +
        mark("b.service"),
      c: `[Service]\nType=oneshot\nRemainAfterExit=yes\n${mark("c.service")}`,
      d: `[Service]\nType=oneshot\nRemainAfterExit=yes\n${mark("d.service")}`,
    };
    for (const [n, text] of Object.entries(files)) {
      Deno.writeTextFileSync(`${root}/etc/systemd/system/${n}.service`, text);
    }
    const list = await ours(root, ["list-start-dependencies", "a"]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(lines(list.stdout), [
      "b.service\t(Requires)",
      "c.service\t(Wants)",
      "a.service\t(Requested)",
    ]);
    const start = await ours(root, ["start", "a"]);
    assert.equal(start.code, 0, start.stderr);
    assert.deepEqual(
      lines(Deno.readTextFileSync(`${root}/order`)),
      lines(list.stdout).map((l) => l.split("\t")[0]),
    );
    await ours(root, ["stop", "a", "b", "c"]);
  }),
});

Deno.test({
  name: "JournalFilePath names the file the Python tool writes the unit's output to; log prints it",
  ignore,
  fn: withRoot(async (root) => {
    const py = await pyRef(script, root, ["start", "logger"]);
    assert.equal(py.code, 0, py.stderr);
    const path = (await ours(root, ["show", "-P", "JournalFilePath", "logger"])).stdout.trim();
    // Ours prints the path inside the root, as FragmentPath; the oracle wrote it there.
    const written = Deno.readTextFileSync(`${root}${path}`);
    assert.deepEqual(lines(written), ["line-one", "line-two"]);
    // The Python tool (1.4) has no `log` verb; ours prints that file's lines as they are.
    const noLog = await pyRef(script, root, ["log", "logger"]);
    assert.match(noLog.stderr, /Unknown operation log/);
    const log = await ours(root, ["log", "logger"]);
    assert.equal(log.code, 0, log.stderr);
    assert.deepEqual(lines(log.stdout), lines(written));
    assert.deepEqual(lines((await ours(root, ["logs", "logger", "-n", "1"])).stdout), ["line-two"]);
    // The oracle knows no such property and prints nothing; ours prints it only when asked.
    const pyShow = await pyRef(script, root, ["show", "-p", "JournalFilePath", "logger"]);
    assert.deepEqual({ code: pyShow.code, stdout: pyShow.stdout }, { code: 0, stdout: "" });
    assert.doesNotMatch((await ours(root, ["show", "logger"])).stdout, /JournalFilePath/);
  }),
});

Deno.test({
  name: "bad input: the new verbs answer with systemd's lines and exit codes",
  ignore,
  fn: withRoot(async (root) => {
    // The oracle says `ERROR:systemctl:Unit nope could not be found.` with exit 1; ours
    // says it in systemd's words with status's exit code 4 (LSB "no such unit").
    const py = await pyRef(script, root, ["environment", "nope"]);
    assert.equal(py.code, 1);
    assert.equal(py.stdout, "");
    const cases: Array<[string[], number, string]> = [
      [["environment", "nope"], 4, "Unit nope.service could not be found.\n"],
      [["command", "nope"], 4, "Unit nope.service could not be found.\n"],
      [["list-start-dependencies", "nope"], 4, "Unit nope.service could not be found.\n"],
      [["default-services", "nope.target"], 4, "Unit nope.target could not be found.\n"],
      [["environment", "gone"], 1, "Unit gone.service is masked.\n"],
      [["command", "gone"], 1, "Unit gone.service is masked.\n"],
      [["list-start-dependencies", "gone"], 1, "Unit gone.service is masked.\n"],
      [["environment", "tpl@"], 1, "Unit name tpl@.service is missing the instance name.\n"],
      [["command", "tpl@"], 1, "Unit name tpl@.service is missing the instance name.\n"],
      [
        ["list-start-dependencies", "tpl@"],
        1,
        "Unit name tpl@.service is missing the instance name.\n",
      ],
      [["listen", "nope"], 5, "Failed to start nope.socket: Unit nope.socket not found.\n"],
      [
        ["listen", "gone.service"],
        1,
        "Failed to start gone.service: Unit gone.service is masked.\n",
      ],
      [["listen", "tpl@.socket"], 1, "Unit name tpl@.socket is missing the instance name.\n"],
      [["environment"], 1, "Too few arguments.\n"],
      [["command"], 1, "Too few arguments.\n"],
      [["list-start-dependencies"], 1, "Too few arguments.\n"],
      [["listen"], 1, "Too few arguments.\n"],
      [["environment", "env", "plain"], 1, "Too many arguments.\n"],
      [["reap-zombies", "x"], 1, "Too many arguments.\n"],
    ];
    for (const [args, code, stderr] of cases) {
      const r = await ours(root, args);
      assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, {
        code,
        stdout: "",
        stderr,
      }, args.join(" "));
    }
  }),
});

Deno.test({
  name:
    "options of the Python tool: -4/-6/-c ignored with a reason, -0 accepted, --maxtimeout caps stops",
  ignore,
  fn: withRoot(async (root) => {
    Deno.writeTextFileSync(`${root}/etc/hosts`, "127.0.0.1 localhost\n::1 localhost\n");
    const base = await ours(root, ["environment", "env"]);
    for (const opt of [["-4"], ["-6"], ["-c", "InitLoopSleep=1"], ["--maxtimeout=3"], ["-0"]]) {
      const r = await ours(root, [...opt, "environment", "env"]);
      assert.equal(r.code, 0, `${opt}: ${r.stderr}`);
      assert.equal(r.stdout, base.stdout, opt.join(" "));
    }
    // -4 says why it does nothing; the Python tool rewrote the root's /etc/hosts instead.
    const four = await ours(root, ["-4", "environment", "env"]);
    assert.match(four.stderr, /^Option -4\/--ipv4 has no effect: .*\/etc\/hosts/m);
    assert.equal(
      Deno.readTextFileSync(`${root}/etc/hosts`),
      "127.0.0.1 localhost\n::1 localhost\n",
    );
    const py = await pyRef(script, root, ["-4", "environment", "env"]);
    assert.equal(py.code, 0, py.stderr);
    assert.notEqual(
      Deno.readTextFileSync(`${root}/etc/hosts`),
      "127.0.0.1 localhost\n::1 localhost\n",
    );
    // Debian's 1.4 does not know -c, -0 and --maxtimeout at all (optparse, exit 2).
    for (const opt of ["-c", "-0", "--maxtimeout"]) {
      const r = await pyRef(script, root, [opt, "1", "environment", "env"]);
      assert.equal(r.code, 2, opt);
    }
    // --maxtimeout caps the stop timeout: a service that ignores SIGTERM is killed at 1 s.
    Deno.writeTextFileSync(
      `${root}/etc/systemd/system/stubborn.service`,
      "[Service]\nExecStart=/bin/sh -c 'trap \"\" TERM; while :; do sleep 0.2; done'\n" +
        "TimeoutStopSec=90\n",
    );
    assert.equal((await ours(root, ["start", "stubborn"])).code, 0);
    const t0 = performance.now();
    const stop = await ours(root, ["stop", "--maxtimeout=1", "stubborn"]);
    assert.equal(stop.code, 0, stop.stderr);
    // A bound, not a measurement: without the cap the stop would wait 90 s.
    assert.ok(performance.now() - t0 < 60_000);
  }),
});

Deno.test({
  name: "-1/--init runs start in init mode as the Python tool does",
  ignore,
  sanitizeResources: false,
  fn: withRoot(async (root) => {
    Deno.writeTextFileSync(
      `${root}/etc/systemd/system/job.service`,
      '[Service]\nExecStart=/bin/sh -c "echo ran; exit 3"\n[Install]\nWantedBy=multi-user.target\n',
    );
    // The oracle keeps its init loop after the unit ended (until a signal: it is stopped
    // after 5 s here); ours leaves when the unit ended, with its exit status (spec §8.7).
    // Both write the unit's output to the same log file; ours relays it to stdout too.
    const py = await new Deno.Command("/usr/bin/python3", {
      args: [script, `--root=${root}`, "-1", "start", "job"],
      clearEnv: true,
      // Unbuffered: the oracle is stopped by a signal and would lose a buffered stdout.
      env: { PATH: "/usr/bin:/bin", PYTHONUNBUFFERED: "1" },
      stdin: "null",
      signal: AbortSignal.timeout(5000),
    }).output();
    assert.equal(py.success, false, "the oracle was still in its init loop");
    const logFile = `${root}/var/log/journal/job.service.log`;
    assert.ok(lines(Deno.readTextFileSync(logFile)).includes("ran"));
    Deno.removeSync(logFile);
    const we = await ours(root, ["-1", "start", "job"]);
    assert.equal(we.code, 3, we.stdout + we.stderr);
    assert.ok(lines(we.stdout).includes("job.service: ran"), we.stdout);
    assert.ok(lines(Deno.readTextFileSync(logFile)).includes("ran"));
  }),
});

Deno.test({
  name: "--help lists every kept verb and option under the extensions",
  fn: async () => {
    const help = (await systemctl(["--help"])).stdout;
    const ext = help.slice(help.indexOf("Extensions (not systemctl verbs):"));
    const verbs = ext.slice(0, ext.indexOf("\n\n"));
    for (
      const v of [
        "default-services",
        "environment UNIT",
        "command UNIT",
        "list-start-dependencies",
        "listen UNIT",
        "reap-zombies",
        "log UNIT",
        "init ",
      ]
    ) assert.match(verbs, new RegExp(`^  ${v}`, "m"), v);
    for (
      const o of [
        "-1 --init",
        "-0 --exit",
        "-e --extra-vars",
        "--maxtimeout",
        "-4 --ipv4",
        "-6 --ipv6",
        "-c --config",
      ]
    ) {
      const line = help.split("\n").find((l) => l.includes(o)) ?? "";
      assert.match(line, /Extension/, o);
    }
  },
});

Deno.test({
  name: "reap-zombies reaps the zombies handed over by exec and counts what is left, as the oracle",
  ignore: ignore || nsSkip !== undefined,
  fn: async () => {
    // In a fresh PID namespace a shell (PID 1) keeps a sleep; a Python process forks a
    // child that exits, waits until it is a zombie, and execs the tool, which inherits
    // it. Both tools reap it and count one process left (the sleep): the oracle as its
    // exit status, ours on stdout (`remaining 1 process`, exit 0). Unreaped, both would
    // count two.
    const root = makeTree({ "/etc/systemd/system/x.service": "[Service]\nExecStart=/bin/true\n" });
    const forkThenExec = [
      "import os, sys, time",
      "pid = os.fork()",
      "if pid == 0: os._exit(0)",
      "for _ in range(1200):",
      "    if open('/proc/%d/stat' % pid).read().rsplit(') ', 1)[1][0] == 'Z': break",
      "    time.sleep(0.05)",
      "os.execv(sys.argv[1], sys.argv[1:])",
    ].join("\n");
    const zombieThenExec = (tool: string) =>
      `sleep 60 & /usr/bin/python3 -c "${forkThenExec}" ${tool} --root=${root} reap-zombies; ` +
      `echo "rc=$?"; kill $!`;
    const run = async (tool: string) => {
      const out = await new Deno.Command("unshare", {
        args: ["--pid", "--fork", "--mount-proc", "--kill-child", "sh", "-c", zombieThenExec(tool)],
        stdin: "null",
        clearEnv: true,
        env: { PATH: "/usr/bin:/bin", NO_COLOR: "1" },
        signal: AbortSignal.timeout(60_000),
      }).output();
      return new TextDecoder().decode(out.stdout);
    };
    try {
      const py = await run(`/usr/bin/python3 ${script}`);
      assert.equal(py, "rc=1\n");
      const we = await run(
        `${Deno.execPath()} run --quiet ${PERMS.join(" ")} ${MOD}`,
      );
      assert.equal(we, "remaining 1 process\nrc=0\n");
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "listen serves a socket unit in the foreground until SIGTERM (the oracle has no sockets)",
  ignore: ignore || nsSkip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = makeTree({
      "/etc/systemd/system/hello.socket": "[Unit]\nDescription=Hello socket\n[Socket]\n" +
        "ListenStream=127.0.0.1:7010\nAccept=yes\n",
      "/etc/systemd/system/hello@.service": "[Service]\nStandardInput=socket\n" +
        "ExecStart=/bin/echo hello from the socket\n",
    });
    const missing = await pyRef(script, root, ["listen", "hello"]);
    assert.match(missing.stderr, /Unknown operation listen/);
    const pid1 = await startPid1(root, ["listen", "hello"], { net: true });
    try {
      assert.ok(await until(() => pid1.output().includes("Startup finished")), pid1.output());
      const client = "import socket; s = socket.create_connection(('127.0.0.1', 7010), 5); " +
        "print(s.makefile().readline().strip())";
      const r = await pid1.sh(`python3 -c "${client}"`);
      assert.equal(r.stdout, "hello from the socket\n", r.stderr + pid1.output());
      assert.equal((await pid1.systemctl("is-active", "hello.socket")).stdout, "active\n");
      pid1.signal("SIGTERM");
      assert.equal(await pid1.exited, 0, pid1.output());
    } finally {
      pid1.kill();
      Deno.removeSync(root, { recursive: true });
    }
  },
});
