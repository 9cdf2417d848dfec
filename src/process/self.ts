/**
 * How to start this program again (exec helper, detached job runners):
 * `deno run <flags> <main module>` from source or a bundle, or the binary
 * alone when compiled.
 * @module
 */

/**
 * The explicit permissions (and unstable features) the program runs with;
 * never `-A`. The one list for the exec helper, `deno compile`, the bundle
 * launcher and the tests. `dropPermissions` (src/cli/permissions.ts) then
 * revokes what the chosen verb does not need.
 */
export const PERMISSION_FLAGS: readonly string[] = [
  "--allow-read", // unit files, state, logs
  "--allow-write", // enable/disable symlinks, state files, logs
  "--allow-env", // SYSTEMD_* variables, %-specifiers, service environments
  "--allow-sys", // hostname, uid/gid, os release (specifiers, status)
  "--allow-run", // re-invoking this program as the exec helper
  "--allow-ffi", // libc: posix_spawn, execve, credentials, limits, waitpid by pid, /proc reads
  // The notify socket is made through libc now (SO_PASSCRED); these two are kept until
  // nothing else needs Deno's net API or its unix datagram sockets.
  "--allow-net", // Unix sockets through Deno (Deno checks unix:/path as net)
  "--unstable-net", // Deno.listenDatagram({ transport: "unixpacket" })
  "--no-prompt", // a revoked permission throws NotCapable instead of asking on a TTY
];

/** A command line that starts this program; append the program's own arguments. */
export interface SelfCommand {
  /** Absolute path of the executable. */
  cmd: string;
  /** Arguments that precede the program's own arguments. */
  args: string[];
}

let cached: SelfCommand | undefined;

/**
 * The command that re-invokes this program. From the source tree the entry
 * is always the repository's `mod.ts` (not `Deno.mainModule`, which is a test
 * file under `deno test`); from a bundle it is the main module; a compiled
 * binary needs no module at all.
 */
export function selfCommand(): SelfCommand {
  cached ??= computeSelfCommand();
  return { cmd: cached.cmd, args: [...cached.args] };
}

/**
 * Extra flags of a bundle's `deno run`: nothing from the caller's working
 * directory (deno.json, deno.lock) and nothing fetched at run time.
 */
export const RUN_FLAGS: readonly string[] = [
  "--no-config",
  "--no-lock",
  "--no-remote",
  "--no-npm",
];

function computeSelfCommand(): SelfCommand {
  const cmd = Deno.execPath();
  if (Deno.build.standalone) return { cmd, args: [] };
  const fromSource = import.meta.url.endsWith("/src/process/self.ts");
  const entry = fromSource ? new URL("../../mod.ts", import.meta.url) : new URL(Deno.mainModule);
  const module = entry.protocol === "file:" ? decodeURIComponent(entry.pathname) : entry.href;
  const extra = fromSource ? [] : RUN_FLAGS;
  return { cmd, args: ["run", ...PERMISSION_FLAGS, ...extra, module] };
}
