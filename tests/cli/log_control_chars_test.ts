/**
 * A service's output never drives the terminal of the administrator who reads it: a log
 * line with control characters (escape sequences that set the window title, clear the
 * screen, write the clipboard, ...) or bytes that are not UTF-8 is shown as
 * `[N blob data]` by `status`, `log` and `journalctl`, unless `-a`, as systemd 252's
 * `output_short()` does (`utf8_is_printable()`, `FORMAT_BYTES()`). `journalctl -o cat`
 * prints the message as it is, as systemd's `output_cat()` does.
 */

import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { formatBytes, isPrintableLine, shownLine } from "../../src/units/journal_files.ts";
import { makeTree, systemctl } from "./_cli.ts";

const ESC_LINE = "hi\x1b]0;owned\x07\x1b[2Jgone";
const ESC_BYTES = new TextEncoder().encode(ESC_LINE).length;

function rootWithLog(): string {
  const root = makeTree({
    "etc/systemd/system/x.service": "[Service]\nExecStart=/bin/true\n",
  });
  const dir = join(root, "var/log/journal");
  Deno.mkdirSync(dir, { recursive: true });
  const bytes = new Uint8Array([
    ...new TextEncoder().encode(`plain line\n${ESC_LINE}\ntab\there ünïcode\n`),
    0x62,
    0xff,
    0x61,
    0x0a, // not UTF-8
  ]);
  Deno.writeFileSync(join(dir, "x.service.log"), bytes);
  return root;
}

Deno.test("systemd's printable test and FORMAT_BYTES", () => {
  ok(isPrintableLine("tab\tand ünïcode €"));
  ok(!isPrintableLine("a\x1b[31mred"));
  ok(!isPrintableLine("carriage\rreturn"));
  ok(!isPrintableLine("del\x7f"));
  ok(!isPrintableLine("c1 \u009b csi"));
  strictEqual(formatBytes(25), "25B");
  strictEqual(formatBytes(1023), "1023B");
  strictEqual(formatBytes(1024), "1.0K");
  strictEqual(formatBytes(2560), "2.5K");
  strictEqual(formatBytes(49151), "47.9K");
  strictEqual(formatBytes(3 * 1024 * 1024 + 300 * 1024), "3.2M");
  strictEqual(shownLine("a\x1bb", false), "[3B blob data]");
  strictEqual(shownLine("a\x1bb", true), "a\x1bb");
});

Deno.test("status, log and journalctl show a control-character line as blob data", async () => {
  const root = rootWithLog();
  try {
    const blob = `[${ESC_BYTES}B blob data]`;
    const status = await systemctl(["--root", root, "status", "x.service"]);
    ok(!status.stdout.includes("\x1b"), `status printed an escape: ${JSON.stringify(status)}`);
    ok(status.stdout.includes(blob), status.stdout);
    ok(status.stdout.includes("plain line"), status.stdout);
    ok(status.stdout.includes("tab\there ünïcode"), status.stdout);
    // b\xffa is not UTF-8 (its size is counted after decoding: systemd says 3B).
    ok(/\n\[\dB blob data\]\n/.test(status.stdout), status.stdout);

    const log = await systemctl(["--root", root, "log", "x.service"]);
    ok(/^plain line\n(.*)\ntab\there ünïcode\n\[\dB blob data\]\n$/.test(log.stdout), log.stdout);
    ok(log.stdout.includes(`\n${blob}\n`), log.stdout);
    const logAll = await systemctl(["--root", root, "log", "-a", "x.service"]);
    ok(logAll.stdout.includes(ESC_LINE), logAll.stdout);

    const jc = await systemctl(["--journalctl", "--root", root, "-u", "x.service"]);
    strictEqual(jc.stdout, log.stdout);
    const jcAll = await systemctl(["--journalctl", "--root", root, "-a", "-u", "x.service"]);
    ok(jcAll.stdout.includes(ESC_LINE), jcAll.stdout);
    const jcCat = await systemctl(["--journalctl", "--root", root, "-o", "cat", "-u", "x"]);
    ok(jcCat.stdout.includes(ESC_LINE), jcCat.stdout);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a unit's UMask= does not make its log file writable by every user", async () => {
  const root = makeTree({
    "etc/systemd/system/um.service":
      "[Service]\nType=oneshot\nUMask=0000\nExecStart=/bin/echo hi\nExecStart=/bin/sh -c 'echo sh'\n",
    "etc/systemd/system/umf.service":
      "[Service]\nType=oneshot\nUMask=0000\nStandardOutput=file:/out\nExecStart=/bin/echo hi\n",
  });
  try {
    strictEqual((await systemctl(["--root", root, "start", "um.service", "umf.service"])).code, 0);
    const log = Deno.statSync(join(root, "var/log/journal/um.service.log"));
    strictEqual((log.mode! & 0o777).toString(8), "644");
    strictEqual(Deno.readTextFileSync(join(root, "var/log/journal/um.service.log")), "hi\nsh\n");
    // A file the unit names is the command's, created with its UMask= as systemd does.
    strictEqual((Deno.statSync(join(root, "out")).mode! & 0o777).toString(8), "666");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("status escapes the control characters a service put in its argv and comm", async () => {
  const root = makeTree({
    "etc/systemd/system/argv.service": "[Service]\nUser=nobody\nExecStart=/bin/bash -c " +
      `'exec -a "$(printf "\\\\033]0;owned\\\\007\\\\033[2Jx")" /bin/sleep 60'\n`,
    "etc/systemd/system/comm.service": "[Service]\nUser=nobody\nExecStart=/bin/sh -c " +
      `'printf "\\\\033[2Jz" > /proc/$$$$/comm; /bin/sleep 61'\n`,
  });
  Deno.copyFileSync("/etc/passwd", join(root, "etc/passwd"));
  Deno.copyFileSync("/etc/group", join(root, "etc/group"));
  try {
    strictEqual((await systemctl(["--root", root, "start", "argv.service"])).code, 0);
    let out = "";
    const deadline = Date.now() + 60_000; // a bound: bash execs the sleep at once
    while (!out.includes("60") && Date.now() < deadline) {
      out = (await systemctl(["--root", root, "status", "argv.service"])).stdout;
    }
    ok(!out.includes("\x1b") && !out.includes("\x07"), JSON.stringify(out));
    ok(out.includes("\\x1b]0;owned\\x07\\x1b[2Jx 60"), out);
    // comm, set by the main process itself: `Main PID: N (comm)`.
    strictEqual((await systemctl(["--root", root, "start", "comm.service"])).code, 0);
    let comm = "";
    while (!comm.includes("\\x1b[2Jz)") && Date.now() < deadline) {
      comm = (await systemctl(["--root", root, "status", "comm.service"])).stdout;
    }
    ok(!comm.includes("\x1b") && comm.includes("\\x1b[2Jz)"), JSON.stringify(comm));
  } finally {
    await systemctl(["--root", root, "stop", "argv.service", "comm.service"]);
    Deno.removeSync(root, { recursive: true });
  }
});
