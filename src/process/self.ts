/**
 * How to start this program again (exec helper, detached job runners):
 * `deno run <flags> <main module>` from source or a bundle, or the binary
 * alone when compiled; through the bundled dynamic loader when the launcher
 * started the runtime that way (`<crt>/ld-linux-….so.2 --library-path <crt>
 * <runtime> …`, see scripts/launcher.ts).
 * @module
 */

import { readProcBytes } from "./procread.ts";

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
  "--allow-net", // Unix sockets: NOTIFY_SOCKET (Deno checks unix:/path as net)
  "--unstable-net", // Deno.listenDatagram({ transport: "unixpacket" }) for sd_notify
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

/** The options of glibc's dynamic loader that take a value (`ld.so --help`). */
const LOADER_VALUE_OPTIONS = new Set([
  "--library-path",
  "--inhibit-rpath",
  "--audit",
  "--preload",
  "--argv0",
  "--glibc-hwcaps-prefer",
  "--glibc-hwcaps-mask",
]);

/** Whether a file name is a dynamic loader's (`ld-linux-x86-64.so.2`, `ld-linux-aarch64.so.1`). */
export function isLoaderName(path: string): boolean {
  return /^ld-[\w.-]*\.so(\.\d+)*$/.test(path.slice(path.lastIndexOf("/") + 1));
}

/**
 * When the runtime was started by naming a dynamic loader
 * (`<loader> [options] <runtime> <args…>`), its executable (`/proc/self/exe`,
 * `Deno.execPath()`) is the loader, not the runtime. Given that process's
 * command line, returns the loader's options and the runtime's path (the
 * arguments to put after the loader to start the same runtime the same way);
 * undefined when `execPath` is not a loader or the line has no program. Pure.
 */
export function loaderArguments(
  execPath: string,
  cmdline: readonly string[],
): string[] | undefined {
  if (!isLoaderName(execPath)) return undefined;
  let i = 1;
  while (i < cmdline.length && cmdline[i].startsWith("--")) {
    i += LOADER_VALUE_OPTIONS.has(cmdline[i]) ? 2 : 1;
  }
  return i < cmdline.length ? cmdline.slice(1, i + 1) : undefined;
}

/** This process's command line (NUL-separated in /proc/self/cmdline), or empty. */
function ownCommandLine(): string[] {
  const bytes = readProcBytes("/proc/self/cmdline");
  if (!bytes) return [];
  return new TextDecoder().decode(bytes).replace(/\0$/, "").split("\0");
}

function computeSelfCommand(): SelfCommand {
  const cmd = Deno.execPath();
  const loader = isLoaderName(cmd) ? loaderArguments(cmd, ownCommandLine()) : undefined;
  if (isLoaderName(cmd) && !loader) {
    throw new Error(`cannot tell how to start this program again: /proc/self/cmdline unreadable`);
  }
  const head = loader ?? [];
  if (Deno.build.standalone) return { cmd, args: head };
  const fromSource = import.meta.url.endsWith("/src/process/self.ts");
  const entry = fromSource ? new URL("../../mod.ts", import.meta.url) : new URL(Deno.mainModule);
  const module = entry.protocol === "file:" ? decodeURIComponent(entry.pathname) : entry.href;
  const extra = fromSource ? [] : RUN_FLAGS;
  return { cmd, args: [...head, "run", ...PERMISSION_FLAGS, ...extra, module] };
}
