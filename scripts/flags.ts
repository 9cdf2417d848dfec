/**
 * The runtime flags of the installable artifact: one list for `deno compile`,
 * the bundle launcher and the tests, so they cannot drift.
 * @module
 */

/**
 * What the program is started with; `dropPermissions` (src/cli/permissions.ts)
 * then revokes what the chosen verb does not need. No `-A`: `--allow-import`
 * (remote modules) and `--allow-scripts` are never granted.
 */
export const PERMISSION_FLAGS: readonly string[] = [
  "--allow-read", // unit files, state, /proc
  "--allow-write", // enable/disable symlinks, state files, logs
  "--allow-env", // SYSTEMD_* variables, %-specifiers, service environments
  "--allow-sys", // hostname, uid/gid, os release, boot id (specifiers, status)
  "--allow-run", // spawning services and the exec helper
  "--allow-ffi", // libc calls of the exec helper (setgroups, umask, execve)
  "--allow-net", // Unix sockets: NOTIFY_SOCKET, socket units (Deno checks unix:/path as net)
  "--unstable-net", // Deno.listenDatagram({ transport: "unixpacket" }) for sd_notify
  "--no-prompt", // a revoked permission throws NotCapable instead of asking on a TTY
];

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
