/**
 * Whether the caller may change units at all, asked before a control verb does anything:
 * systemd answers a non-root caller's job request with polkit's refusal before it looks at
 * the unit, and this program's equivalent of that permission is the right to write the state
 * directory. A caller that has it (root, or the owner of a `--root` tree) goes on.
 * @module
 */

import type { Context } from "../cli/context.ts";
import { Manager } from "../service/manager.ts";
import { stateDirHost } from "../service/runtime.ts";
import { cannotWrite } from "../state/dirs.ts";
import { deniedCaller, isAccessError, reasonText } from "./errors.ts";
import { EXIT_FAILURE, EXIT_NOPERMISSION, EXIT_SUCCESS } from "../unit/exit_codes.ts";

/** How a verb words a refusal for each unit it was asked about. */
export interface Refusal {
  /** The lines for one unit ("" for the manager as a whole) refused for `reason`. */
  lines(unit: string, reason: string): string[];
  /** The exit code of a polkit refusal (systemd: 4 for jobs, 1 for other calls). */
  readonly deniedCode: number;
}

/** systemd's refusal of a job (`start_unit_one()`): the failure and where to look. */
export function jobRefusal(verb: string): Refusal {
  return {
    lines: (unit, reason) => [
      `Failed to ${verb} ${unit}: ${reason}`,
      `See system logs and 'systemctl status${
        unit.startsWith("-") ? " --" : ""
      } ${unit}' for details.`,
    ],
    deniedCode: EXIT_NOPERMISSION,
  };
}

/** A refusal of one line per unit (`Failed to kill unit X: Access denied`), exit 1. */
export function callRefusal(prefix: string): Refusal {
  return { lines: (unit, reason) => [`${prefix} ${unit}: ${reason}`], deniedCode: EXIT_FAILURE };
}

/**
 * Runs `run` when the caller can record unit state. Otherwise each unit `names()` gives ("" for
 * a request to the manager as a whole) gets the refusal and nothing else happens: `Access
 * denied` (exit 4 for jobs) for a non-root caller of the system manager, else `Failed to write
 * state of X: <errno text> (<dir>).` (exit 1).
 */
export async function whenPermitted(
  ctx: Context,
  refusal: Refusal,
  names: (m: Manager) => string[],
  run: () => Promise<number>,
): Promise<number> {
  const dir = `${stateDirHost(ctx)}/units`;
  const problem = cannotWrite(dir);
  if (problem === undefined) return await run();
  const denied = deniedCaller(ctx.scope) && isAccessError(problem);
  // A pattern that matches no unit asks for nothing, as with systemd.
  const units = names(new Manager(ctx));
  if (units.length === 0) return EXIT_SUCCESS;
  for (const unit of units) {
    const of = unit === "" ? "" : ` of ${unit}`;
    const lines = denied
      ? refusal.lines(unit, "Access denied")
      : [`Failed to write state${of}: ${reasonText(problem)} (${dir}).`];
    for (const line of lines) ctx.io.err(line + "\n");
  }
  return denied ? refusal.deniedCode : 1;
}

/**
 * The init verb behind the same question. A non-root PID 1 is exempt: it runs in user mode,
 * with its state under `$XDG_RUNTIME_DIR`, and answers for itself.
 */
export function permittedInit(
  init: (ctx: Context, args: string[]) => Promise<number>,
): (ctx: Context, args: string[]) => Promise<number> {
  return (ctx, args) => {
    if (Deno.pid === 1 && Deno.uid() !== 0) return init(ctx, args);
    return whenPermitted(
      ctx,
      jobRefusal("start"),
      (m) => args.length > 0 ? m.expand(args) : ["default.target"],
      () => init(ctx, args),
    );
  };
}

/**
 * Runs `run` unless the caller is refused as systemd refuses a non-root caller of the system
 * manager (`line`, exit 1). Unlike {@link whenPermitted} nothing else is asked: the verb itself
 * writes no state, so a read-only root does not stop it.
 */
export async function unlessDenied(
  ctx: Context,
  line: string,
  run: () => Promise<number>,
): Promise<number> {
  if (deniedCaller(ctx.scope) && isAccessError(cannotWrite(`${stateDirHost(ctx)}/units`))) {
    ctx.io.err(line + "\n");
    return EXIT_FAILURE;
  }
  return await run();
}
