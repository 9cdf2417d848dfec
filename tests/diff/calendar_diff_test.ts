/**
 * Calendar expressions against systemd 252 itself: `systemd-analyze calendar
 * --base-time=… --iterations=N` and our parser read the same expressions; the
 * normalized form, each elapse and every refusal must be the same.
 */

import { deepStrictEqual } from "node:assert/strict";
import { formatCalendar, nextElapse, parseCalendar } from "../../src/unit/calendar.ts";
import { formatTimestamp } from "../../src/unit/timespan.ts";

function skipReason(): string | undefined {
  try {
    const out = new Deno.Command("systemd-analyze", { args: ["--version"], stdout: "piped" })
      .outputSync();
    const first = new TextDecoder().decode(out.stdout).split("\n")[0];
    if (!/^systemd 252\b/.test(first)) return `systemd-analyze is not systemd 252 (${first})`;
  } catch {
    return "systemd-analyze is not installed";
  }
  if (new Intl.DateTimeFormat().resolvedOptions().timeZone.replace("Etc/", "") !== "UTC") {
    return "the test process does not run on UTC";
  }
  return undefined;
}

const reason = skipReason();
if (reason) console.log(`skipping the calendar differential test: ${reason}`);

/** Expressions: shorthands, lists, ranges, repetitions, `~`, seconds, zones, and bad ones. */
export const EXPRESSIONS = [
  "minutely",
  "hourly",
  "daily",
  "weekly",
  "monthly",
  "yearly",
  "annually",
  "quarterly",
  "semiannually",
  "semi-annually",
  "DAILY",
  "*-*-* 02:00:00",
  "*-*-*",
  "Mon",
  "Monday 0:0",
  "Mon..Fri *-*-* 02:00",
  "Mon-Wed 1:00",
  "mon,TUE 1:0",
  "Sat,Mon..Wed,Sun",
  "Mon..Sun",
  "Mon,Mon",
  "Mon..Mon",
  "Sat,Sun 2026-*-1..7 8:30",
  "Wed *-1-1..7",
  "Fri *-*-13 12:00",
  "*:0/15",
  "*:*:*",
  "*:*:0/1",
  "*:*:0/7.5",
  "*-*-* 1:0:0.5",
  "*-*-* 0:0:01.1234567",
  "*-*-* 0:0:1..3",
  "*-*-* 0:0:1..3/1",
  "*-*-* 0:0:1.5..3",
  "*-*-* 0:0:0/0.5",
  "*-*-* 0:0:0.5..1.5/0.25",
  "*-*-* 1,1,3,2:00",
  "1..1:0",
  "1..2/5:0",
  "1..3,1:0",
  "1,1..3:0",
  "2/5,2:0",
  "1..3/2,1..3:0",
  "0..23/4:0",
  "20/3:00",
  "2026-*-* 1..3:00",
  "Mon..Wed,Fri *-1..3/2-5 1,2:3/20:4",
  "*-1..12/3-1",
  "0/2-*-* 0:0",
  "1..5-*-* 0:0",
  "70-1-1",
  "3-4",
  "*-02~1",
  "*-*~3/2 0:0",
  "*-*~1..7",
  "*-*~01 23:00",
  "*-*-31",
  "*-02-29 12:00",
  "*-02-30",
  "2026-2-30",
  "2199-12-31",
  "2026-12-05 00:00 UTC",
  "2030-01-01 00:00:00",
  "@1700000000",
  "@0",
  "*-*-* 1:2 utc",
  "*-*-* 1:2:3 UTC",
  "*-*-* 1:2 Etc/UTC",
  "daily Europe/Berlin",
  "hourly Europe/Berlin",
  "*-*-* 02:30 Europe/Berlin",
  "*-*-* 02:30 America/New_York",
  "12:00 America/New_York",
  "Mon 09:00 Asia/Tokyo",
  "*-*-* 01:30 Europe/London",
  "*-*-* *:*:*.5",
  "*-*-* 24:00",
  "*-*-* 0:60",
  "*-*-* 0:0:60",
  "*-*-* 0:0:0/60",
  "*-*-* 0:0:59/1",
  "*:0/60",
  "0/24:0",
  "20/4:00",
  "*-*-* 1:0/0",
  "*-13-1",
  "*-*-32",
  "2200-1-1",
  "1969-1-1",
  "5..3-1-1",
  "0/5..20:0",
  "*/2-*-* 0:0",
  "*-*-*/2 0:0",
  "*-*-~1",
  "*-*~7..1",
  "Fri..Mon",
  "Foo *-*-*",
  "bogus",
  " daily",
  "daily ",
  "1:2:3:4",
  "*-*-*T1:2",
  "*-*-* 1:2 Europe/Nowhere",
  "*-*-* 1:2 +0100",
  "@-1",
  "today",
];

/** Base times: an ordinary day, the spring and autumn DST changes in Europe, a leap day. */
const BASES = [
  "2026-12-05 12:00:00",
  "2026-03-29 00:30:00",
  "2026-10-25 00:30:00",
  "2028-02-28 23:59:59",
];

function theirs(expr: string, base: string): string[] {
  const out = new Deno.Command("systemd-analyze", {
    args: ["calendar", `--base-time=${base} UTC`, "--iterations=5", expr],
    stdout: "piped",
    stderr: "piped",
    env: { TZ: "UTC", SYSTEMD_LOG_COLOR: "0" },
  }).outputSync();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) return ["refused"];
  return text.split("\n").flatMap((l) => {
    const m = /^\s*(Normalized form|Next elapse|Iter\. #\d+): (.*)$/.exec(l);
    return m ? [m[2]] : [];
  });
}

function ours(expr: string, base: string): string[] {
  let spec;
  try {
    spec = parseCalendar(expr);
  } catch {
    return ["refused"];
  }
  const out = [formatCalendar(spec)];
  let t = Date.parse(base.replace(" ", "T") + "Z") * 1000;
  for (let i = 0; i < 5; i++) {
    const next = nextElapse(spec, t);
    // systemd says `never` only when there is no first elapse.
    if (next === undefined) {
      if (i === 0) out.push("never");
      break;
    }
    out.push(formatTimestamp(next));
    t = next;
  }
  return out;
}

for (const base of BASES) {
  Deno.test({
    name: `calendar expressions normalize and elapse as systemd-analyze calendar says (${base})`,
    ignore: reason !== undefined,
    fn: () => {
      const mismatches: string[] = [];
      for (const expr of EXPRESSIONS) {
        const a = theirs(expr, base);
        const b = ours(expr, base);
        if (JSON.stringify(a) !== JSON.stringify(b)) {
          mismatches.push(`${expr}\n  systemd: ${a.join(" | ")}\n  ours:    ${b.join(" | ")}`);
        }
      }
      deepStrictEqual(mismatches.join("\n"), "");
    },
  });
}
