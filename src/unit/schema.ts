/**
 * The directive table: which sections a unit type has, which keys each
 * section knows, and what kind of value each takes. Pure.
 * @module
 */

import { KNOWN_DIRECTIVES } from "./schema_data.ts";
import type { Assignment, Diagnostic } from "./parse.ts";
import { parseBoolean, parseMode, parseRlimit, rlimitKind } from "./values.ts";
import { parseTimespan } from "./timespan.ts";
import { parseSignal } from "./signals.ts";
import { parseCalendar } from "./calendar.ts";
import { isNormalizedPath, parseUnitName, simplifyPath } from "./names.ts";
import { parseListen } from "./socket_address.ts";

/** Whether a path has a `..` component once simplified (systemd: "not normalized"). */
export function climbsUp(path: string): boolean {
  return !isNormalizedPath(simplifyPath(path));
}

const DIRECTORY_KEYS = new Set([
  "RuntimeDirectory",
  "StateDirectory",
  "CacheDirectory",
  "LogsDirectory",
  "ConfigurationDirectory",
]);

/**
 * The words of a `*Directory=` value that systemd refuses, with its warning: absolute
 * or not normalized paths (in `name:link`, both halves are checked). The rest is kept.
 */
export function directoryWordProblems(key: string, value: string): string[] {
  const out: string[] = [];
  for (const word of value.split(/\s+/).filter((w) => w)) {
    for (const part of word.split(":")) {
      if (part.startsWith("/")) out.push(`${key}= path is absolute, ignoring: ${part}`);
      else if (climbsUp(part)) out.push(`${key}= path is not normalized, ignoring: ${part}`);
    }
  }
  return out;
}

/** systemd's complaint about a path setting that would leave its directory, if any. */
function pathProblem(key: string, value: string): string | undefined {
  if (key === "PIDFile" || key === "EnvironmentFile") {
    const path = key === "EnvironmentFile" ? value.replace(/^-/, "") : value;
    return climbsUp(path) ? `${key}= path is not normalized, ignoring: ${path}` : undefined;
  }
  if (key === "StandardOutput" || key === "StandardError" || key === "StandardInput") {
    const m = /^(file|append|truncate):(.*)$/.exec(value);
    return m && climbsUp(m[2]) ? `${key}= path is not normalized: ${m[2]}` : undefined;
  }
  return undefined;
}

const ENUMS: Record<string, [Set<string>, string]> = {
  SERVICETYPE: [
    new Set(["simple", "exec", "forking", "oneshot", "dbus", "notify", "notify-reload", "idle"]),
    "Failed to parse service type, ignoring",
  ],
  SERVICERESTART: [
    new Set(["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"]),
    "Failed to parse service restart specifier, ignoring",
  ],
  SERVICEEXITTYPE: [new Set(["main", "cgroup"]), "Failed to parse service exit type, ignoring"],
  KILLMODE: [
    new Set(["control-group", "process", "mixed", "none"]),
    "Failed to parse kill mode specification, ignoring",
  ],
};

const OUTPUTS = new Set([
  "inherit",
  "null",
  "tty",
  "journal",
  "kmsg",
  "journal+console",
  "kmsg+console",
  "syslog",
  "syslog+console",
  "socket",
]);
const INPUTS = new Set(["null", "tty", "tty-force", "tty-fail", "socket", "data"]);

/** systemd's complaint about a value of this kind, or undefined when it parses. */
function valueProblem(kind: string, key: string, value: string): string | undefined {
  // A few time settings are listed with a generic kind; systemd still parses them as spans.
  if (kind === "OTHER" && /^Timeout(Stop|Abort)?Sec$/.test(key)) kind = "SECONDS";
  const e = ENUMS[kind];
  if (e) return e[0].has(value) ? undefined : `${e[1]}: ${value}`;
  switch (kind) {
    case "BOOLEAN":
      return parseBoolean(value) === undefined
        ? `Failed to parse boolean value, ignoring: ${value}`
        : undefined;
    case "SECONDS":
      return parseTimespan(value) === undefined
        ? `Failed to parse time value, ignoring: ${value}`
        : undefined;
    case "TIMER":
      if (key === "OnCalendar") {
        try {
          parseCalendar(value);
          return undefined;
        } catch {
          return `Failed to parse calendar specification, ignoring: ${value}`;
        }
      }
      return parseTimespan(value) === undefined
        ? `Failed to parse timer value, ignoring: ${value}`
        : undefined;
    case "NICE":
      if (!/^[-+]?\d+$/.test(value)) {
        return `Failed to parse nice priority '${value}', ignoring: Invalid argument`;
      }
      return Number(value) >= -20 && Number(value) <= 19
        ? undefined
        : `Nice priority out of range, ignoring: ${value}`;
    case "OOMSCOREADJUST":
      if (!/^[-+]?\d+$/.test(value)) {
        return `Failed to parse the OOM score adjust value '${value}', ignoring: Invalid argument`;
      }
      return Number(value) >= -1000 && Number(value) <= 1000
        ? undefined
        : `OOM score adjust value out of range, ignoring: ${value}`;
    case "MODE":
      return key.endsWith("JobMode") || parseMode(value) !== undefined
        ? undefined
        : `Failed to parse mode value, ignoring: ${value}`;
    case "SIGNAL":
      return parseSignal(value) === undefined
        ? `Failed to parse signal name, ignoring: ${value}`
        : undefined;
    case "LIMIT":
      return !key.startsWith("Limit") || parseRlimit(value, rlimitKind(key)) !== undefined
        ? undefined
        : `Failed to parse resource value, ignoring: ${value}`;
    case "OUTPUT":
      return OUTPUTS.has(value) || /^(file|append|truncate|fd):./.test(value)
        ? undefined
        : `Failed to parse output specifier, ignoring: ${value}`;
    case "INPUT":
      return INPUTS.has(value) || /^(file|fd):./.test(value)
        ? undefined
        : `Failed to parse input specifier, ignoring: ${value}`;
    case "SOCKET": {
      if (!key.startsWith("Listen")) return undefined;
      const r = parseListen(key, value);
      return "error" in r ? r.error : undefined;
    }
    case "SERVICE": {
      if (value.includes("%")) return undefined; // checked once specifiers are expanded
      if (!value.endsWith(".service")) return `Unit must be of type service, ignoring: ${value}`;
      const parts = parseUnitName(value);
      if (!parts) return `Failed to load unit ${value}, ignoring: Unit name ${value} is not valid.`;
      return parts.isTemplate
        ? `Failed to load unit ${value}, ignoring: Unit name ${value} is missing the instance name.`
        : undefined;
    }
    case "SOCKETBIND":
      return ["default", "both", "ipv6-only"].includes(value) || parseBoolean(value) !== undefined
        ? undefined
        : `Failed to parse bind IPv6 only value, ignoring: ${value}`;
  }
  return undefined;
}

/** Section -> key -> kind, each section built on its first lookup (a query reads two or three). */
const TABLE = new Map<string, Map<string, string> | undefined>();

function sectionTable(section: string): Map<string, string> | undefined {
  if (TABLE.has(section)) return TABLE.get(section);
  const body = Object.hasOwn(KNOWN_DIRECTIVES, section) ? KNOWN_DIRECTIVES[section] : undefined;
  let m: Map<string, string> | undefined;
  if (body !== undefined) {
    m = new Map<string, string>();
    for (const item of body.split(" ")) {
      if (!item) continue;
      const i = item.lastIndexOf(":");
      const key = item.slice(0, i);
      const kind = item.slice(i + 1);
      if (kind !== "OTHER" || !m.has(key)) m.set(key, kind);
    }
  }
  TABLE.set(section, m);
  return m;
}

const TYPE_SECTION: Record<string, string | undefined> = {
  service: "Service",
  socket: "Socket",
  mount: "Mount",
  automount: "Automount",
  swap: "Swap",
  timer: "Timer",
  path: "Path",
  slice: "Slice",
  scope: "Scope",
  target: undefined,
  device: undefined,
};

/** The sections a unit of this type may have. */
export function sectionsFor(type: string): string[] {
  const own = TYPE_SECTION[type];
  return own ? ["Unit", own, "Install"] : ["Unit", "Install"];
}

/** The value kind of a directive (BOOLEAN, SECONDS, UNIT, ...), or undefined if unknown. */
export function directiveKind(section: string, key: string): string | undefined {
  return sectionTable(section)?.get(key);
}

/**
 * Checks assignments against the table and returns the ones to keep plus
 * warnings, as systemd does: unknown keys and unparsable values are warned
 * about and ignored (`X-` names silently); assignments in sections this unit
 * type does not have are dropped (see {@link sectionProblems} for the warning).
 */
export function validateAssignments(
  type: string,
  assignments: readonly Assignment[],
): { kept: Assignment[]; diagnostics: Diagnostic[] } {
  const allowed = new Set(sectionsFor(type));
  const kept: Assignment[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const a of assignments) {
    if (a.section.startsWith("X-") || a.key.startsWith("X-")) continue;
    if (!allowed.has(a.section)) continue;
    const kind = directiveKind(a.section, a.key);
    if (kind === undefined) {
      diagnostics.push({
        file: a.file,
        line: a.line,
        message: `Unknown key '${a.key}' in section [${a.section}], ignoring.`,
      });
      continue;
    }
    const problem = a.value === ""
      ? undefined
      : valueProblem(kind, a.key, a.value) ?? pathProblem(a.key, a.value);
    if (problem) {
      diagnostics.push({ file: a.file, line: a.line, message: problem });
      continue;
    }
    if (DIRECTORY_KEYS.has(a.key)) {
      // The bad words are dropped where the setting is read; the rest of the line counts.
      for (const message of directoryWordProblems(a.key, a.value)) {
        diagnostics.push({ file: a.file, line: a.line, message });
      }
    }
    kept.push(a);
  }
  return { kept, diagnostics };
}

/** Warnings for section headers this unit type does not have, at the header's line. */
export function sectionProblems(
  type: string,
  file: string,
  headers: ReadonlyArray<{ name: string; line: number }>,
): Diagnostic[] {
  const allowed = new Set(sectionsFor(type));
  return headers
    .filter((h) => !allowed.has(h.name) && !h.name.startsWith("X-"))
    .map((h) => ({ file, line: h.line, message: `Unknown section '${h.name}'. Ignoring.` }));
}
