import assert from "node:assert/strict";
import { shouldRestart } from "../../src/service/lifecycle.ts";
import { serviceSettings } from "../../src/unit/model.ts";
import { parseUnitText } from "../../src/unit/parse.ts";
import { UnitConfig } from "../../src/unit/config.ts";
import type { ExitInfo } from "../../src/process/spawn.ts";

function settings(extra: string) {
  const text = `[Service]\nExecStart=/bin/true\n${extra}\n`;
  return serviceSettings(new UnitConfig(parseUnitText(text, "/x.service").assignments));
}

const EXIT1: ExitInfo = { code: "exited", status: 1 };
const EXIT0: ExitInfo = { code: "exited", status: 0 };
const KILL: ExitInfo = { code: "killed", status: 9 };
const CORE: ExitInfo = { code: "dumped", status: 11 };

// systemd's service_shall_restart(): which results restart under each Restart= value.
const TABLE: Array<[string, string, ExitInfo | undefined, boolean]> = [
  ["no", "exit-code", EXIT1, false],
  ["always", "success", EXIT0, true],
  ["always", "exit-code", EXIT1, true],
  ["on-success", "success", EXIT0, true],
  ["on-success", "exit-code", EXIT1, false],
  ["on-failure", "success", EXIT0, false],
  ["on-failure", "exit-code", EXIT1, true],
  ["on-failure", "signal", KILL, true],
  ["on-failure", "timeout", undefined, true],
  ["on-abnormal", "exit-code", EXIT1, false],
  ["on-abnormal", "signal", KILL, true],
  ["on-abnormal", "timeout", undefined, true],
  ["on-abnormal", "watchdog", undefined, true],
  ["on-watchdog", "watchdog", undefined, true],
  ["on-watchdog", "signal", KILL, false],
  ["on-abort", "signal", KILL, true],
  ["on-abort", "core-dump", CORE, true],
  ["on-abort", "timeout", undefined, false],
  ["on-abort", "exit-code", EXIT1, false],
];

for (const [restart, result, exit, expected] of TABLE) {
  Deno.test(`Restart=${restart} ${expected ? "restarts" : "does not restart"} on ${result}`, () => {
    assert.equal(shouldRestart(settings(`Restart=${restart}`), result, exit), expected);
  });
}

Deno.test("RestartPreventExitStatus= wins over Restart=always", () => {
  const s = settings("Restart=always\nRestartPreventExitStatus=1 SIGKILL");
  assert.equal(shouldRestart(s, "exit-code", EXIT1), false);
  assert.equal(shouldRestart(s, "signal", KILL), false);
  assert.equal(shouldRestart(s, "exit-code", { code: "exited", status: 2 }), true);
});

Deno.test("RestartForceExitStatus= restarts even with Restart=no", () => {
  const s = settings("Restart=no\nRestartForceExitStatus=42");
  assert.equal(shouldRestart(s, "exit-code", { code: "exited", status: 42 }), true);
  assert.equal(shouldRestart(s, "exit-code", EXIT1), false);
});
