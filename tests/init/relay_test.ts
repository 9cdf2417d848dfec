import assert from "node:assert/strict";
import { LogRelay, prefixLines } from "../../src/init/relay.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("prefixLines puts the prefix before every line", () => {
  const out = prefixLines(enc.encode("web: "), enc.encode("a\n\nb\n"));
  assert.equal(dec.decode(out), "web: a\nweb: \nweb: b\n");
});

Deno.test("the relay copies appended lines, not what was there before it started", async () => {
  const dir = await Deno.makeTempDir();
  const chunks: string[] = [];
  const relay = new LogRelay(dir, (b) => chunks.push(dec.decode(b)));
  try {
    await Deno.writeTextFile(`${dir}/web.service.log`, "old line\n");
    relay.start();
    await Deno.writeTextFile(`${dir}/web.service.log`, "one\ntwo\n", { append: true });
    await Deno.writeTextFile(`${dir}/db.service.log`, "created later\n");
    await Deno.writeTextFile(`${dir}/web.service.log`, "part", { append: true });
    relay.pump(`${dir}/web.service.log`);
    relay.pump(`${dir}/db.service.log`);
    assert.equal(
      chunks.join(""),
      "web.service: one\nweb.service: two\ndb.service: created later\n",
    );
    // A partial last line waits for its end, or for the final flush.
    await Deno.writeTextFile(`${dir}/web.service.log`, "ial\n", { append: true });
    relay.pump(`${dir}/web.service.log`);
    assert.ok(chunks.join("").endsWith("web.service: partial\n"));
    // A truncated file is read again from its start.
    await Deno.writeTextFile(`${dir}/web.service.log`, "new\n");
    relay.pump(`${dir}/web.service.log`);
    assert.ok(chunks.join("").endsWith("web.service: new\n"));
    await Deno.writeTextFile(`${dir}/web.service.log`, "unterminated", { append: true });
  } finally {
    relay.close();
    await Deno.remove(dir, { recursive: true });
  }
  assert.ok(chunks.join("").endsWith("web.service: unterminated\n"), "close flushes partials");
});

Deno.test("the relay never reads a log file that is a link (to a host file)", async () => {
  const dir = await Deno.makeTempDir();
  const secret = await Deno.makeTempFile();
  const chunks: string[] = [];
  const relay = new LogRelay(dir, (b) => chunks.push(dec.decode(b)));
  try {
    relay.start();
    await Deno.writeTextFile(secret, "root:secret\n");
    await Deno.symlink(secret, `${dir}/evil.service.log`);
    relay.pump(`${dir}/evil.service.log`);
    await Deno.writeTextFile(`${dir}/ok.service.log`, "fine\n");
    relay.pump(`${dir}/ok.service.log`);
  } finally {
    relay.close();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(secret);
  }
  assert.equal(chunks.join(""), "ok.service: fine\n");
});
