/**
 * Issue 18, items 2, 3 and 4, as real trials: each runs bench/safety.ts's trials of its kind
 * in a fresh PID namespace (`unshare --pid --fork --mount-proc`, a reaping PID 1), where
 * `ns_last_pid` hands a stranger the PID it needs. A stranger signalled fails the test; so
 * does a trial whose stranger could not be put in place (the trial would prove nothing).
 * The benchmark runs the same trials 50 times each (`deno task bench`, section safety).
 */

import assert from "node:assert/strict";
import { runSafetyInNamespace, type SafetyKind, safetySkipReason } from "../../bench/safety.ts";

const skip = await safetySkipReason();
if (skip) console.log(`pidns_safety_test: skipped: ${skip}`);

const TRIALS = 4;

function trial(kind: SafetyKind, name: string): void {
  Deno.test({
    name,
    ignore: skip !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const res = await runSafetyInNamespace(0, [kind], TRIALS, "null");
      const count = res[kind] as { trials: number; staged: number; strangersSignalled: number };
      assert.equal(count.trials, TRIALS);
      assert.equal(count.staged, TRIALS, `strangers put in place: ${JSON.stringify(count)}`);
      assert.equal(count.strangersSignalled, 0, `strangers signalled: ${JSON.stringify(count)}`);
    },
  });
}

trial(
  "sessionReuse",
  "stop, kill and restart never signal a stranger who leads a session under the main PID " +
    "of a unit (its leader gone)",
);
trial(
  "notifyMainPid",
  "MAINPID= from a nobody service, or injected by an unrelated nobody process, never makes " +
    "stop signal a root process",
);
trial(
  "pidFile",
  "a nobody forking service's PID file (direct, or a link to a root-owned file) never makes " +
    "stop signal a root process",
);
