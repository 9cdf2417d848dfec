/**
 * `-e`/`--extra-vars`/`--environment` (kept from docker-systemctl-replacement): each value
 * is read as an `Environment=` value (several assignments, quotes, no `$` expansion), or
 * with a leading `@` as an environment file inside the root. The result is one
 * `NAME=value` entry per variable, what the exec context applies after the unit's own
 * settings (§3.8 step 6).
 * @module
 */

import type { RootMap } from "../units/paths.ts";
import { parseEnvironmentFile, parseEnvironmentValue } from "../unit/environment.ts";
import { readRegularTextSync } from "../units/regular_file.ts";

/** Resolves the raw `-e` values; problems go to `warn` and the value is skipped. */
export function resolveExtraVars(
  raw: readonly string[],
  root: RootMap,
  warn: (text: string) => void,
): string[] {
  const out: string[] = [];
  for (const value of raw) {
    if (value.startsWith("@")) {
      let text: string;
      try {
        text = readRegularTextSync(root.host(value.slice(1)));
      } catch {
        warn(`Failed to read environment file ${value.slice(1)}, ignoring.`);
        continue;
      }
      for (const [k, v] of parseEnvironmentFile(text)) out.push(`${k}=${v}`);
      continue;
    }
    const parsed = parseEnvironmentValue(value);
    for (const w of parsed.warnings) warn(w);
    for (const [k, v] of parsed.vars) out.push(`${k}=${v}`);
  }
  return out;
}
