/**
 * Temporary directories that a test module removes itself: every directory made here is
 * removed when the module's tests have run (Deno's `unload` event of the module's isolate,
 * which comes whether the tests passed or failed), or earlier with {@link removeTempDir}.
 * Tests make their temporary roots here, never with a bare `Deno.makeTempDir*` that nothing
 * removes (`tests/hygiene_test.ts` checks that). `scripts/host_check.ts` proves that a whole
 * run leaves `/tmp` as it found it.
 * @module
 */

const made = new Set<string>();

function removeQuietly(dir: string): void {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch {
    // gone already, or busy: reported by the host check
  }
}

addEventListener("unload", () => {
  for (const dir of made) removeQuietly(dir);
  made.clear();
});

/** A new temporary directory (under TMPDIR, default /tmp), removed when the module ends. */
export function tempDir(prefix: string): string {
  const dir = Deno.makeTempDirSync({ prefix });
  made.add(dir);
  return dir;
}

/** Removes a directory made by {@link tempDir} now. */
export function removeTempDir(dir: string): void {
  removeQuietly(dir);
  made.delete(dir);
}
