/**
 * Reading the `[Install]` settings of a unit file and its drop-ins, as systemd 252's
 * `unit_file_load()` does: the files go through the one unit-file parser
 * (`unit/parse.ts`, read in pieces with its line limit and UTF-8 check), list values
 * through the one word splitter (`unit/values.ts`) and specifiers through
 * `unit/specifiers.ts` with the install-time set.
 * @module
 */

import { isValidUnitName, templateOf } from "../unit/names.ts";
import { ENOBUFS_TEXT, type ParsedFile, UnitTextParser } from "../unit/parse.ts";
import { expandInstallSpecifiers } from "../unit/specifiers.ts";
import { allWords, splitWords } from "../unit/values.ts";
import { dirEntries, readRegularTextChunks } from "./regular_file.ts";
import {
  emptyInstall,
  errnoOf,
  type InstallErrno,
  InstallError,
  type InstallSection,
  isInstance,
  isTemplate,
} from "./install_types.ts";

/** What reading `[Install]` needs of the lookup: host paths, the search path, listings. */
export interface InstallFiles {
  readonly searchPath: readonly string[];
  host(path: string): string;
  listed(dir: string, name: string): boolean | undefined;
}

/**
 * Expands the specifiers systemd allows in `[Install]` (see
 * {@link expandInstallSpecifiers}); throws an {@link InstallError} `EBADSLT` for one it
 * does not know.
 */
export function installPrintf(name: string, text: string, defaultInstance?: string): string {
  const out = expandInstallSpecifiers(text, name, defaultInstance);
  if (out === undefined) throw new InstallError("EBADSLT");
  return out;
}

/** The sections `unit_file_load()` names; others get `Unknown section`. */
const KNOWN_SECTIONS = new Set([
  "Install",
  "Unit",
  "Automount",
  "Device",
  "Mount",
  "Path",
  "Scope",
  "Service",
  "Slice",
  "Socket",
  "Swap",
  "Target",
  "Timer",
]);

type Note = { line: number; text: string };

/** The parser's warnings about a line's shape, which systemd gives in [Install] only. */
const LINE_NOTES = new Set([
  "Missing '=', ignoring line.",
  "Missing key name before '=', ignoring line.",
]);

/** One file parsed, or why it could not be read; `empty` when it held no text at all. */
function parseFile(hostPath: string): { parsed: ParsedFile; empty: boolean } | InstallErrno {
  const parser = new UnitTextParser(hostPath);
  let empty = true;
  try {
    readRegularTextChunks(hostPath, (text) => {
      empty = false;
      return parser.push(text);
    }, { unit: true });
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? "EIO" : errnoOf(e);
  }
  return { parsed: parser.end(), empty };
}

/** The errno of a parse that stopped (systemd's `config_parse()` result). */
function parseErrno(parsed: ParsedFile): InstallErrno | undefined {
  switch (parsed.error) {
    case undefined:
      return undefined;
    case ENOBUFS_TEXT:
      return "ENOBUFS";
    case "Bad message":
      return "EBADMSG";
    default:
      return "EINVAL";
  }
}

/**
 * The `[Install]` of a unit file with its drop-ins (those of the name and of its template,
 * the first dir winning per file name), or the errno that fails it, or `EMPTY` for a file
 * without text (a mask). `addAlso` takes each `Also=` name (it may throw an
 * {@link InstallError}); systemd's warnings go to `warnings`.
 */
export function loadInstall(
  files: InstallFiles,
  name: string,
  path: string,
  addAlso: ((name: string) => void) | undefined,
  warnings: string[],
): InstallSection | InstallErrno | "EMPTY" {
  const main = parseFile(files.host(path));
  if (typeof main === "string") return main;
  if (main.empty) return "EMPTY";
  // A line over systemd's limit fails the whole unit file (config_parse's ENOBUFS).
  if (main.parsed.error === ENOBUFS_TEXT) return "ENOBUFS";
  const pending = [main.parsed];
  const names = [`${name}.d`];
  const t = templateOf(name);
  if (t !== undefined && t !== name) names.push(`${t}.d`);
  const dropIns = new Map<string, string>();
  for (const dn of names) {
    for (const dir of files.searchPath) {
      if (files.listed(dir, dn) === false) continue;
      const entries = dirEntries(files.host(`${dir}/${dn}`));
      if (!entries) continue;
      for (const e of entries) {
        if (!e.name.endsWith(".conf") || dropIns.has(e.name)) continue;
        dropIns.set(e.name, `${dir}/${dn}/${e.name}`);
      }
    }
  }
  for (const n of [...dropIns.keys()].sort()) {
    if (pending[pending.length - 1].error !== undefined) break;
    const r = parseFile(files.host(dropIns.get(n) as string));
    if (typeof r === "string") continue; // unreadable drop-in: ignored
    if (r.parsed.error === ENOBUFS_TEXT) return "ENOBUFS";
    pending.push(r.parsed);
  }
  const install = emptyInstall();
  for (const parsed of pending) {
    const failed = applyInstall(install, name, parsed, addAlso, warnings);
    if (failed !== undefined) return failed;
  }
  return install;
}

/**
 * Applies one parsed file's `[Install]` settings in file order, as `config_parse()` calls
 * install.c's parsers; the warnings up to where the file failed go to `warnings`, sorted by
 * line. Returns the errno that fails the file.
 */
function applyInstall(
  install: InstallSection,
  name: string,
  parsed: ParsedFile,
  addAlso: ((name: string) => void) | undefined,
  warnings: string[],
): InstallErrno | undefined {
  const notes: Note[] = [];
  // Lines of other sections are skipped before their '=' is looked for (systemd ignores
  // those sections): only [Install] lines warn about a missing '=' or key.
  let h = 0;
  let section: string | undefined;
  for (const d of parsed.diagnostics) {
    while (h < parsed.headers.length && parsed.headers[h].line < d.line) {
      section = parsed.headers[h++].name;
    }
    if (section !== "Install" && LINE_NOTES.has(d.message)) continue;
    notes.push({ line: d.line, text: d.message });
  }
  for (const h of parsed.headers) {
    if (!KNOWN_SECTIONS.has(h.name) && !h.name.startsWith("X-")) {
      notes.push({ line: h.line, text: `Unknown section '${h.name}'. Ignoring.` });
    }
  }
  let failed: { line: number; errno: InstallErrno } | undefined;
  for (const a of parsed.assignments) {
    if (a.section !== "Install") continue;
    const note = (text: string) => notes.push({ line: a.line, text });
    const setList = (list: string[]): void => {
      if (a.value === "") {
        list.length = 0;
        return;
      }
      // config_parse_strv: EXTRACT_UNQUOTE|EXTRACT_RETAIN_ESCAPE, the words before an error kept.
      const split = splitWords(a.value, { retainEscape: true, strict: true, partial: true });
      for (const w of split.words) list.push(w);
      if (split.error !== undefined) note(split.error);
    };
    switch (a.key) {
      case "Alias": {
        const type = name.slice(name.lastIndexOf(".") + 1);
        if (type === "device" || type === "slice" || type === "scope") break;
        setList(install.aliases);
        break;
      }
      case "WantedBy":
        setList(install.wantedBy);
        break;
      case "RequiredBy":
        setList(install.requiredBy);
        break;
      case "Also": {
        // config_parse_also: extract_first_word without flags; any failure fails the file.
        const words = allWords(a.value);
        if (words === undefined) {
          failed = { line: a.line, errno: "EINVAL" };
          break;
        }
        for (const w of words) {
          let printed: string;
          try {
            printed = installPrintf(name, w);
          } catch {
            note(`Failed to resolve unit name in Also="${w}": Invalid slot`);
            failed = { line: a.line, errno: "EBADSLT" };
            break;
          }
          try {
            if (!isValidUnitName(printed)) throw new InstallError("EINVAL");
            addAlso?.(printed);
          } catch (e) {
            failed = { line: a.line, errno: e instanceof InstallError ? e.errno : "EINVAL" };
            break;
          }
          install.also.push(printed);
        }
        break;
      }
      case "DefaultInstance": {
        if (isInstance(name) || !isTemplate(name)) break;
        let printed: string;
        try {
          printed = installPrintf(name, a.value);
        } catch {
          break;
        }
        install.defaultInstance = printed === "" ? undefined : printed;
        break;
      }
      default:
        if (!a.key.startsWith("X-")) note(`Unknown key '${a.key}' in section [Install], ignoring.`);
    }
    if (failed !== undefined) break;
  }
  const kept = failed === undefined ? notes : notes.filter((n) => n.line <= failed!.line);
  kept.sort((x, y) => x.line - y.line);
  for (const n of kept) warnings.push(`${parsed.file}:${n.line}: ${n.text}`);
  return failed?.errno ?? parseErrno(parsed);
}
