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
import type { JobFailure, Report } from "../service/outcome.ts";
import { EXIT_FAILURE } from "../unit/exit_codes.ts";

/** A verb's work on units: reports as it goes, returns the failure that decides the code. */
type Work = (report: Report) => Promise<JobFailure | undefined>;

/** Runs a job verb's work on the named units, or refuses each as systemd does. */
function jobs(ctx: Context, verb: string, args: string[], work: Work): Promise<number> {
  return whenPermitted(ctx, jobRefusal(verb), (m) => m.expand(args), () => said(ctx, work));
}

/** Runs a unit call (kill, clean) on the named units, or refuses each as systemd does. */
function calls(ctx: Context, failed: string, args: string[], work: Work): Promise<number> {
  return whenPermitted(ctx, callRefusal(failed), (m) => m.expand(args), () => said(ctx, work));
}

/** `start UNIT...`. */
export function start(ctx: Context, args: string[]): Promise<number> {
  return jobs(ctx, "start", args, (r) => startUnits(ctx, args, r));
}

/** `stop UNIT...`. */
export function stop(ctx: Context, args: string[]): Promise<number> {
  return jobs(ctx, "stop", args, (r) => stopUnits(ctx, args, r));
}

/** A restart verb: `onlyIfActive` for try-restart. */
function restartVerb(verb: string, onlyIfActive: boolean) {
  return (ctx: Context, args: string[]): Promise<number> =>
    jobs(ctx, verb, args, (r) => restartUnits(ctx, args, r, { onlyIfActive, verb }));
}

/** A reload verb: `verb` in systemd's words (its job type), `mode` the service layer's. */
function reloadVerb(verb: string, mode: Parameters<typeof reloadUnits>[3]) {
  return (ctx: Context, args: string[]): Promise<number> =>
    jobs(ctx, verb, args, (r) => reloadUnits(ctx, args, r, mode));
}

/** `restart UNIT...`. */
export const restart = restartVerb("restart", false);
/** `try-restart UNIT...` (`condrestart`). */
export const tryRestart = restartVerb("try-restart", true);
/** `reload UNIT...`. */
export const reload = reloadVerb("reload", "reload");
/** `reload-or-restart UNIT...`. */
export const reloadOrRestart = reloadVerb("reload-or-restart", "reload-or-restart");
/** `try-reload-or-restart UNIT...` (`reload-or-try-restart`, `force-reload`). */
export const tryReloadOrRestart = reloadVerb("reload-or-try-restart", "try-reload-or-restart");

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
  const { signal, killWhom } = ctx.options;
  return calls(
    ctx,
    "Failed to kill unit",
    args,
    (r) => killUnits(ctx, args, r, { signal, killWhom }),
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
  const { what } = ctx.options;
  return calls(ctx, "Failed to clean unit", args, (r) => cleanUnits(ctx, args, r, { what }));
}
