/**
 * JSON output modes: `json` (compact), `json-pretty` (tab-indented with
 * `"key" : value`, as systemd prints it), `json-seq`, `json-sse`. Pure.
 * @module
 */

function pretty(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const inner = value.map((v) => `${indent}\t${pretty(v, indent + "\t")}`).join(",\n");
    return `[\n${inner}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return "{}";
    const inner = entries
      .map(([k, v]) => `${indent}\t${JSON.stringify(k)} : ${pretty(v, indent + "\t")}`)
      .join(",\n");
    return `{\n${inner}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** Whether an `-o` mode is a JSON mode. */
export function isJsonMode(mode: string | undefined): boolean {
  return mode !== undefined && mode.startsWith("json");
}

/** Formats a value in a JSON output mode, with the trailing newline. */
export function formatJson(value: unknown, mode: string): string {
  switch (mode) {
    case "json-pretty":
      return pretty(value, "") + "\n";
    case "json-seq":
      return "\x1e" + JSON.stringify(value) + "\n";
    case "json-sse":
      return "data: " + JSON.stringify(value) + "\n\n";
    default:
      return JSON.stringify(value) + "\n";
  }
}
