/**
 * Preset policy files (`*.preset`), read as systemd 252 reads them: for each
 * base name the first preset directory wins, files apply in lexicographic
 * order of their base names, the first matching line decides, and a unit no
 * line matches is enabled. 252 knows `enable PATTERN [INSTANCE…]` and
 * `disable PATTERN`; any other line (including `ignore`) is reported as
 * unparsable and skipped.
 * @module
 */

import { globMatch, parseUnitName, templateOf } from "../unit/names.ts";
import { LineReader } from "../unit/parse.ts";
import { presetDirs, type RootMap, type Scope } from "./paths.ts";
import { dirEntries, readRegularTextChunks } from "./regular_file.ts";

/** What a preset rule says about a unit. */
export type PresetAction = "enable" | "disable";

/** One parsed preset line. */
export interface PresetRule {
  /** The fnmatch pattern (or template name when instances are listed). */
  readonly pattern: string;
  readonly action: PresetAction;
  /** Instances listed after an `enable TEMPLATE@.service` pattern. */
  readonly instances?: readonly string[];
}

/** The parsed preset policy, plus the warnings reading it produced. */
export interface Presets {
  readonly rules: readonly PresetRule[];
  /** `file:line: Couldn't parse line '…'. Ignoring.` lines, in reading order. */
  readonly warnings: readonly string[];
  /**
   * Why the policy could not be read: a line of LONG_LINE_MAX bytes or more makes
   * systemd's `read_presets()` fail with ENOBUFS, and every preset query with it.
   */
  readonly error?: "ENOBUFS";
}

/** The answer of a preset query; `instances` is set for an `enable` rule with instances. */
export interface PresetAnswer {
  readonly action: PresetAction;
  readonly instances?: readonly string[];
}

/**
 * Lists the preset files as systemd's `conf_files_list_strv` does: one file
 * per base name (the first directory in priority order wins), sorted by base
 * name. Returns host paths.
 */
export function presetFiles(root: RootMap, scope: Scope): string[] {
  const byName = new Map<string, string>();
  for (const dir of presetDirs(scope)) {
    const host = root.resolve(dir);
    const entries = dirEntries(host);
    if (!entries) continue;
    for (const e of entries) {
      if (!e.name.endsWith(".preset") || byName.has(e.name)) continue;
      const path = `${host}/${e.name}`;
      try {
        // Like conf_files, skip entries that are not regular files (after following links).
        if (!Deno.statSync(path).isFile) continue;
      } catch {
        continue;
      }
      byName.set(e.name, path);
    }
  }
  return [...byName.keys()].sort(compareBytes).map((n) => byName.get(n) as string);
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** systemd's `first_word`: the rest of `line` after `word` and whitespace, or undefined. */
function firstWord(line: string, word: string): string | undefined {
  if (!line.startsWith(word)) return undefined;
  const rest = line.slice(word.length);
  if (rest === "") return "";
  if (!/^\s/.test(rest)) return undefined;
  return rest.replace(/^\s+/, "");
}

/** Collects the rules of one preset file, line by line (see {@link parsePresetText}). */
class PresetParser {
  readonly rules: PresetRule[] = [];
  readonly warnings: string[] = [];
  readonly reader: LineReader;
  #lineNo = 0;

  constructor(readonly file: string) {
    this.reader = new LineReader((raw) => this.#line(raw));
  }

  #line(raw: string): boolean {
    const n = ++this.#lineNo;
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return true;
    const enable = firstWord(line, "enable");
    if (enable !== undefined) {
      const words = enable.split(/\s+/).filter((w) => w !== "");
      const pattern = words[0] ?? "";
      if (words.length > 1) {
        const parts = parseUnitName(pattern);
        if (!parts || !parts.isTemplate) {
          this.warnings.push(`${this.file}:${n}: Couldn't parse line '${line}'. Ignoring.`);
          return true;
        }
        this.rules.push({ pattern, action: "enable", instances: words.slice(1) });
      } else this.rules.push({ pattern, action: "enable" });
      return true;
    }
    const disable = firstWord(line, "disable");
    if (disable !== undefined) {
      this.rules.push({ pattern: disable, action: "disable" });
      return true;
    }
    this.warnings.push(`${this.file}:${n}: Couldn't parse line '${line}'. Ignoring.`);
    return true;
  }
}

/**
 * Parses the text of one preset file. `file` names it in warnings. Lines end as
 * systemd's `read_line()` ends them; a line of LONG_LINE_MAX bytes or more makes the
 * result carry `error: "ENOBUFS"`. Pure: no I/O.
 */
export function parsePresetText(text: string, file: string): Presets {
  const p = new PresetParser(file);
  p.reader.push(text);
  p.reader.end();
  return {
    rules: p.rules,
    warnings: p.warnings,
    ...(p.reader.tooLong ? { error: "ENOBUFS" as const } : {}),
  };
}

/**
 * Reads every preset file of the scope under the root, each in pieces. A line over the
 * limit fails the whole policy, as systemd's `read_presets()` does.
 */
export function readPresets(root: RootMap, scope: Scope): Presets {
  const rules: PresetRule[] = [];
  const warnings: string[] = [];
  for (const file of presetFiles(root, scope)) {
    const p = new PresetParser(file);
    try {
      readRegularTextChunks(file, (text) => p.reader.push(text), { fatal: false });
    } catch {
      continue;
    }
    p.reader.end();
    for (const w of p.warnings) warnings.push(w);
    if (p.reader.tooLong) return { rules: [], warnings, error: "ENOBUFS" };
    for (const r of p.rules) rules.push(r);
  }
  return { rules, warnings };
}

function matchInstances(rule: PresetRule, name: string): readonly string[] | boolean {
  if (!rule.instances) return false;
  const template = templateOf(name);
  if (template === undefined || template !== rule.pattern) return false;
  const parts = parseUnitName(name);
  if (!parts) return false;
  if (parts.isTemplate) {
    return rule.instances.map((i) => `${parts.prefix}@${i}.${parts.type}`);
  }
  return rule.instances.includes(parts.instance as string);
}

/**
 * The preset for a unit name: the first rule that matches decides; no match
 * means `enable`. With `wantInstances`, an `enable` rule listing instances
 * for the name's template answers with those instance names (for a
 * template) or matches only the listed instances (for an instance).
 */
export function queryPreset(
  presets: Presets,
  name: string,
  wantInstances = false,
): PresetAnswer {
  for (const rule of presets.rules) {
    if (wantInstances) {
      const m = matchInstances(rule, name);
      if (Array.isArray(m)) return { action: rule.action, instances: m };
      if (m === true) return { action: rule.action };
    }
    if (globMatch(rule.pattern, name)) return { action: rule.action };
  }
  return { action: "enable" };
}
