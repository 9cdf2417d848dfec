/** The chained timer that carries systemd time spans past setTimeout's 32-bit limit. */

import { strictEqual } from "node:assert/strict";
import { MAX_TIMER_MS, setLongTimeout } from "../../src/process/timer.ts";

Deno.test("setLongTimeout never arms a timer longer than 2^31-1 ms and fires short ones", async () => {
  const armed: number[] = [];
  const real = globalThis.setTimeout;
  // deno-lint-ignore no-explicit-any
  (globalThis as any).setTimeout = (_fn: () => void, ms: number) => {
    armed.push(ms);
    return real(() => {}, 0); // a harmless timer id, cleared by the cancel call
  };
  try {
    setLongTimeout(() => {}, 30 * 24 * 3600 * 1000)();
    setLongTimeout(() => {}, Infinity)();
  } finally {
    globalThis.setTimeout = real;
  }
  strictEqual(armed.length, 1);
  strictEqual(armed[0], MAX_TIMER_MS);
  let fired = false;
  await new Promise<void>((resolve) => setLongTimeout(() => (fired = true, resolve()), 5));
  strictEqual(fired, true);
});
