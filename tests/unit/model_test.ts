/** Service settings read from a unit's configuration. */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { growthRatio, LINEAR_LIMIT } from "../support/growth.ts";
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

Deno.test("serviceSettings is linear in Environment= words", () => {
  const settings = (n: number) =>
    serviceSettings(config([
      ["ExecStart", "/bin/true"],
      ["Environment", Array.from({ length: n }, (_, i) => `V${i}=${i}`).join(" ")],
    ]));
  strictEqual(settings(40_000).environment.length, 40_000);
  const ratio = growthRatio(settings, 1_250);
  ok(ratio < LINEAR_LIMIT, `16x the words took ${ratio.toFixed(1)}x the time`);
});
