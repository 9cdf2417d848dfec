/**
 * `list-units`: the table, legend and count lines systemd 252 prints when stdout is not a
 * terminal, its JSON form, and the row order. Pure.
 * @module
 */

import { formatTable, width } from "./table.ts";
import { formatJson, isJsonMode } from "./json.ts";

/** One `list-units` row. */
export interface UnitRow {
  unit: string;
  load: string;
  active: string;
  sub: string;
  /** The pending job type (`start`, `stop`, ...), if any. */
  job?: string;
  description: string;
}

/** How the listing is shaped (from `--plain`, `--legend`, `--all`, `--state`, `--full`, `-o`). */
export interface ListUnitsOptions {
  /** `--plain`: no glyph column. */
  plain: boolean;
  /** False for `--no-legend`, `--legend=no` and `-q`: no header, legend or count. */
  legend: boolean;
  /** `--all`. */
  all: boolean;
  /** The `--state` values (`--failed` adds `failed`). */
  states: readonly string[];
  /**
   * False only when stdout is a terminal and `--full` was not given: then the description
   * is ellipsized so that lines fit {@link ListUnitsOptions.columns}.
   */
  full: boolean;
  /** `-o` mode; a `json*` mode prints JSON instead of the table. */
  output?: string;
  /** Terminal width for ellipsizing (default 80). */
  columns?: number;
}

const BAD_LOAD = new Set(["not-found", "bad-setting", "error", "masked"]);

function lowerAscii(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

function strcasecmp(a: string, b: string): number {
  const x = lowerAscii(a);
  const y = lowerAscii(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * systemd's `unit_info_compare`: by type suffix (the text from the last dot), then by the
 * whole name, both compared case-insensitively (ASCII, like `strcasecmp`).
 */
export function compareUnitNames(a: string, b: string): number {
  const da = a.lastIndexOf(".");
  const db = b.lastIndexOf(".");
  if (da >= 0 && db >= 0) {
    const r = strcasecmp(a.slice(da), b.slice(db));
    if (r !== 0) return r;
  }
  return strcasecmp(a, b);
}

function ellipsize(s: string, k: number): string {
  const chars = Array.from(s);
  if (chars.length <= k) return s;
  return chars.slice(0, Math.max(k - 1, 0)).join("") + "…";
}

const LEGEND = [
  "LOAD   = Reflects whether the unit definition was properly loaded.",
  "ACTIVE = The high-level unit activation state, i.e. generalization of SUB.",
  "SUB    = The low-level unit activation state, values depend on unit type.",
];

/**
 * Formats `list-units` output (with the trailing newline). Rows are printed in the given
 * order; sort them with {@link compareUnitNames} first. JSON modes print an array of
 * `{unit, load, active, sub, description}` objects (plus `job` when a row has a job).
 */
export function formatListUnits(rows: readonly UnitRow[], opts: ListUnitsOptions): string {
  const hasJob = rows.some((r) => r.job);
  if (opts.output !== undefined && isJsonMode(opts.output)) {
    const objects = rows.map((r) => ({
      unit: r.unit,
      load: r.load,
      active: r.active,
      sub: r.sub,
      ...(hasJob ? { job: r.job ?? "" } : {}),
      description: r.description,
    }));
    return formatJson(objects, opts.output);
  }
  const header = ["UNIT", "LOAD", "ACTIVE", "SUB", ...(hasJob ? ["JOB"] : []), "DESCRIPTION"];
  let cells = rows.map((r) => [
    r.unit,
    r.load,
    r.active,
    r.sub,
    ...(hasJob ? [r.job ?? ""] : []),
    r.description,
  ]);
  if (!opts.plain) {
    header.unshift("");
    cells = rows.map((r, i) => [
      BAD_LOAD.has(r.load) || r.active === "failed" ? "●" : " ",
      ...cells[i],
    ]);
  }
  let lines = formatTable(opts.legend ? header : undefined, cells);
  if (!opts.full) lines = fitDescriptions(lines, opts, header, cells);
  const out = lines.map((l) => l + "\n");
  if (opts.legend) {
    const n = rows.length;
    if (n > 0) {
      out.push("\n", ...LEGEND.map((l) => l + "\n"));
      if (hasJob) out.push("JOB    = Pending job for the unit.\n", "\n");
    }
    if (opts.all || opts.states.includes("inactive")) {
      out.push(
        `${n} loaded units listed.\n`,
        "To show all installed unit files use 'systemctl list-unit-files'.\n",
      );
    } else if (opts.states.length === 0) {
      out.push(
        `${n} loaded units listed. Pass --all to see loaded but inactive units, too.\n`,
        "To show all installed unit files use 'systemctl list-unit-files'.\n",
      );
    } else out.push(`${n} loaded units listed.\n`);
  }
  return out.join("");
}

/** On a terminal without --full: shorten the description column so lines fit. */
function fitDescriptions(
  lines: string[],
  opts: ListUnitsOptions,
  header: string[],
  cells: string[][],
): string[] {
  const columns = opts.columns ?? 80;
  if (lines.every((l) => width(l) <= columns)) return lines;
  const last = header.length - 1;
  const prefix = lines.reduce((m, l, i) => {
    const row = opts.legend ? (i === 0 ? header : cells[i - 1]) : cells[i];
    return Math.max(m, width(l) - width(row[last] || "-"));
  }, 0);
  const room = Math.max(columns - prefix, 8);
  const shortened = cells.map((r) => [...r.slice(0, last), ellipsize(r[last], room)]);
  return formatTable(opts.legend ? header : undefined, shortened);
}
