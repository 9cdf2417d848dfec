/**
 * Timer units (§4.8): `start` sets `active (waiting)` with the next elapse, `stop`
 * sets `inactive (dead)`; the init instance records each trigger (and the
 * Persistent= stamp) and arms the next elapse. Without an init instance the state is
 * recorded but nothing fires (§11).
 * @module
 */

import type { LoadedUnit } from "../units/loader.ts";
import { triggerTarget } from "../units/deps.ts";
import type { UnitState } from "../state/store.ts";
import { writeUnitState } from "../state/store.ts";
import { readStamp, stampPath, writeStamp } from "../state/timer_stamp.ts";
import { type Clock, clockFrom } from "../unit/clock.ts";
import { nextTimerElapse, type TimerElapse, timerSettings } from "../unit/timer.ts";
import { formatCalendar, nextElapse } from "../unit/calendar.ts";
import type { TimerView } from "../unit/unit_view.ts";
import {
  currentBootKey,
  effectiveState,
  stampNow,
  stateDirHost,
  type StateEnv,
  storedState,
} from "./runtime.ts";

/** The timer bookkeeping kept in a timer's state record. */
export interface TimerRecord {
  /** The next elapse on the timer clock (µs since the epoch), calendar values. */
  NextElapseRealtime?: number;
  /** The next elapse of the monotonic values, on the same clock. */
  NextElapseMonotonic?: number;
  /** The last trigger. */
  LastTrigger?: number;
  /** When the timer was started (OnActiveSec=). */
  Activated?: number;
  /** When the init instance that armed it started (OnBootSec=, OnStartupSec=). */
  BootBase?: number;
}

/** The clock of an invocation (the test clock when SYSTEMCTL_TEST_CLOCK is set). */
export function timerClock(se: Pick<StateEnv, "env">): Clock {
  return clockFrom(se.env as Record<string, string | undefined>);
}

/** A timer's record (empty when it has none). */
export function timerRecord(st: UnitState | undefined): TimerRecord {
  return (st?.Timer ?? {}) as TimerRecord;
}

/** Writes a timer's state with systemd's transition timestamps. */
async function save(
  se: StateEnv,
  current: UnitState,
  patch: Partial<UnitState>,
): Promise<UnitState> {
  const now = stampNow();
  const next: UnitState = { ...current, ...patch, Boot: currentBootKey() };
  if (patch.ActiveState && patch.ActiveState !== current.ActiveState) {
    next.StateChange = now;
    const from = current.ActiveState;
    const to = patch.ActiveState;
    if (from === "inactive" || from === "failed") next.InactiveExit = now;
    if (to === "active") next.ActiveEnter = now;
    if (from === "active") next.ActiveExit = now;
    if (to === "inactive" || to === "failed") next.InactiveEnter = now;
  }
  await writeUnitState(stateDirHost(se), next);
  return next;
}

/** The host path of a timer's Persistent= stamp. */
export function timerStampHost(se: StateEnv, id: string): string {
  return se.root.resolve(stampPath(se.scope, se.env as Record<string, string | undefined>, id));
}

/** Times of the unit a timer triggers, on the timer clock. */
function triggeredTimes(se: StateEnv, unit: LoadedUnit, clock: Clock) {
  const target = triggerTarget(unit);
  const st = target ? storedState(se, target) : undefined;
  const real = (t: [number, number] | undefined) => (t && t[0] ? clock.fromReal(t[0]) : undefined);
  return { unitActive: real(st?.InactiveExit), unitInactive: real(st?.InactiveEnter) };
}

/**
 * The next elapse of an active timer. `boot` is when the init instance started (a
 * client without one counts from now).
 */
export function computeElapse(
  se: StateEnv,
  unit: LoadedUnit,
  rec: TimerRecord,
  clock: Clock,
  boot?: number,
): TimerElapse {
  const t = timerSettings(unit.config);
  const now = clock.now();
  let last = rec.LastTrigger;
  if (t.persistent) {
    const stamp = readStamp(timerStampHost(se, unit.id));
    if (stamp !== undefined && (last === undefined || stamp > last)) last = stamp;
  }
  return nextTimerElapse(t, {
    now,
    activated: rec.Activated ?? now,
    boot: boot ?? rec.BootBase ?? rec.Activated ?? now,
    lastTrigger: last,
    ...triggeredTimes(se, unit, clock),
  });
}

/** The state a timer has with this elapse: waiting, elapsed, or done (dead). */
function waitingPatch(unit: LoadedUnit, e: TimerElapse, rec: TimerRecord): Partial<UnitState> {
  const timer: TimerRecord = {
    ...rec,
    NextElapseRealtime: e.realtime,
    NextElapseMonotonic: e.monotonic,
  };
  if (e.next !== undefined) {
    return { ActiveState: "active", SubState: "waiting", Result: "success", Timer: timer };
  }
  const remain = timerSettings(unit.config).remainAfterElapse;
  return remain
    ? { ActiveState: "active", SubState: "elapsed", Timer: timer }
    : { ActiveState: "inactive", SubState: "dead", Timer: timer };
}

/** `start` of a timer: active (waiting) with the next elapse. The caller holds the lock. */
export async function startTimer(se: StateEnv, unit: LoadedUnit, boot?: number): Promise<void> {
  const current = effectiveState(storedState(se, unit.id), unit.id);
  if (current.ActiveState === "active") return;
  const clock = timerClock(se);
  const rec: TimerRecord = {
    LastTrigger: timerRecord(current).LastTrigger,
    Activated: clock.now(),
  };
  const e = computeElapse(se, unit, rec, clock, boot);
  await save(se, current, { ...waitingPatch(unit, e, rec), InvocationID: randomId() });
}

/** `stop` of a timer: inactive (dead). The caller holds the lock. */
export async function stopTimer(se: StateEnv, unit: LoadedUnit): Promise<void> {
  const current = effectiveState(storedState(se, unit.id), unit.id);
  if (current.ActiveState !== "active") return;
  const rec = timerRecord(current);
  await save(se, current, {
    ActiveState: "inactive",
    SubState: "dead",
    Timer: { LastTrigger: rec.LastTrigger },
  });
}

/** The timer's recorded state while it is active (undefined otherwise). */
function activeTimerState(se: StateEnv, unit: LoadedUnit): UnitState | undefined {
  const current = storedState(se, unit.id);
  return current?.ActiveState === "active" ? current : undefined;
}

/**
 * Recomputes an active timer's next elapse and records it when it changed; returns the
 * next elapse (undefined: none, or the timer is not active). The caller holds the lock.
 */
export async function rearmTimer(
  se: StateEnv,
  unit: LoadedUnit,
  clock: Clock,
  boot: number,
): Promise<number | undefined> {
  const current = activeTimerState(se, unit);
  if (!current) return undefined;
  const rec = { ...timerRecord(current), BootBase: boot };
  const e = computeElapse(se, unit, rec, clock, boot);
  const patch = waitingPatch(unit, e, rec);
  const t = patch.Timer as TimerRecord;
  if (
    patch.SubState !== current.SubState || timerRecord(current).BootBase !== boot ||
    t.NextElapseRealtime !== rec.NextElapseRealtime ||
    t.NextElapseMonotonic !== rec.NextElapseMonotonic
  ) {
    await save(se, current, patch);
  }
  return e.next;
}

/** Records a trigger at `at` (and the Persistent= stamp). The caller holds the lock. */
export async function recordTrigger(se: StateEnv, unit: LoadedUnit, at: number): Promise<void> {
  const current = activeTimerState(se, unit);
  if (!current) return;
  if (timerSettings(unit.config).persistent) writeStamp(timerStampHost(se, unit.id), at);
  await save(se, current, {
    SubState: "running",
    Timer: { ...timerRecord(current), LastTrigger: at },
  });
}

function randomId(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** What `show`, `status` and `list-timers` print about a timer. */
export function timerView(se: StateEnv, unit: LoadedUnit, st: UnitState | undefined): TimerView {
  const t = timerSettings(unit.config);
  const rec = timerRecord(st);
  const active = st?.ActiveState === "active";
  const clock = timerClock(se);
  let last = rec.LastTrigger;
  if (t.persistent) {
    const stamp = readStamp(timerStampHost(se, unit.id));
    if (stamp !== undefined && (last === undefined || stamp > last)) last = stamp;
  }
  const from = last ?? rec.Activated ?? clock.now();
  return {
    calendars: t.calendars.map((c) => ({
      text: formatCalendar(c.spec),
      next: active ? nextElapse(c.spec, from) : undefined,
    })),
    monotonic: t.monotonic,
    nextRealtime: active ? rec.NextElapseRealtime : undefined,
    nextMonotonic: active ? rec.NextElapseMonotonic : undefined,
    lastTrigger: last,
    boot: rec.BootBase ?? rec.Activated ?? 0,
  };
}
