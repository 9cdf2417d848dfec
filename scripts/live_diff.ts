/**
 * `deno task live-diff FILE.sh…`: runs each scenario script against real
 * systemd 252 and against our program, each as PID 1 of its own podman
 * container (tests/support/live_diff.ts), and prints the differences that are
 * left after the harness's one normalisation. The last line counts them:
 * `N operations compared, M lines differ`. Exit 0 when nothing differs.
 * `--raw` also prints both sides' outputs of every operation.
 * @module
 */

import {
  ensureLiveImages,
  podmanProblem,
  removeLeftovers,
  removeStarted,
} from "../tests/support/live_podman.ts";
import { compareRuns, type Op, runScenario } from "../tests/support/live_diff.ts";

const args = Deno.args.filter((a) => a !== "--raw");
const raw = Deno.args.includes("--raw");
if (args.length === 0 || args.some((a) => a === "-h" || a === "--help")) {
  console.log("usage: deno task live-diff [--raw] FILE.sh…");
  Deno.exit(args.length === 0 ? 2 : 0);
}
const problem = await podmanProblem();
if (problem) {
  console.error(`live-diff: ${problem}`);
  Deno.exit(2);
}
// An interrupted run removes its containers before it goes.
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => {
    removeStarted().finally(() => Deno.exit(130));
  });
}
await removeLeftovers();
const images = await ensureLiveImages();
let ops = 0;
let lines = 0;
const show = (side: string, o: Op) =>
  `  [${side}] rc=${o.rc}\n` +
  (o.stdout ? o.stdout.replace(/^/gm, `  ${side} out| `).replace(/\n?$/, "\n") : "") +
  (o.stderr ? o.stderr.replace(/^/gm, `  ${side} err| `).replace(/\n?$/, "\n") : "");
for (const file of args) {
  const text = await Deno.readTextFile(file);
  const { systemd, ours } = await runScenario(images, text);
  const c = compareRuns(systemd, ours);
  ops += c.ops;
  lines += c.lines;
  console.log(`=== ${file}: ${c.ops} operations, ${c.lines} lines differ`);
  if (raw) {
    for (let i = 0; i < Math.max(systemd.ops.length, ours.ops.length); i++) {
      const a = systemd.ops[i];
      const b = ours.ops[i];
      console.log(`op ${(a ?? b)!.n}: ${(a ?? b)!.cmd}`);
      if (a) console.log(show("systemd", a).trimEnd());
      if (b) console.log(show("ours", b).trimEnd());
    }
  }
  if (c.report) console.log(c.report);
}
console.log(`${ops} operations compared, ${lines} lines differ`);
Deno.exit(lines === 0 ? 0 : 1);
