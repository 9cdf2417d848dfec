/**
 * Least privilege per verb: after the command line is parsed, every
 * permission the verb's access class does not need is revoked, so a query
 * verb that tried to spawn, write or load a library is refused by the
 * runtime (`Deno.errors.NotCapable`), not merely by our own code.
 *
 * The program is started with `--allow-read --allow-write --allow-env
 * --allow-sys --allow-run --allow-ffi --allow-net` (see
 * `scripts/flags.ts`); what each class keeps:
 *
 * | class     | keeps                                |
 * | --------- | ------------------------------------ |
 * | `read`    | read, env, sys                       |
 * | `inspect` | read, env, sys, ffi                  |
 * | `write`   | read, env, sys, write                |
 * | `run`     | read, env, sys, write, run, ffi, net |
 *
 * `inspect` (status, is-active, list-units) keeps FFI because Deno refuses
 * /proc to anything short of `--allow-all`, so procfs is read through libc.
 * `run` keeps net because Deno checks net permission for Unix sockets
 * (`unix:/path`), which the NOTIFY_SOCKET protocol and socket units use.
 * Remote module imports (`import`) are revoked for every class.
 * @module
 */

import type { Access } from "./verb_row.ts";

/**
 * A permission name; `import` (remote module hosts) is known to the runtime
 * though missing from `Deno.PermissionName`.
 */
export type PermissionName = Deno.PermissionName | "import";

/** Every permission the runtime knows and we may revoke. */
export const ALL_PERMISSIONS: readonly PermissionName[] = [
  "read",
  "write",
  "env",
  "sys",
  "run",
  "ffi",
  "net",
  "import",
];

/** The permissions each access class keeps; everything else is revoked. */
export const KEPT_PERMISSIONS: Readonly<Record<Access, readonly PermissionName[]>> = {
  read: ["read", "env", "sys"],
  inspect: ["read", "env", "sys", "ffi"],
  write: ["read", "env", "sys", "write"],
  run: ["read", "env", "sys", "write", "run", "ffi", "net"],
};

/** The permissions `dropPermissions(access)` revokes. */
export function revokedPermissions(access: Access): PermissionName[] {
  const kept = KEPT_PERMISSIONS[access];
  return ALL_PERMISSIONS.filter((name) => !kept.includes(name));
}

/**
 * Revokes every permission the access class does not need. Irreversible for
 * the life of the process; call it after parsing, before the verb runs.
 */
export function dropPermissions(access: Access): Promise<void> {
  for (const name of revokedPermissions(access)) {
    Deno.permissions.revokeSync({ name } as Deno.PermissionDescriptor);
  }
  return Promise.resolve();
}
