/**
 * Least privilege per verb: after the command line is parsed, every
 * permission the verb's access class does not need is revoked.
 * @module
 */

import type { Access } from "./registry.ts";

/** Revokes what the access class does not need. (Refined by the packaging work.) */
export async function dropPermissions(access: Access): Promise<void> {
  if (access === "run") return;
  await Deno.permissions.revoke({ name: "run" });
  await Deno.permissions.revoke({ name: "ffi" });
  await Deno.permissions.revoke({ name: "net" });
  if (access === "read") await Deno.permissions.revoke({ name: "write" });
}
