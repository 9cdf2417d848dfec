/**
 * `calendar EXPRESSION…`: systemd-analyze's calendar check, as a verb of ours (systemctl
 * has none). Prints the original and normalized forms and the next elapses
 * (`--iterations=N`, 1 by default; from `--base-time=TIMESTAMP`, else from now) in
 * systemd-analyze 252's layout. "From now" is always counted from the clock, as there.
 * @module
 */

import type { Context } from "../cli/context.ts";
import {
  CalendarError,
  formatCalendar,
  isTimestampLike,
  nextElapse,
  parseCalendar,
} from "../unit/calendar.ts";
import {
  formatRelative,
  formatTimestamp,
  localZoneIsUtc,
  parseTimespan,
} from "../unit/timespan.ts";
import {
  parseTimestamp,
  type TimestampContext,
  USEC_TIMESTAMP_FORMATTABLE_MAX,
} from "../unit/timestamp.ts";
import { libcTzname } from "../unit/tzif.ts";
import { isZoneFile, readLocalZone } from "../units/timezone.ts";
import { timerClock } from "../service/timer_unit.ts";

/** calendar_spec_next_usec()'s EINVAL: a base time past what it could print. */
export class NextElapseError extends Error {
  constructor() {
    super("Invalid argument");
    this.name = "NextElapseError";
  }
}

/**
 * The lines systemd-analyze prints for one parsed expression: elapses after `baseUs`,
 * "From now" counted from `nowUs` (the same moment unless a base time was given).
 */
export function calendarReport(
  text: string,
  nowUs: number,
  iterations: number,
  localIsUtc = localZoneIsUtc(),
  baseUs = nowUs,
): string[] {
  const spec = parseCalendar(text);
  const normalized = formatCalendar(spec);
  const out: string[] = [];
  if (normalized !== text) out.push(`  Original form: ${text}`);
  out.push(`Normalized form: ${normalized}`);
  let after = baseUs;
  for (let i = 1; i <= iterations; i++) {
    // calendar_spec_next_usec() refuses a base it could not print (EINVAL).
    if (!(after <= USEC_TIMESTAMP_FORMATTABLE_MAX)) throw new NextElapseError();
    const next = nextElapse(spec, after);
    if (next === undefined) {
      if (i === 1) out.push("    Next elapse: never");
      break;
    }
    const label = i === 1 ? "    Next elapse" : `       Iter. #${i}`;
    out.push(`${label}: ${formatTimestamp(next, "local")}`);
    if (!localIsUtc) out.push(`       (in UTC): ${formatTimestamp(next, "UTC")}`);
    out.push(`       From now: ${formatRelative(nowUs, next)}`);
    after = next;
  }
  return out;
}

/** What --base-time values are read against: the clock, the local zone's libc names. */
export function baseTimeContext(nowUs: number): TimestampContext {
  const zone = readLocalZone();
  return { nowUs, tzname: zone ? libcTzname(zone) : undefined, isZoneFile };
}

/** The verb: one block per expression, blank lines between; exit 1 if any fails. */
export function calendar(ctx: Context, args: string[]): Promise<number> {
  const now = timerClock(ctx).now();
  let base = now;
  if (ctx.options.baseTimes.length > 0) {
    const tzctx = baseTimeContext(now);
    // systemd-analyze parses each occurrence as it reads the options: the first bad one fails.
    for (const value of ctx.options.baseTimes) {
      const parsed = parseTimestamp(value, tzctx);
      if (parsed === undefined) {
        ctx.io.err(`Failed to parse --base-time= parameter: ${value}\n`);
        return Promise.resolve(1);
      }
      // USEC_INFINITY (`@infinity`) is systemd-analyze's "not given": now.
      base = parsed === Number.POSITIVE_INFINITY ? now : parsed;
    }
  }
  let rc = 0;
  args.forEach((text, i) => {
    if (i > 0) ctx.io.out("\n");
    let lines: string[];
    try {
      lines = calendarReport(text, now, ctx.options.iterations, undefined, base);
    } catch (e) {
      rc = 1;
      if (e instanceof NextElapseError) {
        ctx.io.err(`Failed to determine next elapse for '${text}': ${e.message}\n`);
        return;
      }
      const reason = e instanceof CalendarError ? e.reason : "Invalid argument";
      ctx.io.err(`Failed to parse calendar specification '${text}': ${reason}\n`);
      if (isTimestampLike(text)) {
        ctx.io.err(
          `Hint: this expression is a valid timestamp. Use 'systemd-analyze timestamp "${text}"' instead?\n`,
        );
      }
      // parse_sec() takes a leading `+` (strtoll) but no minus.
      if (parseTimespan(text.replace(/^(\s*)\+/, "$1")) !== undefined) {
        ctx.io.err(
          `Hint: this expression is a valid timespan. Use 'systemd-analyze timespan "${text}"' instead?\n`,
        );
      }
      return;
    }
    ctx.io.out(lines.join("\n") + "\n");
  });
  return Promise.resolve(rc);
}
