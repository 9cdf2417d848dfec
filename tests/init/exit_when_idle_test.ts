/**
 * `--init -0` (`--exit`), the Python tool's option: the init instance boots the default target
 * and leaves once nothing that runs processes (a service, socket, timer or path unit) is active
 * any more. Targets and slices stay active after a boot, so they do not count; before, the
 * instance waited for them forever.
 */

import assert from "node:assert/strict";
import { makeTree, MOD, PERMS } from "../cli/_cli.ts";

const D = "/etc/systemd/system";

Deno.test({
  name: "--init -0 leaves once the boot's services have ended, and not before",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = makeTree({
      [`${D}/quick.service`]: "[Service]\nType=oneshot\nExecStart=/bin/true\n",
      // Runs for a while: the instance must wait for it.
      [`${D}/slow.service`]: "[Service]\nExecStart=/bin/sleep 2\n",
      [`${D}/multi-user.target.wants/quick.service`]: "",
      [`${D}/multi-user.target.wants/slow.service`]: "",
    });
    try {
      for (const name of ["quick", "slow"]) {
        Deno.removeSync(`${root}${D}/multi-user.target.wants/${name}.service`);
        Deno.symlinkSync(
          `${D}/${name}.service`,
          `${root}${D}/multi-user.target.wants/${name}.service`,
        );
      }
      const started = performance.now();
      // The bound (for a loaded machine, not a duration the test relies on) kills the instance.
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", ...PERMS, MOD, `--root=${root}`, "--init", "-0"],
        env: { NO_COLOR: "1" },
        stdin: "null",
        signal: AbortSignal.timeout(120_000),
      }).output();
      const dec = new TextDecoder();
      const r = { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr + r.stdout, /Started slow\.service/);
      assert.match(r.stderr + r.stdout, /Stopped target Multi-User System\./);
      // It waited for slow.service's two seconds.
      assert.ok(performance.now() - started >= 2000);
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  },
});
