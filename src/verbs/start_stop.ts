/**
 * Unit control verbs: start, stop, restart, try-restart, reload and its
 * variants, isolate, kill, reset-failed, clean.
 * @module
 */

import type { Context } from "../cli/context.ts";
import {
  cleanUnits,
  isolate as isolateTarget,
  killUnits,
  reloadUnits,
  resetFailedUnits,
  restartUnits,
  startUnits,
  stopUnits,
} from "../service/manager.ts";

/** `start UNIT...`. */
export function start(ctx: Context, args: string[]): Promise<number> {
  return startUnits(ctx, args);
}

/** `stop UNIT...`. */
export function stop(ctx: Context, args: string[]): Promise<number> {
  return stopUnits(ctx, args);
}

/** `restart UNIT...`. */
export function restart(ctx: Context, args: string[]): Promise<number> {
  return restartUnits(ctx, args, { onlyIfActive: false, verb: "restart" });
}

/** `try-restart UNIT...` (`condrestart`). */
export function tryRestart(ctx: Context, args: string[]): Promise<number> {
  return restartUnits(ctx, args, { onlyIfActive: true, verb: "try-restart" });
}

/** `reload UNIT...`. */
export function reload(ctx: Context, args: string[]): Promise<number> {
  return reloadUnits(ctx, args, "reload");
}

/** `reload-or-restart UNIT...`. */
export function reloadOrRestart(ctx: Context, args: string[]): Promise<number> {
  return reloadUnits(ctx, args, "reload-or-restart");
}

/** `try-reload-or-restart UNIT...` (`reload-or-try-restart`, `force-reload`). */
export function tryReloadOrRestart(ctx: Context, args: string[]): Promise<number> {
  return reloadUnits(ctx, args, "try-reload-or-restart");
}

/** `isolate TARGET`. */
export function isolate(ctx: Context, args: string[]): Promise<number> {
  return isolateTarget(ctx, args[0]);
}

/** `kill UNIT...`. */
export function kill(ctx: Context, args: string[]): Promise<number> {
  return killUnits(ctx, args);
}

/** `reset-failed [UNIT...]`. */
export function resetFailed(ctx: Context, args: string[]): Promise<number> {
  return resetFailedUnits(ctx, args);
}

/** `clean UNIT...`. */
export function clean(ctx: Context, args: string[]): Promise<number> {
  return cleanUnits(ctx, args);
}
