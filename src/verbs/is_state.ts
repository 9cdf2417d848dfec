/**
 * `is-active` and `is-failed`: one state per resolved unit.
 * @module
 */

import type { Context } from "../cli/context.ts";
import { Manager } from "../service/manager.ts";
import { unitState } from "../service/runtime.ts";

function states(ctx: Context, args: string[]): string[] {
  const m = new Manager(ctx);
  return m.expand(args).map((name) => {
    const unit = m.loader.load(name);
    if (unit.id === "-.slice" || unit.id === "system.slice") return "active";
    return unitState(m.lenv, unit).ActiveState;
  });
}

/** `is-active PATTERN...`: exit 0 if any is active or reloading, else 3. */
export function isActive(ctx: Context, args: string[]): Promise<number> {
  const list = states(ctx, args);
  if (!ctx.options.quiet) ctx.io.out(list.map((s) => s + "\n").join(""));
  return Promise.resolve(list.some((s) => s === "active" || s === "reloading") ? 0 : 3);
}

/** `is-failed PATTERN...`: exit 0 if any is failed, else 1. */
export function isFailed(ctx: Context, args: string[]): Promise<number> {
  const list = states(ctx, args);
  if (!ctx.options.quiet) ctx.io.out(list.map((s) => s + "\n").join(""));
  return Promise.resolve(list.some((s) => s === "failed") ? 0 : 1);
}
