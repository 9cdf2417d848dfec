/**
 * What the init's helpers (supervision, timers, sockets) may ask of the init instance,
 * and the one way they take a unit's lock. They see this narrow interface, not `Init`
 * itself, so `init.ts` imports them and none of them imports `init.ts`.
 * @module
 */

import type { Context } from "../cli/context.ts";
import type { LoadedUnit, UnitLoader } from "../units/loader.ts";
import { withUnitLock } from "../state/lock.ts";
import type { Manager } from "../service/manager.ts";
import { stateDirHost } from "../service/runtime.ts";
import type { StateWatch } from "./state_watch.ts";

/** The init instance as its helpers see it. */
export interface InitPort {
  readonly ctx: Context;
  /** The current unit loader (a reload replaces it). */
  readonly loader: UnitLoader;
  /** The current job context (a reload replaces it). */
  readonly m: Manager;
  /** The one watch of the unit state directory. */
  readonly stateWatch: StateWatch;
  /** Whether shutdown has been asked for or begun (no more starts or restarts). */
  readonly stopping: boolean;
  /** A job context that reads the unit state names afresh (for `ctx`, default the init's). */
  freshManager(ctx?: Context): Manager;
  /** Prints a lifecycle line on stdout. */
  say(line: string): void;
  /** Logs an error of the loop without stopping it. */
  fault(what: string, e: unknown): void;
  /** The description a unit's lifecycle lines use. */
  describe(unit: LoadedUnit): string;
  /** Starts one unit (no transaction) with its lifecycle lines; true when it started. */
  startJob(unit: LoadedUnit): Promise<boolean>;
  /** Tells the init a job or a unit's end is done (it may leave, collect, trim). */
  checkDone(): void;
}

/** Runs `fn` under `unit`'s lock in the init's state directory, as client verbs take it. */
export function locked<T>(
  init: Pick<InitPort, "ctx">,
  unit: string,
  fn: () => Promise<T>,
  options: { verb: string; timeoutMs?: number },
): Promise<T> {
  return withUnitLock(stateDirHost(init.ctx), unit, { verb: options.verb }, fn, {
    timeoutMs: options.timeoutMs,
  });
}
