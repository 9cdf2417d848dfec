import assert from "node:assert/strict";
import { exitCodeOf, jobText } from "../../src/verbs/job_words.ts";

const unit = (loadState: string) => ({ requested: "x.service", id: "x.service", loadState });

Deno.test("job failures give systemctl's exit codes: 5 not found, 3 not applicable, 4 isolate", () => {
  assert.equal(exitCodeOf(undefined), 0);
  assert.equal(exitCodeOf({ kind: "load", verb: "start", unit: unit("not-found") }), 5);
  assert.equal(exitCodeOf({ kind: "load", verb: "start", unit: unit("masked") }), 1);
  assert.equal(
    exitCodeOf({ kind: "dependency-not-found", verb: "start", requested: "a", missing: "b" }),
    5,
  );
  assert.equal(exitCodeOf({ kind: "reload-not-applicable", id: "x.service" }), 3);
  assert.equal(exitCodeOf({ kind: "not-isolatable", id: "x.target" }), 4);
  assert.equal(exitCodeOf({ kind: "job-failed", id: "x.service", result: "exit-code" }), 1);
});

Deno.test("a failed job's words come from the Result the manager holds, with --user hints", () => {
  assert.equal(
    jobText("user", { kind: "job-failed", id: "x.service", result: "start-limit-hit" }),
    "Job for x.service failed because start of the service was attempted too often.\n" +
      `See "systemctl --user status x.service" and "journalctl --user -xeu x.service" ` +
      "for details.\n" +
      `To force a start use "systemctl --user reset-failed x.service"\n` +
      `followed by "systemctl --user start x.service" again.\n`,
  );
  assert.equal(
    jobText("system", { kind: "job-failed", id: "x.socket" }),
    `Job failed. See "journalctl -xe" for details.\n`,
  );
  assert.equal(
    jobText("system", { kind: "load", verb: "stop", unit: unit("not-found") }),
    "Failed to stop x.service: Unit x.service not loaded.\n",
  );
});
