/**
 * Test helpers: run the real CLI (with the program's own permission list)
 * against a temporary root built from a map of files.
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PERMISSION_FLAGS } from "../../src/process/self.ts";
import { tempDir } from "../support/tmp.ts";

/** The repository's entry point. */
export const MOD = fileURLToPath(new URL("../../mod.ts", import.meta.url));

/** The explicit permission list the program runs with. */
export const PERMS = PERMISSION_FLAGS;

/** A finished CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `systemctl ARGS` (our mod.ts) and collects its output. */
export async function systemctl(
  args: string[],
  opts: { env?: Record<string, string> } = {},
): Promise<CliRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...PERMS, MOD, ...args],
    env: { NO_COLOR: "1", ...(opts.env ?? {}) },
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * Makes a temporary root with the given files (path → content; `->target` makes a symlink),
 * removed when the test module ends (tests/support/tmp.ts).
 */
export function makeTree(files: Record<string, string>): string {
  const root = tempDir("sysctl-cli-");
  for (const [path, content] of Object.entries(files)) {
    const host = join(root, path);
    Deno.mkdirSync(dirname(host), { recursive: true });
    if (content.startsWith("->")) Deno.symlinkSync(content.slice(2), host);
    else Deno.writeTextFileSync(host, content);
  }
  return root;
}

/** Parses `show` output into a map (the last value of a repeated key wins). */
export function parseShow(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
