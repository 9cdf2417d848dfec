/**
 * The wall clock timers run on. Normally the real one; tests set
 * `SYSTEMCTL_TEST_CLOCK=FAKE[@ANCHOR][xRATE]` (epoch seconds or ISO times): at real
 * time ANCHOR (default: when the process read it) the clock reads FAKE, and it
 * runs RATE times as fast as the real one (default 1). Every process given the same
 * value (client and init instance) reads the same time. Pure.
 * @module
 */

/** A realtime clock in µs since the epoch. */
export interface Clock {
  /** The time now. */
  now(): number;
  /** This clock's reading at a real time (µs), e.g. a state file's timestamp. */
  fromReal(realUs: number): number;
  /** Real milliseconds until this clock has moved by `us`. */
  realDelayMs(us: number): number;
  /** Whether a test clock is in use. */
  readonly simulated: boolean;
}

/** The name of the variable tests set. */
export const TEST_CLOCK_VAR = "SYSTEMCTL_TEST_CLOCK";

function seconds(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1e6;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms * 1000;
}

/** The real clock. */
export function realClock(realNow: () => number = () => Date.now() * 1000): Clock {
  return {
    now: realNow,
    fromReal: (us) => us,
    realDelayMs: (us) => Math.max(0, us / 1000),
    simulated: false,
  };
}

/**
 * The clock for an environment: the test clock when `SYSTEMCTL_TEST_CLOCK` is set
 * and valid, else the real one.
 */
export function clockFrom(
  env: Readonly<Record<string, string | undefined>>,
  realNow: () => number = () => Date.now() * 1000,
): Clock {
  const value = env[TEST_CLOCK_VAR];
  if (!value) return realClock(realNow);
  const m = /^([^@x]+)(?:@([^@x]+))?(?:x(\d+(?:\.\d+)?))?$/.exec(value.trim());
  const fake = m ? seconds(m[1]) : undefined;
  const anchor = m?.[2] !== undefined ? seconds(m[2]) : realNow();
  const rate = m?.[3] !== undefined ? Number(m[3]) : 1;
  if (fake === undefined || anchor === undefined || !(rate > 0)) return realClock(realNow);
  const fromReal = (us: number) => fake + (us - anchor) * rate;
  return {
    now: () => fromReal(realNow()),
    fromReal,
    realDelayMs: (us) => Math.max(0, us / rate / 1000),
    simulated: true,
  };
}
