/**
 * systemd's calendar expressions (`OnCalendar=`, `systemd-analyze calendar`), as in
 * systemd 252's `calendarspec.c`: parsing, the normalized form, and the next elapse
 * after a given time. Pure: time zones come from `Intl`.
 * @module
 */

import { parseTimespan } from "./timespan.ts";
import { type Tm, Zone } from "./zone.ts";

const USEC_PER_SEC = 1_000_000;

/** One element of a comma list: `start[..stop][/repeat]` (stop -1: none; repeat 0: none). */
export interface CalendarComponent {
  readonly start: number;
  readonly stop: number;
  readonly repeat: number;
}

/** A parsed calendar expression; a missing chain is `*`. */
export interface CalendarSpec {
  /** Bit 0 = Monday … bit 6 = Sunday; 0 = any day. */
  readonly weekdays: number;
  readonly year?: readonly CalendarComponent[];
  readonly month?: readonly CalendarComponent[];
  readonly day?: readonly CalendarComponent[];
  readonly hour?: readonly CalendarComponent[];
  readonly minute?: readonly CalendarComponent[];
  /** Seconds, in µs. */
  readonly second?: readonly CalendarComponent[];
  /** `~`: days count back from the end of the month. */
  readonly endOfMonth: boolean;
  readonly utc: boolean;
  /** An IANA time zone name (`Europe/Berlin`), when one was given. */
  readonly timezone?: string;
}

/** A calendar expression that does not parse. */
export class CalendarError extends SyntaxError {
  constructor(
    readonly expression: string,
    /** systemd's errno text: EINVAL, or ERANGE for a zero repetition. */
    readonly reason = "Invalid argument",
  ) {
    super(`Failed to parse calendar specification '${expression}': ${reason}`);
    this.name = "CalendarError";
  }
}

const SHORTHANDS: Record<string, string> = {
  minutely: "*-*-* *:*:00",
  hourly: "*-*-* *:00:00",
  daily: "*-*-* 00:00:00",
  monthly: "*-*-01 00:00:00",
  weekly: "Mon *-*-* 00:00:00",
  yearly: "*-01-01 00:00:00",
  annually: "*-01-01 00:00:00",
  quarterly: "*-01,04,07,10-01 00:00:00",
  semiannually: "*-01,07-01 00:00:00",
  "semi-annually": "*-01,07-01 00:00:00",
};

const DAY_NAMES: ReadonlyArray<[string, number]> = [
  ["monday", 0],
  ["tuesday", 1],
  ["wednesday", 2],
  ["thursday", 3],
  ["friday", 4],
  ["saturday", 5],
  ["sunday", 6],
  ["mon", 0],
  ["tue", 1],
  ["wed", 2],
  ["thu", 3],
  ["fri", 4],
  ["sat", 5],
  ["sun", 6],
];
const DAY_ABBREV = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const ALL_WEEKDAYS = 127;

/** A cursor over the expression. */
class Cursor {
  i = 0;
  constructor(readonly s: string, readonly whole: string) {}
  peek(): string {
    return this.s[this.i] ?? "";
  }
  fail(reason?: string): never {
    throw new CalendarError(this.whole, reason);
  }
}

/** Whether a time zone name is known (through Intl, as systemd checks its zoneinfo). */
export function isValidTimezone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-]*(\/[A-Za-z0-9_+\-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Parses a calendar expression; throws {@link CalendarError}. */
export function parseCalendar(text: string): CalendarSpec {
  let body = text;
  let utc = false;
  let timezone: string | undefined;
  if (/ utc$/i.test(body)) {
    utc = true;
    body = body.slice(0, -4);
  } else {
    const sp = body.lastIndexOf(" ");
    if (sp >= 0 && isValidTimezone(body.slice(sp + 1))) {
      timezone = body.slice(sp + 1);
      body = body.slice(0, sp);
    }
  }
  if (body === "") throw new CalendarError(text);
  const short = SHORTHANDS[body.toLowerCase()];
  if (short !== undefined) body = short;
  if (body.startsWith("@")) return fromTimestamp(body.slice(1), text);
  const cur = new Cursor(body, text);
  const weekdays = parseWeekdays(cur);
  const date = parseDate(cur);
  const time = parseTime(cur);
  if (cur.i !== body.length) cur.fail();
  const spec: CalendarSpec = {
    weekdays: weekdays === ALL_WEEKDAYS ? 0 : weekdays,
    ...date,
    ...time,
    utc,
    timezone,
  };
  if (!valid(spec)) throw new CalendarError(text);
  return spec;
}

function fromTimestamp(rest: string, whole: string): CalendarSpec {
  if (!/^\d+$/.test(rest)) throw new CalendarError(whole);
  const d = new Date(Number(rest) * 1000);
  if (Number.isNaN(d.getTime())) throw new CalendarError(whole);
  const one = (v: number) => [{ start: v, stop: -1, repeat: 0 }];
  const spec: CalendarSpec = {
    weekdays: 0,
    year: one(d.getUTCFullYear()),
    month: one(d.getUTCMonth() + 1),
    day: one(d.getUTCDate()),
    hour: one(d.getUTCHours()),
    minute: one(d.getUTCMinutes()),
    second: one(d.getUTCSeconds() * USEC_PER_SEC),
    endOfMonth: false,
    utc: true,
  };
  if (!valid(spec)) throw new CalendarError(whole);
  return spec;
}

function parseWeekdays(cur: Cursor): number {
  let bits = 0;
  let rangeFrom = -1;
  let any = false;
  for (;;) {
    const rest = cur.s.slice(cur.i).toLowerCase();
    const hit = DAY_NAMES.find(([name]) => rest.startsWith(name));
    if (!hit) {
      if (any) cur.fail();
      return 0;
    }
    any = true;
    cur.i += hit[0].length;
    const nr = hit[1];
    if (rangeFrom >= 0) {
      if (rangeFrom > nr) cur.fail();
      for (let k = rangeFrom; k <= nr; k++) bits |= 1 << k;
    } else bits |= 1 << nr;
    const c = cur.peek();
    if (c === " " || c === "") {
      if (rangeFrom >= 0 && c === "") { /* ended on a range */ }
      while (cur.peek() === " ") cur.i++;
      return bits;
    }
    if (c === ",") {
      rangeFrom = -1;
      cur.i++;
    } else if (c === "-") {
      if (rangeFrom >= 0) cur.fail();
      rangeFrom = nr;
      cur.i++;
    } else if (c === "." && cur.s[cur.i + 1] === ".") {
      if (rangeFrom >= 0) cur.fail();
      rangeFrom = nr;
      cur.i += 2;
    } else cur.fail();
  }
}

/** `N` or, for seconds, `N.frac` (µs, rounded to 6 digits). */
function parseNumber(cur: Cursor, usec: boolean): number {
  const m = /^\d+/.exec(cur.s.slice(cur.i));
  if (!m) cur.fail();
  cur.i += m[0].length;
  let value = Number(m[0]);
  if (value > 2 ** 31 - 1) cur.fail();
  if (!usec) return value;
  value *= USEC_PER_SEC;
  if (cur.peek() === "." && /\d/.test(cur.s[cur.i + 1] ?? "")) {
    cur.i++;
    const f = /^\d+/.exec(cur.s.slice(cur.i))![0];
    cur.i += f.length;
    let frac = Number(f.slice(0, 6).padEnd(6, "0"));
    if (f.length > 6 && Number(f[6]) >= 5) frac++;
    value += frac;
  }
  return value;
}

function parseComponent(cur: Cursor, usec: boolean): CalendarComponent {
  const start = parseNumber(cur, usec);
  let stop = -1;
  let repeat = 0;
  if (cur.peek() === "." && cur.s[cur.i + 1] === ".") {
    cur.i += 2;
    stop = parseNumber(cur, usec);
    repeat = usec ? USEC_PER_SEC : 1;
  }
  if (cur.peek() === "/") {
    cur.i++;
    repeat = parseNumber(cur, usec);
    if (repeat === 0) cur.fail("Numerical result out of range");
  }
  return { start, stop, repeat };
}

/** A comma list, or undefined for `*`. */
function parseChain(cur: Cursor, usec: boolean): CalendarComponent[] | undefined {
  if (cur.peek() === "*") {
    cur.i++;
    return undefined;
  }
  const out = [parseComponent(cur, usec)];
  while (cur.peek() === ",") {
    cur.i++;
    out.push(parseComponent(cur, usec));
  }
  return out;
}

const ZERO = (): CalendarComponent[] => [{ start: 0, stop: -1, repeat: 0 }];

function parseDate(
  cur: Cursor,
): Pick<CalendarSpec, "year" | "month" | "day" | "endOfMonth"> {
  if (cur.peek() === "") return { endOfMonth: false };
  const save = cur.i;
  const first = parseChain(cur, false);
  // A ':' next: this was a time, not a date.
  if (cur.peek() === "" || cur.peek() === ":") {
    cur.i = save;
    return { endOfMonth: false };
  }
  let endOfMonth = false;
  if (cur.peek() === "~") endOfMonth = true;
  else if (cur.peek() !== "-") cur.fail();
  cur.i++;
  const second = parseChain(cur, false);
  if (cur.peek() === "" || cur.peek() === " ") {
    while (cur.peek() === " ") cur.i++;
    return { month: first, day: second, endOfMonth };
  }
  if (endOfMonth) cur.fail();
  if (cur.peek() === "~") endOfMonth = true;
  else if (cur.peek() !== "-") cur.fail();
  cur.i++;
  const third = parseChain(cur, false);
  if (cur.peek() !== "" && cur.peek() !== " ") cur.fail();
  while (cur.peek() === " ") cur.i++;
  return { year: first?.map(fixYear), month: second, day: third, endOfMonth };
}

/** Two-digit years, as systemd reads them: 0-69 → 20xx, 70-99 → 19xx. */
function fixYear(c: CalendarComponent): CalendarComponent {
  const fix = (y: number) => (y < 0 ? y : y < 70 ? y + 2000 : y < 100 ? y + 1900 : y);
  return { start: fix(c.start), stop: fix(c.stop), repeat: c.repeat };
}

function parseTime(cur: Cursor): Pick<CalendarSpec, "hour" | "minute" | "second"> {
  if (cur.peek() === "") return { hour: ZERO(), minute: ZERO(), second: ZERO() };
  const hour = parseChain(cur, false);
  if (cur.peek() !== ":") cur.fail();
  cur.i++;
  const minute = parseChain(cur, false);
  if (cur.peek() === "") return { hour, minute, second: ZERO() };
  if (cur.peek() !== ":") cur.fail();
  cur.i++;
  // `*` seconds are every full second.
  const second = parseChain(cur, true) ?? [{ start: 0, stop: -1, repeat: USEC_PER_SEC }];
  return { hour, minute, second };
}

function chainValid(
  chain: readonly CalendarComponent[] | undefined,
  from: number,
  to: number,
  endOfMonth = false,
): boolean {
  for (const c of chain ?? []) {
    if (c.start < from || c.start > to) return false;
    if (c.stop >= 0 && (c.stop < from || c.stop > to || c.stop < c.start)) return false;
    if (c.repeat > 0 && c.start + c.repeat > to) return false;
    if (endOfMonth && c.repeat > 0 && c.stop >= 0) return false;
  }
  return true;
}

function valid(s: CalendarSpec): boolean {
  return chainValid(s.year, 1970, 2199) && chainValid(s.month, 1, 12) &&
    chainValid(s.day, 1, 31) && chainValid(s.hour, 0, 23) && chainValid(s.minute, 0, 59) &&
    chainValid(s.second, 0, 60 * USEC_PER_SEC - 1);
}

/** systemd's canonical order of a chain: by start, stop, repeat; equal elements once. */
function normalizeChain(
  chain: readonly CalendarComponent[] | undefined,
): CalendarComponent[] | undefined {
  if (!chain) return undefined;
  const fixed = chain.map((c) => {
    let { start, stop, repeat } = c;
    if (stop >= 0 && repeat > 0) stop = start + repeat * Math.floor((stop - start) / repeat);
    if (stop === start) {
      stop = -1;
      repeat = 0;
    }
    return { start, stop, repeat };
  });
  fixed.sort((a, b) => a.start - b.start || a.stop - b.stop || a.repeat - b.repeat);
  return fixed.filter((c, i) =>
    i === 0 || c.start !== fixed[i - 1].start || c.stop !== fixed[i - 1].stop ||
    c.repeat !== fixed[i - 1].repeat
  );
}

function formatChain(
  chain: readonly CalendarComponent[] | undefined,
  width: number,
  usec = false,
): string {
  if (!chain) return "*";
  const d = usec ? USEC_PER_SEC : 1;
  if (usec && chain.length === 1 && chain[0].start === 0 && chain[0].repeat === USEC_PER_SEC) {
    if (chain[0].stop < 0) return "*";
  }
  const num = (v: number) => {
    let s = String(Math.floor(v / d)).padStart(width, "0");
    if (v % d > 0) s += "." + String(v % d).padStart(6, "0");
    return s;
  };
  return normalizeChain(chain)!.map((c) => {
    let s = num(c.start);
    if (c.stop > 0) s += ".." + num(c.stop);
    if (c.repeat > 0 && !(c.stop > 0 && c.repeat === d)) {
      s += "/" + String(Math.floor(c.repeat / d));
      if (c.repeat % d > 0) s += "." + String(c.repeat % d).padStart(6, "0");
    }
    return s;
  }).join(",");
}

function formatWeekdays(bits: number): string {
  const parts: string[] = [];
  let l = -1;
  const close = (x: number) => {
    if (x > l + 1) parts[parts.length - 1] += (x > l + 2 ? ".." : ",") + DAY_ABBREV[x - 1];
  };
  let x = 0;
  for (; x < 7; x++) {
    if (bits & (1 << x)) {
      if (l < 0) {
        parts.push(DAY_ABBREV[x]);
        l = x;
      }
    } else if (l >= 0) {
      close(x);
      l = -1;
    }
  }
  if (l >= 0) close(x);
  return parts.join(",");
}

/** The normalized form, as `systemd-analyze calendar` prints it. */
export function formatCalendar(s: CalendarSpec): string {
  let out = "";
  if (s.weekdays > 0 && s.weekdays < ALL_WEEKDAYS) out += formatWeekdays(s.weekdays) + " ";
  out += `${formatChain(s.year, 4)}-${formatChain(s.month, 2)}${s.endOfMonth ? "~" : "-"}${
    formatChain(s.day, 2)
  } ${formatChain(s.hour, 2)}:${formatChain(s.minute, 2)}:${formatChain(s.second, 2, true)}`;
  if (s.utc) out += " UTC";
  else if (s.timezone) out += " " + s.timezone;
  return out;
}

const zones = new Map<string, Zone>();

function zoneOf(s: CalendarSpec): Zone {
  const key = s.utc ? "\0utc" : s.timezone ?? "";
  let z = zones.get(key);
  if (!z) {
    z = new Zone(s.timezone, s.utc);
    zones.set(key, z);
  }
  return z;
}

// ---- next elapse ------------------------------------------------------------------------

function endOfMonth(zone: Zone, tm: Tm, day: number): number {
  const t = zone.toTm(zone.fromTm({ ...tm, mon: tm.mon + 1, mday: 1 - day }));
  const ref = zone.toTm(zone.fromTm({ ...tm, mday: 1 }));
  if (t.mon !== ref.mon || t.year !== ref.year) return -1;
  return t.mday;
}

/** The smallest matching value ≥ val, or undefined. */
function matchComponent(
  chain: readonly CalendarComponent[] | undefined,
  val: number,
  eom?: { zone: Zone; tm: Tm },
): number | undefined {
  if (!chain) return val;
  let d: number | undefined;
  for (const c of chain) {
    let start = c.start;
    let stop = c.stop;
    if (eom) {
      start = endOfMonth(eom.zone, eom.tm, start);
      stop = endOfMonth(eom.zone, eom.tm, stop);
      if (stop > 0) [start, stop] = [stop, start];
    }
    if (start >= val) {
      if (d === undefined || start < d) d = start;
    } else if (c.repeat > 0) {
      const k = start + c.repeat * Math.ceil((val - start) / c.repeat);
      if ((d === undefined || k < d) && (stop < 0 || k <= stop)) d = k;
    }
  }
  return d;
}

function weekdayMatches(bits: number, zone: Zone, tm: Tm): boolean {
  if (bits <= 0 || bits >= ALL_WEEKDAYS) return true;
  const w = zone.toTm(zone.fromTm(tm));
  const dow = new Date(Date.UTC(w.year, w.mon, w.mday)).getUTCDay();
  return (bits & (1 << ((dow + 6) % 7))) !== 0;
}

function outOfBounds(zone: Zone, tm: Tm): boolean {
  const t = zone.toTm(zone.fromTm(tm));
  return t.year !== tm.year || t.mon !== tm.mon || t.mday !== tm.mday || t.hour !== tm.hour ||
    t.min !== tm.min || t.sec !== tm.sec;
}

const LAST_YEAR = 2199;

/**
 * The first time strictly after `afterUs` (µs since the epoch) that the expression
 * matches, in µs; undefined when it never elapses again.
 */
export function nextElapse(s: CalendarSpec, afterUs: number): number | undefined {
  const zone = zoneOf(s);
  const usec = Math.floor(afterUs) + 1;
  let c = zone.toTm(Math.floor(usec / USEC_PER_SEC));
  let us = usec % USEC_PER_SEC;
  const reset = (from: "mday" | "hour" | "min" | "sec") => {
    if (from === "mday") c.mday = 1;
    if (from === "mday" || from === "hour") c.hour = 0;
    if (from !== "sec") c.min = 0;
    c.sec = 0;
    us = 0;
  };
  // The steps repeat by shape on purpose: systemd's find_next() moves each component in turn.
  for (let guard = 0; guard < 100_000; guard++) {
    c = zone.toTm(zone.fromTm(c));
    if (c.year > LAST_YEAR) return undefined;
    let v = matchComponent(s.year, c.year);
    if (v === undefined) return undefined;
    if (v !== c.year) {
      c.year = v;
      c.mon = 0;
      reset("mday");
    }
    if (outOfBounds(zone, c)) return undefined;

    v = matchComponent(s.month, c.mon + 1);
    if (v !== undefined && v !== c.mon + 1) {
      c.mon = v - 1;
      reset("mday");
    }
    if (v === undefined || outOfBounds(zone, c)) {
      c.year++;
      c.mon = 0;
      reset("mday");
      continue;
    }

    v = matchComponent(s.day, c.mday, s.endOfMonth ? { zone, tm: c } : undefined);
    if (v !== undefined && v !== c.mday) {
      c.mday = v;
      reset("hour");
    }
    if (v === undefined || outOfBounds(zone, c)) {
      c.mon++;
      reset("mday");
      continue;
    }

    if (!weekdayMatches(s.weekdays, zone, c)) {
      c.mday++;
      reset("hour");
      continue;
    }

    v = matchComponent(s.hour, c.hour);
    const hourMoved = v !== undefined && v !== c.hour;
    if (hourMoved) {
      c.hour = v!;
      reset("min");
    }
    if (v === undefined || outOfBounds(zone, c)) {
      c.mday++;
      reset("hour");
      continue;
    }
    // The hour just set may not exist (time zone change): start again from it, normalized.
    if (hourMoved) continue;

    v = matchComponent(s.minute, c.min);
    if (v !== undefined && v !== c.min) {
      c.min = v;
      reset("sec");
    }
    if (v === undefined || outOfBounds(zone, c)) {
      c.hour++;
      reset("min");
      continue;
    }

    v = matchComponent(s.second, c.sec * USEC_PER_SEC + us);
    if (v !== undefined) {
      c.sec = Math.floor(v / USEC_PER_SEC);
      us = v % USEC_PER_SEC;
    }
    if (v === undefined || outOfBounds(zone, c)) {
      c.min++;
      reset("sec");
      continue;
    }
    return zone.fromTm(c) * USEC_PER_SEC + us;
  }
  return undefined;
}

/**
 * Whether systemd's parse_timestamp() would take the text (its common forms: `now`,
 * `today`, `yesterday`, `tomorrow`, `+SPAN`, `-SPAN`, `SPAN ago`, `SPAN left`, and dates
 * `YYYY-MM-DD [HH:MM[:SS[.frac]]] [UTC]` up to year 9999). systemd-analyze calendar hints
 * at its timestamp verb when a refused expression is one.
 */
export function isTimestampLike(text: string): boolean {
  if (/^(now|today|yesterday|tomorrow)$/.test(text)) return true;
  const rel = /^[+-](.+)$/.exec(text) ?? /^(.+) (ago|left)$/.exec(text);
  if (rel) return parseTimespan(rel[1]) !== undefined;
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?: (\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?: UTC)?$/
    .exec(text);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
  return y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60;
}
