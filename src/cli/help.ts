/**
 * `--help` and `help VERB`, generated from the verb and option tables.
 * @module
 */

import { OPTION_TABLE } from "./options.ts";
import type { VerbSpec } from "./verb_row.ts";

function pad(s: string, n: number): string {
  return s.length >= n ? s + " " : s + " ".repeat(n - s.length);
}

/** The usage text of the verb table `verbs`; with a verb, just that verb's synopsis and help. */
export function usage(verbs: readonly VerbSpec[], verb?: string): string {
  if (verb !== undefined) {
    const v = verbs.find((v) => v.name === verb || v.aliases?.includes(verb));
    if (v) {
      const aliases = v.aliases?.length ? `\nAliases: ${v.aliases.join(", ")}\n` : "";
      return `systemctl [OPTIONS...] ${v.name} ${v.usage}\n\n${v.help}\n${aliases}`;
    }
  }
  const lines: string[] = [
    "systemctl [OPTIONS...] COMMAND ...",
    "",
    "Query or send control commands to the system manager (no daemon needed).",
  ];
  let group = "";
  for (const v of verbs) {
    if (v.group !== group) {
      group = v.group;
      lines.push("", `${group}:`);
    }
    lines.push("  " + pad(`${v.name} ${v.usage}`.trimEnd(), 34) + v.help);
  }
  lines.push("", "Options:");
  for (const o of OPTION_TABLE) {
    if (o.long === "P") continue;
    const names = (o.short ? `-${o.short} ` : "   ") + `--${o.long}` + (o.arg ? `=${o.arg}` : "");
    lines.push("  " + pad(names, 32) + o.help + (o.noEffect ? " (no effect)" : ""));
  }
  lines.push("  -P NAME" + " ".repeat(25) + "Equivalent to --value --property=NAME");
  return lines.join("\n") + "\n";
}
