/**
 * `calendar EXPRESSION…`: systemd-analyze's calendar check, as a verb of ours (systemctl
 * has none). Prints the original and normalized forms and the next elapses
 * (`--iterations=N`, 1 by default) in systemd-analyze 252's layout.
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
import { timerClock } from "../service/timer_unit.ts";

/** The lines systemd-analyze prints for one parsed expression. */
export function calendarReport(
  text: string,
  nowUs: number,
  iterations: number,
  localIsUtc = localZoneIsUtc(),
): string[] {
  const spec = parseCalendar(text);
  const normalized = formatCalendar(spec);
  const out: string[] = [];
  if (normalized !== text) out.push(`  Original form: ${text}`);
  out.push(`Normalized form: ${normalized}`);
  let after = nowUs;
  for (let i = 1; i <= iterations; i++) {
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

/** The verb: one block per expression, blank lines between; exit 1 if any fails to parse. */
export function calendar(ctx: Context, args: string[]): Promise<number> {
  const now = timerClock(ctx).now();
  let rc = 0;
  args.forEach((text, i) => {
    if (i > 0) ctx.io.out("\n");
    let lines: string[];
    try {
      lines = calendarReport(text, now, ctx.options.iterations);
    } catch (e) {
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
      rc = 1;
      return;
    }
    ctx.io.out(lines.join("\n") + "\n");
  });
  return Promise.resolve(rc);
}
