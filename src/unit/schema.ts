/**
 * The directive table: which sections a unit type has, which keys each
 * section knows, and what kind of value each takes. Pure.
 * @module
 */

import { KNOWN_DIRECTIVES } from "./schema_data.ts";
import type { Assignment, Diagnostic } from "./parse.ts";
import { parseBoolean } from "./values.ts";
import { parseTimespan } from "./timespan.ts";

const TABLE = new Map<string, Map<string, string>>();
for (const [section, body] of Object.entries(KNOWN_DIRECTIVES)) {
  const m = new Map<string, string>();
  for (const item of body.split(" ")) {
    if (!item) continue;
    const i = item.lastIndexOf(":");
    m.set(item.slice(0, i), item.slice(i + 1));
  }
  TABLE.set(section, m);
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
  return TABLE.get(section)?.get(key);
}

/**
 * Checks assignments against the table and returns the ones to keep plus
 * warnings, as systemd does: unknown sections and keys are warned about and
 * ignored (`X-` names silently), invalid booleans and time spans too.
 */
export function validateAssignments(
  type: string,
  assignments: readonly Assignment[],
): { kept: Assignment[]; diagnostics: Diagnostic[] } {
  const allowed = new Set(sectionsFor(type));
  const kept: Assignment[] = [];
  const diagnostics: Diagnostic[] = [];
  const warnedSections = new Set<string>();
  for (const a of assignments) {
    if (a.section.startsWith("X-") || a.key.startsWith("X-")) continue;
    if (!allowed.has(a.section)) {
      const k = `${a.file}\0${a.section}`;
      if (!warnedSections.has(k)) {
        warnedSections.add(k);
        diagnostics.push({
          file: a.file,
          line: a.line,
          message: `Unknown section '${a.section}'. Ignoring.`,
        });
      }
      continue;
    }
    const kind = directiveKind(a.section, a.key);
    if (kind === undefined) {
      diagnostics.push({
        file: a.file,
        line: a.line,
        message: `Unknown key name '${a.key}' in section '${a.section}', ignoring.`,
      });
      continue;
    }
    if (a.value !== "" && kind === "BOOLEAN" && parseBoolean(a.value) === undefined) {
      diagnostics.push({
        file: a.file,
        line: a.line,
        message: `Failed to parse boolean value, ignoring: ${a.value}`,
      });
      continue;
    }
    if (a.value !== "" && kind === "SECONDS" && parseTimespan(a.value) === undefined) {
      diagnostics.push({
        file: a.file,
        line: a.line,
        message: `Failed to parse ${a.key}= parameter, ignoring: ${a.value}`,
      });
      continue;
    }
    kept.push(a);
  }
  return { kept, diagnostics };
}
