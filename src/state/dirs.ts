/**
 * Directories of the state tree this process has made (or found). A record or lock
 * write then needs no mkdir; one that finds its directory gone makes it again.
 * @module
 */

const made = new Set<string>();

/** Makes `dir` (0755, with parents) unless this process already did. */
export function ensureDir(dir: string): void {
  if (made.has(dir)) return;
  Deno.mkdirSync(dir, { recursive: true, mode: 0o755 });
  made.add(dir);
}

/** Runs `fn`; when it fails with NotFound, makes `dir` again and retries once. */
export function inDir<T>(dir: string, fn: () => T): T {
  ensureDir(dir);
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    made.delete(dir);
    ensureDir(dir);
    return fn();
  }
}

/**
 * Why a new file cannot be made in `dir`, or undefined when one can: a file is created in it
 * (or, while it does not exist, in its nearest existing parent, where it would be made) and
 * removed again, so permissions, ACLs and read-only mounts answer as they would for a state
 * record. Nothing is left behind, not even the directory.
 */
export function cannotWrite(dir: string): unknown {
  let probe = dir;
  for (;;) {
    try {
      if (Deno.statSync(probe).isDirectory) break;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) return error;
    }
    const up = probe.slice(0, probe.lastIndexOf("/")) || "/";
    if (up === probe) break;
    probe = up;
  }
  try {
    Deno.removeSync(Deno.makeTempFileSync({ dir: probe, prefix: ".probe-" }));
    return undefined;
  } catch (error) {
    return error;
  }
}
