/**
 * Timers for systemd's long time spans. setTimeout keeps its delay in a
 * signed 32-bit integer: anything above 2^31-1 ms (about 24.8 days, e.g.
 * `TimeoutStartSec=30d`) overflows and the timer fires after 1 ms. Long
 * delays are therefore chained in steps that fit.
 * @module
 */

import { libc } from "./libc.ts";

const CLOCK_MONOTONIC = 1;
const timespec = new BigInt64Array(2);

/**
 * Microseconds on CLOCK_MONOTONIC, the clock of systemd's `…Monotonic` timestamps
 * (one call; /proc/uptime would be a file read with 10 ms resolution). Falls back to
 * /proc/uptime's clock via `fallback` when the call fails.
 */
export function monotonicMicros(fallback: () => number): number {
  try {
    if (libc().clock_gettime(CLOCK_MONOTONIC, new Uint8Array(timespec.buffer)) === 0) {
      return Number(timespec[0]) * 1_000_000 + Math.floor(Number(timespec[1]) / 1000);
    }
  } catch {
    // No FFI permission: the fallback.
  }
  return fallback();
}

/** The longest delay setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fn` once after `ms` milliseconds (`Infinity`: never), however long
 * that is. Returns a function that cancels the timer.
 */
export function setLongTimeout(fn: () => void, ms: number): () => void {
  if (ms === Infinity || Number.isNaN(ms)) return () => {};
  const deadline = performance.now() + ms;
  let timer: ReturnType<typeof setTimeout>;
  const arm = (left: number) => {
    timer = setTimeout(() => {
      const rest = deadline - performance.now();
      if (rest > 0 && left > MAX_TIMER_MS) arm(rest);
      else fn();
    }, Math.max(0, Math.min(left, MAX_TIMER_MS)));
  };
  arm(ms);
  return () => clearTimeout(timer);
}
