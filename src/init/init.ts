/**
 * The init instance (§8): the container's PID 1, or a child subreaper that
 * runs the given units. Phases, as tini and s6 have them:
 *
 * - init (may fail): check /proc, refuse a second instance, become subreaper,
 *   hold the signals, record `manager.json`, create the canaries, start the
 *   log relay and the supervisor;
 * - loop (must not die): boot, then react to exits (SIGCHLD), notify
 *   messages and signals; every step catches and logs its own errors;
 * - finish: stop the units in reverse order, end what is left, reap, flush.
 *
 * Signal handlers only record intent (resolve the shutdown request); the
 * loop acts on it.
 * @module
 */

import type { Context } from "../cli/context.ts";
import { type LoadedUnit, UnitLoader } from "../units/loader.ts";
import { linkedDependencies } from "../units/deps.ts";
import { lookupUser } from "../units/host_info.ts";
import { getDefaultTarget, InstallLookup } from "../units/install.ts";
import { defaultSearchPath, logDir } from "../units/paths.ts";
import { createTmpfiles } from "../units/tmpfiles.ts";
import { formatTimespan } from "../unit/timespan.ts";
import { readManagerState, updateManagerState } from "../state/manager.ts";
import { Manager, reloadRecords, runStart, runStop, startTransaction } from "../service/manager.ts";
import { liveInit } from "../service/init_link.ts";
import { currentBootKey, stateDirHost, unitState } from "../service/runtime.ts";
import { onHeldSignal } from "../process/held_signals.ts";
import { readStat } from "../process/procfs.ts";
import * as rootFs from "../process/rootfs.ts";
import { mkdirIn } from "../process/rootfs.ts";
import { setChildSubreaper, setProcessName, trimMemory } from "../process/reaper.ts";
import { endLeftovers } from "./leftovers.ts";
import { LogRelay } from "./relay.ts";
import { runOrdered } from "./jobs.ts";
import { reverseOrdering, startOrdering } from "../service/order.ts";
import { Supervision } from "./supervise.ts";
import { TimerScheduler } from "./timers.ts";
import { StateWatch } from "./state_watch.ts";
import { SocketManager } from "./sockets.ts";
import type { InitPort } from "./port.ts";
import { serviceSettingsOf, unitSettingsOf } from "../units/settings.ts";

/** The unit types `--exit` waits for: those that run processes or will start them. */
const RUNS_SOMETHING: ReadonlySet<string> = new Set(["service", "socket", "timer", "path"]);

/** Quiet time after which an idle init gives memory back. */
const IDLE_TRIM_MS = 2000;
/**
 * How many start (boot) or stop (shutdown) jobs run at once. systemd has no such cap;
 * ours bounds the descriptors and records in flight. A start spends most of its time
 * waiting for the exec, so a low cap leaves the loop idle while jobs queue.
 */
const BOOT_PARALLEL = 64;
const encoder = new TextEncoder();

/** Writes to stdout at once (PID 1's stdout is what `docker logs` shows). */
function writeOut(bytes: Uint8Array): void {
  let off = 0;
  try {
    while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
  } catch { /* stdout closed: nothing to tell */ }
}

/** What ends the loop. */
interface StopRequest {
  /** `poweroff` (exit), `reboot` (boot again), `exit` (exit with `code`). */
  action: "poweroff" | "reboot" | "exit";
  code: number;
}

const ACTIVE = new Set(["active", "activating", "reloading", "deactivating"]);

/**
 * A non-root PID 1 (a container with `USER`) runs in user mode, as the older tool
 * did: the user's own units, plus the system units that are enabled and run as this
 * user (`User=`), with state under `$XDG_RUNTIME_DIR` (default `/tmp/run-<uid>`).
 */
function userModeContext(ctx: Context): Context {
  const uid = Deno.uid() ?? 0;
  const env: Record<string, string> = { ...ctx.env };
  const me = lookupUser(ctx.root, uid);
  env.HOME ||= me?.home ?? "/";
  env.XDG_RUNTIME_DIR ||= `/tmp/run-${uid}`;
  // The system units can be loaded too, after the user's own.
  env.SYSTEMD_UNIT_PATH = [":", ...defaultSearchPath("system")].join(":").replace(/^::/, ":");
  return { ...ctx, scope: "user", env };
}

/**
 * What a user-mode boot starts: the user's units enabled for default.target, and the
 * system units enabled for boot that run as this (non-root) user.
 */
function userModeUnits(ctx: Context, userCtx: Context): string[] {
  const own = new UnitLoader({ ...userCtx, env: { ...userCtx.env, SYSTEMD_UNIT_PATH: "" } });
  const out = [...(linkedDependencies(own, "default.target").Wants ?? [])];
  const uid = Deno.uid() ?? 0;
  const me = lookupUser(ctx.root, uid);
  const system = new UnitLoader({ ...ctx, scope: "system" });
  const lp = InstallLookup.open(ctx.root, "system", ctx.env, false);
  const target = getDefaultTarget(lp) ?? "multi-user.target";
  for (const name of new Set([target, "multi-user.target"])) {
    for (const wanted of linkedDependencies(system, name).Wants ?? []) {
      const unit = system.load(wanted);
      if (unit.type !== "service" || unit.loadState !== "loaded") continue;
      const user = serviceSettingsOf(unit).user;
      if (user !== undefined && (user === String(uid) || user === me?.name)) out.push(unit.id);
    }
  }
  return out;
}

/** The `init` verb: `init` boots the default target, `init UNIT…` runs those units. */
export async function initVerb(ctx: Context, args: string[]): Promise<number> {
  const userMode = Deno.pid === 1 && Deno.uid() !== 0 && ctx.scope === "system";
  const userCtx = userMode ? userModeContext(ctx) : ctx;
  const init = new Init(userCtx, args.length ? args : undefined);
  if (userMode && !args.length) init.extra.push(...userModeUnits(ctx, userCtx));
  const code = await init.run();
  // Nothing may keep PID 1 alive after its shutdown: leave even if a handle lingers.
  const timer = setTimeout(() => Deno.exit(code), 3000);
  Deno.unrefTimer(timer);
  return code;
}

/** One init instance. */
export class Init implements InitPort {
  readonly ctx: Context;
  /** The units given to `init UNIT…`; undefined for a boot of the default target. */
  readonly named: string[] | undefined;
  loader: UnitLoader;
  m: Manager;
  readonly supervision: Supervision;
  /** The one watch of the unit state directory (supervision, timers, sockets follow it). */
  readonly stateWatch: StateWatch;
  readonly timers: TimerScheduler;
  /** Holds the sockets of socket units and activates their services. */
  readonly sockets: SocketManager = new SocketManager(this);
  /** Units started with the default target (user mode: the system units of this user). */
  readonly extra: string[] = [];
  #relay?: LogRelay;
  #request?: StopRequest;
  #wake?: () => void;
  #started = performance.now();
  #trimTimer?: ReturnType<typeof setTimeout>;
  #booting = false;

  constructor(ctx: Context, named: string[] | undefined) {
    this.ctx = ctx;
    this.named = named;
    this.stateWatch = new StateWatch(
      `${stateDirHost(ctx)}/units`,
      (what, e) => this.fault(what, e),
    );
    this.supervision = new Supervision(this);
    this.timers = new TimerScheduler(this);
    this.loader = new UnitLoader(ctx);
    this.m = new Manager(ctx, this.loader, this.supervision);
  }

  /** A job context that reads the unit state names afresh (for `ctx`, default the init's). */
  freshManager(ctx: Context = this.ctx): Manager {
    return new Manager(ctx, this.loader, this.supervision);
  }

  /** Prints a lifecycle line on stdout. */
  say(line: string): void {
    writeOut(encoder.encode(line + "\n"));
  }

  /** Logs an error of the loop without stopping it. */
  fault(what: string, e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    this.say(`${what}: ${msg}`);
    if (this.ctx.options.debug && e instanceof Error && e.stack) this.say(e.stack);
  }

  /** Whether shutdown has been asked for or begun (no more starts or restarts). */
  get stopping(): boolean {
    return this.#request !== undefined;
  }

  /** The description a unit's lifecycle lines use. */
  describe(unit: LoadedUnit): string {
    return unitSettingsOf(unit).description ?? unit.id;
  }

  /** Re-reads unit files (SIGHUP, daemon-reload): running processes are untouched. */
  reload(): void {
    this.loader = new UnitLoader(this.ctx);
    this.m = this.freshManager();
  }

  async run(): Promise<number> {
    const refusal = this.#preflight();
    if (refusal) {
      this.ctx.io.err(refusal + "\n");
      return 1;
    }
    onHeldSignal((signal) => this.#onSignal(signal));
    // The loop must not die: an error that escapes a callback is logged, not fatal.
    globalThis.addEventListener("unhandledrejection", (e) => {
      e.preventDefault();
      this.fault("Unexpected error", e.reason);
    });
    globalThis.addEventListener("error", (e) => {
      e.preventDefault();
      this.fault("Unexpected error", e.error ?? e.message);
    });
    try {
      if (Deno.pid !== 1) setChildSubreaper();
      else setProcessName("systemd");
    } catch (e) {
      this.fault("init", e);
    }
    await this.#setState("initializing");
    this.#canary();
    const logs = logDir(this.ctx.scope, this.ctx.env);
    try {
      mkdirIn(this.ctx.root.root, this.ctx.root.inner(logs));
    } catch { /* the relay reports it */ }
    this.#relay = new LogRelay(this.ctx.root.resolve(logs), writeOut);
    this.#relay.start();
    this.supervision.start();
    this.timers.start();
    this.sockets.open();
    let request: StopRequest;
    for (;;) {
      this.#started = performance.now();
      this.#booting = true;
      try {
        await this.#boot();
      } catch (e) {
        this.fault("Boot failed", e);
      } finally {
        this.#booting = false;
      }
      this.timers.sync();
      this.checkDone();
      request = await this.#waitForStop();
      await this.#shutdown();
      if (request.action !== "reboot") break;
      this.say("Rebooting.");
      this.#request = undefined;
      this.reload();
    }
    this.timers.close();
    this.supervision.close();
    await this.sockets.close();
    this.stateWatch.close();
    this.#relay.close();
    await this.#clearRecord();
    return request.code;
  }

  #preflight(): string | undefined {
    if (!readStat(Deno.pid)) {
      return "Failed to start the init instance: /proc is not mounted.";
    }
    const other = liveInit(this.ctx);
    if (other && other.pid !== Deno.pid) {
      return `An init instance is already running (pid ${other.pid}).`;
    }
    return undefined;
  }

  #onSignal(signal: Deno.Signal): void {
    if (signal === "SIGHUP") {
      this.#onHangup().catch((e) => this.fault("SIGHUP", e));
      return;
    }
    this.requestStop({ action: "poweroff", code: 0 });
  }

  async #onHangup(): Promise<void> {
    const dir = stateDirHost(this.ctx);
    const request = readManagerState(dir).Request;
    if (request) {
      await updateManagerState(dir, (m) => ({ ...m, Request: undefined }));
      if (request.action === "reboot") this.requestStop({ action: "reboot", code: 0 });
      else if (request.action === "exit") {
        this.requestStop({ action: "exit", code: request.code ?? 0 });
      }
      return;
    }
    this.say("Reloading.");
    this.reload();
    // Changed timer settings take effect now, as after systemd's daemon-reload.
    this.timers.sync();
    await this.#afterReload();
    await updateManagerState(dir, (m) => ({ ...m, Reloads: (m.Reloads ?? 0) + 1 }));
  }

  /**
   * What a reload of systemd's manager forgets: the runs of ended commands (its serialization
   * keeps ExecMain* and what still runs); then what is no longer referenced is collected.
   */
  async #afterReload(): Promise<void> {
    await reloadRecords(this.m);
    this.#collectSoon();
  }

  /** Asks the loop to shut down (the first request wins until the shutdown is done). */
  requestStop(request: StopRequest): void {
    if (this.#request) return;
    this.#request = request;
    this.#wake?.();
  }

  #waitForStop(): Promise<StopRequest> {
    if (this.#request) return Promise.resolve(this.#request);
    return new Promise((resolve) => (this.#wake = () => resolve(this.#request!)));
  }

  async #setState(state: string, extra: Record<string, unknown> = {}): Promise<void> {
    try {
      await updateManagerState(stateDirHost(this.ctx), (m) => ({
        ...m,
        InitPID: Deno.pid,
        InitStartTime: readStat(Deno.pid)?.startTime ?? 0,
        Boot: currentBootKey(),
        SystemState: state,
        ...extra,
      }));
    } catch (e) {
      this.fault("Failed to write the manager state", e);
    }
  }

  async #clearRecord(): Promise<void> {
    try {
      await updateManagerState(stateDirHost(this.ctx), (m) => {
        const rest = { ...m };
        for (const k of ["InitPID", "InitStartTime", "Boot", "SystemState", "Request"]) {
          delete rest[k];
        }
        return rest;
      });
    } catch (e) {
      this.fault("Failed to write the manager state", e);
    }
  }

  #canary(): void {
    if (this.ctx.scope !== "system") return;
    try {
      mkdirIn(this.ctx.root.root, "/run/systemd/system");
    } catch { /* read-only /run */ }
  }

  /** The units the boot starts: the named ones, or the default target with basic.target. */
  #bootNames(): string[] {
    if (this.named) return this.m.expand(this.named);
    // User mode starts what is enabled, not default.target: with the system unit
    // directories on its path, that would pull in every enabled system unit.
    if (this.ctx.scope === "user") return [...this.extra];
    const lp = InstallLookup.open(this.ctx.root, this.ctx.scope, this.ctx.env, false);
    const target = getDefaultTarget(lp) ?? "multi-user.target";
    return ["sysinit.target", "basic.target", target];
  }

  async #boot(): Promise<void> {
    await this.#setState("starting");
    // systemd-tmpfiles-setup.service's work: packages rely on its /run directories.
    if (this.ctx.scope === "system") {
      createTmpfiles(this.ctx.root, rootFs, (line) => this.say(line));
    }
    const names = this.#bootNames();
    const tx = startTransaction(this.m, names);
    const byId = new Map(tx.order.map((u) => [u.id, u]));
    const ok = new Map<string, boolean>();
    await runOrdered(tx.order.map((u) => u.id), tx.after, async (id) => {
      if (this.stopping) return;
      const unit = byId.get(id)!;
      const required = tx.required.get(id);
      if (required && [...required].some((r) => ok.get(r) === false)) {
        ok.set(id, false);
        this.say(`Dependency failed for ${this.describe(unit)}.`);
        return;
      }
      if (unit.loadState !== "loaded") {
        ok.set(id, false);
        if (names.includes(id)) this.say(`${id}: unit ${unit.loadState}, not started.`);
        return;
      }
      ok.set(id, await this.startJob(unit));
    }, BOOT_PARALLEL);
    const finished = Date.now() * 1000;
    await this.#setState("running", { FinishTimestamp: finished });
    const span = Math.round((performance.now() - this.#started) * 1000);
    this.say(`Startup finished in ${formatTimespan(span, 1000)}.`);
  }

  /** Starts one unit (no transaction) with its lifecycle lines; true when it started. */
  async startJob(unit: LoadedUnit): Promise<boolean> {
    const desc = this.describe(unit);
    const service = unit.type === "service";
    if (service) this.say(`Starting ${desc}...`);
    try {
      const outcome = await runStart(this.m, unit);
      if (unit.type === "target") this.say(`Reached target ${desc}.`);
      else if (service && outcome.skipped) {
        this.say(`${unit.id}: start condition unmet, skipped.`);
      } else if (service) {
        if (outcome.ok) this.say(`Started ${desc}.`);
        else {
          if (outcome.result) this.say(`${unit.id}: Failed with result '${outcome.result}'.`);
          this.say(`Failed to start ${desc}.`);
        }
      }
      return outcome.ok;
    } catch (e) {
      this.fault(`Failed to start ${unit.id}`, e);
      return false;
    } finally {
      this.checkDone();
    }
  }

  /** Names of units that are active in any form (auto-restart included). */
  activeUnits(): LoadedUnit[] {
    const out: LoadedUnit[] = [];
    for (const name of this.m.stateNames()) {
      try {
        const unit = this.loader.load(name);
        if (ACTIVE.has(unitState(this.m.lenv, unit).ActiveState)) out.push(unit);
      } catch (e) {
        this.fault(`Failed to read the state of ${name}`, e);
      }
    }
    return out;
  }

  /**
   * `init UNIT…` and `--exit` leave when nothing they watch is active any more (§8.7);
   * a boot of the default target leaves only on shutdown requests.
   */
  checkDone(): void {
    this.#settleLater();
    this.#collectSoon();
    if (this.stopping || (!this.named && !this.ctx.options.exitWhenIdle)) return;
    // While the boot runs, a unit that failed early is not the end: later ones may start.
    if (this.#booting) return;
    // A main process that ended but is not yet recorded reads as failed: record it first.
    this.supervision.reapNow();
    if (this.supervision.busy()) return;
    // The state names are read afresh: another invocation may have started units.
    this.m = this.freshManager();
    // `--exit` watches what can still run something: targets, slices and the like stay
    // active after the boot and would keep it forever.
    const watched = this.named
      ? this.m.expand(this.named).map((n) => this.loader.load(n))
      : this.activeUnits().filter((u) => RUNS_SOMETHING.has(u.type));
    const busy = watched.some((u) => ACTIVE.has(unitState(this.m.lenv, u).ActiveState));
    if (busy) return;
    this.requestStop({ action: "exit", code: this.#namedExitCode(watched) });
  }

  /**
   * The exit code of `init UNIT…`: the main process's status when one service was
   * named (128 + signal for signals), else 0 when every unit ended with success.
   */
  #namedExitCode(units: LoadedUnit[]): number {
    if (!this.named) return 0;
    const states = units.map((u) => unitState(this.m.lenv, u));
    if (units.length === 1 && units[0].type === "service") {
      const st = states[0];
      const status = st.ExecMainStatus ?? 0;
      return st.ExecMainCode === 1 ? status : st.ExecMainCode ? 128 + status : 0;
    }
    return states.every((s) => (s.Result ?? "success") === "success") ? 0 : 1;
  }

  #collectQueued = false;

  /**
   * After a unit's job or end: the units systemd would now garbage-collect are forgotten
   * (src/service/gc.ts). Not while booting or stopping, nor for `init UNIT…`, whose exit
   * code is read from the records of the units it ran.
   */
  #collectSoon(): void {
    if (this.#collectQueued || this.#booting || this.stopping || this.named) return;
    if (this.ctx.options.exitWhenIdle) return;
    this.#collectQueued = true;
    setTimeout(() => {
      this.#collectQueued = false;
      if (this.stopping) return;
      this.freshManager().collect()
        .catch((e) => this.fault("collect", e));
    }, 0);
  }

  /** After a burst of work, once things are quiet, memory is given back. */
  #settleLater(): void {
    clearTimeout(this.#trimTimer);
    if (this.stopping) return;
    this.#trimTimer = setTimeout(() => {
      try {
        trimMemory();
      } catch (e) {
        this.fault("trim", e);
      }
    }, IDLE_TRIM_MS);
  }

  async #shutdown(): Promise<void> {
    clearTimeout(this.#trimTimer);
    this.timers.disarm();
    await this.#setState("stopping");
    this.supervision.cancelRestarts();
    this.m = this.freshManager();
    const units = this.activeUnits();
    const ids = units.map((u) => u.id);
    const byId = new Map(units.map((u) => [u.id, u]));
    const startAfter = startOrdering(this.loader, units);
    await runOrdered(ids, reverseOrdering(startAfter), async (id) => {
      const unit = byId.get(id)!;
      const desc = this.describe(unit);
      const service = unit.type === "service";
      try {
        if (service) this.say(`Stopping ${desc}...`);
        await runStop(this.m, unit);
        if (service) {
          // As systemd: the unit's end (unit_log_success / unit_log_failure), then the job's.
          const result = unitState(this.m.lenv, unit).Result ?? "success";
          this.say(
            result === "success"
              ? `${id}: Deactivated successfully.`
              : `${id}: Failed with result '${result}'.`,
          );
          this.say(`Stopped ${desc}.`);
        } else if (unit.type === "target") this.say(`Stopped target ${desc}.`);
      } catch (e) {
        this.fault(`Failed to stop ${id}`, e);
      }
    }, BOOT_PARALLEL);
    const max = this.ctx.options.maxTimeout;
    await endLeftovers((line) => this.say(line), max !== undefined ? max * 1000 : 5000);
    this.supervision.reapNow();
    this.#relay?.flush();
  }
}
