/**
 * Socket units without an init instance (spec §4.4, eager activation): `start X.socket`
 * binds real descriptors and hands them to the service it starts (LISTEN_FDS from 3).
 * Traffic goes to loopback only.
 */

import { ok, strictEqual } from "node:assert/strict";
import { eventually, rootTest, script } from "./_support.ts";

const PYTHON = "/usr/bin/python3";
const HAVE_PYTHON = (() => {
  try {
    return Deno.statSync(PYTHON).isFile;
  } catch {
    return false;
  }
})();
if (!HAVE_PYTHON) console.log("ignored (needs /usr/bin/python3): socket activation servers");

/** A loopback port that was free a moment ago. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Connects to a loopback port (or a unix socket), sends `send`, and reads to EOF. */
export async function exchange(
  target: { port: number } | { path: string },
  send = "",
): Promise<string> {
  const conn = "port" in target
    ? await Deno.connect({ hostname: "127.0.0.1", port: target.port })
    : await Deno.connect({ transport: "unix", path: target.path });
  try {
    if (send) await conn.write(new TextEncoder().encode(send));
    let text = "";
    const buf = new Uint8Array(4096);
    const deadline = setTimeout(() => conn.close(), 10_000);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
    } catch { /* closed by the deadline */ }
    clearTimeout(deadline);
    return text;
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/**
 * A server for Accept=no: it takes every LISTEN_FDS descriptor, and answers each
 * stream connection with the activation variables and its own PID.
 */
export const SERVER = `import os, socket, select
n = int(os.environ["LISTEN_FDS"])
socks = [socket.socket(fileno=3 + i) for i in range(n)]
while True:
    ready, _, _ = select.select(socks, [], [])
    for s in ready:
        c, _ = s.accept()
        c.sendall(("fds=%d pid=%s self=%d names=%s blocking=%s\\n" % (n, os.environ["LISTEN_PID"],
            os.getpid(), os.environ["LISTEN_FDNAMES"], s.getblocking())).encode())
        c.close()
`;

rootTest(
  "start X.socket binds, then starts the service with LISTEN_FDS from descriptor 3",
  async (root) => {
    if (!HAVE_PYTHON) return;
    const port = freePort();
    const server = root.file("server.py");
    Deno.writeTextFileSync(server, SERVER);
    root.unit(
      "web.socket",
      `[Socket]\nListenStream=127.0.0.1:${port}\nListenStream=/run/web/web.sock\n` +
        `FileDescriptorName=http\nSocketMode=0600\nDirectoryMode=0700\n` +
        `SocketUser=nobody\nSocketGroup=nogroup\n`,
    );
    root.unit("web.service", `[Service]\nExecStart=${PYTHON} ${server}\n`);
    const r = await root.run("start", "web.socket");
    strictEqual(r.code, 0, r.stderr);
    const reply = await exchange({ port });
    const m = /fds=(\d+) pid=(\d+) self=(\d+) names=(\S+) blocking=(\w+)/.exec(reply);
    ok(m, `reply: ${reply}`);
    strictEqual(m[1], "2");
    strictEqual(m[2], m[3], "LISTEN_PID is the service's own PID");
    strictEqual(m[4], "http:http");
    strictEqual(m[5], "True", "the service gets blocking descriptors (NonBlocking=no)");
    const sock = `${root.path}/run/web/web.sock`;
    const st = Deno.statSync(sock);
    ok(st.isSocket);
    strictEqual(st.mode! & 0o777, 0o600);
    strictEqual(st.uid, 65534, "SocketUser=nobody owns the socket file");
    strictEqual(st.gid, 65534, "SocketGroup=nogroup");
    strictEqual(Deno.statSync(`${root.path}/run/web`).mode! & 0o777, 0o700);
    ok((await exchange({ path: sock })).startsWith("fds=2"));
    const status = await root.run("status", "web.socket");
    ok(status.stdout.includes("Active: active (listening)"), status.stdout);
    ok(status.stdout.includes(`     Listen: 127.0.0.1:${port} (Stream)`), status.stdout);
    ok(status.stdout.includes("             /run/web/web.sock (Stream)"), status.stdout);
    ok(status.stdout.includes("   Triggers: ● web.service"), status.stdout);
    const list = await root.run("list-sockets");
    ok(list.stdout.includes(`127.0.0.1:${port}   web.socket web.service`), list.stdout);
    // The client closed its copies: only the service holds the port.
    const mainPid = Number((await root.show("web.service", "MainPID")).MainPID);
    strictEqual(Number(m[3]), mainPid);
    strictEqual((await root.run("stop", "web.service")).code, 0);
    ok(
      await eventually(async () => {
        try {
          await exchange({ port });
          return false;
        } catch {
          return true;
        }
      }),
      "the port is closed once the service is gone",
    );
  },
);

rootTest("a port already in use fails that socket unit only, with one line", async (root) => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  const other = freePort();
  try {
    const marker = root.file("b-started");
    root.unit("a.socket", `[Socket]\nListenStream=127.0.0.1:${port}\n`);
    root.unit("a.service", `[Service]\nExecStart=/bin/sleep 60\n`);
    root.unit("b.socket", `[Socket]\nListenStream=127.0.0.1:${other}\n`);
    root.unit(
      "b.service",
      `[Service]\nExecStart=${script(root, "b.sh", `touch ${marker}; exec sleep 60`)}\n`,
    );
    const r = await root.run("start", "a.socket", "b.socket");
    strictEqual(r.code, 1);
    strictEqual(
      r.stderr,
      `a.socket: Failed to create listening socket (127.0.0.1:${port}): Address already in use\n`,
    );
    strictEqual((await root.show("a.socket", "ActiveState", "Result")).Result, "resources");
    strictEqual((await root.show("a.socket", "ActiveState")).ActiveState, "failed");
    strictEqual((await root.show("a.service", "ActiveState")).ActiveState, "inactive");
    strictEqual((await root.show("b.socket", "ActiveState")).ActiveState, "active");
    ok(
      await eventually(() => {
        try {
          return Deno.statSync(marker).isFile;
        } catch {
          return false;
        }
      }),
    );
  } finally {
    busy.close();
  }
});

rootTest(
  "a bad Listen address is one line naming file and line; the rest still binds",
  async (root) => {
    const port = freePort();
    root.unit("x.socket", `[Socket]\nListenStream=foo:80\nListenStream=127.0.0.1:${port}\n`);
    root.unit("x.service", `[Service]\nExecStart=/bin/sleep 60\n`);
    const reload = await root.run("daemon-reload");
    strictEqual(
      reload.stderr,
      "/etc/systemd/system/x.socket:2: Failed to parse address value in 'foo:80', ignoring: Invalid argument\n",
    );
    const show = await root.show("x.socket", "Listen");
    strictEqual(show.Listen, `127.0.0.1:${port} (Stream)`);
    root.unit("y.socket", `[Socket]\nListenStream=99999\n`);
    const y = await root.run("start", "y.socket");
    strictEqual(y.code, 1);
    ok(
      y.stderr.startsWith("Failed to start y.socket: Unit y.socket has a bad unit file setting."),
      y.stderr,
    );
  },
);

rootTest(
  "ListenFIFO makes a FIFO with SocketMode; RemoveOnStop removes it at stop",
  async (root) => {
    root.unit(
      "f.socket",
      `[Socket]\nListenFIFO=/run/f/in.fifo\nSocketMode=0620\nRemoveOnStop=yes\n`,
    );
    const out = root.file("fifo-env");
    root.unit(
      "f.service",
      `[Service]\nExecStart=${
        script(root, "f.sh", `echo "$LISTEN_FDS $LISTEN_FDNAMES" > ${out}; exec sleep 60`)
      }\n`,
    );
    strictEqual((await root.run("start", "f.socket")).code, 0);
    const fifo = `${root.path}/run/f/in.fifo`;
    const st = Deno.statSync(fifo);
    ok(st.isFifo);
    strictEqual(st.mode! & 0o777, 0o620);
    ok(
      await eventually(() => {
        try {
          return Deno.readTextFileSync(out) === "1 f.socket\n";
        } catch {
          return false;
        }
      }),
    );
    strictEqual((await root.run("stop", "f.socket")).code, 0);
    ok(
      !(() => {
        try {
          Deno.statSync(fifo);
          return true;
        } catch {
          return false;
        }
      })(),
      "RemoveOnStop=yes removed the FIFO",
    );
    strictEqual((await root.show("f.socket", "ActiveState")).ActiveState, "inactive");
  },
);

rootTest(
  "a socket whose service is missing is refused; Accept=yes without an init warns",
  async (root) => {
    root.unit("lonely.socket", `[Socket]\nListenStream=127.0.0.1:${freePort()}\n`);
    const r = await root.run("start", "lonely.socket");
    strictEqual(r.code, 1);
    strictEqual(r.stderr, "lonely.socket: Socket service lonely.service not loaded, refusing.\n");
    root.unit("acc.socket", `[Socket]\nListenStream=127.0.0.1:${freePort()}\nAccept=yes\n`);
    root.unit("acc@.service", `[Service]\nStandardInput=socket\nExecStart=/bin/echo hi\n`);
    const a = await root.run("start", "acc.socket");
    strictEqual(a.code, 0);
    strictEqual(
      a.stderr,
      "acc.socket: Accept=yes: connections are accepted only while an init instance runs.\n",
    );
    strictEqual((await root.show("acc.socket", "ActiveState")).ActiveState, "active");
  },
);

rootTest(
  "a socket's ExecStartPre/Post and ExecStopPre/Post run around the bind and the close",
  async (root) => {
    const log = root.file("phases.log");
    // User=nobody writes it.
    Deno.writeTextFileSync(log, "");
    Deno.chmodSync(log, 0o666);
    const sock = `${root.path}/run/ph/ph.sock`;
    const phase = script(
      root,
      "phase.sh",
      `if [ -S ${sock} ]; then s=bound; else s=none; fi; echo "$1 $PHASE $(id -un) $s" >> ${log}`,
    );
    root.unit(
      "ph.socket",
      `[Socket]\nListenStream=/run/ph/ph.sock\nRemoveOnStop=yes\nEnvironment=PHASE=env\n` +
        `User=nobody\nExecStartPre=${phase} start-pre\nExecStartPost=${phase} start-post\n` +
        `ExecStopPre=${phase} stop-pre\nExecStopPost=${phase} stop-post\n`,
    );
    root.unit("ph.service", `[Service]\nExecStart=/bin/sleep 60\n`);
    const r = await root.run("start", "ph.socket");
    strictEqual(r.code, 0, r.stderr);
    strictEqual(
      Deno.readTextFileSync(log),
      "start-pre env nobody none\nstart-post env nobody bound\n",
    );
    const status = await root.run("status", "ph.socket");
    ok(
      /Process: \d+ ExecStartPre=.*phase\.sh start-pre \(code=exited, status=0\/SUCCESS\)/.test(
        status.stdout,
      ),
      status.stdout,
    );
    // An active target that wants the socket keeps it loaded (not collected) once stopped.
    root.unit("keep.target", "[Unit]\nWants=ph.socket\n");
    strictEqual((await root.run("start", "keep.target")).code, 0);
    strictEqual((await root.run("stop", "ph.service", "ph.socket")).code, 0);
    strictEqual(
      Deno.readTextFileSync(log),
      "start-pre env nobody none\nstart-post env nobody bound\n" +
        "stop-pre env nobody bound\nstop-post env nobody none\n",
    );
    strictEqual((await root.show("ph.socket", "ActiveState")).ActiveState, "inactive");
    // show lists each command with its last run, as systemd's ExecCommand properties.
    const shown = (await root.run("show", "-p", "ExecStopPre", "ph.socket")).stdout;
    ok(
      /^ExecStopPre=\{ path=\S+phase\.sh ; argv\[\]=\S+phase\.sh stop-pre ; ignore_errors=no ; start_time=\[\w{3} \d{4}-.+\] ; stop_time=\[.+\] ; pid=\d+ ; code=exited ; status=0 \}\n$/
        .test(shown),
      shown,
    );
  },
);

rootTest(
  "a failing ExecStartPre= fails the socket before the bind; a failing ExecStartPost= closes it",
  async (root) => {
    const port = freePort();
    const log = root.file("phases.log");
    root.unit(
      "pre.socket",
      `[Socket]\nListenStream=127.0.0.1:${port}\nExecStartPre=/bin/false\n`,
    );
    root.unit("pre.service", `[Service]\nExecStart=/bin/sleep 60\n`);
    const pre = await root.run("start", "pre.socket");
    strictEqual(pre.code, 1);
    // systemctl's words for a failed job of a unit that is not a service (check_wait_response()).
    strictEqual(pre.stderr, 'Job failed. See "journalctl -xe" for details.\n');
    const shown = await root.show("pre.socket", "ActiveState", "Result");
    strictEqual(shown.ActiveState, "failed");
    strictEqual(shown.Result, "exit-code");
    strictEqual((await root.show("pre.service", "ActiveState")).ActiveState, "inactive");
    // The port was never bound.
    const probe = Deno.listen({ hostname: "127.0.0.1", port });
    probe.close();

    root.unit(
      "post.socket",
      `[Socket]\nListenStream=127.0.0.1:${port}\nExecStartPost=/bin/sh -c 'exit 3'\n` +
        `ExecStopPre=/bin/sh -c 'echo stop-pre >> ${log}'\n` +
        `ExecStopPost=/bin/sh -c 'echo stop-post >> ${log}'\n`,
    );
    root.unit("post.service", `[Service]\nExecStart=/bin/sleep 60\n`);
    const post = await root.run("start", "post.socket");
    strictEqual(post.code, 1);
    strictEqual((await root.show("post.socket", "Result")).Result, "exit-code");
    strictEqual((await root.show("post.service", "ActiveState")).ActiveState, "inactive");
    strictEqual(Deno.readTextFileSync(log), "stop-pre\nstop-post\n");
    const again = Deno.listen({ hostname: "127.0.0.1", port });
    again.close();
  },
);
