/**
 * How the cost of some work grows when its input grows sixteenfold, measured in one process:
 * the ratio of the smallest CPU time (user + system, so time the process spent waiting for a
 * core does not count) of several runs at each size, the runs of the two sizes interleaved.
 * Linear work gives about 16, quadratic about 256; the limit between them (64) leaves a factor
 * of four for noise. Unlike a wall-clock limit, the ratio does not depend on how fast or busy
 * the machine is.
 * @module
 */

import { cpuUsage } from "node:process";

/** The size factor between the two measurements. */
export const FACTOR = 16;

/** Below this ratio the work is taken as linear (FACTOR for linear, FACTOR² for quadratic). */
export const LINEAR_LIMIT = 4 * FACTOR;

/** The ratio t(FACTOR·n) / t(n), each the fastest of up to `reps` runs. */
export function growthRatio(run: (n: number) => void, n: number, reps = 5): number {
  const time = (size: number) => {
    const t0 = cpuUsage();
    run(size);
    const t = cpuUsage(t0);
    return (t.user + t.system) / 1000;
  };
  // Warm-up: the first runs of each size are not compiled yet.
  time(n);
  time(FACTOR * n);
  let small = Infinity;
  let big = Infinity;
  for (let i = 0; i < reps; i++) {
    small = Math.min(small, time(n));
    const t = time(FACTOR * n);
    big = Math.min(big, t);
    if (t > 2000) break; // far from linear already; do not spend minutes proving it
  }
  return big / Math.max(small, 0.001);
}
