import assert from "node:assert/strict";
import { maskRelative, RELATIVE, relativeAgree, relativeSpan } from "./relative_time.ts";

const S = 1_000_000;

Deno.test("relativeSpan reads every form systemd's format_timestamp_relative() prints", () => {
  assert.deepEqual(relativeSpan("now"), { lo: 0, hi: 0 });
  assert.deepEqual(relativeSpan("850ms ago"), { lo: -851_000, hi: -850_000 });
  assert.deepEqual(relativeSpan("1min 0s ago"), { lo: -61 * S, hi: -60 * S });
  assert.deepEqual(relativeSpan("13h left"), { lo: 13 * 3600 * S, hi: 14 * 3600 * S });
  assert.deepEqual(relativeSpan("1 day 10h left"), { lo: 34 * 3600 * S, hi: 35 * 3600 * S });
  assert.equal(relativeSpan("3 years 0 months ago")?.hi, -3 * 31_557_600 * S);
  for (const bad of ["1 hour ago", "5 parsecs ago", "5min", "soon"]) {
    assert.equal(relativeSpan(bad), undefined, bad);
  }
});

Deno.test("relativeAgree allows the stated tolerance and no more", () => {
  // 59.9 s against 60.1 s: the old mask (`[\d.]+(ms|s|min) ago`) missed "1min 0s ago".
  assert.ok(!/; [\d.]+(ms|s|min) ago/.test("; 1min 0s ago"));
  assert.ok(RELATIVE.test("1min 0s ago"));
  assert.ok(relativeAgree("59s ago", "1min 0s ago", 1 * S));
  assert.ok(!relativeAgree("50s ago", "1min 0s ago", 1 * S));
  assert.ok(relativeAgree("9min left", "10min left", 1));
  assert.ok(!relativeAgree("9min left", "11min left", 30 * S));
  assert.ok(!relativeAgree("5s left", "5s ago", 1 * S));
});

Deno.test("maskRelative replaces the values and returns them in order", () => {
  const m = maskRelative("From now: 5s left\nFrom now: 1 day 2h ago\n", /^From now: (.*)$/gm);
  assert.equal(m.text, "From now: <REL>\nFrom now: <REL>\n");
  assert.deepEqual(m.values, ["5s left", "1 day 2h ago"]);
});
