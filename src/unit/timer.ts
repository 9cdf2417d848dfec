/**
 * `[Timer]` settings and the next elapse of a timer, as systemd 252's `timer.c`
 * computes it: calendar values from the last trigger (else the activation), the
 * one-shot monotonic values (OnActiveSec, OnBootSec, OnStartupSec) once, the
 * OnUnitActiveSec/OnUnitInactiveSec values from the triggered unit's last change.
 * Pure.
 * @module
 */

import type { UnitConfig } from "./config.ts";
import { type CalendarSpec, formatCalendar, nextElapse, parseCalendar } from "./calendar.ts";
import { parseTimespan } from "./timespan.ts";
import { parseBoolean } from "./values.ts";

/** The monotonic bases systemd knows. */
export type MonotonicBase =
  | "OnActiveSec"
  | "OnBootSec"
  | "OnStartupSec"
  | "OnUnitActiveSec"
  | "OnUnitInactiveSec";

const MONOTONIC: readonly MonotonicBase[] = [
  "OnActiveSec",
  "OnBootSec",
  "OnStartupSec",
  "OnUnitActiveSec",
  "OnUnitInactiveSec",
];

/** The settings of a `[Timer]` section. */
export interface TimerSettings {
  readonly calendars: ReadonlyArray<{ readonly spec: CalendarSpec; readonly text: string }>;
  readonly monotonic: ReadonlyArray<{ readonly base: MonotonicBase; readonly usec: number }>;
  /** Unit= as written, if any. */
  readonly unit?: string;
  readonly persistent: boolean;
  readonly wakeSystem: boolean;
  readonly remainAfterElapse: boolean;
  readonly accuracyUSec: number;
  readonly randomizedDelayUSec: number;
  readonly fixedRandomDelay: boolean;
  readonly onClockChange: boolean;
  readonly onTimezoneChange: boolean;
}

function bool(c: UnitConfig, key: string, dflt: boolean): boolean {
  const v = c.get("Timer", key);
  return v === undefined ? dflt : parseBoolean(v) ?? dflt;
}

function span(c: UnitConfig, key: string, dflt: number): number {
  const v = c.get("Timer", key);
  return (v === undefined ? undefined : parseTimespan(v)) ?? dflt;
}

/** Reads the `[Timer]` section (bad values were dropped with a warning at load). */
export function timerSettings(c: UnitConfig): TimerSettings {
  const calendars: Array<{ spec: CalendarSpec; text: string }> = [];
  for (const text of c.list("Timer", "OnCalendar")) {
    try {
      calendars.push({ spec: parseCalendar(text), text });
    } catch { /* warned at load */ }
  }
  const monotonic: Array<{ base: MonotonicBase; usec: number }> = [];
  for (const base of MONOTONIC) {
    for (const v of c.list("Timer", base)) {
      const usec = parseTimespan(v);
      if (usec !== undefined && Number.isFinite(usec)) monotonic.push({ base, usec });
    }
  }
  return {
    calendars,
    monotonic,
    unit: c.get("Timer", "Unit"),
    persistent: bool(c, "Persistent", false),
    wakeSystem: bool(c, "WakeSystem", false),
    remainAfterElapse: bool(c, "RemainAfterElapse", true),
    accuracyUSec: span(c, "AccuracySec", 60_000_000),
    randomizedDelayUSec: span(c, "RandomizedDelaySec", 0),
    fixedRandomDelay: bool(c, "FixedRandomDelay", false),
    onClockChange: bool(c, "OnClockChange", false),
    onTimezoneChange: bool(c, "OnTimezoneChange", false),
  };
}

/** Whether a timer has anything to wait for (systemd refuses one that has not). */
export function hasTriggers(t: TimerSettings): boolean {
  return t.calendars.length > 0 || t.monotonic.length > 0;
}

/** The times a next elapse is computed from (µs since the epoch, on the timer clock). */
export interface TimerBases {
  readonly now: number;
  /** When the timer was started (OnActiveSec, and calendars that never triggered). */
  readonly activated: number;
  /** When the init instance started (OnBootSec, OnStartupSec: a container's boot). */
  readonly boot: number;
  /** The last trigger (Persistent= stamp or this boot's), if any. */
  readonly lastTrigger?: number;
  /** When the triggered unit last became active / inactive, if ever. */
  readonly unitActive?: number;
  readonly unitInactive?: number;
}

/** The next elapse: the earliest of the realtime (calendar) and monotonic values. */
export interface TimerElapse {
  /** The earliest elapse, undefined when nothing is left to wait for. */
  readonly next?: number;
  /** The earliest calendar elapse. */
  readonly realtime?: number;
  /** The earliest monotonic elapse (µs on the timer clock). */
  readonly monotonic?: number;
}

/** Computes the next elapse of a timer. */
export function nextTimerElapse(t: TimerSettings, b: TimerBases): TimerElapse {
  let realtime: number | undefined;
  let monotonic: number | undefined;
  for (const { spec } of t.calendars) {
    const from = b.lastTrigger ?? b.activated;
    let next = nextElapse(spec, from);
    if (next === undefined) continue;
    // Missed while nothing ran (Persistent=): due at the boot, not in the past.
    if (next < b.boot) next = b.boot;
    if (realtime === undefined || next < realtime) realtime = next;
  }
  for (const { base, usec } of t.monotonic) {
    let from: number | undefined;
    let oneShot = true;
    if (base === "OnActiveSec") from = b.activated;
    else if (base === "OnBootSec" || base === "OnStartupSec") from = b.boot;
    else {
      oneShot = false;
      const unit = base === "OnUnitActiveSec" ? b.unitActive : b.unitInactive;
      if (unit === undefined && b.lastTrigger === undefined) continue;
      from = Math.max(unit ?? 0, b.lastTrigger ?? 0);
    }
    const next = from + usec;
    // One-time values fire once: not again after a trigger at or past them.
    if (oneShot && b.lastTrigger !== undefined && b.lastTrigger >= next) continue;
    if (monotonic === undefined || next < monotonic) monotonic = next;
  }
  const all = [realtime, monotonic].filter((x): x is number => x !== undefined);
  return { next: all.length ? Math.min(...all) : undefined, realtime, monotonic };
}

/** `TimersCalendar=` of `show`: `{ OnCalendar=NORMALIZED ; next_elapse=… }` (next filled by caller). */
export function normalizedCalendars(t: TimerSettings): string[] {
  return t.calendars.map((c) => formatCalendar(c.spec));
}

/**
 * The random delay of one arming, in µs: RandomizedDelaySec= scaled by `random` (0..1),
 * or by a value stable per unit with FixedRandomDelay=.
 */
export function randomDelay(t: TimerSettings, id: string, random: number): number {
  if (t.randomizedDelayUSec <= 0 || !Number.isFinite(t.randomizedDelayUSec)) return 0;
  let r = random;
  if (t.fixedRandomDelay) {
    let h = 2166136261;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619) >>> 0;
    r = h / 2 ** 32;
  }
  return Math.floor(t.randomizedDelayUSec * r);
}
