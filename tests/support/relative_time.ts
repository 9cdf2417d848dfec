/**
 * Relative times as systemd prints them (`format_timestamp_relative()`: `now`, `850ms ago`,
 * `1min 0s ago`, `13h left`, `1 day 10h left`, `3 years 0 months ago`), read back as the
 * interval of spans each one stands for, so that two programs that read the clock a moment
 * apart can be compared with a stated tolerance instead of byte for byte.
 * @module
 */

const US: Record<string, number> = {
  us: 1,
  ms: 1_000,
  s: 1_000_000,
  min: 60_000_000,
  h: 3_600_000_000,
  day: 86_400_000_000,
  days: 86_400_000_000,
  week: 604_800_000_000,
  weeks: 604_800_000_000,
  month: 2_629_800_000_000,
  months: 2_629_800_000_000,
  year: 31_557_600_000_000,
  years: 31_557_600_000_000,
};

/** A signed span in µs (negative: in the past): `lo <= span < hi` ("ago": `lo < span <= hi`). */
export interface SpanInterval {
  lo: number;
  hi: number;
}

/** The pattern of one relative time, for finding them in text. */
export const RELATIVE =
  /now|(?:\d+ (?:years?|months?|weeks?|days?)(?: \d+ (?:months?|days?))?|\d+ days?|(?:\d+ day )?\d+h(?: \d+min)?|\d+min(?: \d+s)?|\d+(?:s|ms|us)) (?:ago|left)/;

/** The interval a relative time stands for, or undefined when it is not one. */
export function relativeSpan(text: string): SpanInterval | undefined {
  if (text === "now") return { lo: 0, hi: 0 };
  const m = /^(.+) (ago|left)$/.exec(text);
  if (!m || !new RegExp(`^(?:${RELATIVE.source})$`).test(text)) return undefined;
  let sum = 0;
  let step = Infinity;
  for (const part of m[1].matchAll(/(\d+) ?([a-z]+)/g)) {
    const unit = US[part[2]];
    if (unit === undefined) return undefined;
    sum += Number(part[1]) * unit;
    step = Math.min(step, unit);
  }
  return m[2] === "left" ? { lo: sum, hi: sum + step } : { lo: -(sum + step), hi: -sum };
}

/**
 * Whether two relative times can be the same instant seen from clocks at most `toleranceUs`
 * apart: their intervals overlap once widened by the tolerance.
 */
export function relativeAgree(a: string, b: string, toleranceUs: number): boolean {
  const x = relativeSpan(a);
  const y = relativeSpan(b);
  if (!x || !y) return false;
  return x.lo - toleranceUs <= y.hi && y.lo - toleranceUs <= x.hi;
}

/**
 * Replaces every relative time matched by `where` (its first group) with `<REL>` and returns
 * the masked text and the values in order.
 */
export function maskRelative(text: string, where: RegExp): { text: string; values: string[] } {
  const values: string[] = [];
  const masked = text.replace(where, (whole: string, value: string) => {
    values.push(value);
    return whole.replace(value, "<REL>");
  });
  return { text: masked, values };
}
