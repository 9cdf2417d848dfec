import assert from "node:assert/strict";
import { parseTimestamp, USEC_TIMESTAMP_FORMATTABLE_MAX } from "../../src/unit/timestamp.ts";

// The process runs on UTC here (the differential test covers other zones through TZ).
const utc = new Intl.DateTimeFormat().resolvedOptions().timeZone.replace("Etc/", "") === "UTC";
const S = 1_000_000;
const at = (iso: string) => Date.parse(iso) * 1000;
/** Sat 2026-12-05 12:34:56.789 UTC. */
const NOW = at("2026-12-05T12:34:56.789Z");
const ctx = {
  nowUs: NOW,
  tzname: [{ abbrev: "CET", offset: 3600 }, { abbrev: "CEST", offset: 7200 }] as const,
  isZoneFile: (n: string) => ["UTC", "CET", "Asia/Tokyo"].includes(n),
};
const p = (text: string) => parseTimestamp(text, ctx);

Deno.test("parseTimestamp reads the forms counted from now", () => {
  assert.equal(p("now"), NOW);
  assert.equal(p("+5min"), NOW + 300 * S);
  assert.equal(p("-5"), NOW - 5 * S);
  assert.equal(p("5min ago"), NOW - 300 * S);
  assert.equal(p("1h 30min left"), NOW + 5400 * S);
  assert.equal(p("+infinity"), undefined);
  assert.equal(p("infinity ago"), undefined);
  assert.equal(p("-5min ago"), undefined);
  assert.equal(p("+10000y"), undefined);
  assert.equal(p("+"), undefined);
});

Deno.test({
  name: "parseTimestamp reads today, yesterday, tomorrow and a bare time in the local zone",
  ignore: !utc,
  fn: () => {
    assert.equal(p("today"), at("2026-12-05T00:00:00Z"));
    assert.equal(p("yesterday"), at("2026-12-04T00:00:00Z"));
    assert.equal(p("tomorrow"), at("2026-12-06T00:00:00Z"));
    assert.equal(p("today UTC"), at("2026-12-05T00:00:00Z"));
    assert.equal(p("06:13"), at("2026-12-05T06:13:00Z"));
    assert.equal(p("06:13:11.25"), at("2026-12-05T06:13:11.250Z"));
    // A weekday before a bare time must be today's.
    assert.equal(p("Sat 06:13"), at("2026-12-05T06:13:00Z"));
    assert.equal(p("Sun 06:13"), undefined);
    assert.equal(p("today "), undefined);
    assert.equal(p("now UTC"), undefined);
  },
});

Deno.test({
  name: "parseTimestamp reads dates as glibc's strptime() and mktime() do",
  ignore: !utc,
  fn: () => {
    assert.equal(p("2026-12-06 06:13:11"), at("2026-12-06T06:13:11Z"));
    assert.equal(p("2026-12-06 06:13"), at("2026-12-06T06:13:00Z"));
    assert.equal(p("2026-12-06"), at("2026-12-06T00:00:00Z"));
    // Blanks before a number and runs of blanks for one; no blank needed between fields.
    assert.equal(p(" 2026-12-06"), at("2026-12-06T00:00:00Z"));
    assert.equal(p("2026-12-06  06:13"), at("2026-12-06T06:13:00Z"));
    assert.equal(p("2026-12-0606:13:11"), at("2026-12-06T06:13:11Z"));
    assert.equal(p("2026-12-6 6:3:1"), at("2026-12-06T06:03:01Z"));
    // %y: 69-99 are 19xx, 00-68 20xx.
    assert.equal(p("26-12-06 06:13:11"), at("2026-12-06T06:13:11Z"));
    assert.equal(p("69-01-01"), undefined); // 1969
    assert.equal(p("70-01-02"), at("1970-01-02T00:00:00Z"));
    assert.equal(p("68-01-01"), at("2068-01-01T00:00:00Z"));
    // mktime() normalizes: February 30 is March 2.
    assert.equal(p("2026-02-30"), at("2026-03-02T00:00:00Z"));
    // Fractions: six digits, the seventh rounds.
    assert.equal(p("2026-12-06 06:13:11.1234567"), at("2026-12-06T06:13:11Z") + 123457);
    assert.equal(p("2026-12-06 06:13:11.5"), at("2026-12-06T06:13:11Z") + 500000);
    assert.equal(p("2026-12-06 06:13:11."), undefined);
    assert.equal(p("2026-12-06 06:13:11.5x"), undefined);
    assert.equal(p("2026-12-06 06:13.5"), undefined);
    // Weekdays: long or short, any case, followed by a blank, and right.
    assert.equal(p("Sunday 2026-12-06"), at("2026-12-06T00:00:00Z"));
    assert.equal(p("SUN  2026-12-06"), at("2026-12-06T00:00:00Z"));
    assert.equal(p("Mon 2026-12-06"), undefined);
    assert.equal(p("Sun,2026-12-06"), undefined);
    for (const bad of ["2026-13-01", "2026-12-06T06:13:11", "2026-12-06 ", "10000-01-01", ""]) {
      assert.equal(p(bad), undefined, bad);
    }
    // Before the epoch, or past what systemd can print, is refused.
    assert.equal(p("1969-12-31"), undefined);
    assert.equal(p("0080-01-01"), undefined);
    assert.equal(p("9999-12-30 23:59:59 UTC"), USEC_TIMESTAMP_FORMATTABLE_MAX);
    assert.equal(p("9999-12-30 23:59:59.5 UTC"), undefined);
  },
});

Deno.test("parseTimestamp takes UTC and libc's local abbreviations, and refuses zone names", () => {
  assert.equal(p("2026-12-06 06:13:11 UTC"), at("2026-12-06T06:13:11Z"));
  assert.equal(p("2026-12-06 06:13:11 utc"), at("2026-12-06T06:13:11Z"));
  // tzname[0] and tzname[1], with their own offsets.
  assert.equal(p("2026-07-06 06:13:11 cest"), at("2026-07-06T04:13:11Z"));
  assert.equal(p("2026-12-06 06:13:11 CEST"), at("2026-12-06T04:13:11Z"));
  // A name of a zone file: systemd 252 takes the forked path that fails.
  assert.equal(p("2026-12-06 06:13:11 CET"), undefined);
  assert.equal(p("2026-12-06 06:13:11 Asia/Tokyo"), undefined);
  assert.equal(p("2026-12-06 06:13:11 JST"), undefined);
});

Deno.test("parseTimestamp reads @SECONDS with parse_sec(), unchecked", () => {
  assert.equal(p("@1700000000"), 1700000000 * S);
  assert.equal(p("@1700000000.5"), 1700000000.5 * S);
  assert.equal(p("@5min"), 300 * S);
  assert.equal(p("@ 5"), 5 * S);
  assert.equal(p("@253402214400"), 253402214400 * S);
  assert.equal(p("@infinity"), Number.POSITIVE_INFINITY);
  for (const bad of ["@", "@-5", "@1e3"]) assert.equal(p(bad), undefined, bad);
});
