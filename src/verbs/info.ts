/**
 * `version` and `help [UNIT...]`.
 * @module
 */

import type { Context, VerbHandler } from "../cli/context.ts";
import { versionText } from "../version.ts";

/** `version`: same as `--version`. */
export function version(ctx: Context): Promise<number> {
  ctx.io.out(versionText());
  return Promise.resolve(0);
}

/** What the `help` verb asks of the verb table (given by the table, which this module does not import). */
export interface VerbTable {
  /** The usage text; with a verb, that verb's synopsis and help. */
  usage(verb?: string): string;
  /** Whether `name` is a verb or an alias. */
  isVerb(name: string): boolean;
}

/** `help`: the usage text; `help VERB` that verb; with units, their Documentation= entries. */
export function helpVerb(table: VerbTable): VerbHandler {
  return (ctx, args) => help(ctx, args, table);
}

async function help(ctx: Context, args: string[], table: VerbTable): Promise<number> {
  if (args.length === 0) {
    ctx.io.out(table.usage());
    return 0;
  }
  // `help VERB` describes a verb; any other argument is a unit whose docs are listed.
  if (args.length === 1 && table.isVerb(args[0])) {
    ctx.io.out(table.usage(args[0]));
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
