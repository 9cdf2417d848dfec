/**
 * `log UNIT...` / `logs UNIT...` (ref verbs, spec §1.5): print a unit's log file.
 * @module
 */

import type { Context } from "../cli/context.ts";
import { logDir } from "../units/paths.ts";
import { followFile, loggedUnits, logPath, readTail, shownLine } from "../units/journal_files.ts";
import { UnitLoader } from "../units/loader.ts";
import { globMatch, isGlob, mangleUnitName } from "../unit/names.ts";

function unitNames(ctx: Context, args: string[]): string[] {
  const dir = ctx.root.resolve(logDir(ctx.scope, ctx.env));
  let loader: UnitLoader | undefined;
  const names: string[] = [];
  for (const arg of args) {
    const m = mangleUnitName(arg, ".service");
    if (m.warning) ctx.warn(m.warning);
    if (isGlob(m.name)) {
      names.push(...loggedUnits(dir).filter((u) => globMatch(m.name, u)));
      continue;
    }
    // Logs are kept under the real name: resolve aliases.
    try {
      loader ??= new UnitLoader(ctx);
      names.push(loader.load(m.name).id);
    } catch {
      names.push(m.name);
    }
  }
  return [...new Set(names)];
}

/**
 * Prints the last `-n` lines (`ctx.options.lines`; its default is 10, as for `status`,
 * and `-n 0` prints nothing) of each unit's log file; `-f` then follows the files until
 * SIGINT/SIGTERM. A unit without a log file prints `-- No entries --`, like journalctl.
 */
export async function log(ctx: Context, args: string[]): Promise<number> {
  const n = ctx.options.lines;
  const follow = ctx.options.force > 0;
  const all = ctx.options.all > 0;
  const files: Array<{ path: string; start: number }> = [];
  for (const unit of unitNames(ctx, args)) {
    const path = logPath(ctx.root, ctx.scope, ctx.env, unit);
    const tail = readTail(path, n);
    for (const line of tail.lines) ctx.io.out(shownLine(line, all) + "\n");
    if (!tail.exists && !follow && !ctx.options.quiet) ctx.io.out("-- No entries --\n");
    files.push({ path, start: tail.exists ? tail.end : 0 });
  }
  if (!follow || files.length === 0) return 0;
  ctx.io.flush();
  const ac = new AbortController();
  const stop = () => ac.abort();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  try {
    await Promise.all(files.map((f) =>
      followFile(
        f.path,
        (line) => {
          ctx.io.out(shownLine(line, all) + "\n");
          ctx.io.flush();
        },
        ac.signal,
        { start: f.start },
      )
    ));
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
  }
  return 0;
}
