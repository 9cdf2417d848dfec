import assert from "node:assert/strict";
import { growthRatio, LINEAR_LIMIT } from "./growth.ts";

Deno.test("growthRatio tells linear work from quadratic work", () => {
  let sink = 0;
  const linear = (n: number) => {
    for (let i = 0; i < n * 200; i++) sink += i & 1;
  };
  const quadratic = (n: number) => {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sink += (i ^ j) & 1;
  };
  const lin = growthRatio(linear, 2_000);
  const quad = growthRatio(quadratic, 300);
  assert.ok(lin < LINEAR_LIMIT, `linear: ${lin.toFixed(1)}`);
  assert.ok(quad > LINEAR_LIMIT, `quadratic: ${quad.toFixed(1)}`);
  assert.ok(sink >= 0);
});
