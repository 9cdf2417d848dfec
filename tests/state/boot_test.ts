import assert from "node:assert/strict";
import { bootKey, makeBootKey } from "../../src/state/boot.ts";

Deno.test("the boot key joins the boot id and PID 1's start time", () => {
  const stat = "1 (my (init)) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 98765 100 200";
  assert.equal(makeBootKey("abc-def\n", stat), "abc-def:98765");
});

Deno.test("bootKey reads the running system and is stable", () => {
  const key = bootKey();
  assert.match(key, /^[0-9a-f-]{36}:\d+$/);
  assert.equal(bootKey(), key);
});
