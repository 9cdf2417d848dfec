/**
 * The unit log files (spec §5.5) read back: `log UNIT...` / `logs UNIT...` (ref verbs,
 * spec §1.5) and the `journalctl` companion's printing (its arguments: cli/journalctl.ts).
 * @module
 */

import type { Context, Io } from "../cli/context.ts";
import { logDir, type RootMap, type Scope } from "../units/paths.ts";
import { followFile, loggedUnits, logPath, readTail, shownLine } from "../units/journal_files.ts";
import type { UnitLoader } from "../units/loader.ts";
import { globMatch, isGlob, mangleUnitName } from "../unit/names.ts";
import { formatJson } from "../output/json.ts";

/** The units whose logs `log` prints; `Loader` resolves aliases (loaded lazily, for journalctl's start-up). */
function unitNames(ctx: Context, args: string[], Loader: typeof UnitLoader): string[] {
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
      loader ??= new Loader(ctx);
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
  const files: Followed[] = [];
  const { UnitLoader } = await import("../units/loader.ts");
  for (const unit of unitNames(ctx, args, UnitLoader)) {
    const path = logPath(ctx.root, ctx.scope, ctx.env, unit);
    const tail = readTail(path, n);
    for (const line of tail.lines) ctx.io.out(shownLine(line, all) + "\n");
    if (!tail.exists && !follow && !ctx.options.quiet) ctx.io.out("-- No entries --\n");
    files.push({ unit, path, start: tail.exists ? tail.end : 0 });
  }
  if (!follow || files.length === 0) return 0;
  ctx.io.flush();
  await followAll(files, (_unit, line) => {
    ctx.io.out(shownLine(line, all) + "\n");
    ctx.io.flush();
  });
  return 0;
}

/** What `journalctl` asked for, once its arguments are parsed. */
export interface JournalQuery {
  units: string[];
  userUnits: string[];
  lines: { from: "tail" | "head"; n: number } | undefined;
  follow: boolean;
  noTail: boolean;
  pagerEnd: boolean;
  reverse: boolean;
  output: string;
  sinceUs: number | undefined;
  quiet: boolean;
  /** `-a`: lines with control characters printed as they are, not as `[N blob data]`. */
  all: boolean;
  scope: Scope;
}

/** A log file to print: its unit and host path. */
interface Source {
  unit: string;
  path: string;
}

function selectSources(a: JournalQuery, root: RootMap, env: Record<string, string>): Source[] {
  const dir = root.resolve(logDir(a.scope, env));
  const present = loggedUnits(dir);
  const wanted = [...a.units, ...a.userUnits];
  const names: string[] = [];
  if (wanted.length === 0) names.push(...present);
  for (const w of wanted) {
    const name = mangleUnitName(w, ".service").name;
    if (isGlob(name)) names.push(...present.filter((u) => globMatch(name, u)));
    else names.push(name);
  }
  return [...new Set(names)].map((unit) => ({ unit, path: logPath(root, a.scope, env, unit) }));
}

function mtimeOf(path: string): number {
  try {
    return Deno.statSync(path).mtime?.getTime() ?? 0;
  } catch {
    return -1;
  }
}

/** Formats one line in the chosen output mode (with the newline). */
function render(a: JournalQuery, prefixUnit: boolean, unit: string, line: string): string {
  if (a.output.startsWith("json")) {
    return formatJson({ _SYSTEMD_UNIT: unit, MESSAGE: line }, a.output);
  }
  const prefix = a.output === "with-unit" || (prefixUnit && a.output !== "cat");
  // -o cat and export print the message as it is, as journalctl's output_cat() does.
  if (a.output !== "cat" && a.output !== "export") line = shownLine(line, a.all);
  return prefix ? `${unit}: ${line}\n` : `${line}\n`;
}

/** Prints (and with `-f` follows) the log files `a` selects; returns the exit code. */
export async function printJournal(
  a: JournalQuery,
  root: RootMap,
  env: Record<string, string>,
  io: Io,
): Promise<number> {
  const sources = selectSources(a, root, env);
  const prefixUnit = a.units.length === 0 && a.userUnits.length === 0;
  const lines = a.lines ??
    (a.pagerEnd ? { from: "tail", n: 1000 } : a.follow && !a.noTail ? { from: "tail", n: 10 } : {
      from: "tail",
      n: Infinity,
    });
  const tails = sources
    .map((s) => ({ ...s, mtime: mtimeOf(s.path) }))
    .filter((s) => a.sinceUs === undefined || s.mtime < 0 || s.mtime * 1000 >= a.sinceUs)
    .sort((x, y) => x.mtime - y.mtime || (x.unit < y.unit ? -1 : 1))
    .map((s) => ({ ...s, tail: readTail(s.path, lines.from === "tail" ? lines.n : Infinity) }));
  let entries = tails.flatMap((t) => t.tail.lines.map((line) => ({ unit: t.unit, line })));
  if (lines.from === "head") entries = entries.slice(0, lines.n);
  else if (Number.isFinite(lines.n)) {
    entries = entries.slice(Math.max(entries.length - lines.n, 0));
  }
  if (a.reverse) entries.reverse();
  for (const e of entries) io.out(render(a, prefixUnit, e.unit, e.line));
  if (!a.follow) {
    if (entries.length === 0 && !a.quiet) io.out("-- No entries --\n");
    return 0;
  }
  io.flush();
  await followAll(
    tails.map((t) => ({ unit: t.unit, path: t.path, start: t.tail.exists ? t.tail.end : 0 })),
    (unit, line) => {
      io.out(render(a, prefixUnit, unit, line));
      io.flush();
    },
  );
  return 0;
}

/** A file to follow from `start`, and the unit whose lines it holds. */
interface Followed {
  unit: string;
  path: string;
  start: number;
}

/** Follows several files until SIGINT or SIGTERM. */
async function followAll(
  files: Followed[],
  onLine: (unit: string, line: string) => void,
): Promise<void> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  // Signal listeners do not keep the event loop alive; the poll timers do.
  try {
    await Promise.all(
      files.map((f) =>
        followFile(f.path, (line) => onLine(f.unit, line), ac.signal, { start: f.start })
      ),
    );
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
  }
}
