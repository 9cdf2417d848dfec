/**
 * `calendar --base-time=`: the elapses count from the base time, "From now" from the clock
 * (as systemd-analyze 252 does), and the forms relative to now read the clock. The clock is
 * pinned with SYSTEMCTL_TEST_CLOCK (Sat 2026-12-05 12:00:00.5 UTC, running a million times
 * slower than real time), so every line is fixed. systemd's own answers for the same base
 * times are compared in tests/diff/calendar_verb_diff_test.ts.
 */

import { deepStrictEqual } from "node:assert/strict";
import { systemctl } from "./_cli.ts";

const env = { TZ: "Europe/Berlin", SYSTEMCTL_TEST_CLOCK: "2026-12-05T12:00:00.5Zx0.000001" };
const run = (...args: string[]) => systemctl(["calendar", "--iterations=2", ...args], { env });

const DAILY_FROM_SATURDAY = [
  "  Original form: daily",
  "Normalized form: *-*-* 00:00:00",
  "    Next elapse: Sun 2026-12-06 00:00:00 CET",
  "       (in UTC): Sat 2026-12-05 23:00:00 UTC",
  "       From now: 10h left",
  "       Iter. #2: Mon 2026-12-07 00:00:00 CET",
  "       (in UTC): Sun 2026-12-06 23:00:00 UTC",
  "       From now: 1 day 10h left",
];

Deno.test("calendar --base-time counts elapses from the base time and From now from the clock", async () => {
  const r = await run("--base-time=+5min", "*:0/10", "daily");
  deepStrictEqual([r.code, r.stderr], [0, ""]);
  deepStrictEqual(r.stdout.split("\n"), [
    "  Original form: *:0/10",
    "Normalized form: *-*-* *:00/10:00",
    "    Next elapse: Sat 2026-12-05 13:10:00 CET",
    "       (in UTC): Sat 2026-12-05 12:10:00 UTC",
    "       From now: 9min left",
    "       Iter. #2: Sat 2026-12-05 13:20:00 CET",
    "       (in UTC): Sat 2026-12-05 12:20:00 UTC",
    "       From now: 19min left",
    "",
    ...DAILY_FROM_SATURDAY,
    "",
  ]);
});

Deno.test("calendar --base-time reads weekdays, libc's zone names and yesterday in the local zone", async () => {
  // 06:13 CEST (the daylight name, in winter) is 04:13 UTC; a base in the past makes
  // "From now" say ago.
  const r = await run("--base-time=Sat 06:13 CEST", "*:0/10");
  deepStrictEqual([r.code, r.stderr], [0, ""]);
  deepStrictEqual(r.stdout.split("\n").slice(2, 5), [
    "    Next elapse: Sat 2026-12-05 05:20:00 CET",
    "       (in UTC): Sat 2026-12-05 04:20:00 UTC",
    "       From now: 7h ago",
  ]);
  const y = await run("--base-time=yesterday", "daily");
  deepStrictEqual(y.stdout.split("\n").slice(2, 5), [
    "    Next elapse: Sat 2026-12-05 00:00:00 CET",
    "       (in UTC): Fri 2026-12-04 23:00:00 UTC",
    "       From now: 13h ago",
  ]);
});

Deno.test("calendar refuses a --base-time it cannot read, and a base past the year 9999", async () => {
  // Sunday is not today; the first bad value fails, as systemd-analyze parses each in turn.
  for (const args of [["--base-time=Sun 06:13"], ["--base-time=bogus", "--base-time=today"]]) {
    const r = await run(...args, "daily");
    deepStrictEqual([r.code, r.stdout, r.stderr], [
      1,
      "",
      `Failed to parse --base-time= parameter: ${args[0].slice(12)}\n`,
    ]);
  }
  const far = await run("--base-time=@253402214400", "daily", "bogus", "weekly");
  deepStrictEqual([far.code, far.stdout], [1, "\n\n"]);
  deepStrictEqual(far.stderr.split("\n"), [
    "Failed to determine next elapse for 'daily': Invalid argument",
    "Failed to parse calendar specification 'bogus': Invalid argument",
    "Failed to determine next elapse for 'weekly': Invalid argument",
    "",
  ]);
  // @infinity is systemd-analyze's "no base time": now.
  const inf = await run("--base-time=@infinity", "daily");
  deepStrictEqual(inf.stdout.split("\n").slice(0, 8), DAILY_FROM_SATURDAY);
});
