import { deepStrictEqual, throws } from "node:assert/strict";
import {
  CalendarError,
  formatCalendar,
  nextElapse,
  parseCalendar,
} from "../../src/unit/calendar.ts";

const at = (iso: string) => Date.parse(iso) * 1000;

// Expectations printed by `systemd-analyze calendar --base-time='2026-12-05 12:00 UTC'`.
const ORACLE: Array<[string, string, string[]]> = [
  ["daily", "*-*-* 00:00:00", ["2026-12-06T00:00:00Z", "2026-12-07T00:00:00Z"]],
  ["weekly", "Mon *-*-* 00:00:00", ["2026-12-07T00:00:00Z", "2026-12-14T00:00:00Z"]],
  ["quarterly", "*-01,04,07,10-01 00:00:00", ["2027-01-01T00:00:00Z", "2027-04-01T00:00:00Z"]],
  ["*:0/15", "*-*-* *:00/15:00", ["2026-12-05T12:15:00Z", "2026-12-05T12:30:00Z"]],
  ["*-02~1", "*-02~01 00:00:00", ["2027-02-28T00:00:00Z", "2028-02-29T00:00:00Z"]],
  ["Mon..Fri 02:00", "Mon..Fri *-*-* 02:00:00", ["2026-12-07T02:00:00Z", "2026-12-08T02:00:00Z"]],
  ["daily Europe/Berlin", "*-*-* 00:00:00 Europe/Berlin", ["2026-12-05T23:00:00Z"]],
  ["*-1..12/3-1", "*-01..10/3-01 00:00:00", ["2027-01-01T00:00:00Z", "2027-04-01T00:00:00Z"]],
];

Deno.test("calendar expressions normalize and elapse as systemd 252 says", () => {
  for (const [expr, normalized, elapses] of ORACLE) {
    const spec = parseCalendar(expr);
    deepStrictEqual(formatCalendar(spec), normalized, expr);
    let t = at("2026-12-05T12:00:00Z");
    for (const want of elapses) {
      const next = nextElapse(spec, t);
      deepStrictEqual(next, at(want), expr);
      t = next!;
    }
  }
});

Deno.test("a fixed date in the past never elapses", () => {
  deepStrictEqual(nextElapse(parseCalendar("2020-01-01"), at("2026-12-05T12:00:00Z")), undefined);
  deepStrictEqual(nextElapse(parseCalendar("*-02-30"), at("2026-12-05T12:00:00Z")), undefined);
});

Deno.test("a fractional second elapses at that microsecond", () => {
  const spec = parseCalendar("*-*-* 01:00:00.5");
  deepStrictEqual(
    nextElapse(spec, at("2026-12-05T12:00:00Z")),
    at("2026-12-06T01:00:00Z") + 500000,
  );
});

Deno.test("bad calendar expressions are refused in systemd's words", () => {
  for (const bad of ["bogus", "*-*-* 24:00", "Fri..Mon", "*-13-1", "*:0/60", " daily", "1:0/0"]) {
    throws(() => parseCalendar(bad), (e: Error) => {
      deepStrictEqual(e instanceof CalendarError, true);
      deepStrictEqual(
        e.message,
        `Failed to parse calendar specification '${bad}': ${
          // systemd 252: a zero repetition is ERANGE, everything else EINVAL.
          bad === "1:0/0" ? "Numerical result out of range" : "Invalid argument"}`,
      );
      return true;
    });
  }
});
