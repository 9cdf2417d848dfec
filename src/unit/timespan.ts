/**
 * Time spans and timestamps, parsed and printed like systemd 252 `time-util.c`.
 * All values are microseconds; "no limit" is `USEC_INFINITY`.
 * @module
 */

import { zoneAbbreviation, type ZoneInfo } from "./tzif.ts";

/** The value of `infinity`: no limit. */
export const USEC_INFINITY = Number.POSITIVE_INFINITY;

const USEC_PER_MSEC = 1_000;
const USEC_PER_SEC = 1_000_000;
const USEC_PER_MINUTE = 60 * USEC_PER_SEC;
const USEC_PER_HOUR = 60 * USEC_PER_MINUTE;
const USEC_PER_DAY = 24 * USEC_PER_HOUR;
const USEC_PER_WEEK = 7 * USEC_PER_DAY;
const USEC_PER_MONTH = 2_629_800 * USEC_PER_SEC;
const USEC_PER_YEAR = 31_557_600 * USEC_PER_SEC;
/** systemd keeps µs in a uint64; values at or above this are out of range. */
const USEC_MAX = 2 ** 64 - 1;

/** Suffixes in systemd's matching order (longest alternatives first where they clash). */
const MULTIPLIERS: ReadonlyArray<[string, number]> = [
  ["seconds", USEC_PER_SEC],
  ["second", USEC_PER_SEC],
  ["sec", USEC_PER_SEC],
  ["s", USEC_PER_SEC],
  ["minutes", USEC_PER_MINUTE],
  ["minute", USEC_PER_MINUTE],
  ["min", USEC_PER_MINUTE],
  ["months", USEC_PER_MONTH],
  ["month", USEC_PER_MONTH],
  ["M", USEC_PER_MONTH],
  ["msec", USEC_PER_MSEC],
  ["ms", USEC_PER_MSEC],
  ["m", USEC_PER_MINUTE],
  ["hours", USEC_PER_HOUR],
  ["hour", USEC_PER_HOUR],
  ["hr", USEC_PER_HOUR],
  ["h", USEC_PER_HOUR],
  ["days", USEC_PER_DAY],
  ["day", USEC_PER_DAY],
  ["d", USEC_PER_DAY],
  ["weeks", USEC_PER_WEEK],
  ["week", USEC_PER_WEEK],
  ["w", USEC_PER_WEEK],
  ["years", USEC_PER_YEAR],
  ["year", USEC_PER_YEAR],
  ["y", USEC_PER_YEAR],
  ["usec", 1],
  ["us", 1],
  ["\u03bcs", 1],
  ["\u00b5s", 1],
];

const DEFAULT_UNITS = { us: 1, ms: USEC_PER_MSEC, s: USEC_PER_SEC, min: USEC_PER_MINUTE };

const WHITESPACE = " \t\n\r";

function skipWhitespace(s: string, i: number): number {
  while (i < s.length && WHITESPACE.includes(s[i])) i++;
  return i;
}

function digitsEnd(s: string, i: number): number {
  while (i < s.length && s[i] >= "0" && s[i] <= "9") i++;
  return i;
}

/**
 * Parses a systemd time span (`90`, `1min 30s`, `55s500ms`, `1.5h`, `infinity`) into
 * microseconds, like `parse_time()`. A bare number uses `defaultUnit` (seconds unless
 * given). Fractions are truncated to whole microseconds. Returns undefined when invalid.
 */
export function parseTimespan(
  s: string,
  defaultUnit: "s" | "us" | "ms" | "min" = "s",
): number | undefined {
  let i = skipWhitespace(s, 0);
  if (s.startsWith("infinity", i)) {
    return skipWhitespace(s, i + 8) === s.length ? USEC_INFINITY : undefined;
  }
  let usec = 0;
  let something = false;
  for (;;) {
    i = skipWhitespace(s, i);
    if (i >= s.length) return something ? usec : undefined;
    if (s[i] === "-") return undefined;
    let start = i;
    if (s[start] === "+") start++;
    const digitEnd = digitsEnd(s, start);
    // Like strtoll(): without digits the end pointer stays at the start (before any sign).
    const intEnd = digitEnd > start ? digitEnd : i;
    const whole = digitEnd > start ? Number(s.slice(start, digitEnd)) : 0;
    let fraction = "";
    if (s[intEnd] === ".") {
      const fracEnd = digitsEnd(s, intEnd + 1);
      fraction = s.slice(intEnd + 1, fracEnd);
      i = fracEnd;
    } else if (digitEnd === start) {
      return undefined;
    } else i = intEnd;
    const afterSpace = skipWhitespace(s, i);
    let multiplier = DEFAULT_UNITS[defaultUnit];
    let next = afterSpace;
    for (const [suffix, usecs] of MULTIPLIERS) {
      if (s.startsWith(suffix, afterSpace)) {
        multiplier = usecs;
        next = afterSpace + suffix.length;
        break;
      }
    }
    // "12.34.56" is refused, "12.34 .56" and "12.34s.56" are accepted.
    if (next === i && i < s.length) return undefined;
    i = next;
    if (whole >= USEC_MAX / multiplier) return undefined;
    usec += whole * multiplier;
    if (s[intEnd] === ".") {
      if (fraction === "") return undefined;
      let m = Math.floor(multiplier / 10);
      for (const d of fraction) {
        usec += Number(d) * m;
        m = Math.floor(m / 10);
      }
    }
    if (usec >= USEC_MAX) return undefined;
    something = true;
  }
}

const FORMAT_TABLE: ReadonlyArray<[string, number]> = [
  ["y", USEC_PER_YEAR],
  ["month", USEC_PER_MONTH],
  ["w", USEC_PER_WEEK],
  ["d", USEC_PER_DAY],
  ["h", USEC_PER_HOUR],
  ["min", USEC_PER_MINUTE],
  ["s", USEC_PER_SEC],
  ["ms", USEC_PER_MSEC],
  ["us", 1],
];

/**
 * Formats microseconds like systemd's `format_timespan(t, accuracy)`: `0`, `infinity`,
 * `1min 30s`, `1.500000s`, `100ms`. `show` uses accuracy 0 or 1 (both exact);
 * `status` uses 1000 (ms) for `Duration:`.
 */
export function formatTimespan(us: number, accuracyUs = 1): string {
  if (us === USEC_INFINITY) return "infinity";
  let t = Math.floor(us);
  if (t <= 0) return "0";
  let out = "";
  let something = false;
  for (const [suffix, unit] of FORMAT_TABLE) {
    if (t <= 0) break;
    if (t < accuracyUs && something) break;
    if (t < unit) continue;
    const a = Math.floor(t / unit);
    let b = t % unit;
    let done = false;
    if (t < USEC_PER_MINUTE && b > 0) {
      let j = 0;
      for (let cc = unit; cc > 1; cc = Math.floor(cc / 10)) j++;
      for (let cc = accuracyUs; cc > 1; cc = Math.floor(cc / 10)) {
        b = Math.floor(b / 10);
        j--;
      }
      if (j > 0) {
        out += `${out ? " " : ""}${a}.${String(b).padStart(j, "0")}${suffix}`;
        t = 0;
        done = true;
      }
    }
    if (!done) {
      out += `${out ? " " : ""}${a}${suffix}`;
      t = b;
    }
    something = true;
  }
  return out;
}

/** A fixed time zone for timestamp output: offset east of UTC and its abbreviation. */
export interface FixedZone {
  offsetMinutes: number;
  abbrev: string;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * Formats a wall-clock timestamp (µs since the epoch) like systemd's `format_timestamp()`:
 * `Tue 2024-05-07 09:15:02 UTC`. `tz` is `"UTC"` (default), `"local"` (the JS runtime's
 * zone; its short name, or `UTC` if it has none) or a fixed zone.
 */
export function formatTimestamp(epochUs: number, tz: "local" | "UTC" | FixedZone = "UTC"): string {
  const ms = Math.floor(epochUs / 1000);
  let d: Date;
  let abbrev: string;
  if (tz === "UTC") {
    d = new Date(ms);
    abbrev = "UTC";
  } else if (tz === "local") {
    const local = new Date(ms);
    d = new Date(ms - local.getTimezoneOffset() * 60_000);
    abbrev = localZoneName(local);
  } else {
    d = new Date(ms + tz.offsetMinutes * 60_000);
    abbrev = tz.abbrev;
  }
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${
    pad2(d.getUTCDate())
  } ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${abbrev}`;
}

let zoneFormat: Intl.DateTimeFormat | undefined;
const zoneNames = new Map<number, string>();
let zoneSource: (() => ZoneInfo | undefined) | undefined;
let zoneInfo: ZoneInfo | undefined | null = null;

/**
 * Where the local zone's abbreviations come from: the CLI passes a reader of the TZif
 * file libc would use (TZ or /etc/localtime). Called at most once, and only for a local
 * zone that is not UTC; without it (or when it finds nothing) Intl's short name is used.
 */
export function setLocalZoneSource(source: (() => ZoneInfo | undefined) | undefined): void {
  zoneSource = source;
  zoneInfo = null;
  zoneNames.clear();
}

function numericZone(offsetMinutes: number): string {
  const east = -offsetMinutes;
  const sign = east < 0 ? "-" : "+";
  const h = pad2(Math.floor(Math.abs(east) / 60));
  const m = Math.abs(east) % 60;
  return `${sign}${h}${m ? pad2(m) : ""}`;
}

/**
 * Whether the local zone is UTC all year, like systemd's in_utc_timezone() (timezone and
 * daylight both 0): London, on GMT in winter, is not.
 */
export function localZoneIsUtc(): boolean {
  if (zoneInfo === null) zoneInfo = zoneSource?.();
  if (zoneInfo) return zoneInfo.types.every((t) => t.offset === 0);
  return new Date().getTimezoneOffset() === 0 && new Date(0).getTimezoneOffset() === 0;
}

function localZoneName(d: Date): string {
  // The zone file's abbreviation first (libc's tzname: `GMT` for London in winter, `UTC`
  // for Etc/UTC). Building an Intl formatter costs tens of milliseconds, so it is the
  // fallback, made only for offsets other than 0, and once.
  const offset = d.getTimezoneOffset();
  const known = zoneNames.get(offset);
  if (known) return known;
  if (zoneInfo === null) zoneInfo = zoneSource?.();
  const fromFile = zoneInfo &&
    zoneAbbreviation(zoneInfo, Math.floor(d.getTime() / 1000), -offset * 60);
  if (fromFile || offset === 0) {
    zoneNames.set(offset, fromFile || "UTC");
    return fromFile || "UTC";
  }
  let name = numericZone(offset);
  try {
    zoneFormat ??= new Intl.DateTimeFormat("en-US", { timeZoneName: "short" });
    const part = zoneFormat.formatToParts(d).find((p) => p.type === "timeZoneName");
    if (part && /^[A-Za-z]+$/.test(part.value)) name = part.value;
  } catch {
    // No Intl data: the numeric form.
  }
  zoneNames.set(offset, name);
  return name;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The relative form of a timestamp, like systemd's `format_timestamp_relative()`:
 * `now`, `3min 4s ago`, `5h left`, `1 day 2h ago`, `2 weeks 3 days left`.
 */
export function formatRelative(nowUs: number, thenUs: number): string {
  let d: number;
  let suffix: string;
  if (nowUs > thenUs) {
    d = nowUs - thenUs;
    suffix = " ago";
  } else {
    d = thenUs - nowUs;
    suffix = " left";
  }
  const q = (unit: number) => Math.floor(d / unit);
  if (d >= USEC_PER_YEAR) {
    const months = Math.floor((d % USEC_PER_YEAR) / USEC_PER_MONTH);
    return `${plural(q(USEC_PER_YEAR), "year", "years")} ${
      plural(months, "month", "months")
    }${suffix}`;
  }
  if (d >= USEC_PER_MONTH) {
    const days = Math.floor((d % USEC_PER_MONTH) / USEC_PER_DAY);
    return `${plural(q(USEC_PER_MONTH), "month", "months")} ${
      plural(days, "day", "days")
    }${suffix}`;
  }
  if (d >= USEC_PER_WEEK) {
    const days = Math.floor((d % USEC_PER_WEEK) / USEC_PER_DAY);
    return `${plural(q(USEC_PER_WEEK), "week", "weeks")} ${plural(days, "day", "days")}${suffix}`;
  }
  if (d >= 2 * USEC_PER_DAY) return `${q(USEC_PER_DAY)} days${suffix}`;
  if (d >= 25 * USEC_PER_HOUR) {
    return `1 day ${Math.floor((d - USEC_PER_DAY) / USEC_PER_HOUR)}h${suffix}`;
  }
  if (d >= 6 * USEC_PER_HOUR) return `${q(USEC_PER_HOUR)}h${suffix}`;
  if (d >= USEC_PER_HOUR) {
    return `${q(USEC_PER_HOUR)}h ${Math.floor((d % USEC_PER_HOUR) / USEC_PER_MINUTE)}min${suffix}`;
  }
  if (d >= 5 * USEC_PER_MINUTE) return `${q(USEC_PER_MINUTE)}min${suffix}`;
  if (d >= USEC_PER_MINUTE) {
    return `${q(USEC_PER_MINUTE)}min ${Math.floor((d % USEC_PER_MINUTE) / USEC_PER_SEC)}s${suffix}`;
  }
  if (d >= USEC_PER_SEC) return `${q(USEC_PER_SEC)}s${suffix}`;
  if (d >= USEC_PER_MSEC) return `${q(USEC_PER_MSEC)}ms${suffix}`;
  if (d > 0) return `${d}us${suffix}`;
  return "now";
}
