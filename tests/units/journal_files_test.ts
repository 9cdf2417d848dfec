import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  followFile,
  LINE_MAX,
  loggedUnits,
  logPath,
  readTail,
  tailLines,
} from "../../src/units/journal_files.ts";
import { RootMap } from "../../src/units/paths.ts";
import { tempDir } from "../support/tmp.ts";

function tmpFile(text: string): string {
  const dir = tempDir("journal-files-");
  const p = join(dir, "x.log");
  Deno.writeTextFileSync(p, text);
  return p;
}

Deno.test("logPath puts system logs under <root>/var/log/journal", () => {
  strictEqual(
    logPath(new RootMap("/tmp/r"), "system", {}, "a.service"),
    "/tmp/r/var/log/journal/a.service.log",
  );
  strictEqual(
    logPath(new RootMap(undefined), "system", {}, "a.service"),
    "/var/log/journal/a.service.log",
  );
  strictEqual(
    logPath(new RootMap("/r"), "user", { HOME: "/home/u" }, "b.service"),
    "/r/home/u/.config/log/journal/b.service.log",
  );
});

Deno.test("tailLines returns the last n lines, all for Infinity, none for 0", () => {
  const p = tmpFile("a\nb\nc\n");
  deepStrictEqual(tailLines(p, 2), ["b", "c"]);
  deepStrictEqual(tailLines(p, 3), ["a", "b", "c"]);
  deepStrictEqual(tailLines(p, 10), ["a", "b", "c"]);
  deepStrictEqual(tailLines(p, Infinity), ["a", "b", "c"]);
  deepStrictEqual(tailLines(p, 0), []);
});

Deno.test("tailLines keeps empty lines and an unterminated last line", () => {
  deepStrictEqual(tailLines(tmpFile("a\n\nb"), 2), ["", "b"]);
  deepStrictEqual(tailLines(tmpFile("\n\n"), 5), ["", ""]);
  deepStrictEqual(tailLines(tmpFile(""), 5), []);
});

Deno.test("tailLines of a missing file is empty; readTail says it does not exist", () => {
  deepStrictEqual(tailLines("/nonexistent/x.log", 5), []);
  strictEqual(readTail("/nonexistent/x.log", 5).exists, false);
});

Deno.test("tailLines reads big files from the end across chunk borders", () => {
  const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${"é".repeat(i % 7)}`);
  const p = tmpFile(lines.join("\n") + "\n");
  deepStrictEqual(tailLines(p, 3), lines.slice(-3));
  deepStrictEqual(tailLines(p, 20_000), lines.slice(-20_000));
  deepStrictEqual(tailLines(p, Infinity).length, 50_000);
  const r = readTail(p, 1);
  strictEqual(r.end, Deno.statSync(p).size);
});

Deno.test("loggedUnits lists unit names of .log files, sorted", () => {
  const dir = tempDir("journal-files-");
  for (const n of ["b.service.log", "a.socket.log", "notes.txt"]) {
    Deno.writeTextFileSync(join(dir, n), "");
  }
  deepStrictEqual(loggedUnits(dir), ["a.socket", "b.service"]);
  deepStrictEqual(loggedUnits(join(dir, "missing")), []);
});

Deno.test("followFile reports appended lines and restarts after truncation", async () => {
  const p = tmpFile("old\n");
  const seen: string[] = [];
  const ac = new AbortController();
  const done = followFile(p, (l) => seen.push(l), ac.signal, { pollMs: 20 });
  // A bound for a loaded machine, not a duration the test relies on.
  const wait = async (n: number) => {
    const deadline = Date.now() + 60_000;
    while (seen.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  };
  // The start offset is taken when followFile is called: no pause needed before appending.
  Deno.writeTextFileSync(p, "new 1\n", { append: true });
  await wait(1);
  Deno.writeTextFileSync(p, "");
  await new Promise((r) => setTimeout(r, 80));
  Deno.writeTextFileSync(p, "fresh\n", { append: true });
  await wait(2);
  ac.abort();
  await done;
  deepStrictEqual(seen, ["new 1", "fresh"]);
});

Deno.test("the tail of a 4 GiB log of one endless line costs (n + 1) pieces of LINE_MAX", () => {
  // A service wrote no newline for gigabytes (sparse NULs here): status asks for 10 lines.
  const p = tmpFile("start\n");
  try {
    Deno.truncateSync(p, 4 * 1024 ** 3);
    const before = Deno.memoryUsage().rss;
    const t = readTail(p, 10);
    strictEqual(t.lines.length, 10);
    ok(t.lines.every((l) => l.length <= LINE_MAX), "a line longer than LINE_MAX");
    strictEqual(t.end, 4 * 1024 ** 3);
    const grown = Deno.memoryUsage().rss - before;
    ok(grown < 256 * 1024 ** 2, `rss grew by ${grown} bytes`);
  } finally {
    Deno.removeSync(join(p, ".."), { recursive: true });
  }
});

Deno.test("a line longer than LINE_MAX comes out in pieces, in tails and when followed", async () => {
  const long = "x".repeat(2 * LINE_MAX + 5);
  const p = tmpFile(`a\n${long}\nb\n`);
  try {
    deepStrictEqual(tailLines(p, Infinity), [
      "a",
      "x".repeat(LINE_MAX),
      "x".repeat(LINE_MAX),
      "xxxxx",
      "b",
    ]);
    const seen: string[] = [];
    const ac = new AbortController();
    const done = followFile(p, (l) => seen.push(l), ac.signal, { pollMs: 10 });
    await new Promise((r) => setTimeout(r, 50));
    // 3 MiB without a newline: the follower never holds more than LINE_MAX of it.
    Deno.writeTextFileSync(p, "y".repeat(3 * 1024 * 1024), { append: true });
    for (let i = 0; i < 500 && seen.length < 64; i++) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await done;
    strictEqual(seen.length, 64);
    ok(seen.every((l) => l === "y".repeat(LINE_MAX)));
  } finally {
    Deno.removeSync(join(p, ".."), { recursive: true });
  }
});

Deno.test("followFile reads a fast-growing log on turns of the event loop (SIGINT gets through)", async () => {
  const p = tmpFile("");
  try {
    const ac = new AbortController();
    let bytes = 0;
    // Starts at offset 0: the 8 MiB below are all "appended" (FOLLOW_READ_MAX is 1 MiB).
    const done = followFile(p, (l) => bytes += l.length + 1, ac.signal, { start: 0, pollMs: 20 });
    Deno.writeTextFileSync(p, ("y".repeat(1023) + "\n").repeat(8 * 1024));
    // Timers (and signal listeners) of the same loop run between the reads.
    let atTimer = -1;
    await new Promise((r) => setTimeout(r, 25));
    setTimeout(() => atTimer = bytes, 0);
    const deadline = Date.now() + 60_000; // a bound for a loaded machine
    while (bytes < 8 * 1024 * 1024 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    ac.abort();
    await done;
    strictEqual(bytes, 8 * 1024 * 1024);
    ok(atTimer >= 0 && atTimer < bytes, `the timer ran at ${atTimer} of ${bytes}`);
  } finally {
    Deno.removeSync(p);
  }
});
