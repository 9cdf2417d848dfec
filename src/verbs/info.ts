/**
 * `version` and `help [UNIT...]`.
 * @module
 */

import type { Context } from "../cli/context.ts";
import { usage } from "../cli/help.ts";
import { findVerb } from "../cli/registry.ts";
import { versionText } from "../version.ts";

/** `version`: same as `--version`. */
export function version(ctx: Context): Promise<number> {
  ctx.io.out(versionText());
  return Promise.resolve(0);
}

/** `help`: the usage text; `help VERB` that verb; with units, their Documentation= entries. */
export async function help(ctx: Context, args: string[]): Promise<number> {
  if (args.length === 0) {
    ctx.io.out(usage());
    return 0;
  }
  // `help VERB` describes a verb; any other argument is a unit whose docs are listed.
  if (args.length === 1 && findVerb(args[0])) {
    ctx.io.out(usage(args[0]));
    return 0;
  }
  const { loadUnits } = await import("../units/loader.ts");
  let rc = 0;
  for (const unit of loadUnits(ctx, args, ".service")) {
    const docs = unit.config?.list("Unit", "Documentation").flatMap((d) => d.split(/\s+/)) ?? [];
    if (docs.length === 0) {
      ctx.io.err(`Documentation for ${unit.id} not known.\n`);
      rc = 1;
      continue;
    }
    for (const d of docs) ctx.io.out(d + "\n");
  }
  return rc;
}
