import assert from "node:assert/strict";
import { LogRelay, prefixLines } from "../../src/init/relay.ts";
import { LINE_MAX } from "../../src/units/journal_files.ts";
import { tempDir } from "../support/tmp.ts";

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

Deno.test("a service's endless line neither grows the relay nor keeps the init from its events", async () => {
  const dir = tempDir("relay-test-");
  const chunks: Uint8Array[] = [];
  let copied = 0;
  const relay = new LogRelay(dir, (b) => {
    chunks.push(b);
    copied += b.length;
  });
  const path = `${dir}/spam.service.log`;
  const size = 8 * 1024 * 1024;
  try {
    const bytes = new Uint8Array(size + 4).fill(0x78);
    bytes.set(enc.encode("\nend\n"), size - 1);
    Deno.writeFileSync(path, bytes);
    relay.pump(path); // the first part now, the rest on later turns of the event loop
    let copiedAtTimer = -1;
    setTimeout(() => copiedAtTimer = copied, 0);
    const deadline = Date.now() + 60_000; // a bound, not a measurement
    while (
      !dec.decode(chunks[chunks.length - 1] ?? new Uint8Array()).endsWith("spam.service: end\n")
    ) {
      assert.ok(Date.now() < deadline, "the relay copies the whole file");
      await new Promise((r) => setTimeout(r, 5));
    }
    // A timer set after the first read ran before the relay was through (signals, child
    // exits and jobs of the init are such events too).
    assert.ok(copiedAtTimer >= 0 && copiedAtTimer < size, `timer ran at ${copiedAtTimer}`);
    // The line comes out in pieces of LINE_MAX, as journald stores it.
    const prefix = "spam.service: ".length;
    const lines = dec.decode(concat(chunks)).split("\n").slice(0, -1);
    for (const line of lines) assert.ok(line.length <= prefix + LINE_MAX, `${line.length}`);
    assert.equal(lines.length, Math.ceil((size - 1) / LINE_MAX) + 1);
    assert.equal(lines.map((l) => l.slice(prefix)).join(""), "x".repeat(size - 1) + "end");
  } finally {
    relay.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
