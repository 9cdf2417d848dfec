/**
 * Prints, as one JSON line, what our `--base-time` reader makes of each argument in this
 * process's zone (`TZ`): µs since the epoch, `"infinity"`, or null for a refusal; `now` is the clock read.
 * Run by calendar_verb_diff_test.ts, once per zone.
 * @module
 */

import { baseTimeContext } from "../../src/verbs/calendar.ts";
import { parseTimestamp } from "../../src/unit/timestamp.ts";

const ctx = baseTimeContext(Date.now() * 1000);
const values = Deno.args.map((a) => {
  const v = parseTimestamp(a, ctx);
  return v === undefined ? null : v === Number.POSITIVE_INFINITY ? "infinity" : v;
});
console.log(JSON.stringify({ now: ctx.nowUs, values }));
