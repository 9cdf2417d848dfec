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
