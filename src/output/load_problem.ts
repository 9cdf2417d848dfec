/**
 * systemd's words and exit code for a unit a job cannot act on (not found, masked, bad
 * setting, failed to load): shared by the job verbs and the init's `listen` verb.
 * @module
 */

import { EXIT_FAILURE, EXIT_NOTINSTALLED } from "../unit/exit_codes.ts";

/** What the words need of the unit. */
export interface UnitLoadFacts {
  readonly requested: string;
  readonly id: string;
  readonly loadState: string;
  readonly loadError?: string;
}

/** Verbs whose job on a missing unit says "not found" (the others say "not loaded"). */
const LOADING_VERBS = new Set([
  "start",
  "restart",
  "try-restart",
  "reload",
  "reload-or-restart",
  "reload-or-try-restart",
  "isolate",
]);

/** The message (lines without the final newline) and exit code; undefined if loaded. */
export function loadProblem(
  verb: string,
  unit: UnitLoadFacts,
): { text: string; code: number } | undefined {
  const n = unit.requested;
  switch (unit.loadState) {
    case "loaded":
      return undefined;
    case "not-found":
      return LOADING_VERBS.has(verb)
        ? { text: `Failed to ${verb} ${n}: Unit ${n} not found.`, code: EXIT_NOTINSTALLED }
        : { text: `Failed to ${verb} ${n}: Unit ${n} not loaded.`, code: EXIT_NOTINSTALLED };
    case "masked":
      return { text: `Failed to ${verb} ${n}: Unit ${n} is masked.`, code: EXIT_FAILURE };
    case "bad-setting":
      return {
        text: `Failed to ${verb} ${n}: Unit ${unit.id} has a bad unit file setting.\n` +
          `See system logs and 'systemctl status ${n}' for details.`,
        code: EXIT_FAILURE,
      };
    default:
      return {
        text:
          `Failed to ${verb} ${n}: Unit ${unit.id} failed to load properly, please adjust/correct ` +
          `and reload service manager: ${unit.loadError ?? "Invalid argument"}`,
        code: EXIT_FAILURE,
      };
  }
}
