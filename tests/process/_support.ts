/**
 * Shared helpers for the process tests.
 * @module
 */

import type { SpawnSpec } from "../../src/process/spawn.ts";

/** Whether the tests run as root (user switching, chroot, negative nice). */
export const IS_ROOT = Deno.uid() === 0;

/** Registers a test that needs root; without root it is reported as ignored, reason printed. */
export function rootTest(name: string, fn: () => Promise<void> | void): void {
  if (!IS_ROOT) console.log(`ignored (needs root): ${name}`);
  Deno.test({ name, ignore: !IS_ROOT, fn });
}

/** A spawn spec with defaults for a test command. */
export function specFor(argv: string[], extra: Partial<SpawnSpec> = {}): SpawnSpec {
  return {
    path: argv[0],
    argv,
    env: { PATH: "/usr/bin:/bin" },
    stdin: { kind: "null" },
    stdout: { kind: "null" },
    stderr: { kind: "inherit" },
    unitName: "test.service",
    ...extra,
  };
}

/** Reads a `Key:\tvalue` line of /proc/PID/status. */
export function procStatus(pid: number, key: string): string {
  const line = Deno.readTextFileSync(`/proc/${pid}/status`).split("\n").find((l) =>
    l.startsWith(`${key}:`)
  );
  return (line ?? "").slice(key.length + 1).trim();
}

/** Polls `condition` every few milliseconds until it holds or `timeoutMs` passes. */
export async function eventually(condition: () => boolean, timeoutMs = 60_000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}
