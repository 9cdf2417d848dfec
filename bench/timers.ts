/**
 * Timer drift (issue 11): 1,000 simulated firings of an every-second calendar timer
 * on the test clock (SYSTEMCTL_TEST_CLOCK's clock, accelerated RATE times), armed
 * with the init instance's own arming code (`armAt`) and calendar arithmetic
 * (`nextElapse`). Drift = when the callback ran minus the scheduled elapse; the next
 * elapse is computed from the scheduled one, so drift cannot accumulate (checked:
 * the last firing is due exactly N seconds after the first). The reference tool has
 * no timers ("start not implemented"), so there is nothing to compare with.
 * @module
 */

import { clockFrom } from "../src/unit/clock.ts";
import { nextElapse, parseCalendar } from "../src/unit/calendar.ts";
import { armAt } from "../src/init/timers.ts";

/** What the drift run measured. */
export interface TimerDriftResults {
  firings: number;
  rate: number;
  /** Drift in real milliseconds (fake µs / rate / 1000). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** Whether the last elapse fell exactly `firings - 1` seconds after the first. */
  noAccumulation: boolean;
  wallS: number;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Runs the firings and returns the drift figures. */
export async function runTimerDrift(firings = 1000, rate = 100): Promise<TimerDriftResults> {
  // Sub-millisecond real time, so that drift is not rounded to Date.now()'s milliseconds.
  const realNow = () => (performance.timeOrigin + performance.now()) * 1000;
  const clock = clockFrom(
    { SYSTEMCTL_TEST_CLOCK: `2026-12-05T00:00:00Z@${realNow() / 1e6}x${rate}` },
    realNow,
  );
  const spec = parseCalendar("*:*:*");
  const drifts: number[] = [];
  const t0 = performance.now();
  let first = 0;
  let last = 0;
  await new Promise<void>((done) => {
    const step = (scheduled: number) => {
      armAt(clock, scheduled, (firedAt) => {
        drifts.push(firedAt - scheduled);
        if (!first) first = scheduled;
        last = scheduled;
        if (drifts.length >= firings) done();
        else step(nextElapse(spec, scheduled)!);
      });
    };
    step(nextElapse(spec, clock.now())!);
  });
  const realMs = drifts.map((d) => d / rate / 1000).sort((a, b) => a - b);
  return {
    firings,
    rate,
    p50Ms: pct(realMs, 0.5),
    p99Ms: pct(realMs, 0.99),
    maxMs: realMs[realMs.length - 1],
    meanMs: realMs.reduce((a, b) => a + b, 0) / realMs.length,
    noAccumulation: last - first === (firings - 1) * 1_000_000,
    wallS: (performance.now() - t0) / 1000,
  };
}

/** One-line summary, as `deno task bench` prints it. */
export function describeDrift(r: TimerDriftResults): string {
  const f = (x: number) => x.toFixed(2);
  return `timer drift over ${r.firings} firings (test clock x${r.rate}): ` +
    `p50 ${f(r.p50Ms)} ms, p99 ${f(r.p99Ms)} ms, max ${f(r.maxMs)} ms, mean ${f(r.meanMs)} ms ` +
    `(real time after the due instant); accumulated drift: ${r.noAccumulation ? "none" : "YES"}; ` +
    `${r.wallS.toFixed(1)} s wall`;
}

if (import.meta.main) console.log(describeDrift(await runTimerDrift()));
