/** Service settings read from a unit's configuration. */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { UnitConfig } from "../../src/unit/config.ts";
import { serviceSettings } from "../../src/unit/model.ts";

function config(lines: Array<[string, string]>): UnitConfig {
  return new UnitConfig(
    lines.map(([key, value], i) => ({ section: "Service", key, value, file: "t", line: i + 1 })),
  );
}

Deno.test("serviceSettings: a later Environment= assignment moves its name to the end", () => {
  const s = serviceSettings(config([["Environment", "A=1 B=2"], ["Environment", "A=3"]]));
  deepStrictEqual(s.environment, [["B", "2"], ["A", "3"]]);
});

Deno.test("serviceSettings is linear in Environment= words: 40,000 in well under a second", () => {
  const words = Array.from({ length: 40_000 }, (_, i) => `V${i}=${i}`).join(" ");
  const t0 = performance.now();
  const s = serviceSettings(config([["ExecStart", "/bin/true"], ["Environment", words]]));
  const ms = performance.now() - t0;
  strictEqual(s.environment.length, 40_000);
  ok(ms < 1500, `took ${Math.round(ms)} ms`);
});
