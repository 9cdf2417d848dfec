/**
 * Socket activation by the init instance (§4.4, §8.3), as PID 1 of a PID namespace with
 * a private network namespace (`unshare --net`, lo up): every connection goes to the
 * namespace's own loopback. Accept=no starts the service on the first connection and
 * hands it the descriptors; Accept=yes starts one instance per connection; Debian's
 * packaged ssh.socket activates sshd, which then answers with its banner.
 */

import assert from "node:assert/strict";
import { makeTree, parseShow } from "../cli/_cli.ts";
import { type Pid1, pid1SkipReason, startPid1, until } from "./_pid1.ts";

const skip = await pid1SkipReason();
if (skip) console.log(`sockets_test: PID-1 tests skipped: ${skip}`);
const PYTHON = "/usr/bin/python3";
const exists = (p: string) => {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
};
const noPython = exists(PYTHON) ? undefined : "no /usr/bin/python3";
if (noPython) console.log(`sockets_test: Accept=no test skipped: ${noPython}`);
const noSsh = [
  "/usr/sbin/sshd",
  "/lib/systemd/system/ssh.socket",
  "/lib/systemd/system/ssh.service",
]
  .find((p) => !exists(p));
if (noSsh) console.log(`sockets_test: ssh.socket test skipped: ${noSsh} is missing`);
const noSocat = exists("/usr/bin/socat") ? undefined : "no socat";
if (noSocat) console.log(`sockets_test: skipped: ${noSocat}`);

/**
 * A PID-1 socket test in PID + network namespaces: `units` written into a fresh root (every
 * `ROOT` in them replaced by its path), `init ARGS…` as PID 1, `fn` once the boot finished.
 */
function socketInitTest(
  name: string,
  units: Record<string, string>,
  args: string[],
  fn: (pid1: Pid1, root: string) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: skip !== undefined || noSocat !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const root = makeTree(units);
      for (const path of Object.keys(units)) {
        const text = Deno.readTextFileSync(`${root}${path}`);
        if (text.includes("ROOT")) {
          Deno.writeTextFileSync(`${root}${path}`, text.replaceAll("ROOT", root));
        }
      }
      const pid1 = await startPid1(root, ["init", ...args], { net: true });
      try {
        assert.ok(await until(() => pid1.output().includes("Startup finished")), pid1.output());
        await fn(pid1, root);
      } finally {
        pid1.kill();
        Deno.removeSync(root, { recursive: true });
      }
    },
  });
}

/**
 * A FIFO under the root that a connection's input waits on (`cat FIFO; …`); the returned
 * function releases it (opens it for writing and closes it: the reader sees end of file).
 */
function hold(root: string, name: string): () => Promise<void> {
  const path = `${root}/${name}`;
  const made = new Deno.Command("mkfifo", { args: [path] }).outputSync();
  assert.equal(made.code, 0, new TextDecoder().decode(made.stderr));
  return async () => {
    const f = await Deno.open(path, { write: true });
    f.close();
  };
}

/** The Accept=no server: answers every connection with its activation variables. */
const SERVER = `import os, socket, select
n = int(os.environ["LISTEN_FDS"])
socks = [socket.socket(fileno=3 + i) for i in range(n)]
while True:
    ready, _, _ = select.select(socks, [], [])
    for s in ready:
        c, _ = s.accept()
        c.sendall(("fds=%d pid=%s self=%d names=%s\\n" % (n, os.environ["LISTEN_PID"],
            os.getpid(), os.environ["LISTEN_FDNAMES"])).encode())
        c.close()
`;

/** The Accept=no datagram server: answers each datagram on descriptor 3. */
const UDP_SERVER = `import os, socket
s = socket.socket(fileno=3)
while True:
    data, peer = s.recvfrom(512)
    s.sendto(b"pong " + data, peer)
`;

function activationRoot(): string {
  const root = makeTree({
    "/etc/systemd/system/dgram.socket": "[Unit]\nDescription=Datagram socket\n[Socket]\n" +
      "ListenDatagram=127.0.0.1:7030\n",
    "/etc/systemd/system/dgram.service": "[Unit]\nDescription=Datagram server\n[Service]\n" +
      "ExecStart=/usr/bin/python3 ROOT/opt/udp.py\n",
    "/etc/systemd/system/echo.socket": "[Unit]\nDescription=Echo socket\n[Socket]\n" +
      "ListenStream=127.0.0.1:7001\nListenStream=[::1]:7002\nListenStream=7003\n" +
      "ListenStream=/run/echo.sock\nListenStream=@echo-abstract\nFileDescriptorName=echo\n",
    "/etc/systemd/system/echo.service": "[Unit]\nDescription=Echo server\n[Service]\n" +
      "ExecStart=/usr/bin/python3 ROOT/opt/server.py\n",
    "/etc/systemd/system/hello.socket": "[Unit]\nDescription=Hello socket\n[Socket]\n" +
      "ListenStream=127.0.0.1:7010\nAccept=yes\n",
    "/etc/systemd/system/hello@.service": "[Unit]\nDescription=Hello %i\n[Service]\n" +
      "StandardInput=socket\n" +
      `ExecStart=/bin/sh -c 'echo "hi fds=$LISTEN_FDS names=$LISTEN_FDNAMES"; ` +
      `read line; echo "got $line"'\n`,
  });
  Deno.mkdirSync(`${root}/opt`);
  Deno.writeTextFileSync(`${root}/opt/server.py`, SERVER);
  Deno.writeTextFileSync(`${root}/opt/udp.py`, UDP_SERVER);
  for (const name of ["echo.service", "dgram.service"]) {
    const unit = `${root}/etc/systemd/system/${name}`;
    Deno.writeTextFileSync(unit, Deno.readTextFileSync(unit).replace("ROOT", root));
  }
  return root;
}

Deno.test({
  name: "the init holds sockets: Accept=no starts the service on the first connection",
  ignore: skip !== undefined || noPython !== undefined || noSocat !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = activationRoot();
    const pid1 = await startPid1(root, ["init", "echo.socket", "hello.socket", "dgram.socket"], {
      net: true,
    });
    try {
      assert.ok(
        await until(() => pid1.output().includes("Startup finished")),
        pid1.output(),
      );
      assert.match(pid1.output(), /^Listening on Echo socket\.$/m);
      // Nothing runs before the first connection.
      assert.equal((await pid1.systemctl("is-active", "echo.service")).stdout, "inactive\n");
      const st0 = await pid1.systemctl("status", "echo.socket");
      assert.match(st0.stdout, /Active: active \(listening\)/);
      assert.match(
        st0.stdout,
        /Listen: 127\.0\.0\.1:7001 \(Stream\)\n\s+\[::1\]:7002 \(Stream\)\n\s+\[::\]:7003 \(Stream\)\n\s+\/run\/echo\.sock \(Stream\)\n\s+@echo-abstract \(Stream\)/,
      );
      const first = await pid1.sh("socat -t 30 - TCP:127.0.0.1:7001");
      const m = /fds=(\d) pid=(\d+) self=(\d+) names=(\S+)/.exec(first.stdout);
      assert.ok(m, `${first.stdout}${first.stderr}\n${pid1.output()}`);
      assert.equal(m[1], "5");
      assert.equal(m[2], m[3], "LISTEN_PID is the service's PID");
      assert.equal(m[4], "echo:echo:echo:echo:echo");
      // The same service answers on every address, IPv6 and unix ones included.
      for (
        const target of [
          "TCP6:[::1]:7002",
          "TCP:127.0.0.1:7003",
          "TCP6:[::1]:7003",
          `UNIX-CONNECT:${root}/run/echo.sock`,
          "ABSTRACT-CONNECT:echo-abstract",
        ]
      ) {
        const r = await pid1.sh(`socat -t 30 - ${target}`);
        assert.match(r.stdout, new RegExp(`self=${m[3]} `), `${target}: ${r.stdout}${r.stderr}`);
      }
      const main = parseShow(
        (await pid1.systemctl("show", "-p", "MainPID", "echo.service")).stdout,
      );
      assert.equal(main.MainPID, m[3]);
      assert.match((await pid1.systemctl("status", "echo.socket")).stdout, /active \(running\)/);
      // The service ends: the socket listens again and the next connection starts it anew.
      assert.equal((await pid1.systemctl("stop", "echo.service")).code, 0);
      assert.ok(
        await until(async () =>
          /active \(listening\)/.test((await pid1.systemctl("status", "echo.socket")).stdout)
        ),
      );
      const again = await pid1.sh("socat -t 30 - TCP:127.0.0.1:7001");
      const m2 = /self=(\d+)/.exec(again.stdout);
      assert.ok(m2 && m2[1] !== m[3], again.stdout + again.stderr);

      // Accept=no datagram socket: the first datagram starts the service, which reads it.
      assert.equal((await pid1.systemctl("is-active", "dgram.service")).stdout, "inactive\n");
      const udp = await pid1.sh("echo ping | socat -t 30 - UDP:127.0.0.1:7030");
      assert.equal(udp.stdout, "pong ping\n", udp.stderr + pid1.output());
      assert.equal((await pid1.systemctl("is-active", "dgram.service")).stdout, "active\n");

      // Accept=yes: one instance per connection, the connection on stdin/stdout and fd 3.
      const h1 = await pid1.sh("echo one | socat -t 30 - TCP:127.0.0.1:7010");
      assert.equal(h1.stdout, "hi fds=1 names=connection\ngot one\n", h1.stderr);
      const h2 = await pid1.sh("echo two | socat -t 30 - TCP:127.0.0.1:7010");
      assert.equal(h2.stdout, "hi fds=1 names=connection\ngot two\n", h2.stderr);
      const out = pid1.output();
      assert.match(out, /^Started Hello 0-127\.0\.0\.1:7010-127\.0\.0\.1:\d+\.$/m);
      assert.match(out, /^Started Hello 1-127\.0\.0\.1:7010-127\.0\.0\.1:\d+\.$/m);
      assert.ok(
        await until(async () =>
          /Accepted: 2; Connected: 0;/.test((await pid1.systemctl("status", "hello.socket")).stdout)
        ),
        (await pid1.systemctl("status", "hello.socket")).stdout,
      );
      // show reports the same counters as status.
      assert.equal(
        (await pid1.systemctl("show", "-p", "NAccepted,NConnections", "hello.socket")).stdout,
        "NConnections=0\nNAccepted=2\n",
      );
      const list = await pid1.systemctl("list-sockets");
      assert.deepEqual(list.stdout.split("\n").map((l) => l.split(/ +/).join(" ")), [
        "LISTEN UNIT ACTIVATES",
        "/run/echo.sock echo.socket echo.service",
        "127.0.0.1:7001 echo.socket echo.service",
        "127.0.0.1:7010 hello.socket -",
        "127.0.0.1:7030 dgram.socket dgram.service",
        "@echo-abstract echo.socket echo.service",
        "[::1]:7002 echo.socket echo.service",
        "[::]:7003 echo.socket echo.service",
        "",
        "7 sockets listed.",
        "Pass --all to see loaded but inactive sockets, too.",
        "",
      ]);
      // A client's stop of a socket goes to the init, which closes it.
      assert.equal((await pid1.systemctl("stop", "hello.socket")).code, 0);
      const closed = await pid1.sh("socat -t 1 - TCP:127.0.0.1:7010");
      assert.notEqual(closed.code, 0, "the port is closed");
      assert.equal((await pid1.systemctl("start", "hello.socket")).code, 0);
      const h3 = await pid1.sh("echo three | socat -t 30 - TCP:127.0.0.1:7010");
      assert.equal(h3.stdout, "hi fds=1 names=connection\ngot three\n", h3.stderr);
      pid1.signal("SIGTERM");
      assert.equal(await pid1.exited, 0);
    } finally {
      pid1.kill();
      Deno.removeSync(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "a service the boot starts gets the sockets that trigger it, as systemd passes them",
  ignore: skip !== undefined || noPython !== undefined || noSocat !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = makeTree({
      "/etc/systemd/system/db.socket": "[Unit]\nDescription=DB socket\n[Socket]\n" +
        "ListenStream=127.0.0.1:7040\nFileDescriptorName=db\n",
      "/etc/systemd/system/db.service": "[Unit]\nDescription=DB\n[Service]\n" +
        "ExecStart=/usr/bin/python3 ROOT/opt/server.py\n",
      "/etc/systemd/system/bad.socket": "[Socket]\nListenStream=127.0.0.1:7041\n",
      "/etc/systemd/system/bad.service": "[Service]\nType=oneshot\nExecStart=/bin/false\n",
    });
    Deno.mkdirSync(`${root}/opt`);
    Deno.writeTextFileSync(`${root}/opt/server.py`, SERVER);
    const unit = `${root}/etc/systemd/system/db.service`;
    Deno.writeTextFileSync(unit, Deno.readTextFileSync(unit).replace("ROOT", root));
    // Both named: the socket is bound first (Before=), then the boot starts the service.
    const pid1 = await startPid1(root, ["init", "db.service", "db.socket", "bad.socket"], {
      net: true,
    });
    try {
      assert.ok(await until(() => pid1.output().includes("Startup finished")), pid1.output());
      assert.ok(
        pid1.output().indexOf("Listening on DB socket.") < pid1.output().indexOf("Starting DB..."),
      );
      assert.equal((await pid1.systemctl("is-active", "db.service")).stdout, "active\n");
      const r = await pid1.sh("socat -t 30 - TCP:127.0.0.1:7040");
      assert.match(r.stdout, /^fds=1 pid=(\d+) self=\1 names=db$/m, r.stderr + pid1.output());
      assert.match((await pid1.systemctl("status", "db.socket")).stdout, /active \(running\)/);
      // A client's restart and start (Ansible's state: restarted/started) go to the init,
      // which holds the descriptors: the new process gets them, as under systemd.
      const first = /self=(\d+)/.exec(r.stdout)![1];
      const restarted = await pid1.systemctl("restart", "db.service");
      assert.equal(restarted.code, 0, restarted.stderr + pid1.output());
      assert.equal((await pid1.systemctl("is-active", "db.service")).stdout, "active\n");
      const r2 = await pid1.sh("socat -t 30 - TCP:127.0.0.1:7040");
      const m2 = /^fds=1 pid=(\d+) self=\1 names=db$/m.exec(r2.stdout);
      assert.ok(m2 && m2[1] !== first, r2.stdout + r2.stderr + pid1.output());
      assert.equal((await pid1.systemctl("stop", "db.service")).code, 0);
      const started = await pid1.systemctl("start", "db.service");
      assert.equal(started.code, 0, started.stderr + pid1.output());
      const r3 = await pid1.sh("socat -t 30 - TCP:127.0.0.1:7040");
      const m3 = /^fds=1 pid=(\d+) self=\1 names=db$/m.exec(r3.stdout);
      assert.ok(m3 && m3[1] !== m2[1], r3.stdout + r3.stderr + pid1.output());
      const main = parseShow((await pid1.systemctl("show", "-p", "MainPID", "db.service")).stdout);
      assert.equal(main.MainPID, m3[1]);
      // A start of the running service changes nothing.
      assert.equal((await pid1.systemctl("start", "db.service")).code, 0);
      assert.equal(
        parseShow((await pid1.systemctl("show", "-p", "MainPID", "db.service")).stdout).MainPID,
        m3[1],
      );
      // A start that fails in the init fails the client's job with the service's result.
      const bad = await pid1.systemctl("start", "bad.service");
      assert.equal(bad.code, 1, bad.stderr + pid1.output());
      assert.match(
        bad.stderr,
        /^Job for bad\.service failed because the control process exited with error code\.$/m,
      );
      assert.equal((await pid1.systemctl("is-active", "bad.service")).stdout, "failed\n");
      assert.match(pid1.output(), /^Failed to start bad\.service\.$/m);
      assert.ok(
        await until(async () =>
          /active \(listening\)/.test((await pid1.systemctl("status", "bad.socket")).stdout)
        ),
      );
    } finally {
      pid1.kill();
      Deno.removeSync(root, { recursive: true });
    }
  },
});

socketInitTest(
  "Accept=yes drops connections over MaxConnections= and MaxConnectionsPerSource= and counts them (NRefused)",
  {
    "/etc/systemd/system/one.socket": "[Socket]\nListenStream=127.0.0.1:7050\nAccept=yes\n" +
      "MaxConnections=1\n",
    "/etc/systemd/system/one@.service": "[Service]\nStandardInput=socket\n" +
      "ExecStart=/bin/sh -c 'echo hi; read line; echo bye'\n",
    // Dual stack: 127.0.0.1 arrives IPv4-mapped and counts as 127.0.0.1.
    "/etc/systemd/system/src.socket": "[Socket]\nListenStream=7051\nAccept=yes\n" +
      "MaxConnectionsPerSource=1\n",
    "/etc/systemd/system/src@.service": "[Service]\nStandardInput=socket\n" +
      "ExecStart=/bin/sh -c 'echo hi; read line; echo bye'\n",
  },
  ["one.socket", "src.socket"],
  async (pid1, root) => {
    // The first connection stays open (its instance waits for a line) until the test
    // releases it: a FIFO, not a sleep, so a slow machine cannot end it early.
    const release1 = hold(root, "hold1");
    const held = pid1.sh(`(cat ${root}/hold1; echo done) | socat -t 30 - TCP:127.0.0.1:7050`);
    assert.ok(
      await until(async () =>
        /Connected: 1;/.test((await pid1.systemctl("status", "one.socket")).stdout)
      ),
      (await pid1.systemctl("status", "one.socket")).stdout + pid1.output(),
    );
    const dropped = await pid1.sh("socat -t 2 - TCP:127.0.0.1:7050 </dev/null");
    assert.equal(dropped.stdout, "", "the second connection is closed unanswered");
    // socat may give up before a slow init got to the connection: wait for its line.
    const tooMany = /^one\.socket: Too many incoming connections \(1\), dropping connection\.$/m;
    assert.ok(await until(() => tooMany.test(pid1.output())), pid1.output());
    assert.ok(
      await until(async () =>
        /^ {3}Accepted: 1; Connected: 1; {3}Refused: 1$/m.test(
          (await pid1.systemctl("status", "one.socket")).stdout,
        )
      ),
      (await pid1.systemctl("status", "one.socket")).stdout,
    );
    assert.equal(
      (await pid1.systemctl("show", "-p", "NAccepted,NRefused", "one.socket")).stdout,
      "NAccepted=1\nNRefused=1\n",
    );
    await release1();
    assert.equal((await held).stdout, "hi\nbye\n");

    // MaxConnectionsPerSource=1: a second connection from 127.0.0.1 is dropped, one from
    // ::1 is served; once the first ends, 127.0.0.1 is served again.
    const release2 = hold(root, "hold2");
    const first = pid1.sh(`(cat ${root}/hold2; echo done) | socat -t 30 - TCP:127.0.0.1:7051`);
    assert.ok(
      await until(async () =>
        /Connected: 1;/.test((await pid1.systemctl("status", "src.socket")).stdout)
      ),
    );
    const same = await pid1.sh("socat -t 2 - TCP:127.0.0.1:7051 </dev/null");
    assert.equal(same.stdout, "");
    const perSource =
      /^src\.socket: Too many incoming connections \(2\) from source 127\.0\.0\.1, dropping connection\.$/m;
    assert.ok(await until(() => perSource.test(pid1.output())), pid1.output());
    const other = await pid1.sh("echo x | socat -t 30 - TCP6:[::1]:7051");
    assert.equal(other.stdout, "hi\nbye\n", other.stderr);
    await release2();
    assert.equal((await first).stdout, "hi\nbye\n");
    assert.ok(
      await until(async () =>
        /Connected: 0;/.test((await pid1.systemctl("status", "src.socket")).stdout)
      ),
    );
    const again = await pid1.sh("echo y | socat -t 30 - TCP:127.0.0.1:7051");
    assert.equal(again.stdout, "hi\nbye\n", again.stderr);
  },
);

socketInitTest(
  "the init runs a socket's ExecStartPre/Post and ExecStopPre/Post; a failing one fails it",
  {
    "/etc/systemd/system/ph.socket": "[Unit]\nDescription=Phases\n[Socket]\n" +
      "ListenStream=127.0.0.1:7060\nExecStartPre=/bin/sh -c 'echo start-pre >> ROOT/log'\n" +
      "ExecStartPost=/bin/sh -c 'echo start-post >> ROOT/log'\n" +
      "ExecStopPre=/bin/sh -c 'echo stop-pre >> ROOT/log'\n" +
      "ExecStopPost=/bin/sh -c 'echo stop-post >> ROOT/log'\n",
    "/etc/systemd/system/ph.service": "[Service]\nExecStart=/bin/sleep 60\n",
    "/etc/systemd/system/bad.socket": "[Unit]\nDescription=Bad phases\n[Socket]\n" +
      "ListenStream=127.0.0.1:7061\nExecStartPre=/bin/sh -c 'exit 4'\n",
    "/etc/systemd/system/bad.service": "[Service]\nExecStart=/bin/sleep 60\n",
  },
  ["ph.socket", "bad.socket"],
  async (pid1, root) => {
    assert.equal(Deno.readTextFileSync(`${root}/log`), "start-pre\nstart-post\n");
    assert.match(pid1.output(), /^Listening on Phases\.$/m);
    const out = pid1.output();
    assert.match(
      out,
      /^bad\.socket: Control process exited, code=exited, status=4\/NOPERMISSION$/m,
    );
    assert.match(out, /^bad\.socket: Failed with result 'exit-code'\.$/m);
    assert.match(out, /^Failed to listen on Bad phases\.$/m);
    assert.equal((await pid1.systemctl("is-active", "bad.socket")).stdout, "failed\n");
    const refused = await pid1.sh("socat -t 1 - TCP:127.0.0.1:7061");
    assert.notEqual(refused.code, 0, "bad.socket never bound its port");
    // A client's stop goes to the init, which runs the stop commands around the close.
    assert.equal((await pid1.systemctl("stop", "ph.socket")).code, 0);
    assert.equal(
      Deno.readTextFileSync(`${root}/log`),
      "start-pre\nstart-post\nstop-pre\nstop-post\n",
    );
    assert.equal((await pid1.systemctl("is-active", "ph.socket")).stdout, "inactive\n");
  },
);

socketInitTest(
  "a client's socket start waits while the init runs an ExecStartPre= longer than 10 s",
  {
    "/etc/systemd/system/slow.socket": "[Socket]\nListenStream=127.0.0.1:7062\n" +
      "ExecStartPre=/bin/sleep 11\n",
    "/etc/systemd/system/slow.service": "[Service]\nExecStart=/bin/sleep 60\n",
  },
  [],
  async (pid1) => {
    const r = await pid1.systemctl("start", "slow.socket");
    assert.equal(r.code, 0, r.stderr + pid1.output());
    assert.equal((await pid1.systemctl("is-active", "slow.socket")).stdout, "active\n");
  },
);

socketInitTest(
  "a service that hits its start limit fails its socket; the trigger limit fails a socket",
  {
    // The service fails at once and never accepts: the connection stays pending.
    "/etc/systemd/system/spin.socket": "[Socket]\nListenStream=127.0.0.1:7070\n",
    "/etc/systemd/system/spin.service": "[Service]\nExecStart=/bin/false\n",
    // An interval no slow machine outlasts between the first and the fourth connection.
    "/etc/systemd/system/few.socket": "[Socket]\nListenStream=127.0.0.1:7071\nAccept=yes\n" +
      "TriggerLimitIntervalSec=1h\nTriggerLimitBurst=3\n",
    "/etc/systemd/system/few@.service": "[Service]\nStandardInput=socket\n" +
      "ExecStart=/bin/echo hi\n",
  },
  ["spin.socket", "few.socket"],
  async (pid1) => {
    const pending = pid1.sh("socat -t 3 - TCP:127.0.0.1:7070 </dev/null");
    assert.ok(
      await until(() => pid1.output().includes("spin.socket: Failed with result")),
      pid1.output(),
    );
    assert.match(
      pid1.output(),
      /^spin\.socket: Failed with result 'service-start-limit-hit'\.$/m,
    );
    const show = parseShow(
      (await pid1.systemctl("show", "-p", "ActiveState,Result", "spin.socket")).stdout,
    );
    assert.deepEqual(show, { ActiveState: "failed", Result: "service-start-limit-hit" });
    // No more starts once the socket failed (no loop on the pending connection).
    const starts = () => pid1.output().split("\nStarting spin.service...").length;
    const n = starts();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(starts(), n, pid1.output());
    assert.equal(n - 1, 6, "five failed starts, then the start limit");
    await pending;

    for (let i = 0; i < 3; i++) {
      const r = await pid1.sh("socat -t 30 - TCP:127.0.0.1:7071 </dev/null");
      assert.equal(r.stdout, "hi\n", r.stderr);
    }
    const fourth = await pid1.sh("socat -t 2 - TCP:127.0.0.1:7071 </dev/null");
    assert.equal(fourth.stdout, "");
    assert.ok(
      await until(() =>
        pid1.output().includes("few.socket: Failed with result 'trigger-limit-hit'.")
      ),
      pid1.output(),
    );
    assert.match(
      pid1.output(),
      /^few\.socket: Trigger limit hit, refusing further activation\.$/m,
    );
    assert.equal((await pid1.systemctl("is-active", "few.socket")).stdout, "failed\n");
    const closed = await pid1.sh("socat -t 1 - TCP:127.0.0.1:7071 </dev/null");
    assert.notEqual(closed.code, 0, "the port is closed");
  },
);

Deno.test({
  name: "a port in use fails that socket unit only, in init mode too",
  ignore: skip !== undefined || noSocat !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = makeTree({
      "/etc/systemd/system/a.socket": "[Unit]\nDescription=A socket\n[Socket]\n" +
        "ListenStream=127.0.0.1:7020\n",
      "/etc/systemd/system/a.service": "[Service]\nExecStart=/bin/sleep 60\n",
      "/etc/systemd/system/b.socket": "[Unit]\nDescription=B socket\n[Socket]\n" +
        "ListenStream=127.0.0.1:7021\n",
      "/etc/systemd/system/b.service": "[Service]\nExecStart=/bin/sleep 60\n",
    });
    // Something else holds 7020 inside the namespace before the init starts.
    const pid1 = await startPid1(root, ["init", "a.socket", "b.socket"], {
      net: true,
      // Until the port is bound (ss lists it), not a fixed pause; bounded at 60 s.
      setup: "(socat TCP-LISTEN:7020,bind=127.0.0.1 /dev/null &) && " +
        "for i in $(seq 600); do ss -Hltn 'sport = :7020' | grep -q . && break; sleep 0.1; done",
    });
    try {
      assert.ok(await until(() => pid1.output().includes("Startup finished")), pid1.output());
      const out = pid1.output();
      assert.match(
        out,
        /^a\.socket: Failed to create listening socket \(127\.0\.0\.1:7020\): Address already in use$/m,
      );
      assert.match(out, /^Failed to listen on A socket\.$/m);
      assert.match(out, /^Listening on B socket\.$/m);
      const isA = await pid1.systemctl("is-active", "a.socket");
      assert.equal(isA.stdout, "failed\n", isA.stderr + pid1.output());
      assert.equal((await pid1.systemctl("is-active", "b.socket")).stdout, "active\n");
    } finally {
      pid1.kill();
      Deno.removeSync(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "Debian's packaged ssh.socket activates sshd, which sends its banner on port 22",
  ignore: skip !== undefined || noSsh !== undefined || noSocat !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // The packaged unit files, unchanged, in a fresh root.
    const root = makeTree({
      "/etc/systemd/system/ssh.socket": Deno.readTextFileSync("/lib/systemd/system/ssh.socket"),
      "/etc/systemd/system/ssh.service": Deno.readTextFileSync("/lib/systemd/system/ssh.service"),
      // The classic per-connection form (Accept=yes, `sshd -i` on the connection).
      "/etc/systemd/system/sshd-inetd.socket": "[Unit]\nDescription=SSH per connection\n" +
        "[Socket]\nListenStream=2222\nAccept=yes\n",
      "/etc/systemd/system/sshd-inetd@.service": "[Unit]\nDescription=SSH session %i\n" +
        "[Service]\nExecStart=-/usr/sbin/sshd -i\nStandardInput=socket\n",
    });
    // sshd wants its privilege separation directory at the real /run/sshd: a private /run.
    const pid1 = await startPid1(root, ["init", "ssh.socket", "sshd-inetd.socket"], {
      net: true,
      setup: "mount -t tmpfs tmpfs /run && mkdir -m 0755 /run/sshd",
    });
    try {
      assert.ok(await until(() => pid1.output().includes("Startup finished")), pid1.output());
      assert.match(pid1.output(), /^Listening on OpenBSD Secure Shell server socket\.$/m);
      assert.equal((await pid1.systemctl("is-active", "ssh.service")).stdout, "inactive\n");
      const banner = await pid1.sh("socat -t 30 - TCP:127.0.0.1:22 </dev/null");
      assert.match(banner.stdout, /^SSH-2\.0-OpenSSH/, banner.stderr + pid1.output());
      assert.equal((await pid1.systemctl("is-active", "ssh.service")).stdout, "active\n");
      const v6 = await pid1.sh("socat -t 30 - TCP6:[::1]:22 </dev/null");
      assert.match(v6.stdout, /^SSH-2\.0-OpenSSH/, v6.stderr);
      const inetd = await pid1.sh("socat -t 30 - TCP:127.0.0.1:2222 </dev/null");
      assert.match(inetd.stdout, /^SSH-2\.0-OpenSSH/, inetd.stderr + pid1.output());
      assert.match(pid1.output(), /^Started SSH session 0-127\.0\.0\.1:2222-127\.0\.0\.1:\d+\.$/m);
      pid1.signal("SIGTERM");
      assert.equal(await pid1.exited, 0);
    } finally {
      pid1.kill();
      Deno.removeSync(root, { recursive: true });
    }
  },
});
