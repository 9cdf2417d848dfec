/**
 * After a verb that ran jobs or changed unit files: the units that systemd's
 * manager would have garbage-collected by the time the verb returns are
 * forgotten (src/service/gc.ts), so the next query reads them fresh.
 * @module
 */

import type { Context } from "../cli/context.ts";
import { Manager } from "../service/manager.ts";
import { liveInit, reloadInit } from "../service/init_link.ts";

/**
 * Whether systemctl would talk to a running manager (live) rather than work on the files
 * itself (offline): an init instance runs for this scope and no `--root` is given.
 */
export function liveManager(ctx: Context): boolean {
  if (ctx.options.root !== undefined && ctx.options.root !== "/") return false;
  try {
    return liveInit(ctx) !== undefined;
  } catch {
    return false;
  }
}

/**
 * Collects what may be collected; best effort (a read-only state directory keeps all).
 * After a change of unit files while a manager runs, the init re-reads them first, as
 * systemctl has systemd's manager reload after `enable`, `disable`, `mask`, ….
 */
export async function collectAfterVerb(ctx: Context, unitFilesChanged = false): Promise<void> {
  try {
    if (unitFilesChanged && liveManager(ctx)) await reloadInit(ctx);
    await new Manager(ctx).collect();
  } catch { /* the next verb that can write collects them */ }
}
