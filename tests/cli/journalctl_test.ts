import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../support/tmp.ts";
import { fileURLToPath } from "node:url";

const MOD = fileURLToPath(new URL("../../mod.ts", import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MOD, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function journalctl(root: string, ...args: string[]): Promise<Run> {
  return run(["--journalctl", `--root=${root}`, ...args]);
}

function makeRoot(logs: Record<string, string>): string {
  const root = tempDir("journalctl-test-");
  const dir = join(root, "var/log/journal");
  Deno.mkdirSync(dir, { recursive: true });
  for (const [unit, text] of Object.entries(logs)) {
    Deno.writeTextFileSync(join(dir, `${unit}.log`), text);
  }
  return root;
}

function numbered(n: number, prefix = "line"): string {
  return Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}\n`).join("");
}

Deno.test("journalctl -u x -n 3 prints the last three lines of x.service", async () => {
  const root = makeRoot({ "x.service": numbered(20) });
  const r = await journalctl(root, "-u", "x", "-n", "3");
  strictEqual(r.code, 0);
  strictEqual(r.stdout, "line 18\nline 19\nline 20\n");
  strictEqual(r.stderr, "");
});

Deno.test("journalctl without -n prints everything; -n alone prints ten", async () => {
  const root = makeRoot({ "x.service": numbered(25) });
  strictEqual((await journalctl(root, "-u", "x.service")).stdout, numbered(25));
  const ten = await journalctl(root, "-u", "x", "-n");
  strictEqual(ten.stdout.split("\n").length - 1, 10);
  strictEqual(ten.stdout.startsWith("line 16\n"), true);
  const bundled = await journalctl(root, "--unit=x", "--lines=2");
  strictEqual(bundled.stdout, "line 24\nline 25\n");
  const attached = await journalctl(root, "-ux", "-n2");
  strictEqual(attached.stdout, "line 24\nline 25\n");
});

Deno.test("journalctl -n +N prints the first N lines; -n all everything; -r reverses", async () => {
  const root = makeRoot({ "x.service": numbered(5) });
  strictEqual((await journalctl(root, "-u", "x", "-n", "+2")).stdout, "line 1\nline 2\n");
  strictEqual((await journalctl(root, "-u", "x", "-n", "all")).stdout, numbered(5));
  strictEqual((await journalctl(root, "-u", "x", "-n", "2", "-r")).stdout, "line 5\nline 4\n");
});

Deno.test("journalctl keeps a last line without newline", async () => {
  const root = makeRoot({ "x.service": "a\nb\nc" });
  strictEqual((await journalctl(root, "-u", "x", "-n", "2")).stdout, "b\nc\n");
});

Deno.test("journalctl for a unit without log prints -- No entries --, exit 0", async () => {
  const root = makeRoot({});
  const r = await journalctl(root, "-u", "nothing");
  strictEqual(r.code, 0);
  strictEqual(r.stdout, "-- No entries --\n");
  const q = await journalctl(root, "-u", "nothing", "-q");
  strictEqual(q.stdout, "");
  const zero = await journalctl(makeRoot({ "x.service": "a\n" }), "-u", "x", "-n", "0");
  strictEqual(zero.stdout, "-- No entries --\n");
});

Deno.test("journalctl without -u prints every unit log prefixed with the unit", async () => {
  const root = makeRoot({ "a.service": "one\n", "b.socket": "two\nthree\n" });
  const dir = join(root, "var/log/journal");
  Deno.utimeSync(join(dir, "a.service.log"), 1000, 1000);
  Deno.utimeSync(join(dir, "b.socket.log"), 2000, 2000);
  const r = await journalctl(root);
  strictEqual(r.stdout, "a.service: one\nb.socket: two\nb.socket: three\n");
  const last = await journalctl(root, "-n", "2");
  strictEqual(last.stdout, "b.socket: two\nb.socket: three\n");
});

Deno.test("journalctl -u accepts globs and repeats", async () => {
  const root = makeRoot({
    "app-1.service": "x1\n",
    "app-2.service": "x2\n",
    "db.service": "d\n",
  });
  const dir = join(root, "var/log/journal");
  Deno.utimeSync(join(dir, "app-1.service.log"), 1000, 1000);
  Deno.utimeSync(join(dir, "app-2.service.log"), 2000, 2000);
  Deno.utimeSync(join(dir, "db.service.log"), 3000, 3000);
  strictEqual((await journalctl(root, "-u", "app-*")).stdout, "x1\nx2\n");
  strictEqual((await journalctl(root, "-u", "db", "-u", "app-1")).stdout, "x1\nd\n");
  strictEqual((await journalctl(root, "-u", "nomatch*")).stdout, "-- No entries --\n");
});

Deno.test("journalctl -o with-unit, cat and json", async () => {
  const root = makeRoot({ "x.service": "hello\nworld\n" });
  strictEqual(
    (await journalctl(root, "-u", "x", "-o", "with-unit")).stdout,
    "x.service: hello\nx.service: world\n",
  );
  strictEqual((await journalctl(root, "-u", "x", "-o", "cat")).stdout, "hello\nworld\n");
  strictEqual((await journalctl(root, "-u", "x", "-o", "short")).stdout, "hello\nworld\n");
  const json = await journalctl(root, "-u", "x", "-n", "1", "-o", "json");
  deepStrictEqual(JSON.parse(json.stdout), { _SYSTEMD_UNIT: "x.service", MESSAGE: "world" });
  const bad = await journalctl(root, "-u", "x", "-o", "fancy");
  strictEqual(bad.code, 1);
  strictEqual(bad.stderr, "Unknown output format 'fancy'.\n");
});

Deno.test("journalctl rejects unknown options with one line, exit 1", async () => {
  const root = makeRoot({});
  const long = await journalctl(root, "--frobnicate");
  strictEqual(long.code, 1);
  strictEqual(long.stderr, "journalctl: unrecognized option '--frobnicate'\n");
  strictEqual(long.stdout, "");
  const short = await journalctl(root, "-Z");
  strictEqual(short.code, 1);
  strictEqual(short.stderr, "journalctl: invalid option -- 'Z'\n");
  const missing = await journalctl(root, "-u");
  strictEqual(missing.code, 1);
  strictEqual(missing.stderr, "journalctl: option requires an argument -- 'u'\n");
  const lines = await journalctl(root, "--lines=abc");
  strictEqual(lines.code, 1);
  strictEqual(lines.stderr, "Failed to parse lines 'abc'\n");
  const match = await journalctl(root, "FOO");
  strictEqual(match.code, 1);
});

Deno.test("journalctl accepts -b, -x, -e, --no-pager, --system and unit matches", async () => {
  const root = makeRoot({ "x.service": numbered(3) });
  const r = await journalctl(root, "-b", "-x", "--no-pager", "--system", "_SYSTEMD_UNIT=x.service");
  strictEqual(r.code, 0);
  strictEqual(r.stdout, numbered(3));
  strictEqual((await journalctl(root, "-b", "0", "-e", "-u", "x")).stdout, numbered(3));
  const old = await journalctl(root, "-b", "-1", "-u", "x");
  strictEqual(old.code, 1);
});

Deno.test("journalctl --since skips files written before; bad timestamps fail", async () => {
  const root = makeRoot({ "x.service": "old\n" });
  Deno.utimeSync(join(root, "var/log/journal/x.service.log"), 1000, 1000);
  strictEqual(
    (await journalctl(root, "-u", "x", "--since", "2000-01-01")).stdout,
    "-- No entries --\n",
  );
  strictEqual((await journalctl(root, "-u", "x", "--since", "1960-01-01 10:00")).stdout, "old\n");
  strictEqual((await journalctl(root, "-u", "x", "--until", "now", "-S", "@0")).stdout, "old\n");
  const bad = await journalctl(root, "-u", "x", "--since", "whenever");
  strictEqual(bad.code, 1);
  strictEqual(bad.stderr, "Failed to parse timestamp: whenever\n");
});

Deno.test("journalctl --user reads the user log directory", async () => {
  const root = tempDir("journalctl-test-");
  Deno.mkdirSync(join(root, "home/u/.config/log/journal"), { recursive: true });
  Deno.writeTextFileSync(join(root, "home/u/.config/log/journal/me.service.log"), "mine\n");
  const r = await run(["--journalctl", `--root=${root}`, "--user", "-u", "me"], {
    HOME: "/home/u",
    XDG_CONFIG_HOME: "",
  });
  strictEqual(r.stdout, "mine\n");
});

Deno.test("journalctl --help and --version", async () => {
  const help = await journalctl("/nonexistent", "--help");
  strictEqual(help.code, 0);
  ok(help.stdout.startsWith("journalctl [OPTIONS...]"));
  const version = await journalctl("/nonexistent", "--version");
  ok(/^systemd 252\b/.test(version.stdout));
});

/**
 * Reads a child's stdout until `want` returns true or the deadline passes (a bound for a
 * loaded machine, not a duration the test relies on).
 */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  acc: { text: string },
  want: (text: string) => boolean,
  ms = 60_000,
): Promise<void> {
  const dec = new TextDecoder();
  const deadline = Date.now() + ms;
  while (!want(acc.text)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out; got: ${JSON.stringify(acc.text)}`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const r = await Promise.race([
      reader.read(),
      new Promise<{ done: true; value: undefined }>((res) => {
        timer = setTimeout(() => res({ done: true, value: undefined }), left);
      }),
    ]);
    clearTimeout(timer);
    if (r.done) continue;
    acc.text += dec.decode(r.value, { stream: true });
  }
}

Deno.test("journalctl -f follows appends, truncation and replacement", async () => {
  const root = makeRoot({ "x.service": numbered(12) });
  const file = join(root, "var/log/journal/x.service.log");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MOD, "--journalctl", `--root=${root}`, "-u", "x", "-f"],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const acc = { text: "" };
  try {
    await readUntil(reader, acc, (t) => t.includes("line 12\n"));
    strictEqual(acc.text, numbered(12).split("\n").slice(2).join("\n"));
    Deno.writeTextFileSync(file, "appended 1\nappended 2\n", { append: true });
    await readUntil(reader, acc, (t) => t.includes("appended 2\n"));
    Deno.truncateSync(file, 0);
    await new Promise((r) => setTimeout(r, 400));
    Deno.writeTextFileSync(file, "after truncate\n", { append: true });
    await readUntil(reader, acc, (t) => t.includes("after truncate\n"));
    const replacement = file + ".new";
    Deno.writeTextFileSync(replacement, "replaced 1\nreplaced 2\nreplaced 3\n");
    Deno.renameSync(replacement, file);
    await readUntil(reader, acc, (t) => t.includes("replaced 3\n"));
    // A partial line is held back until its newline arrives: once the line written with it
    // is out, the follower has read the partial one too.
    Deno.writeTextFileSync(file, "whole\npart", { append: true });
    await readUntil(reader, acc, (t) => t.includes("whole\n"));
    ok(!acc.text.includes("part"));
    Deno.writeTextFileSync(file, "ial\n", { append: true });
    await readUntil(reader, acc, (t) => t.includes("partial\n"));
    strictEqual(
      acc.text.split("\n").slice(10).join("\n"),
      "appended 1\nappended 2\nafter truncate\nreplaced 1\nreplaced 2\nreplaced 3\nwhole\npartial\n",
    );
  } finally {
    Deno.kill(child.pid, "SIGTERM");
    const status = await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
    strictEqual(status.code, 0);
  }
});

Deno.test("journalctl -f waits for a log file that does not exist yet", async () => {
  const root = makeRoot({});
  const file = join(root, "var/log/journal/late.service.log");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MOD, "--journalctl", `--root=${root}`, "-u", "late", "-f"],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const acc = { text: "" };
  try {
    await new Promise((r) => setTimeout(r, 800));
    Deno.writeTextFileSync(file, "first\n");
    await readUntil(reader, acc, (t) => t.includes("first\n"));
    strictEqual(acc.text, "first\n");
  } finally {
    Deno.kill(child.pid, "SIGINT");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
  }
});

Deno.test("systemctl log UNIT prints the last -n lines; logs is an alias", async () => {
  const root = makeRoot({ "x.service": numbered(15) });
  const r = await run([`--root=${root}`, "log", "x", "-n", "2"]);
  strictEqual(r.code, 0);
  strictEqual(r.stdout, "line 14\nline 15\n");
  const def = await run([`--root=${root}`, "logs", "x.service"]);
  strictEqual(def.stdout, numbered(15).split("\n").slice(5).join("\n"));
  const none = await run([`--root=${root}`, "log", "nothing"]);
  strictEqual(none.stdout, "-- No entries --\n");
  const missingArg = await run([`--root=${root}`, "log"]);
  strictEqual(missingArg.code, 1);
});

Deno.test("systemctl log -f follows the file", async () => {
  const root = makeRoot({ "x.service": "start\n" });
  const file = join(root, "var/log/journal/x.service.log");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MOD, `--root=${root}`, "log", "-f", "x"],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const acc = { text: "" };
  try {
    await readUntil(reader, acc, (t) => t.includes("start\n"));
    Deno.writeTextFileSync(file, "more\n", { append: true });
    await readUntil(reader, acc, (t) => t.includes("more\n"));
    strictEqual(acc.text, "start\nmore\n");
  } finally {
    Deno.kill(child.pid, "SIGTERM");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
  }
});
