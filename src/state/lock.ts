/**
 * Per-unit operation locks (spec §5.4): `flock(LOCK_EX)` on
 * `<stateDir>/units/<unit>.lock`, held for the whole mutating operation. The
 * holder records `{pid, verb, since}` in the file so a waiter that gives up
 * can say who holds it. A dead holder releases the lock by itself.
 * @module
 */

import { inDir } from "./dirs.ts";

/** Who holds a lock. */
export interface LockInfo {
  /** The holder's PID. */
  pid: number;
  /** The operation, e.g. `start`. */
  verb: string;
  /** Since when (realtime µs). */
  since: number;
}

/** Options for taking a lock. */
export interface LockOptions {
  /** How long to wait for the holder; default 100 s (the default operation timeout + 10 s). */
  timeoutMs?: number;
}

/** Thrown when a lock could not be taken in time; the message is for `Failed to <verb> X: `. */
export class LockTimeoutError extends Error {
  /** The holder, when it could be read. */
  readonly holder?: LockInfo;

  /** Builds the error from the holder's record. */
  constructor(holder?: LockInfo) {
    super(
      `unit is locked by another operation (pid ${holder?.pid ?? "?"}, ${
        holder?.verb ?? "unknown"
      }).`,
    );
    this.name = "LockTimeoutError";
    this.holder = holder;
  }
}

const DEFAULT_TIMEOUT_MS = 100_000;
const MAX_POLL_MS = 50;

function readHolder(path: string): LockInfo | undefined {
  try {
    const value = JSON.parse(Deno.readTextFileSync(path));
    if (typeof value?.pid === "number" && typeof value?.verb === "string") return value;
  } catch {
    // Empty (between holders) or being written.
  }
  return undefined;
}

/**
 * Opens and locks the file. The calls are synchronous: none of them blocks (the lock is
 * only tried), and the runtime's asynchronous file operations cost several times more.
 */
async function acquire(path: string, timeoutMs: number): Promise<Deno.FsFile> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  const file = inDir(
    dir,
    () => Deno.openSync(path, { read: true, write: true, create: true, mode: 0o644 }),
  );
  const deadline = performance.now() + timeoutMs;
  let delay = 1;
  try {
    // Polling tryLock instead of a blocking lock(): an abandoned blocking
    // flock keeps a worker thread, and the program, alive until it succeeds.
    while (!file.tryLockSync(true)) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new LockTimeoutError(readHolder(path));
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, remaining)));
      delay = Math.min(delay * 2, MAX_POLL_MS);
    }
  } catch (error) {
    file.close();
    throw error;
  }
  return file;
}

async function holdWhile<T>(
  path: string,
  verb: string,
  fn: () => Promise<T>,
  opts: LockOptions,
): Promise<T> {
  const file = await acquire(path, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    const info: LockInfo = { pid: Deno.pid, verb, since: Date.now() * 1000 };
    file.truncateSync(0);
    file.writeSync(new TextEncoder().encode(`${JSON.stringify(info)}\n`));
    return await fn();
  } finally {
    try {
      file.truncateSync(0);
    } catch { /* the record is only a hint */ }
    file.close();
  }
}

/** The lock file of a unit. */
export function unitLockPath(stateDirHost: string, unit: string): string {
  return `${stateDirHost}/units/${unit}.lock`;
}

/**
 * Runs `fn` while holding the unit's lock. Throws {@linkcode LockTimeoutError}
 * when another operation holds it longer than the timeout.
 */
export function withUnitLock<T>(
  stateDirHost: string,
  unit: string,
  info: { verb: string },
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  return holdWhile(unitLockPath(stateDirHost, unit), info.verb, fn, opts);
}

/** Runs `fn` while holding `<stateDir>/files.lock` (unit-file changes). */
export function withFilesLock<T>(
  stateDirHost: string,
  info: { verb: string },
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  return holdWhile(`${stateDirHost}/files.lock`, info.verb, fn, opts);
}
