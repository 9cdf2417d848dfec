/**
 * The runtime flags of the installable artifact: one list for `deno compile`,
 * the bundle launcher and the tests, so they cannot drift.
 * @module
 */

// The permission list lives with the code that re-invokes the program.
export { PERMISSION_FLAGS } from "../src/process/self.ts";

/**
 * Extra flags of the bundle launcher's `deno run`: nothing from the caller's
 * working directory (deno.json, deno.lock) and nothing fetched at run time.
 */
export const RUN_FLAGS: readonly string[] = [
  "--no-config",
  "--no-lock",
  "--no-remote",
  "--no-npm",
];
