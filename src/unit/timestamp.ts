/**
 * Timestamps as systemd 252's `parse_timestamp()` reads them (`systemd-analyze calendar
 * --base-time=`): `now`, `today`, `yesterday`, `tomorrow`, `+SPAN`, `-SPAN`, `SPAN ago`,
 * `SPAN left`, `@SECONDS`, and `[WEEKDAY] [YY]YY-MM-DD [HH:MM[:SS[.FRACTION]]]` or
 * `HH:MM[:SS[.FRACTION]]` in local time, with ` UTC` or the local zone's abbreviation after
 * it. The dates go through glibc's `strptime()` rules (leading blanks before a number, a blank
 * in the format matching any run of blanks, `%y` 69–99 as 19xx) and `mktime()`'s
 * normalization (`2026-02-30` is March 2). Pure: the clock and the zone come from the caller.
 * @module
 */

import { parseTimespan } from "./timespan.ts";
import type { ZoneName } from "./tzif.ts";
import { type Tm, Zone } from "./zone.ts";

const USEC_PER_SEC = 1_000_000;

/** systemd's USEC_TIMESTAMP_FORMATTABLE_MAX on 64-bit: Thu 9999-12-30 23:59:59 UTC. */
export const USEC_TIMESTAMP_FORMATTABLE_MAX = 253_402_214_399 * USEC_PER_SEC;

/** What a timestamp is read against. */
export interface TimestampContext {
  /** The time now, µs since the epoch: the relative forms and the date of a bare time. */
  readonly nowUs: number;
  /** libc's `tzname` for the local zone: standard, then daylight (see `libcTzname`). */
  readonly tzname?: readonly [ZoneName, ZoneName];
  /**
   * Whether a word names a compiled zone file (systemd's `timezone_is_valid()`). systemd 252
   * sends a timestamp ending in one down a forked path that fails, so it is refused.
   */
  readonly isZoneFile?: (name: string) => boolean;
}

const DAYS: ReadonlyArray<[string, number]> = [
  ["Sunday", 0],
  ["Sun", 0],
  ["Monday", 1],
  ["Mon", 1],
  ["Tuesday", 2],
  ["Tue", 2],
  ["Wednesday", 3],
  ["Wed", 3],
  ["Thursday", 4],
  ["Thu", 4],
  ["Friday", 5],
  ["Fri", 5],
  ["Saturday", 6],
  ["Sat", 6],
];

/** The formats parse_timestamp() tries, in its order; `frac`: a `.` may follow. */
const FORMATS: ReadonlyArray<{ fmt: string; frac: boolean; zero: "none" | "sec" | "time" }> = [
  { fmt: "%y-%m-%d %H:%M:%S", frac: true, zero: "none" },
  { fmt: "%Y-%m-%d %H:%M:%S", frac: true, zero: "none" },
  { fmt: "%y-%m-%d %H:%M", frac: false, zero: "sec" },
  { fmt: "%Y-%m-%d %H:%M", frac: false, zero: "sec" },
  { fmt: "%y-%m-%d", frac: false, zero: "time" },
  { fmt: "%Y-%m-%d", frac: false, zero: "time" },
  { fmt: "%H:%M:%S", frac: true, zero: "none" },
  { fmt: "%H:%M", frac: false, zero: "sec" },
];

/** A broken-down time with the weekday strptime() computes. */
interface TmW extends Tm {
  wday: number;
}

const isSpace = (c: string | undefined) => c !== undefined && " \t\n\v\f\r".includes(c);
const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

/** The wall clock read as UTC, in seconds; unlike Date.UTC, years below 100 stay as they are. */
function naive(tm: Tm): number {
  const d = new Date(0);
  d.setUTCFullYear(tm.year, tm.mon, tm.mday);
  d.setUTCHours(tm.hour, tm.min, tm.sec);
  return d.getTime() / 1000;
}

function weekday(tm: Tm): number {
  return new Date(naive({ ...tm, hour: 0, min: 0, sec: 0 }) * 1000).getUTCDay();
}

/** A strptime() conversion: its range, most digits, where it goes, whether it is of the date. */
interface Conversion {
  from: number;
  to: number;
  digits: number;
  set(tm: TmW, v: number): void;
  date: boolean;
}

/** glibc's strptime() conversions that the formats above use. */
const CONVERSIONS = new Map<string, Conversion>([
  ["y", {
    from: 0,
    to: 99,
    digits: 2,
    set: (tm, v) => tm.year = v >= 69 ? 1900 + v : 2000 + v,
    date: true,
  }],
  ["Y", { from: 0, to: 9999, digits: 4, set: (tm, v) => tm.year = v, date: true }],
  ["m", { from: 1, to: 12, digits: 2, set: (tm, v) => tm.mon = v - 1, date: true }],
  ["d", { from: 1, to: 31, digits: 2, set: (tm, v) => tm.mday = v, date: true }],
  ["H", { from: 0, to: 23, digits: 2, set: (tm, v) => tm.hour = v, date: false }],
  ["M", { from: 0, to: 59, digits: 2, set: (tm, v) => tm.min = v, date: false }],
  ["S", { from: 0, to: 61, digits: 2, set: (tm, v) => tm.sec = v, date: false }],
]);

/** glibc's strptime() for the conversions above; the end index, or undefined. */
function strptime(s: string, fmt: string, tm: TmW): number | undefined {
  let i = 0;
  let date = false;
  // glibc's get_number(): blanks, then at most `n` digits while the value can still grow.
  const num = (from: number, to: number, n: number): number | undefined => {
    while (isSpace(s[i])) i++;
    if (!isDigit(s[i])) return undefined;
    let val = 0;
    do {
      val = val * 10 + Number(s[i++]);
    } while (--n > 0 && val * 10 <= to && isDigit(s[i]));
    return val < from || val > to ? undefined : val;
  };
  for (let j = 0; j < fmt.length; j++) {
    const f = fmt[j];
    if (f === " ") {
      while (isSpace(s[i])) i++;
      continue;
    }
    if (f !== "%") {
      if (s[i] !== f) return undefined;
      i++;
      continue;
    }
    const c = CONVERSIONS.get(fmt[++j]);
    if (!c) return undefined;
    const v = num(c.from, c.to, c.digits);
    if (v === undefined) return undefined;
    c.set(tm, v);
    date ||= c.date;
  }
  if (date) tm.wday = weekday(tm);
  return i;
}

/** parse_fractional_part_u(…, 6): µs, the 7th digit rounding; undefined without a digit. */
function fraction(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const us = Number(s.slice(0, 6).padEnd(6, "0"));
  return s[6] !== undefined && s[6] >= "5" ? us + 1 : us;
}

/**
 * mktime() with tm_isdst -1, as glibc probes: start from the wall clock read as UTC and
 * correct by the offset found there until it holds. In a repeated hour (clocks go back) that
 * lands on the later instant east of Greenwich and the earlier one west of it; in a skipped
 * hour it oscillates, and the time moves forward by the change.
 */
function mktime(zone: Zone, tm: Tm): number {
  const want = Zone.naive(tm);
  let t = want;
  const seen = new Set<number>();
  for (let i = 0; i < 6; i++) {
    const dt = want - Zone.naive(zone.toTm(t));
    if (dt === 0) return t;
    if (seen.has(t)) break;
    seen.add(t);
    t += dt;
  }
  return zone.fromTm(tm);
}

/** The local wall clock and weekday at `t` (s). */
function localtime(zone: Zone, t: number): TmW {
  const tm = zone.toTm(t);
  return { ...tm, wday: new Date(Zone.naive(tm) * 1000).getUTCDay() };
}

const LOCAL = new Zone(undefined, false);
const UTC = new Zone(undefined, true);

/** Ends with ` WORD` (ASCII case-insensitive) and has something before it. */
function cutSuffix(text: string, word: string): string | undefined {
  if (word === "" || text.length <= word.length) return undefined;
  const at = text.length - word.length;
  if (text.slice(at).toLowerCase() !== word.toLowerCase()) return undefined;
  if (text[at - 1] !== " ") return undefined;
  return text.slice(0, at - 1);
}

/** A timestamp in µs since the epoch, or undefined where systemd 252 fails with EINVAL. */
export function parseTimestamp(text: string, ctx: TimestampContext): number | undefined {
  const sp = text.lastIndexOf(" ");
  const last = sp >= 0 ? text.slice(sp + 1) : "";
  if (sp >= 0 && !/ UTC$/i.test(text) && last !== "" && ctx.isZoneFile?.(last) === true) {
    return undefined;
  }
  if (text.startsWith("@")) return parseTimespan(text.slice(1), "s");
  const now = ctx.nowUs;
  let plus = 0;
  let minus = 0;
  let base: number | undefined;
  if (text === "now") base = now;
  else if (text.startsWith("+") || text.startsWith("-")) {
    const span = parseTimespan(text.slice(1), "s");
    if (span === undefined) return undefined;
    base = now;
    if (text[0] === "+") plus = span;
    else minus = span;
  } else if (text.endsWith(" ago") || text.endsWith(" left")) {
    const ago = text.endsWith(" ago");
    const span = parseTimespan(text.slice(0, text.length - (ago ? 4 : 5)), "s");
    if (span === undefined) return undefined;
    base = now;
    if (ago) minus = span;
    else plus = span;
  } else {
    base = absolute(text, ctx);
    if (base === undefined) return undefined;
  }
  const r = base + plus;
  if (!(r <= USEC_TIMESTAMP_FORMATTABLE_MAX)) return undefined;
  if (r < minus) return undefined;
  return r - minus;
}

/** The calendar forms: a date and/or time, optionally a weekday before and a zone after. */
function absolute(whole: string, ctx: TimestampContext): number | undefined {
  let t = whole;
  let utc = false;
  let dst: number | undefined;
  const beforeUtc = cutSuffix(t, "UTC");
  if (beforeUtc !== undefined) {
    t = beforeUtc;
    utc = true;
  } else if (ctx.tzname) {
    for (const j of [0, 1]) {
      const cut = cutSuffix(t, ctx.tzname[j].abbrev);
      if (cut === undefined) continue;
      t = cut;
      dst = j;
      break;
    }
  }
  const zone = utc ? UTC : LOCAL;
  const nowTm = localtime(zone, Math.floor(ctx.nowUs / USEC_PER_SEC));
  const midnight = (days: number) => ({
    ...nowTm,
    mday: nowTm.mday + days,
    hour: 0,
    min: 0,
    sec: 0,
  });
  let tm: TmW | undefined;
  let usec = 0;
  let weekdayWanted: number | undefined;
  if (t === "today") tm = midnight(0);
  else if (t === "yesterday") tm = midnight(-1);
  else if (t === "tomorrow") tm = midnight(1);
  else {
    for (const [name, nr] of DAYS) {
      if (t.slice(0, name.length).toLowerCase() !== name.toLowerCase()) continue;
      if (t[name.length] !== " ") continue;
      weekdayWanted = nr;
      t = t.slice(name.length + 1);
      break;
    }
    for (const f of FORMATS) {
      const cand: TmW = { ...nowTm };
      const end = strptime(t, f.fmt, cand);
      if (end === undefined) continue;
      if (end === t.length) {
        if (f.zero !== "none") cand.sec = 0;
        if (f.zero === "time") cand.hour = cand.min = 0;
        tm = cand;
        break;
      }
      if (f.frac && t[end] === ".") {
        const us = fraction(t.slice(end + 1));
        if (us === undefined) return undefined;
        tm = cand;
        usec = us;
        break;
      }
    }
  }
  if (!tm) return undefined;
  if (weekdayWanted !== undefined && tm.wday !== weekdayWanted) return undefined;
  // Before 1969 the result is negative whatever the zone (mktime() fails, or gives < 0).
  if (tm.year < 1969) return undefined;
  let seconds: number;
  if (utc) seconds = naive(tm);
  else if (dst !== undefined) seconds = naive(tm) - ctx.tzname![dst].offset;
  else seconds = mktime(zone, tm);
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  const us = seconds * USEC_PER_SEC + usec;
  return us > USEC_TIMESTAMP_FORMATTABLE_MAX ? undefined : us;
}
