/**
 * The init instance's timer scheduler (§4.8): every active timer is armed at its
 * next elapse; on elapse its unit is started (with TRIGGER_UNIT and friends), the
 * trigger recorded, and the next elapse armed. Timers that clients start or stop
 * reach it through the state files, as the supervisor learns of client starts:
 * a watch on the state directory, then a re-read of the timers.
 * @module
 */

import type { LoadedUnit } from "../units/loader.ts";
import { triggerTarget } from "../units/deps.ts";
import type { Clock } from "../unit/clock.ts";
import { randomDelay, timerSettings } from "../unit/timer.ts";
import { runStart } from "../service/manager.ts";
import { storedState } from "../service/runtime.ts";
import { rearmTimer, recordTrigger, timerClock } from "../service/timer_unit.ts";
import { setLongTimeout } from "../process/timer.ts";
import { type InitPort, locked } from "./port.ts";

/** How a timer takes its unit's lock (it waits at most 5 s). */
const TIMER_LOCK = { verb: "timer", timeoutMs: 5000 };

/**
 * Calls `fn` once the clock reads `at` (µs); with a test clock the real wait is scaled,
 * and an early wake-up waits again for the rest. Returns a cancel function.
 */
export function armAt(clock: Clock, at: number, fn: (firedAt: number) => void): () => void {
  let cancel = () => {};
  const wait = () => {
    const left = at - clock.now();
    if (left <= 0) {
      fn(clock.now());
      return;
    }
    cancel = setLongTimeout(wait, Math.max(1, Math.ceil(clock.realDelayMs(left))));
  };
  cancel = setLongTimeout(wait, Math.max(0, Math.ceil(clock.realDelayMs(at - clock.now()))));
  return () => cancel();
}

interface Armed {
  at: number;
  cancel: () => void;
}

/** Arms and fires the timers of one init instance. */
export class TimerScheduler {
  readonly #init: InitPort;
  readonly #armed = new Map<string, Armed>();
  readonly #clock: Clock;
  /** When this init instance started, on the timer clock (OnBootSec=, OnStartupSec=). */
  readonly boot: number;
  #unwatch?: () => void;
  #syncing = false;
  #again = false;
  /** The units the known timers trigger (their record changes re-arm the timers). */
  #targets = new Set<string>();
  #closed = false;

  constructor(init: InitPort) {
    this.#init = init;
    this.#clock = timerClock(init.ctx);
    this.boot = this.#clock.now();
  }

  /**
   * Follows the state files: a timer's record (client starts and stops) or the record of
   * a unit a timer triggers (OnUnitActiveSec=/OnUnitInactiveSec= count from its changes)
   * re-arms the timers; other units' records (a busy Accept=yes socket's instances) do not.
   */
  start(): void {
    this.#unwatch = this.#init.stateWatch.subscribe((changed) => {
      for (const id of changed) {
        if (id.endsWith(".timer") || this.#targets.has(id)) return this.sync();
      }
    }, 50);
  }

  /** Disarms every timer (shutdown; a reboot's boot arms them again). */
  disarm(): void {
    for (const a of this.#armed.values()) a.cancel();
    this.#armed.clear();
  }

  /** Disarms everything and stops following the state files. */
  close(): void {
    this.#closed = true;
    this.disarm();
    this.#unwatch?.();
  }

  /** Re-reads every timer's state and (re)arms the active ones. */
  sync(): void {
    if (this.#closed) return;
    if (this.#syncing) {
      this.#again = true;
      return;
    }
    this.#syncing = true;
    this.#syncAll()
      .catch((e) => this.#init.fault("timers", e))
      .finally(() => {
        this.#syncing = false;
        if (this.#again) {
          this.#again = false;
          this.sync();
        }
      });
  }

  async #syncAll(): Promise<void> {
    const init = this.#init;
    const m = init.freshManager();
    const seen = new Set<string>();
    const targets = new Set<string>();
    for (const name of m.stateNames()) {
      if (!name.endsWith(".timer")) continue;
      const unit = init.loader.load(name);
      if (unit.loadState !== "loaded") continue;
      seen.add(unit.id);
      const target = triggerTarget(unit);
      if (target) targets.add(target);
      await this.#arm(unit);
    }
    this.#targets = targets;
    for (const [id, a] of this.#armed) {
      if (!seen.has(id)) {
        a.cancel();
        this.#armed.delete(id);
      }
    }
  }

  async #arm(unit: LoadedUnit): Promise<void> {
    if (this.#closed || this.#init.stopping) return;
    const se = this.#init.m.lenv;
    const next = await locked(
      this.#init,
      unit.id,
      () => rearmTimer(se, unit, this.#clock, this.boot),
      TIMER_LOCK,
    );
    const old = this.#armed.get(unit.id);
    if (next === undefined) {
      old?.cancel();
      this.#armed.delete(unit.id);
      return;
    }
    const t = timerSettings(unit.config);
    if (old && old.at === next) return;
    old?.cancel();
    const at = next + randomDelay(t, unit.id, Math.random());
    const cancel = armAt(this.#clock, at, (firedAt) => {
      this.#armed.delete(unit.id);
      this.#fire(unit.id, next, firedAt).catch((e) => this.#init.fault(`${unit.id}: timer`, e));
    });
    // Armed at the elapse itself: a sync before the delay ends must not arm it again.
    this.#armed.set(unit.id, { at: next, cancel });
  }

  async #fire(id: string, scheduled: number, firedAt: number): Promise<void> {
    const init = this.#init;
    if (init.stopping || this.#closed) return;
    const unit = init.loader.load(id);
    const st = storedState(init.m.lenv, id);
    if (unit.loadState !== "loaded" || st?.ActiveState !== "active") return;
    await locked(init, id, () => recordTrigger(init.m.lenv, unit, firedAt), TIMER_LOCK);
    this.onFire?.(id, scheduled, firedAt);
    const target = triggerTarget(unit);
    if (target) {
      const vars = [
        `TRIGGER_UNIT=${id}`,
        `TRIGGER_TIMER_REALTIME_USEC=${Math.round(firedAt)}`,
        `TRIGGER_TIMER_MONOTONIC_USEC=${Math.round(firedAt - this.boot)}`,
      ];
      const ctx = init.ctx;
      const sub = init.freshManager({
        ...ctx,
        options: { ...ctx.options, extraVars: [...ctx.options.extraVars, ...vars] },
      });
      const tu = init.loader.load(target);
      if (tu.loadState !== "loaded") {
        init.say(`${id}: Failed to queue unit startup job: Unit ${target} not found.`);
      } else {
        const desc = init.describe(tu);
        const service = tu.type === "service";
        if (service) init.say(`Starting ${desc}...`);
        try {
          const outcome = await runStart(sub, tu);
          if (service && outcome.ok && !outcome.skipped) {
            const oneshot = tu.config.get("Service", "Type") === "oneshot";
            init.say(`${oneshot ? "Finished" : "Started"} ${desc}.`);
          } else if (service && !outcome.ok) init.say(`Failed to start ${desc}.`);
        } catch (e) {
          init.fault(`Failed to start ${target}`, e);
        }
      }
    }
    await this.#arm(unit);
    init.checkDone();
  }

  /** Called on each trigger (the benchmark measures drift with it). */
  onFire?: (id: string, scheduled: number, firedAt: number) => void;
}
