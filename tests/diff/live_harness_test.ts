/**
 * The live harness's own parts, without podman: the records `op` writes, the line diff,
 * the comparison of two sides, and the normalisation (only what docs/fidelity.md lists).
 */

import assert from "node:assert/strict";
import { compareRuns, diffLines, type Op, parseOps, parseScenario } from "../support/live_diff.ts";
import { normalise } from "../support/live_normalise.ts";

const enc = new TextEncoder();

function record(n: number, cmd: string, rc: number, out: string, err: string): string {
  const o = enc.encode(out).length;
  const e = enc.encode(err).length;
  return `\x1eop ${n} ${cmd}\n\x1erc ${rc}\n\x1eout ${o}\n${out}\x1eerr ${e}\n${err}`;
}

Deno.test("op records parse with multi-byte output, no final newline and noise between", () => {
  const bytes = enc.encode(
    "stray line\n" + record(1, "systemctl status x", 3, "● x.service\n   └─1 a", "") +
      "more noise\n" + record(2, "systemctl start y", 1, "", "Job for y.service failed.\n"),
  );
  assert.deepEqual(parseOps(bytes), [
    { n: 1, cmd: "systemctl status x", rc: 3, stdout: "● x.service\n   └─1 a", stderr: "" },
    { n: 2, cmd: "systemctl start y", rc: 1, stdout: "", stderr: "Job for y.service failed.\n" },
  ]);
});

Deno.test("a scenario splits at its boot line; --no-wait starts the rest at once", () => {
  assert.deepEqual(parseScenario("op a\n"), { main: "op a\n", waitBoot: true });
  assert.deepEqual(parseScenario("unit x\nboot --no-wait\nop b\n"), {
    preBoot: "unit x\n",
    main: "op b\n",
    waitBoot: false,
  });
});

Deno.test("the line diff lists what only one side has, in order", () => {
  assert.deepEqual(diffLines(["a", "b", "c"], ["a", "c", "d"]), ["- b", "+ d"]);
  assert.deepEqual(diffLines([], []), []);
});

Deno.test("exit codes, stdout and stderr are compared separately and counted", () => {
  const op = (rc: number, stdout: string, stderr = ""): Op => ({
    n: 1,
    cmd: "systemctl is-active x",
    rc,
    stdout,
    stderr,
  });
  const same = compareRuns(
    { side: "systemd", ops: [op(0, "active\n")], problems: [] },
    { side: "ours", ops: [op(0, "active\n")], problems: [] },
  );
  assert.deepEqual([same.ops, same.lines, same.report], [1, 0, ""]);
  const differ = compareRuns(
    { side: "systemd", ops: [op(3, "inactive\n")], problems: [] },
    { side: "ours", ops: [op(0, "active\n", "oops\n")], problems: [] },
  );
  assert.equal(differ.lines, 4);
  assert.match(differ.report, /exit code: systemd 3, ours 0/);
  assert.match(differ.report, /stderr \(- systemd, \+ ours\):\n {4}\+ oops/);
});

Deno.test("normalisation masks PIDs, times and IDs, and leaves states alone", () => {
  const out = "MainPID=123\nActiveState=failed\nInvocationID=0123456789abcdef0123456789abcdef\n" +
    "ActiveEnterTimestamp=Mon 2026-12-07 13:54:29 UTC\n";
  assert.equal(
    normalise(out, "stdout", "systemctl show x"),
    "MainPID=<PID>\nActiveState=failed\nInvocationID=<ID>\nActiveEnterTimestamp=<TIME>\n",
  );
  // A PID of 0 (no process) is a value, not a PID to mask.
  assert.equal(normalise("MainPID=0\n", "stdout", "systemctl show x"), "MainPID=0\n");
});

Deno.test("status: the journal part and the cgroup counters are dropped, blocks kept", () => {
  const systemd = "● a.service - A\n     Active: active (running)\n      Tasks: 1 (limit: 9)\n" +
    "     CGroup: /libpod_parent/libpod-" + "a".repeat(64) + "/system.slice/a.service\n\n" +
    "Dec 07 13:54:29 live systemd[1]: Started a.service - A.\n";
  const ours = "● a.service - A\n     Active: active (running)\n      Tasks: 1\n" +
    "     CGroup: /system.slice/a.service\n\nhello from a\n";
  assert.equal(
    normalise(systemd, "stdout", "systemctl status a"),
    normalise(ours, "stdout", "systemctl status a"),
  );
});

Deno.test("dependency lists compare as sets (systemd prints them in hash order)", () => {
  assert.equal(
    normalise("After=b.service a.service\n", "stdout", "systemctl show x"),
    normalise("After=a.service b.service\n", "stdout", "systemctl show x"),
  );
});
