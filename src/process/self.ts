/**
 * How to start this program again (exec helper, detached job runners):
 * `deno run <flags> <main module>` from source or a bundle, or the binary
 * alone when compiled.
 * @module
 */

/** The explicit permissions (and unstable features) the program runs with; never `-A`. */
export const PERMISSION_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-run",
  "--allow-ffi",
  "--unstable-net",
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

function computeSelfCommand(): SelfCommand {
  const cmd = Deno.execPath();
  if (Deno.build.standalone) return { cmd, args: [] };
  const entry = import.meta.url.endsWith("/src/process/self.ts")
    ? new URL("../../mod.ts", import.meta.url)
    : new URL(Deno.mainModule);
  const module = entry.protocol === "file:" ? decodeURIComponent(entry.pathname) : entry.href;
  return { cmd, args: ["run", ...PERMISSION_FLAGS, module] };
}
