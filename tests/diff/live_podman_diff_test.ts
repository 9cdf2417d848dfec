/**
 * Live fidelity (issue 25): every scenario of tests/fixtures/live/ runs in a
 * podman container whose PID 1 is real systemd 252 and in one whose PID 1 is
 * our program (tests/support/live_diff.ts); each operation's exit code,
 * stdout and stderr must agree after the harness's one normalisation
 * (tests/support/live_normalise.ts, docs/fidelity.md). Where podman, runc or
 * root are missing, or systemd does not boot in a container here, the tests
 * are ignored and the reason is printed.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  bootProblem,
  ensureLiveImages,
  podmanProblem,
  removeLeftovers,
} from "../support/live_podman.ts";
import { compareRuns, runScenario } from "../support/live_diff.ts";
import { NORMALISATION_DOCS } from "../support/live_normalise.ts";

const DIR = fileURLToPath(new URL("../fixtures/live/", import.meta.url));
const DOCS = fileURLToPath(new URL("../../docs/fidelity.md", import.meta.url));

const scenarios = [...Deno.readDirSync(DIR)].filter((e) => e.isFile && e.name.endsWith(".sh"))
  .map((e) => e.name).sort();

let skip = await podmanProblem();
let images: { systemd: string; ours: string } | undefined;
if (!skip) {
  try {
    // Containers of an earlier run that was killed before its cleanup.
    await removeLeftovers();
    images = await ensureLiveImages();
    skip = await bootProblem(images.systemd);
  } catch (e) {
    skip = e instanceof Error ? e.message : String(e);
  }
}
if (skip) console.log(`skipping the live systemd 252 differential tests: ${skip}`);

Deno.test("every normalisation of the live harness names an entry of docs/fidelity.md", () => {
  const text = Deno.readTextFileSync(DOCS);
  const anchors = new Set([...text.matchAll(/^#+ .*\{#([a-z0-9-]+)\}\s*$/gm)].map((m) => m[1]));
  assert.deepEqual(NORMALISATION_DOCS.filter((d) => !anchors.has(d)), []);
});

for (const name of scenarios) {
  Deno.test({
    name: `live: ${name} gives what systemd 252 as PID 1 gives`,
    ignore: skip !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const text = Deno.readTextFileSync(`${DIR}/${name}`);
      const { systemd, ours } = await runScenario(images!, text);
      const c = compareRuns(systemd, ours);
      assert.ok(c.ops > 0, `no operation ran: ${c.report}`);
      assert.equal(c.report, "", `${c.lines} lines differ in ${c.ops} operations:\n${c.report}`);
    },
  });
}
