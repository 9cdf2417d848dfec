/**
 * One deliberate difference from systemd 252's offline unit-file verbs, in one place.
 * @module
 */

import { builtinUnitText } from "../../src/unit/builtins.ts";

/**
 * systemd's stderr without its warning about a missing target that our program provides itself
 * (`sockets.target`, `default.target`, ... exist for us even when no file ships them).
 */
export function withoutBuiltinWarnings(stderr: string): string {
  return stderr.split("\n").filter((line) => {
    const m = /is added as a dependency to a non-existent unit (\S+)\.$/.exec(line);
    return !m || builtinUnitText(m[1]) === undefined;
  }).join("\n");
}
