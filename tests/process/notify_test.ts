import assert from "node:assert/strict";
import {
  notifySocketPath,
  openNotifySocket,
  parseNotifyMessage,
} from "../../src/process/notify.ts";
import { rootTest } from "./_support.ts";

Deno.test("parseNotifyMessage reads KEY=VALUE lines and skips the rest", () => {
  assert.deepEqual(parseNotifyMessage("READY=1\nSTATUS=a=b c\n\nnoise\n"), {
    READY: "1",
    STATUS: "a=b c",
  });
});

Deno.test("notifySocketPath hashes names that make the path too long", () => {
  assert.equal(
    notifySocketPath("/run/systemctl", "web.service"),
    "/run/systemctl/notify/web.service",
  );
  const long = `${"x".repeat(120)}.service`;
  assert.match(
    notifySocketPath("/run/systemctl", long),
    /^\/run\/systemctl\/notify\/[0-9a-f]{16}$/,
  );
});

Deno.test("the notify socket receives READY=1 and STATUS= from systemd-notify", async () => {
  const dir = await Deno.makeTempDir();
  const listener = await openNotifySocket(`${dir}/notify/web.service`);
  try {
    assert.equal((await Deno.stat(listener.path)).mode! & 0o777, 0o777);
    const sender = new Deno.Command("/usr/bin/systemd-notify", {
      args: ["--ready", "--status=serving requests"],
      env: { NOTIFY_SOCKET: listener.path },
      stdout: "null",
      stderr: "piped",
    }).output();
    const message = await listener.next(10_000);
    assert.equal(message?.fields.READY, "1");
    assert.equal(message?.fields.STATUS, "serving requests");
    // systemd-notify then waits for a barrier, answered by receiving it.
    assert.deepEqual(await listener.drain(100), []);
    listener.close();
    assert.equal((await sender).code, 0);
  } finally {
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("next() returns undefined after the timeout and drops oversized messages", async () => {
  const dir = await Deno.makeTempDir();
  const listener = await openNotifySocket(`${dir}/n.sock`);
  const client = Deno.listenDatagram({ transport: "unixpacket", path: `${dir}/client.sock` });
  try {
    assert.equal(await listener.next(20), undefined);
    const target: Deno.UnixAddr = { transport: "unixpacket", path: listener.path };
    const encoder = new TextEncoder();
    await client.send(encoder.encode(`STATUS=${"x".repeat(5000)}`), target);
    await client.send(encoder.encode("WATCHDOG=1"), target);
    assert.deepEqual((await listener.next(5000))?.fields, { WATCHDOG: "1" });
  } finally {
    client.close();
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("opening a notify socket replaces a stale one and close() removes it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/n.sock`;
    await Deno.writeTextFile(path, "stale");
    const listener = await openNotifySocket(path);
    assert.ok((await Deno.stat(path)).isSocket);
    const messages: Record<string, string>[] = [];
    const reading = (async () => {
      for await (const message of listener) messages.push(message.fields);
    })();
    const client = Deno.listenDatagram({ transport: "unixpacket", path: `${dir}/c.sock` });
    await client.send(new TextEncoder().encode("READY=1"), { transport: "unixpacket", path });
    client.close();
    while (messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    listener.close();
    await reading;
    assert.deepEqual(messages, [{ READY: "1" }]);
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

rootTest(
  "each message carries its sender's PID and UID, and the authorizer drops what it refuses",
  async () => {
    const dir = await Deno.makeTempDir();
    await Deno.chmod(dir, 0o755);
    const seen: number[] = [];
    // Only root's messages are taken.
    const listener = await openNotifySocket(`${dir}/notify/n.service`, (sender) => {
      seen.push(sender.uid);
      return sender.uid === 0;
    });
    const send = (uid: number, text: string) =>
      new Deno.Command("/usr/bin/setpriv", {
        args: [
          `--reuid=${uid}`,
          `--regid=${uid}`,
          "--clear-groups",
          "/usr/bin/python3",
          "-c",
          "import os,socket,sys\n" +
          "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n" +
          "s.sendto(sys.argv[1].encode(),sys.argv[2])\nprint(os.getpid())\n",
          text,
          listener.path,
        ],
        stdout: "piped",
      }).output();
    try {
      const nobody = await send(65534, "STATUS=from nobody");
      const root = await send(0, "STATUS=from root");
      const message = await listener.next(10_000);
      assert.deepEqual(message?.fields, { STATUS: "from root" });
      assert.equal(message?.sender.uid, 0);
      assert.equal(message?.sender.pid, Number(new TextDecoder().decode(root.stdout)));
      assert.deepEqual(seen, [65534, 0]);
      assert.equal(nobody.code, 0);
      assert.equal(await listener.next(50), undefined);
    } finally {
      listener.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("a socket path too long for an address is refused; nothing falls back to /tmp", async () => {
  const deep = `/${"d".repeat(100)}`;
  const path = notifySocketPath(deep, "web.service");
  assert.match(path, /^\/d+\/notify\/[0-9a-f]{16}$/);
  await assert.rejects(
    openNotifySocket(path),
    /^Error: path too long for a socket address \(\d+ bytes, at most 107\): \/d+\/notify\//,
  );
});
