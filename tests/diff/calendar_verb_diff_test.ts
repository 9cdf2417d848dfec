/**
 * The `calendar` verb against `systemd-analyze calendar` of systemd 252: both read the same
 * expressions from the same pinned moment (`--base-time=`); stdout, stderr (refusals, ERANGE,
 * the timestamp hint) and the exit status must be equal. "From now" is counted from each
 * program's own clock, as systemd does even with --base-time, and the two programs read it a
 * moment apart (seconds on a loaded machine): those values are compared as the spans they
 * stand for, with the measured time both programs ran as the tolerance.
 */

import { deepStrictEqual, ok } from "node:assert/strict";
import { EXPRESSIONS } from "./_calendar_expressions.ts";
import { cli } from "../service/_support.ts";
import { maskRelative, relativeAgree } from "../support/relative_time.ts";

function skipReason(): string | undefined {
  try {
    const out = new Deno.Command("systemd-analyze", { args: ["--version"], stdout: "piped" })
      .outputSync();
    const first = new TextDecoder().decode(out.stdout).split("\n")[0];
    if (!/^systemd 252\b/.test(first)) return `systemd-analyze is not systemd 252 (${first})`;
  } catch {
    return "systemd-analyze is not installed";
  }
  return undefined;
}

const reason = skipReason();
if (reason) console.log(`skipping the calendar verb differential test: ${reason}`);

/** Refused expressions that are timestamps (the hint) and ones that are not. */
const HINTS = [
  "tomorrow",
  "yesterday",
  "now",
  "5min ago",
  "1h left",
  "+5min",
  "-5min",
  "5min",
  "5",
  " 5min",
  "infinity",
  "9999-1-1",
  "10000-1-1",
  "2200-12-05 10:00:00 UTC",
  "2200-12-05 10:00",
  "1969-12-31",
  "epoch",
  "5 parsecs ago",
];

const FROM_NOW = /^ {7}From now: (.*)$/gm;

/** A fixed moment: the elapses do not depend on the day the test runs. */
const FIXED = "2026-12-06 06:13:11 UTC";
/** The moment the test module loaded, whole seconds: "From now" values of every size. */
const NOW = `@${Math.floor(Date.now() / 1000)}`;
const BASES: ReadonlyArray<[string, string]> = [
  ["a fixed base time", FIXED],
  ["the test's start as base time", NOW],
];

interface Side {
  out: string;
  err: string;
  code: number;
  fromNow: string[];
}

/** Both programs on the same arguments at once; the tolerance is how long that took. */
async function both(args: string[], tz = "UTC") {
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  const env = { TZ: tz, SYSTEMD_LOG_COLOR: "0" };
  const t0 = Date.now();
  const [a, b] = await Promise.all([
    new Deno.Command("systemd-analyze", { args: ["calendar", ...args], env }).output(),
    cli(["calendar", ...args], env),
  ]);
  const toleranceUs = (Date.now() - t0 + 1) * 1000;
  const side = (out: string, err: string, code: number): Side => {
    const m = maskRelative(out, FROM_NOW);
    return { out: m.text, err, code, fromNow: m.values };
  };
  return {
    theirs: side(dec(a.stdout), dec(a.stderr), a.code),
    ours: side(b.stdout, b.stderr, b.code),
    toleranceUs,
  };
}

/** Equal output but for "From now", and every "From now" pair within the tolerance. */
function agree(r: Awaited<ReturnType<typeof both>>): void {
  const { fromNow: theirs, ...a } = r.theirs;
  const { fromNow: ours, ...b } = r.ours;
  deepStrictEqual(b, a);
  deepStrictEqual(ours.length, theirs.length);
  ours.forEach((v, i) =>
    ok(
      relativeAgree(v, theirs[i], r.toleranceUs),
      `From now #${i + 1}: ours "${v}", systemd's "${theirs[i]}" (tolerance ${
        r.toleranceUs / 1000
      } ms)`,
    )
  );
}

for (const [label, base] of BASES) {
  for (
    const [name, args] of [
      ["the differential corpus", ["--iterations=3", ...EXPRESSIONS]],
      ["refusals with and without the timestamp hint", ["--", ...HINTS, "daily"]],
      ["--iterations=0 and expressions that never elapse", ["--iterations=0", "daily", "2020-1-1"]],
      ["one expression, default iterations", ["Sat,Sun 10:00"]],
    ] as const
  ) {
    Deno.test({
      name: `calendar prints what systemd-analyze calendar prints: ${name}, from ${label}`,
      ignore: reason !== undefined,
      fn: async () => agree(await both([`--base-time=${base}`, ...args])),
    });
  }
}

// Other local zones: libc's abbreviations (CET, GMT, JST, -03) and the `(in UTC)` line,
// which systemd prints for any zone with daylight saving time, London in winter included.
for (
  const tz of ["Europe/Berlin", "Europe/London", "Asia/Tokyo", "America/Sao_Paulo", ":Etc/UTC"]
) {
  Deno.test({
    name: `calendar prints local times as systemd-analyze does with TZ=${tz}`,
    ignore: reason !== undefined,
    fn: async () => {
      const args = [
        "--iterations=3",
        "daily",
        "Mon..Fri 09:00 America/New_York",
        "*-03,06,10-* 12:00",
      ];
      agree(await both([`--base-time=${NOW}`, ...args], tz));
      agree(await both(["--base-time=2026-06-06 06:13:11", ...args], tz));
    },
  });
}

/**
 * --base-time forms read as parse_timestamp() reads them (glibc's strptime() and mktime()
 * included): each zone's standard and daylight abbreviations, the hours that are skipped or
 * repeated when clocks change (west of Greenwich; see docs/timers.md for the east), refusals.
 */
const ABSOLUTE_BASES = [
  "2026-12-06 06:13:11",
  "2026-12-06 06:13",
  "2026-12-06",
  " 2026-12-06",
  "2026-12-06  06:13",
  "26-12-06 06:13:11",
  "69-01-01",
  "68-01-01",
  "2026-12-6 6:3:1",
  "2026-12-0606:13:11",
  "2026-02-30",
  "2026-12-06 06:13:11.25",
  "2026-12-06 06:13:11.1234567",
  "2026-12-06 06:13:11.9999995",
  "Sun 2026-12-06 06:13:11",
  "sunday 2026-12-06",
  "SUN  2026-12-06",
  "Mon 2026-12-06",
  "Sun,2026-12-06",
  "2026-12-06 06:13:11 UTC",
  "2026-12-06 06:13:11 utc",
  "2026-12-06 06:13:11 CET",
  "2026-12-06 06:13:11 CEST",
  "2026-07-06 06:13:11 cest",
  "2026-12-06 06:13:11 GMT",
  "2026-12-06 06:13:11 BST",
  "2026-12-06 06:13:11 JST",
  "2026-12-06 06:13:11 JDT",
  "2026-12-06 06:13:11 -03",
  "2026-12-06 06:13:11 -02",
  "2026-12-06 06:13:11 EST",
  "2026-12-06 06:13:11 EDT",
  "2026-12-06 06:13:11 Asia/Tokyo",
  "2026-03-29 02:30:00",
  "2026-03-08 02:30:00",
  "2026-11-01 01:30:00",
  "2018-11-04 00:30:00",
  "2019-02-16 23:30:00",
  "1970-01-01 00:00:00",
  "1970-01-01 01:00:00",
  "1969-12-31",
  "0080-01-01",
  "2200-01-01",
  "9999-12-30 23:59:59 UTC",
  "9999-12-30 23:59:59.5 UTC",
  "9999-12-31 23:59:59",
  "10000-01-01",
  "2026-13-01",
  "2026-12-06T06:13:11",
  "2026-12-06 06:13:11.",
  "2026-12-06 06:13:11.5x",
  "2026-12-06 ",
  "@1700000000",
  "@1700000000.5",
  "@5min",
  "@ 5",
  "@",
  "@-5",
  "@253402214399",
  "@253402214400",
  "@1e3",
  "bogus",
  "",
];

const PROBE = new URL("./_timestamp_probe.ts", import.meta.url).pathname;

/** What systemd-analyze's parse_timestamp() makes of each base (its `timestamp` verb). */
async function theirTimestamps(bases: string[], tz: string): Promise<(number | string | null)[]> {
  return await Promise.all(bases.map(async (base) => {
    const out = await new Deno.Command("systemd-analyze", {
      args: ["timestamp", "--", base],
      env: { TZ: tz, SYSTEMD_LOG_COLOR: "0" },
      stdout: "piped",
      stderr: "null",
    }).output();
    const m = /UNIX seconds: @(\d+)(?:\.(\d{6}))?$/m.exec(new TextDecoder().decode(out.stdout));
    if (out.code !== 0 || !m) return null;
    if (m[1] === "18446744073709" && m[2] === "551615") return "infinity";
    return Number(m[1]) * 1e6 + Number(m[2] ?? 0);
  }));
}

/** Ours, in one process of that zone. */
async function ourTimestamps(bases: string[], tz: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", PROBE, ...bases],
    env: { TZ: tz },
    stdout: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)) as {
    now: number;
    values: (number | string | null)[];
  };
}

for (const tz of ["UTC", "Europe/Berlin", "America/New_York", "America/Sao_Paulo", "Asia/Tokyo"]) {
  Deno.test({
    name: `--base-time reads timestamps as systemd-analyze does with TZ=${tz}`,
    ignore: reason !== undefined,
    fn: async () => {
      const [theirs, ours] = await Promise.all([
        theirTimestamps(ABSOLUTE_BASES, tz),
        ourTimestamps(ABSOLUTE_BASES, tz),
      ]);
      const show = (v: number | string | null) =>
        typeof v === "number" ? new Date(v / 1000).toISOString() + ` (${v})` : String(v);
      const diffs = ABSOLUTE_BASES.flatMap((b, i) =>
        theirs[i] === ours.values[i]
          ? []
          : [`"${b}": systemd ${show(theirs[i])}, ours ${show(ours.values[i])}`]
      );
      deepStrictEqual(diffs, []);
      // And through the verb, with the elapses and "From now" it prints.
      const base = "--base-time=Mon 2026-07-06 06:13:11.5";
      agree(await both(["--iterations=2", base, "*-*-* *:*:00/1", "daily"], tz));
    },
  });
}

// The forms counted from now: the two programs read their clocks a moment apart, so each
// value may differ by the time between the reads (measured); `today` and friends by a day
// when local midnight falls in that time.
Deno.test({
  name: "--base-time reads the forms counted from now as systemd-analyze does",
  ignore: reason !== undefined,
  fn: async () => {
    const relative = [
      "now",
      "+5min",
      "-5",
      "5min ago",
      "1h left",
      "today",
      "yesterday",
      "tomorrow",
      "06:13",
      "06:13:11.25",
      "06:13 UTC",
      "today UTC",
      "now UTC",
      "@infinity",
      "+infinity",
      "infinity ago",
      "+10000y",
      "-5min ago",
      "today ",
    ];
    for (const tz of ["UTC", "Europe/Berlin"]) {
      const t0 = Date.now() * 1000;
      const [theirs, ours] = await Promise.all([
        theirTimestamps(relative, tz),
        ourTimestamps(relative, tz),
      ]);
      const window = Date.now() * 1000 - t0;
      const day = 86_400_000_000;
      const problems = relative.flatMap((b, i) => {
        const [x, y] = [theirs[i], ours.values[i]];
        if (x === y) return [];
        const ok = typeof x === "number" && typeof y === "number" &&
          (Math.abs(x - y) <= window || (/day|tomorrow/.test(b) && Math.abs(x - y) === day));
        return ok ? [] : [`"${b}" (TZ=${tz}): systemd ${x}, ours ${y}`];
      });
      deepStrictEqual(problems, []);
    }
    // Through the verb: every base before 2100 gives the same elapse for a 2100 expression.
    for (const base of ["now", "+5min", "5min ago", "today", "@infinity", "now UTC"]) {
      agree(await both([`--base-time=${base}`, "2100-01-01 00:00:00 UTC"]));
    }
  },
});

Deno.test("calendar refuses a bad --iterations value and needs an expression", async () => {
  const bad = await cli(["calendar", "--iterations=x", "daily"]);
  deepStrictEqual([bad.code, bad.stderr], [1, "Failed to parse iterations: x\n"]);
  const none = await cli(["calendar"]);
  deepStrictEqual([none.code, none.stderr], [1, "Too few arguments.\n"]);
});
