/**
 * Unit-file diagnostics against systemd 252 itself: `systemd-analyze verify
 * --root=DIR` and our `daemon-reload` read the same files, and every
 * `file:line: message` systemd prints for a bad line must be ours too.
 */

import { deepStrictEqual } from "node:assert/strict";
import { makeTree, systemctl } from "../cli/_cli.ts";

function skipReason(): string | undefined {
  try {
    const out = new Deno.Command("systemd-analyze", { args: ["--version"], stdout: "piped" })
      .outputSync();
    const first = new TextDecoder().decode(out.stdout).split("\n")[0];
    if (!/^systemd 252\b/.test(first)) return `systemd-analyze is not systemd 252 (${first})`;
  } catch {
    return "systemd-analyze is not installed";
  }
  return undefined;
}

const reason = skipReason();
if (reason) console.log(`skipping the diagnostics differential test: ${reason}`);

const BAD = [
  "[Unit]",
  "Description=Bad lines",
  "NoSuchUnitKey=1",
  "[Service]",
  "ExecStart=/bin/true",
  "Type=weird",
  "Restart=sometimes",
  "KillMode=odd",
  "RemainAfterExit=maybe",
  "TimeoutStopSec=abc",
  "Nice=x",
  "UMask=999",
  "StandardOutput=bogus",
  "KillSignal=SIGFOO",
  "LimitNOFILE=abc",
  "this line has no equals",
  "NoSuchKey=1",
  "[Weird]",
  "A=b",
  "[Install]",
  "WantedBy=multi-user.target",
  "",
].join("\n");

Deno.test({
  name: "a fatal Exec line is reported in systemd's words and makes the unit bad-setting",
  ignore: reason !== undefined,
  fn: async () => {
    const root = makeTree({
      "etc/systemd/system/e.service": "[Service]\nType=oneshot\nExecStart=relative/path arg\n",
    });
    const verify = new Deno.Command("systemd-analyze", {
      args: ["verify", `--root=${root}`, "e.service"],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    const theirs = new TextDecoder().decode(verify.stderr).split("\n")
      .filter((l) => l.startsWith(`${root}/`)).map((l) => l.slice(root.length));
    const ours = await systemctl([`--root=${root}`, "daemon-reload"]);
    for (const line of theirs) deepStrictEqual(ours.stderr.includes(line), true, line);
    const show = await systemctl([`--root=${root}`, "show", "e", "-p", "LoadState"]);
    deepStrictEqual(show.stdout, "LoadState=bad-setting\n");
  },
});

Deno.test({
  name: "every file:line diagnostic systemd-analyze verify prints, daemon-reload prints too",
  ignore: reason !== undefined,
  fn: async () => {
    const root = makeTree({ "etc/systemd/system/bad.service": BAD });
    const verify = new Deno.Command("systemd-analyze", {
      args: ["verify", `--root=${root}`, "bad.service"],
      stdout: "piped",
      stderr: "piped",
      env: { SYSTEMD_LOG_COLOR: "0" },
    }).outputSync();
    const theirs = new TextDecoder().decode(verify.stderr).split("\n")
      .filter((l) => l.startsWith(`${root}/etc/systemd/system/bad.service:`))
      .map((l) => l.slice(root.length));
    const ours = (await systemctl([`--root=${root}`, "daemon-reload"])).stderr.split("\n")
      .filter((l) => l.startsWith("/etc/systemd/system/bad.service:"));
    deepStrictEqual(ours.filter((l) => theirs.includes(l)).sort(), [...theirs].sort());
    deepStrictEqual(theirs.length > 10, true);
  },
});

Deno.test({
  name: "lines that are not UTF-8 clean get systemd-analyze verify's file:line warning",
  ignore: reason !== undefined,
  fn: async () => {
    const root = makeTree({ "etc/systemd/system/.keep": "" });
    try {
      const enc = new TextEncoder();
      const bytes = (...parts: Array<string | number>) =>
        new Uint8Array(parts.flatMap((p) => typeof p === "number" ? [p] : [...enc.encode(p)]));
      const etc = `${root}/etc/systemd/system`;
      // Overlong, truncated, a surrogate, a noncharacter; the first bad line ends the file.
      Deno.writeFileSync(
        `${etc}/u8.service`,
        bytes(
          "[Unit]\nDescription=ok\n# ",
          0xff,
          "\nNoEquals\n[Service]\nExecStart=/bin/echo ",
          0xc0,
          0xaf,
          0xe2,
          0x82,
          " ",
          0xed,
          0xa0,
          0x80,
          " ",
          0xef,
          0xbf,
          0xbf,
          "\nNice=bogus\n",
        ),
      );
      Deno.mkdirSync(`${etc}/ok.service.d`);
      Deno.writeFileSync(`${etc}/ok.service`, bytes("[Service]\nExecStart=/bin/true\n"));
      Deno.writeFileSync(`${etc}/ok.service.d/x.conf`, bytes("[Service]\nEnvironment=A=", 0xe9));
      const verify = new Deno.Command("systemd-analyze", {
        args: ["verify", `--root=${root}`, "u8.service", "ok.service"],
        stdout: "piped",
        stderr: "piped",
        env: { SYSTEMD_LOG_COLOR: "0" },
      }).outputSync();
      const theirs = new TextDecoder().decode(verify.stderr).split("\n")
        .filter((l) => l.startsWith(`${etc}/`)).map((l) => l.slice(root.length)).sort();
      const ours = (await systemctl([`--root=${root}`, "daemon-reload"])).stderr.split("\n")
        .filter((l) => l.startsWith("/etc/systemd/system/")).sort();
      deepStrictEqual(ours, theirs);
      deepStrictEqual(theirs.length, 3);
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  },
});
