/** The chained timer that carries systemd time spans past setTimeout's 32-bit limit. */

import assert, { strictEqual } from "node:assert/strict";
import { MAX_TIMER_MS, monotonicMicros, setLongTimeout } from "../../src/process/timer.ts";

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

Deno.test("monotonicMicros reads CLOCK_MONOTONIC: microseconds since boot, never going back", () => {
  const uptimeUs = () => Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]) * 1_000_000;
  const before = uptimeUs();
  const a = monotonicMicros(() => -1);
  const b = monotonicMicros(() => -1);
  assert.ok(a > 0 && b >= a, `${a} then ${b}`);
  // /proc/uptime is CLOCK_BOOTTIME at 10 ms resolution; without a suspend both agree.
  assert.ok(Math.abs(a - before) < 1_000_000, `monotonic ${a} µs, uptime ${before} µs`);
  assert.ok(Number.isInteger(a));
});
