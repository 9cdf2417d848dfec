/**
 * The `calendar` verb against `systemd-analyze calendar` of systemd 252: both read the
 * same expressions at the same moment (`--iterations=3`); stdout, stderr (refusals,
 * ERANGE, the timestamp hint) and the exit status must be equal. "From now" values
 * under a minute are masked: the two programs read the clock a few ms apart.
 */

import { deepStrictEqual } from "node:assert/strict";
import { EXPRESSIONS } from "./_calendar_expressions.ts";
import { cli } from "../service/_support.ts";

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

const mask = (s: string) =>
  s.replace(/From now: (\d+(us|ms|s)|\d+\.\d+s|now)( left| ago)?$/gm, "From now: <1min");

async function both(args: string[], tz = "UTC") {
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  const env = { TZ: tz, SYSTEMD_LOG_COLOR: "0" };
  const theirs = new Deno.Command("systemd-analyze", { args: ["calendar", ...args], env })
    .output();
  const ours = cli(["calendar", ...args], env);
  const [a, b] = await Promise.all([theirs, ours]);
  return {
    theirs: { out: mask(dec(a.stdout)), err: dec(a.stderr), code: a.code },
    ours: { out: mask(b.stdout), err: b.stderr, code: b.code },
  };
}

for (
  const [name, args] of [
    ["the differential corpus", ["--iterations=3", ...EXPRESSIONS]],
    ["refusals with and without the timestamp hint", ["--", ...HINTS, "daily"]],
    ["--iterations=0 and expressions that never elapse", ["--iterations=0", "daily", "2020-1-1"]],
    ["one expression, default iterations", ["Sat,Sun 10:00"]],
  ] as const
) {
  Deno.test({
    name: `calendar prints what systemd-analyze calendar prints: ${name}`,
    ignore: reason !== undefined,
    fn: async () => {
      let r = await both([...args]);
      // Two reads of the clock can straddle a minute boundary: one retry.
      if (JSON.stringify(r.theirs) !== JSON.stringify(r.ours)) r = await both([...args]);
      deepStrictEqual(r.ours, r.theirs);
    },
  });
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
      let r = await both(args, tz);
      if (JSON.stringify(r.theirs) !== JSON.stringify(r.ours)) r = await both(args, tz);
      deepStrictEqual(r.ours, r.theirs);
    },
  });
}

Deno.test("calendar refuses a bad --iterations value and needs an expression", async () => {
  const bad = await cli(["calendar", "--iterations=x", "daily"]);
  deepStrictEqual([bad.code, bad.stderr], [1, "Failed to parse iterations: x\n"]);
  const none = await cli(["calendar"]);
  deepStrictEqual([none.code, none.stderr], [1, "Too few arguments.\n"]);
});
