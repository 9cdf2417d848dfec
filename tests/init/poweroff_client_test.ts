/**
 * A client that asks its init to power off lives in the init's namespace, so the init's last
 * broadcast (SIGTERM to every process left) reaches it too. The client must not die of it
 * while it is still on its way out: under load `systemctl poweroff` exited 143. Here the
 * client (the same `requestShutdown` the power verbs call) takes a second to finish, so the
 * broadcast certainly comes first; it ends 0 and the init ends 0.
 */

import assert from "node:assert/strict";
import { makeTree } from "../cli/_cli.ts";
import { pid1SkipReason, startPid1, until } from "./_pid1.ts";

const skip = await pid1SkipReason();
if (skip) console.log(`poweroff_client_test: PID-1 tests ignored: ${skip}`);

const INIT_LINK = new URL("../../src/service/init_link.ts", import.meta.url).pathname;
const PATHS = new URL("../../src/units/paths.ts", import.meta.url).pathname;

Deno.test({
  name: "a client that requested the poweroff outlives the init's final SIGTERM and exits 0",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = makeTree({
      "/etc/systemd/system/multi-user.target": "[Unit]\nDescription=Multi-User\n",
    });
    const script = `${root}/slow_client.ts`;
    Deno.writeTextFileSync(
      script,
      `import { requestShutdown } from "${INIT_LINK}";
import { RootMap } from "${PATHS}";
const se = { root: new RootMap(${JSON.stringify(root)}), scope: "system", env: {} } as const;
const asked = await requestShutdown(se, "poweroff");
console.log(asked ? "asked" : "no init");
// Discarded by the kernel, not only listened to: the runtime drops its listeners while it
// exits, and a SIGTERM then would end it as the default action does.
const ign = /^SigIgn:\\s+([0-9a-f]+)$/m.exec(Deno.readTextFileSync("/proc/self/status"))![1];
console.log("SIGTERM ignored:", (BigInt("0x" + ign) >> 14n & 1n) === 1n);
await new Promise((r) => setTimeout(r, 1000));
console.log("done");
`,
    );
    const pid1 = await startPid1(root);
    try {
      assert.ok(await until(async () => (await pid1.systemctl("is-system-running")).code === 0));
      const client = await pid1.sh(
        `exec ${Deno.execPath()} run --quiet --allow-all ${script}`,
      );
      assert.deepEqual(
        [client.code, client.stdout],
        [0, "asked\nSIGTERM ignored: true\ndone\n"],
        client.stderr,
      );
      assert.equal(await pid1.exited, 0);
      assert.match(pid1.output(), /Sending SIGTERM to \d+ remaining processes/);
    } finally {
      pid1.kill();
      await pid1.exited.catch(() => {});
      Deno.removeSync(root, { recursive: true });
    }
  },
});
