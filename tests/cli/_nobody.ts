/**
 * Test helpers for callers that are not root: the real CLI run as `nobody` (uid and gid
 * 65534, no supplementary groups, through setpriv) from a copy of the program that nobody can
 * read, optionally inside a private mount namespace where the root is a read-only bind mount.
 * @module
 */

import { PERMS } from "./_cli.ts";
import type { CliRun } from "./_cli.ts";

const REPO = new URL("../../", import.meta.url).pathname;

/** Why these tests cannot run here, or undefined. */
export function nobodySkipReason(): string | undefined {
  if (Deno.uid() !== 0) return "switching to nobody needs root";
  for (const tool of ["setpriv", "unshare", "mount"]) {
    try {
      new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
    } catch {
      return `${tool} is not installed`;
    }
  }
  return undefined;
}

/** A copy of the program (mod.ts and src/) readable by every user; remove it with `close`. */
export interface ProgramCopy {
  readonly mod: string;
  readonly denoDir: string;
  close(): void;
}

/** Copies the program where nobody can read it (the checkout may sit in a private home). */
export function copyProgram(): ProgramCopy {
  const dir = Deno.makeTempDirSync({ prefix: "sysctl-prog-" });
  const cp = new Deno.Command("cp", { args: ["-r", `${REPO}/src`, `${REPO}/mod.ts`, dir] })
    .outputSync();
  if (!cp.success) throw new Error(`cp of the program into ${dir} failed`);
  new Deno.Command("chmod", { args: ["-R", "a+rX", dir] }).outputSync();
  // Its own module cache, which nobody may fill: the host's cache stays as it was.
  Deno.mkdirSync(`${dir}/.deno`);
  Deno.chownSync(`${dir}/.deno`, 65534, 65534);
  return {
    mod: `${dir}/mod.ts`,
    denoDir: `${dir}/.deno`,
    close: () => Deno.removeSync(dir, { recursive: true }),
  };
}

/** How to run one command line. */
export interface RunAs {
  /** Run as nobody (default) or as root. */
  readonly user?: "nobody" | "root";
  /** Bind-mount this directory read-only onto itself first, in a private mount namespace. */
  readonly readOnly?: string;
}

// Runs the rest of the command line with $1 remounted read-only (in the caller's namespace).
const READ_ONLY = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && shift && ' +
  'exec "$@"';

/** Runs `systemctl ARGS` of the program copy as `nobody` (or root), returns what it printed. */
export async function runAs(prog: ProgramCopy, args: string[], how: RunAs = {}): Promise<CliRun> {
  let argv = [Deno.execPath(), "run", "--quiet", ...PERMS, prog.mod, ...args];
  if ((how.user ?? "nobody") === "nobody") {
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...argv];
  }
  if (how.readOnly !== undefined) {
    argv = [
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      READ_ONLY,
      "sh",
      how.readOnly,
      ...argv,
    ];
  }
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: "/",
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_DIR: prog.denoDir },
    stdin: "null",
    // A bound, not an expectation: a verb that hangs fails the test instead of stalling it.
    signal: AbortSignal.timeout(120_000),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Makes a root-owned tree readable (not writable) by everyone, as a system image is. */
export function readableByAll(root: string): void {
  new Deno.Command("chmod", { args: ["-R", "a+rX,go-w", root] }).outputSync();
}
