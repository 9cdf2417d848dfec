import { strictEqual } from "node:assert/strict";
import {
  formatRelative,
  formatTimespan,
  formatTimestamp,
  parseTimespan,
  USEC_INFINITY,
} from "../../src/unit/timespan.ts";

// Expectations produced by `systemd-analyze timespan` (systemd 252); the last rows are the
// examples of systemd.time(7).
const ORACLE: Array<[string, number | undefined, string | undefined]> = [
  ["90", 90000000, "1min 30s"],
  ["1min 30s", 90000000, "1min 30s"],
  ["2min 200ms", 120200000, "2min 200ms"],
  ["55s500ms", 55500000, "55.500000s"],
  ["1h30min", 5400000000, "1h 30min"],
  ["1.5s", 1500000, "1.500000s"],
  ["1.5", 1500000, "1.500000s"],
  ["0", 0, "0"],
  ["0.1", 100000, "100ms"],
  ["infinity", Infinity, "infinity"],
  [" infinity ", Infinity, "infinity"],
  ["1y", 31557600000000, "1y"],
  ["1M", 2629800000000, "1month"],
  ["1month", 2629800000000, "1month"],
  ["2 months", 5259600000000, "2month"],
  ["1w 2d", 777600000000, "1w 2d"],
  ["3 weeks", 1814400000000, "3w"],
  ["1.5h", 5400000000, "1h 30min"],
  ["12.34.56", undefined, undefined],
  ["12.34 .56", 12900000, "12.900000s"],
  ["12.34s.56", 12900000, "12.900000s"],
  ["-1", undefined, undefined],
  ["+5", 5000000, "5s"],
  ["+.5", undefined, undefined],
  [".5", 500000, "500ms"],
  ["5.", undefined, undefined],
  ["5x", undefined, undefined],
  ["5 x", undefined, undefined],
  ["", undefined, undefined],
  ["   ", undefined, undefined],
  ["1 s", 1000000, "1s"],
  ["1s 1ms 1us", 1001001, "1.001001s"],
  ["1µs", 1, "1us"],
  ["1μs", 1, "1us"],
  ["100usec", 100, "100us"],
  ["2hr", 7200000000, "2h"],
  ["5sec", 5000000, "5s"],
  ["30seconds", 30000000, "30s"],
  ["7days", 604800000000, "1w"],
  ["1 minute", 60000000, "1min"],
  ["3minutes", 180000000, "3min"],
  ["1m", 60000000, "1min"],
  ["1mon", undefined, undefined],
  ["1.000001s", 1000001, "1.000001s"],
  ["1.0000001s", 1000000, "1s"],
  ["123456789", 123456789000000, "3y 10month 4w 18h 33min 9s"],
  ["1e3", undefined, undefined],
  ["61s", 61000000, "1min 1s"],
  ["59.9999999s", 59999999, "59.999999s"],
  ["1min 0.5s", 60500000, "1min 500ms"],
  ["1M 2w 13h 30min", 3888000000000, "1month 2w 13h 30min"],
  ["2h 30min", 9000000000, "2h 30min"],
  ["4w 2d", 2592000000000, "4w 2d"],
  ["1.5ms", 1500, "1.500ms"],
  ["1500us", 1500, "1.500ms"],
  ["0.5us", 0, "0"],
  ["1d2h", 93600000000, "1d 2h"],
  ["infinityx", undefined, undefined],
  ["1h 1h", 7200000000, "2h"],
  ["2 h", 7200000000, "2h"],
  ["2hours", 7200000000, "2h"],
  ["48hr", 172800000000, "2d"],
  ["1y 12month", 63115200000000, "2y"],
  ["300ms20s 5day", 432020300000, "5d 20.300000s"],
];

for (const [input, usec, human] of ORACLE) {
  if (usec === undefined) {
    Deno.test(`parseTimespan refuses ${JSON.stringify(input)} like systemd`, () => {
      strictEqual(parseTimespan(input), undefined);
    });
  } else {
    Deno.test(`parseTimespan reads ${JSON.stringify(input)} as ${human}`, () => {
      strictEqual(parseTimespan(input), usec);
      strictEqual(formatTimespan(usec), human);
    });
  }
}

Deno.test("parseTimespan uses the default unit for bare numbers", () => {
  strictEqual(parseTimespan("5", "ms"), 5000);
  strictEqual(parseTimespan("5", "us"), 5);
  strictEqual(parseTimespan("5", "min"), 300_000_000);
  strictEqual(parseTimespan("5s", "us"), 5_000_000);
});

Deno.test("USEC_INFINITY is Infinity and formats as infinity", () => {
  strictEqual(USEC_INFINITY, Infinity);
  strictEqual(formatTimespan(USEC_INFINITY), "infinity");
});

Deno.test("formatTimespan prints the spec §3.9 examples", () => {
  strictEqual(formatTimespan(90_000_000), "1min 30s");
  strictEqual(formatTimespan(100_000), "100ms");
  strictEqual(formatTimespan(1_500_000), "1.500000s");
  strictEqual(formatTimespan(1_500), "1.500ms");
  strictEqual(formatTimespan(60_500_000), "1min 500ms");
  strictEqual(formatTimespan(0), "0");
});

Deno.test("formatTimespan with millisecond accuracy rounds like status Duration:", () => {
  strictEqual(formatTimespan(1_234_567, 1000), "1.234s");
  strictEqual(formatTimespan(61_234_567, 1000), "1min 1.234s");
  strictEqual(formatTimespan(3_600_000_123, 1000), "1h");
});

Deno.test("formatTimestamp prints weekday, date, time and zone", () => {
  const us = Date.UTC(2024, 4, 7, 9, 15, 2) * 1000;
  strictEqual(formatTimestamp(us), "Tue 2024-05-07 09:15:02 UTC");
  strictEqual(
    formatTimestamp(us, { offsetMinutes: 120, abbrev: "CEST" }),
    "Tue 2024-05-07 11:15:02 CEST",
  );
});

const SEC = 1_000_000;
const relative: Array<[number, string]> = [
  [0, "now"],
  [500, "500us ago"],
  [5_000, "5ms ago"],
  [7 * SEC, "7s ago"],
  [184 * SEC, "3min 4s ago"],
  [10 * 60 * SEC, "10min ago"],
  [(2 * 3600 + 5 * 60) * SEC, "2h 5min ago"],
  [7 * 3600 * SEC, "7h ago"],
  [26 * 3600 * SEC, "1 day 2h ago"],
  [3 * 86400 * SEC, "3 days ago"],
  [8 * 86400 * SEC, "1 week 1 day ago"],
  [15 * 86400 * SEC, "2 weeks 1 day ago"],
  [40 * 86400 * SEC, "1 month 9 days ago"],
  [400 * 86400 * SEC, "1 year 1 month ago"],
];
for (const [delta, text] of relative) {
  Deno.test(`formatRelative prints ${text}`, () => {
    const now = 1_700_000_000 * SEC;
    strictEqual(formatRelative(now, now - delta), text);
  });
}

Deno.test("formatRelative says left for future times", () => {
  strictEqual(formatRelative(0, 7 * 3600 * SEC), "7h left");
  strictEqual(formatRelative(0, 5 * 3600 * SEC), "5h 0min left");
});
