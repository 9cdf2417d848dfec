/**
 * `is-active` and `is-failed`: one state per resolved unit.
 * @module
 */

import type { Context } from "../cli/context.ts";
import { Manager } from "../service/manager.ts";
import { unitState } from "../service/runtime.ts";
import { notAUnitName, parseUnitName } from "../unit/names.ts";
import {
  EXIT_FAILURE,
  EXIT_PROGRAM_NOT_RUNNING,
  EXIT_PROGRAM_RUNNING_OR_SERVICE_OK,
  EXIT_SUCCESS,
} from "../unit/exit_codes.ts";

/**
 * The states of the named units, in order. A bare template is no unit name to systemd 252's
 * manager: the states before it are printed, then the error, and the verb exits 1.
 */
function states(ctx: Context, args: string[]): { list: string[]; error: boolean } {
  const m = new Manager(ctx);
  const list: string[] = [];
  for (const name of m.expand(args)) {
    if (parseUnitName(name)?.isTemplate) {
      if (!ctx.options.quiet) ctx.io.out(list.map((s) => s + "\n").join(""));
      ctx.io.err(`Failed to retrieve unit state: ${notAUnitName(name)}\n`);
      return { list, error: true };
    }
    // Only the unit's name is needed (its state record is kept under it): no unit file is read.
    const id = m.loader.idOf(name);
    if (id === "-.slice" || id === "system.slice") list.push("active");
    else list.push(unitState(m.lenv, id).ActiveState);
  }
  if (!ctx.options.quiet) ctx.io.out(list.map((s) => s + "\n").join(""));
  return { list, error: false };
}

/** `is-active PATTERN...`: exit 0 if any is active or reloading, else 3. */
export function isActive(ctx: Context, args: string[]): Promise<number> {
  const { list, error } = states(ctx, args);
  if (error) return Promise.resolve(EXIT_FAILURE);
  return Promise.resolve(
    list.some((s) => s === "active" || s === "reloading")
      ? EXIT_PROGRAM_RUNNING_OR_SERVICE_OK
      : EXIT_PROGRAM_NOT_RUNNING,
  );
}

/** `is-failed PATTERN...`: exit 0 if any is failed, else 1. */
export function isFailed(ctx: Context, args: string[]): Promise<number> {
  const { list, error } = states(ctx, args);
  if (error) return Promise.resolve(EXIT_FAILURE);
  return Promise.resolve(list.some((s) => s === "failed") ? EXIT_SUCCESS : EXIT_FAILURE);
}
