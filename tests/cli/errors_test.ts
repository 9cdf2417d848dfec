/**
 * Errors a user can act on (issue 20, §5): each names what the user asked about, in systemd's
 * words, in one line, without Deno's error text.
 */

import assert from "node:assert/strict";
import { makeTree, systemctl } from "./_cli.ts";
import { copyProgram, nobodySkipReason, readableByAll, runAs } from "./_nobody.ts";

const NOBODY = nobodySkipReason();
if (NOBODY) console.log(`skipping the non-root error tests: ${NOBODY}`);

const ONESHOT = "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n";

/** A root-owned image (readable, not writable, by others); removed after `fn`. */
async function asNobodyIn(
  files: Record<string, string>,
  fn: (run: (...args: string[]) => ReturnType<typeof runAs>, root: string) => Promise<void>,
): Promise<void> {
  const root = makeTree(files);
  const prog = copyProgram();
  try {
    readableByAll(root);
    await fn((...args) => runAs(prog, [`--root=${root}`, ...args]), root);
  } finally {
    prog.close();
    Deno.removeSync(root, { recursive: true });
  }
}

Deno.test({
  name: "a non-root start names the unit asked for in systemd's words, exit 4, not a dependency",
  ignore: NOBODY !== undefined,
  fn: () =>
    asNobodyIn({
      // As nginx: the dependency's state would be written first.
      "etc/systemd/system/web.service": "[Unit]\nWants=network-online.target\n" +
        "After=network-online.target\n" + ONESHOT,
    }, async (run) => {
      const r = await run("start", "web");
      assert.equal(
        r.stderr,
        "Failed to start web.service: Access denied\n" +
          "See system logs and 'systemctl status web.service' for details.\n",
      );
      assert.equal(r.code, 4);
      const k = await run("kill", "web");
      assert.equal(k.stderr, "Failed to kill unit web.service: Access denied\n");
      assert.equal(k.code, 1);
      const reload = await run("daemon-reload");
      assert.equal(reload.stderr, "Reload daemon failed: Access denied\n");
      assert.equal(reload.code, 1);
    }),
});

Deno.test({
  name: "a root caller on a read-only state directory is told which unit and why, exit 1",
  ignore: NOBODY !== undefined,
  fn: async () => {
    const root = makeTree({
      "etc/systemd/system/web.service": "[Unit]\nWants=net.service\nAfter=net.service\n" + ONESHOT,
      "etc/systemd/system/net.service": ONESHOT,
    });
    const prog = copyProgram();
    try {
      Deno.mkdirSync(`${root}/run/systemctl/units`, { recursive: true });
      const r = await runAs(prog, [`--root=${root}`, "start", "web"], {
        user: "root",
        readOnly: root,
      });
      assert.equal(
        r.stderr,
        `Failed to write state of web.service: Read-only file system (${root}/run/systemctl/units).\n`,
      );
      assert.equal(r.code, 1);
    } finally {
      prog.close();
      Deno.removeSync(root, { recursive: true });
    }
  },
});

const LSB = "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: web\n" +
  "# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n### END INIT INFO\nexit 0\n";

Deno.test({
  name: "a non-root disable of a SysV-synchronized unit fails in one line without Deno's text",
  ignore: NOBODY !== undefined,
  fn: () =>
    asNobodyIn({
      "lib/systemd/system/web.service": ONESHOT + "[Install]\nWantedBy=multi-user.target\n",
      "etc/init.d/web": LSB,
      "etc/rc2.d/S01web": "->../init.d/web",
      "etc/rc3.d/S01web": "->../init.d/web",
      "etc/rc4.d/S01web": "->../init.d/web",
      "etc/rc5.d/S01web": "->../init.d/web",
    }, async (run) => {
      const r = await run("disable", "web");
      assert.equal(
        r.stderr,
        "Synchronizing state of web.service with SysV service script /etc/init.d/web.\n" +
          "Failed to disable web.service: cannot rename /etc/rc2.d/S01web: Permission denied.\n",
      );
      assert.equal(r.code, 1);
    }),
});

Deno.test({
  name: "a non-root enable or disable in a root-owned tree reports Permission denied, exit 1",
  ignore: NOBODY !== undefined,
  fn: () =>
    asNobodyIn({
      "etc/systemd/system/web.service": ONESHOT + "[Install]\nWantedBy=multi-user.target\n",
      "lib/systemd/system/vend.service": ONESHOT + "[Install]\nWantedBy=multi-user.target\n",
      "etc/systemd/system/multi-user.target.wants/vend.service":
        "->/lib/systemd/system/vend.service",
    }, async (run, root) => {
      const wants = `${root}/etc/systemd/system/multi-user.target.wants`;
      const on = await run("enable", "web");
      assert.equal(
        on.stderr,
        `Failed to enable unit, file "${wants}/web.service": Permission denied\n`,
      );
      assert.equal(on.code, 1);
      const off = await run("disable", "vend");
      assert.equal(
        off.stderr,
        `Failed to disable unit, file "${wants}/vend.service": Permission denied\n`,
      );
      assert.equal(off.code, 1);
      const def = await run("set-default", "multi-user.target");
      assert.equal(
        def.stderr,
        `Failed to set default unit, file "${root}/etc/systemd/system/default.target": ` +
          "Permission denied\n",
      );
      const env = await run("set-environment", "A=b");
      assert.equal(env.stderr, "Failed to set environment: Access denied\n");
      assert.equal(env.code, 1);
      const prop = await run("set-property", "web", "CPUWeight=5");
      assert.equal(prop.stderr, "Failed to set unit properties on web.service: Access denied\n");
    }),
});

Deno.test("a --root that does not exist is named in one line, and nothing is made there", async () => {
  const parent = Deno.makeTempDirSync({ prefix: "sysctl-cli-" });
  try {
    const missing = `${parent}/nonexistent`;
    const expected =
      `Failed to initialize unit search paths for root directory ${missing}: No such file or directory\n`;
    for (const args of [["list-unit-files"], ["start", "web"], ["enable", "web"], ["status"]]) {
      const r = await systemctl([`--root=${missing}`, ...args]);
      assert.equal(r.stderr, expected, args.join(" "));
      assert.equal(r.stdout, "", args.join(" "));
      assert.equal(r.code, 1, args.join(" "));
    }
    assert.deepEqual([...Deno.readDirSync(parent)], [], "something was made under the parent");
    Deno.writeTextFileSync(`${parent}/file`, "");
    const notDir = await systemctl([`--root=${parent}/file`, "list-units"]);
    assert.equal(
      notDir.stderr,
      `Failed to initialize unit search paths for root directory ${parent}/file: Not a directory\n`,
    );
  } finally {
    Deno.removeSync(parent, { recursive: true });
  }
});

Deno.test("a unit file line that is not UTF-8 clean is reported with file and line, as systemd does", async () => {
  const root = makeTree({ "etc/systemd/system/.keep": "" });
  try {
    Deno.writeFileSync(
      `${root}/etc/systemd/system/u8.service`,
      new Uint8Array([
        ...new TextEncoder().encode("[Unit]\n# caf"),
        0xe9,
        ...new TextEncoder().encode(" in a comment is fine\nDescription=caf"),
        0xe9,
        ...new TextEncoder().encode("\n[Service]\nExecStart=/bin/true\n"),
      ]),
    );
    const warning = "/etc/systemd/system/u8.service:3: String is not UTF-8 clean, ignoring " +
      "assignment: Description=caf\uFFFD";
    const reload = await systemctl([`--root=${root}`, "daemon-reload"]);
    assert.equal(reload.stderr, warning + "\n");
    const show = await systemctl([`--root=${root}`, "show", "u8", "-p", "LoadState"]);
    assert.equal(show.stdout, "LoadState=error\n");
    const start = await systemctl([`--root=${root}`, "start", "u8"]);
    assert.equal(
      start.stderr,
      "Failed to start u8.service: Unit u8.service failed to load properly, please " +
        "adjust/correct and reload service manager: Invalid argument\n",
    );
    // The offline verbs read the file too, and find it bad, in systemd 252's words.
    const listed = await systemctl([`--root=${root}`, "list-unit-files"]);
    assert.equal(listed.stderr, root + warning + "\n");
    assert.match(listed.stdout, /^u8\.service bad +enabled$/m);
    const state = await systemctl([`--root=${root}`, "is-enabled", "u8"]);
    assert.equal(
      state.stderr,
      `${root}${warning}\nFailed to get unit file state for u8.service: Invalid argument\n`,
    );
    assert.equal(state.code, 1);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("enable into an image without target files warns only of targets nobody provides", async () => {
  const root = makeTree({
    "etc/systemd/system/web.service": ONESHOT + "[Install]\nWantedBy=multi-user.target\n",
    "etc/systemd/system/x.socket": "[Socket]\nListenStream=/run/x.sock\n" +
      "[Install]\nWantedBy=sockets.target\n",
    "etc/systemd/system/odd.service": ONESHOT + "[Install]\nWantedBy=nonexist.target\n",
  });
  try {
    const etc = `${root}/etc/systemd/system`;
    const r = await systemctl([`--root=${root}`, "enable", "web", "x.socket"]);
    assert.equal(
      r.stderr,
      `Created symlink ${etc}/multi-user.target.wants/web.service \u2192 ` +
        "/etc/systemd/system/web.service.\n" +
        `Created symlink ${etc}/sockets.target.wants/x.socket \u2192 /etc/systemd/system/x.socket.\n`,
    );
    assert.equal(r.code, 0);
    const odd = await systemctl([`--root=${root}`, "enable", "odd"]);
    assert.match(
      odd.stderr,
      /^Unit .*\/odd\.service is added as a dependency to a non-existent unit nonexist\.target\.$/m,
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("the reload verbs name systemd 252's job type when the unit is not found, exit 5", async () => {
  const root = makeTree({ "etc/systemd/system/.keep": "" });
  try {
    // As a live systemd 252 answers (checked in a booted namespace).
    const cases: Array<[string, string]> = [
      ["reload", "reload"],
      ["reload-or-restart", "reload-or-restart"],
      ["try-reload-or-restart", "reload-or-try-restart"],
      ["force-reload", "reload-or-try-restart"],
    ];
    for (const [verb, job] of cases) {
      const r = await systemctl([`--root=${root}`, verb, "nosuch"]);
      assert.equal(r.stderr, `Failed to ${job} nosuch.service: Unit nosuch.service not found.\n`);
      assert.equal(r.code, 5, verb);
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
