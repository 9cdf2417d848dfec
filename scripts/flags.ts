/**
 * The runtime flags of the installable artifact: one list for `deno compile`,
 * the bundle launcher and the tests, so they cannot drift. They live with the
 * code that re-invokes the program.
 * @module
 */

export { PERMISSION_FLAGS, RUN_FLAGS } from "../src/process/self.ts";
