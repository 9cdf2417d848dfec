/**
 * Unit control verbs: start, stop, restart, try-restart, reload and its
 * variants, isolate, kill, reset-failed, clean. A caller that may not change
 * units gets systemd's refusal for each unit it named, and nothing runs.
 * @module
 */

import type { Context } from "../cli/context.ts";
import {
  isolate as isolateTarget,
  reloadUnits,
  restartUnits,
  startUnits,
  stopUnits,
} from "../service/jobs.ts";
import { cleanUnits, killUnits, resetFailedUnits } from "../service/unit_ops.ts";
import { callRefusal, jobRefusal, whenPermitted } from "./access.ts";
import { said } from "./job_words.ts";
import { EXIT_FAILURE } from "../unit/exit_codes.ts";

/** Runs a job verb on the named units, or refuses each as systemd does. */
function jobs(
  ctx: Context,
  verb: string,
  args: string[],
  run: () => Promise<number>,
): Promise<number> {
  return whenPermitted(ctx, jobRefusal(verb), (m) => m.expand(args), run);
}

/** `start UNIT...`. */
export function start(ctx: Context, args: string[]): Promise<number> {
  return jobs(ctx, "start", args, () => said(ctx, (r) => startUnits(ctx, args, r)));
}

/** `stop UNIT...`. */
export function stop(ctx: Context, args: string[]): Promise<number> {
  return jobs(ctx, "stop", args, () => said(ctx, (r) => stopUnits(ctx, args, r)));
}

/** `restart UNIT...`. */
export function restart(ctx: Context, args: string[]): Promise<number> {
  return jobs(
    ctx,
    "restart",
    args,
    () => said(ctx, (r) => restartUnits(ctx, args, r, { onlyIfActive: false, verb: "restart" })),
  );
}

/** `try-restart UNIT...` (`condrestart`). */
export function tryRestart(ctx: Context, args: string[]): Promise<number> {
  return jobs(
    ctx,
    "try-restart",
    args,
    () => said(ctx, (r) => restartUnits(ctx, args, r, { onlyIfActive: true, verb: "try-restart" })),
  );
}

/** `reload UNIT...`. */
export function reload(ctx: Context, args: string[]): Promise<number> {
  return jobs(ctx, "reload", args, () => said(ctx, (r) => reloadUnits(ctx, args, r, "reload")));
}

/** `reload-or-restart UNIT...`. */
export function reloadOrRestart(ctx: Context, args: string[]): Promise<number> {
  return jobs(
    ctx,
    "reload-or-restart",
    args,
    () => said(ctx, (r) => reloadUnits(ctx, args, r, "reload-or-restart")),
  );
}

/** `try-reload-or-restart UNIT...` (`reload-or-try-restart`, `force-reload`). */
export function tryReloadOrRestart(ctx: Context, args: string[]): Promise<number> {
  // systemd's words name the job type, `reload-or-try-restart`.
  return jobs(
    ctx,
    "reload-or-try-restart",
    args,
    () => said(ctx, (r) => reloadUnits(ctx, args, r, "try-reload-or-restart")),
  );
}

/** `isolate TARGET`. */
export function isolate(ctx: Context, args: string[]): Promise<number> {
  return whenPermitted(
    ctx,
    jobRefusal("start"),
    (m) => m.loader.expand([args[0]], ".target", (t) => ctx.warn(t)).slice(0, 1),
    () => said(ctx, (r) => isolateTarget(ctx, args[0], r)),
  );
}

/** `kill UNIT...`. */
export function kill(ctx: Context, args: string[]): Promise<number> {
  return whenPermitted(
    ctx,
    callRefusal("Failed to kill unit"),
    (m) => m.expand(args),
    () =>
      said(
        ctx,
        (r) =>
          killUnits(ctx, args, r, { signal: ctx.options.signal, killWhom: ctx.options.killWhom }),
      ),
  );
}

/** `reset-failed [UNIT...]`. */
export function resetFailed(ctx: Context, args: string[]): Promise<number> {
  // Without names it is one call to the manager, refused as a whole.
  const refusal = args.length > 0 ? callRefusal("Failed to reset failed state of unit") : {
    lines: (_: string, reason: string) => [`Failed to execute operation: ${reason}`],
    deniedCode: EXIT_FAILURE,
  };
  return whenPermitted(
    ctx,
    refusal,
    (m) => args.length > 0 ? m.expand(args) : [""],
    () => said(ctx, (r) => resetFailedUnits(ctx, args, r)),
  );
}

/** `clean UNIT...`. */
export function clean(ctx: Context, args: string[]): Promise<number> {
  return whenPermitted(
    ctx,
    callRefusal("Failed to clean unit"),
    (m) => m.expand(args),
    () => said(ctx, (r) => cleanUnits(ctx, args, r, { what: ctx.options.what })),
  );
}
