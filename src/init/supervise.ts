/**
 * Supervision in the init instance (§8.3): SIGCHLD drives targeted reaping
 * (a slow timer backs it up); a reaped PID that is a unit's recorded main
 * process (same start time) has its end recorded and drives the unit's
 * transitions and Restart=; notify sockets of running units stay open; the
 * notify sockets of units that clients started are taken over.
 * @module
 */

import type { LoadedUnit } from "../units/loader.ts";
import { describeExit } from "../unit/values.ts";
import { readUnitStates, writeExitNote } from "../state/store.ts";
import {
  applyNotifyMessage,
  mainProcessEnded,
  noteRestart,
  notifyRefusalFor,
  type Supervisor,
} from "../service/lifecycle.ts";
import { currentBootKey, stateDirHost, storedState } from "../service/runtime.ts";
import { childExit, onReapReleased } from "../process/spawn.ts";
import { type NotifyListener, type NotifySender, openNotifySocket } from "../process/notify.ts";
import { type Reaped, reapZombies } from "../process/reaper.ts";
import { type InitPort, locked } from "./port.ts";
import { serviceSettingsOf } from "../units/settings.ts";

/** The backstop for coalesced or lost SIGCHLDs; idle work is one waitid call. */
const BACKSTOP_MS = 5000;
/** How long a notify message waits for the unit lock before it is dropped. */
const NOTIFY_LOCK_MS = 2000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The init instance's supervisor. */
export class Supervision implements Supervisor {
  readonly #init: InitPort;
  /** Main processes this instance spawned or learned of, by PID. */
  readonly #mains = new Map<number, string>();
  readonly #notify = new Map<string, NotifyListener>();
  readonly #restarts = new Map<string, ReturnType<typeof setTimeout>>();
  /** Notify refusals already logged. */
  readonly #refused = new Set<string>();
  #reapQueued = false;
  /** Main-process ends being recorded right now. */
  #handling = 0;
  #backstop?: ReturnType<typeof setInterval>;
  #unwatch?: () => void;
  #sigchld = () => this.reapSoon();

  constructor(init: InitPort) {
    this.#init = init;
  }

  mainProcess(unit: string, pid: number): void {
    this.#mains.set(pid, unit);
  }

  keepNotifySocket(unit: string, listener: NotifyListener): void {
    const old = this.#notify.get(unit);
    if (old && old !== listener) old.close(false);
    // From now on messages are judged by the unit's record (it changes with stops,
    // restarts and MAINPID=), not by the activation that opened the socket.
    listener.setAuthorizer((sender) => this.#authorize(unit, sender));
    this.#notify.set(unit, listener);
    this.#listen(unit, listener);
  }

  /** NotifyAccess= on receipt; a refusal goes to the log as systemd's warning. */
  #authorize(id: string, sender: NotifySender): boolean {
    const init = this.#init;
    try {
      const refusal = notifyRefusalFor(init.m.lenv, init.loader.load(id), sender);
      if (refusal) {
        // Each refusal is logged once (a sender could flood the socket); the set is bounded.
        const line = `${id}: ${refusal}`;
        if (this.#refused.size > 1000) this.#refused.clear();
        if (!this.#refused.has(line)) init.say(line);
        this.#refused.add(line);
      }
      return refusal === undefined;
    } catch (e) {
      init.fault(`${id}: notify`, e);
      return false;
    }
  }

  /** Starts reacting to SIGCHLD, the backstop timer and state changes by clients. */
  start(): void {
    Deno.addSignalListener("SIGCHLD", this.#sigchld);
    onReapReleased(() => this.reapSoon());
    this.#backstop = setInterval(() => this.reapSoon(), BACKSTOP_MS);
    this.#watchStates();
    this.reapSoon();
  }

  /** Stops everything that keeps the loop alive. */
  close(): void {
    Deno.removeSignalListener("SIGCHLD", this.#sigchld);
    onReapReleased(undefined);
    clearInterval(this.#backstop);
    this.cancelRestarts();
    this.#unwatch?.();
    for (const listener of this.#notify.values()) listener.close(false);
    this.#notify.clear();
  }

  /** Whether an end is being recorded or a restart waits for its RestartSec. */
  busy(): boolean {
    return this.#handling > 0 || this.#restarts.size > 0;
  }

  /** Drops the waiting restart jobs (shutdown). */
  cancelRestarts(): void {
    for (const timer of this.#restarts.values()) clearTimeout(timer);
    this.#restarts.clear();
  }

  /** One reap pass soon (SIGCHLDs that arrive together share it). */
  reapSoon(): void {
    if (this.#reapQueued) return;
    this.#reapQueued = true;
    setTimeout(() => {
      this.#reapQueued = false;
      this.reapNow();
    }, 0);
  }

  /** Reaps every finished child now and handles the ends of main processes. */
  reapNow(): void {
    let reaped: Reaped[];
    try {
      reaped = reapZombies();
    } catch (e) {
      this.#init.fault("Failed to reap", e);
      return;
    }
    // A main process that a start still waits on (e.g. a notify start's status() race) is
    // reaped by that waiter's own SIGCHLD handler first; its end is recorded there.
    for (const pid of this.#mains.keys()) {
      if (reaped.some((r) => r.pid === pid)) continue;
      const exit = childExit(pid);
      if (exit) reaped.push({ pid, startTime: 0, exit });
    }
    if (reaped.length === 0) return;
    const unknown = reaped.filter((r) => !this.#mains.has(r.pid));
    const recorded = unknown.length ? this.#recordedMains() : new Map<number, string>();
    for (const r of reaped) {
      const unit = this.#mains.get(r.pid) ?? recorded.get(r.pid);
      this.#mains.delete(r.pid);
      if (!unit) continue;
      this.#handling++;
      this.#mainEnded(unit, r)
        .catch((e) => this.#init.fault(`${unit}: supervision`, e))
        .finally(() => {
          this.#handling--;
          this.#init.checkDone();
        });
    }
  }

  /** MainPID → unit from the state files (units that clients started). */
  #recordedMains(): Map<number, string> {
    const map = new Map<number, string>();
    try {
      const dir = `${stateDirHost(this.#init.ctx)}/units`;
      for (const entry of Deno.readDirSync(dir)) {
        if (!entry.name.endsWith(".json")) continue;
        const st = storedState(this.#init.m.lenv, entry.name.slice(0, -5));
        if (st?.MainPID) map.set(st.MainPID, st.Id);
      }
    } catch { /* no state yet */ }
    return map;
  }

  async #mainEnded(id: string, r: Reaped): Promise<void> {
    const init = this.#init;
    const unit = init.loader.load(id);
    if (unit.type !== "service" || unit.loadState !== "loaded") return;
    // A client is stopping the unit (ExecStop= ended the main process): it holds the lock
    // and, not being the parent, learns how the process ended from this note.
    const st = storedState(init.m.lenv, id);
    if (st?.ActiveState === "deactivating" && st.MainPID === r.pid) {
      try {
        writeExitNote(stateDirHost(init.ctx), id, {
          pid: r.pid,
          startTime: r.startTime,
          ...r.exit,
        });
      } catch (e) {
        init.fault(`${id}: exit note`, e);
      }
    }
    const end = await locked(
      init,
      id,
      () => mainProcessEnded(init.m.lenv, unit, r.pid, r.startTime, r.exit),
      { verb: "supervise" },
    );
    if (!end) return;
    init.say(`${id}: Main process exited, ${describeExit(r.exit)}`);
    if (end.result !== "success") init.say(`${id}: Failed with result '${end.result}'.`);
    if (end.activeState !== "active") this.#dropNotify(id);
    if (end.restart && !init.stopping) this.#scheduleRestart(unit);
    else if (end.activeState === "inactive" && end.result === "success") {
      // systemd's unit_log_success(); a failure was said above ("Failed with result").
      init.say(`${id}: Deactivated successfully.`);
    }
  }

  #scheduleRestart(unit: LoadedUnit): void {
    const delayMs = Math.min(
      MAX_TIMER_MS,
      Math.ceil(serviceSettingsOf(unit).restartUSec / 1000),
    );
    clearTimeout(this.#restarts.get(unit.id));
    this.#restarts.set(
      unit.id,
      setTimeout(() => {
        this.#restarts.delete(unit.id);
        this.#restart(unit.id).catch((e) => this.#init.fault(`${unit.id}: restart`, e));
      }, delayMs),
    );
  }

  async #restart(id: string): Promise<void> {
    const init = this.#init;
    if (init.stopping) return;
    const unit = init.loader.load(id);
    const n = await locked(init, id, () => noteRestart(init.m.lenv, unit), {
      verb: "restart",
    });
    if (n === undefined) {
      init.checkDone();
      return;
    }
    init.say(`${id}: Scheduled restart job, restart counter is at ${n}.`);
    init.say(`Stopped ${init.describe(unit)}.`);
    await init.startJob(unit);
  }

  #dropNotify(unit: string): void {
    this.#notify.get(unit)?.close(false);
    this.#notify.delete(unit);
  }

  async #listen(id: string, listener: NotifyListener): Promise<void> {
    const init = this.#init;
    for await (const msg of listener) {
      try {
        const unit = init.loader.load(id);
        const moved = await locked(init, id, () => applyNotifyMessage(init.m.lenv, unit, msg), {
          verb: "notify",
          timeoutMs: NOTIFY_LOCK_MS,
        });
        if (moved) this.mainProcess(id, moved);
      } catch (e) {
        if ((e as Error).name !== "LockTimeoutError") init.fault(`${id}: notify`, e);
      }
    }
  }

  /**
   * Follows the state files, so that the notify socket of a unit that a client started
   * is taken over once the client's start is done (unlink + bind of the same path).
   */
  #watchStates(): void {
    this.#unwatch = this.#init.stateWatch.subscribe((changed) => {
      this.#takeOverSockets(changed).catch((e) => this.#init.fault("notify take-over", e));
    }, 100);
  }

  /** Looks at the records that changed (a burst at boot must not re-read every record). */
  async #takeOverSockets(changed: ReadonlySet<string>): Promise<void> {
    const init = this.#init;
    const states = await readUnitStates(stateDirHost(init.ctx), [...changed], currentBootKey());
    for (const st of states) {
      if (!st.NotifySocket || this.#notify.has(st.Id)) continue;
      if (st.ActiveState !== "active" && st.ActiveState !== "reloading") continue;
      if (!st.Writer || st.Writer.pid === Deno.pid) continue;
      try {
        const listener = await openNotifySocket(
          st.NotifySocket,
          (sender) => this.#authorize(st.Id, sender),
        );
        this.keepNotifySocket(st.Id, listener);
        if (st.MainPID) this.mainProcess(st.Id, st.MainPID);
      } catch (e) {
        init.fault(`${st.Id}: Failed to take over the notify socket`, e);
      }
    }
    for (const id of [...this.#notify.keys()]) {
      if (!changed.has(id)) continue;
      const st = states.find((s) => s.Id === id);
      if (!st || !["active", "activating", "reloading"].includes(st.ActiveState)) {
        this.#dropNotify(id);
      }
    }
  }
}
