/**
 * After a verb that ran jobs or changed unit files: the units that systemd's
 * manager would have garbage-collected by the time the verb returns are
 * forgotten (src/service/gc.ts), so the next query reads them fresh.
 * @module
 */

import type { Context } from "../cli/context.ts";
import { Manager } from "../service/manager.ts";

/** Collects what may be collected; best effort (a read-only state directory keeps all). */
export async function collectAfterVerb(ctx: Context): Promise<void> {
  try {
    await new Manager(ctx).collect();
  } catch { /* the next verb that can write collects them */ }
}
