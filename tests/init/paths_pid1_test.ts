/**
 * Issue 18, item 7, for the init: as PID 1 against a root whose /run and /var are absolute
 * links out of it, with tmpfiles.d lines that name host paths (`//`, `/../..`, a path
 * through the linked /var, `w` and `z` of an existing host file), the boot creates its
 * directories, tmpfiles entries, state and unit logs inside the root, and nothing outside
 * the root changes.
 */

import assert from "node:assert/strict";
import { makeTree } from "../cli/_cli.ts";
import { pid1SkipReason, startPid1, until } from "./_pid1.ts";

const skip = await pid1SkipReason();
if (skip) console.log(`paths_pid1_test: PID-1 tests skipped: ${skip}`);

/** Every entry under a host directory with owner, mode and contents. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      const st = Deno.lstatSync(p);
      const body = st.isFile ? Deno.readTextFileSync(p) : st.isSymlink ? Deno.readLinkSync(p) : "";
      out.push(`${p} ${st.uid}:${st.gid} ${(st.mode! & 0o7777).toString(8)} ${body}`);
      if (st.isDirectory) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

Deno.test({
  name:
    "as PID 1, tmpfiles, state, /run/systemd/system and unit logs stay inside a root whose /run and /var link out",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const outside = Deno.makeTempDirSync({ prefix: "pid1-outside-" });
    Deno.chmodSync(outside, 0o755);
    Deno.mkdirSync(`${outside}/run`);
    Deno.mkdirSync(`${outside}/log/journal`, { recursive: true });
    Deno.writeTextFileSync(`${outside}/existing`, "keep\n");
    Deno.chmodSync(`${outside}/existing`, 0o600);
    const up = outside.split("/").filter((c) => c).map(() => "..").join("/");
    const root = makeTree({
      "/etc/systemd/system/talk.service":
        "[Service]\nExecStart=/bin/sh -c 'echo talking; exec sleep infinity'\n",
      "/etc/systemd/system/multi-user.target.wants/talk.service": "->../talk.service",
      "/usr/lib/tmpfiles.d/evil.conf": [
        `d /${outside}/d1 0755 - - -`,
        `d /../../${up}${outside}/d2 0755 - - -`,
        `d /var/x 0755 - - -`,
        `w /${outside}/existing - - - - overwritten`,
        `z /${outside}/existing 0666 - - -`,
      ].join("\n") + "\n",
    });
    Deno.symlinkSync(`${outside}/run`, `${root}/run`);
    Deno.symlinkSync(outside, `${root}/var`);
    const before = snapshot(outside);
    const pid1 = await startPid1(root);
    try {
      assert.ok(
        await until(async () => (await pid1.systemctl("is-active", "talk")).code === 0),
        pid1.output(),
      );
      assert.ok(await until(() => /^talk\.service: talking$/m.test(pid1.output())), pid1.output());
      const inside = `${root}${outside}`;
      assert.ok(Deno.statSync(`${inside}/run/systemd/system`).isDirectory, "canary in the root");
      assert.ok(Deno.statSync(`${inside}/run/systemctl`).isDirectory, "state in the root");
      assert.match(Deno.readTextFileSync(`${inside}/log/journal/talk.service.log`), /talking/);
      assert.ok(Deno.statSync(`${inside}/d1`).isDirectory);
      assert.ok(Deno.statSync(`${inside}/d2`).isDirectory);
      assert.ok(Deno.statSync(`${inside}/x`).isDirectory);
      assert.deepEqual(snapshot(outside), before);
      assert.equal((await pid1.systemctl("poweroff")).code, 0);
      assert.equal(await pid1.exited, 0);
      assert.deepEqual(snapshot(outside), before);
    } finally {
      pid1.kill();
      await pid1.exited.catch(() => {});
      Deno.removeSync(root, { recursive: true });
      Deno.removeSync(outside, { recursive: true });
    }
  },
});
