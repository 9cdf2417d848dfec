/**
 * `listen UNIT...` (kept from docker-systemctl-replacement, spec §1.5): start the named
 * socket units and serve them in the foreground until a signal, as an init instance
 * that runs just those units (`init UNIT...`): the init's socket host binds them and
 * activates their services; SIGTERM or SIGINT stops them and the program exits 0.
 * @module
 */

import type { Context } from "../cli/context.ts";
import { parseUnitName } from "../unit/names.ts";
import { Manager } from "../service/manager.ts";
import { loadProblem } from "../output/load_problem.ts";
import { initVerb } from "./init.ts";

/**
 * Names without a suffix get `.socket`. An argument that cannot be started is refused
 * before anything runs, with `start`'s words and exit codes (not found 5, masked 1, a
 * template without instance 1).
 */
export function listenVerb(ctx: Context, args: string[]): Promise<number> {
  const m = new Manager(ctx);
  const names = m.expand(args, ".socket");
  for (const name of names) {
    if (parseUnitName(name)?.isTemplate) {
      ctx.io.err(`Unit name ${name} is missing the instance name.\n`);
      return Promise.resolve(1);
    }
    const problem = loadProblem("start", m.loader.load(name));
    if (problem) {
      ctx.io.err(problem.text + "\n");
      return Promise.resolve(problem.code);
    }
  }
  if (names.length === 0) return Promise.resolve(0);
  return initVerb(ctx, names);
}
