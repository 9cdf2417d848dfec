/**
 * The table of children this process spawned itself (never those of
 * `Deno.Command`): one place reaps them by PID and remembers how they ended,
 * so `status()`, `waitGone` and the reaper never steal each other's results.
 * @module
 */

import { libc } from "./libc.ts";

/** How a process ended. */
export interface ExitInfo {
  /** `exited` (status = exit code), `killed` or `dumped` (status = signal number). */
  code: "exited" | "killed" | "dumped";
  /** The exit code or the signal number. */
  status: number;
}

interface Child {
  exit?: ExitInfo;
  waiters: Array<(exit: ExitInfo) => void>;
  ref: boolean;
}

const WNOHANG = 1;
const MAX_FINISHED = 1000;
const FALLBACK_POLL_MS = 500;

const children = new Map<number, Child>();
const finished: number[] = [];
let listening = false;
let keepalive: ReturnType<typeof setInterval> | undefined;

/** Decodes a `waitpid` status word. */
export function decodeWaitStatus(status: number): ExitInfo {
  const signal = status & 0x7f;
  if (signal === 0) return { code: "exited", status: (status >> 8) & 0xff };
  return { code: (status & 0x80) !== 0 ? "dumped" : "killed", status: signal };
}

let spawning = 0;
let heldBack = false;
let retryReap: (() => void) | undefined;

/**
 * A spawn runs on another thread: until its PID is tracked, a zombie child that is
 * not tracked may be that spawn's (a command that ended at once), so reapers hold back.
 */
export function spawnBegins(): void {
  spawning++;
}

/** The spawn is over and its child (if any) tracked; a held-back reap runs now. */
export function spawnEnds(): void {
  spawning--;
  if (spawning === 0 && heldBack) {
    heldBack = false;
    retryReap?.();
  }
}

/**
 * Whether the zombie `pid` must not be reaped yet: a spawn is in flight and `pid` is
 * not tracked (it may be the child whose PID that spawn has not returned yet).
 */
export function holdBackReap(pid: number): boolean {
  if (spawning === 0 || children.has(pid)) return false;
  heldBack = true;
  return true;
}

/**
 * Sets what runs when a held-back reap may go on: the init's reap pass. While one is
 * set, the init reaps on every SIGCHLD and on its own backstop, so the waiters' slow
 * fallback poll is not needed (an idle init with many services would wake for it).
 */
export function onReapReleased(fn: (() => void) | undefined): void {
  retryReap = fn;
  updateWatch();
}

/** Registers a child spawned by the process layer. */
export function trackChild(pid: number): void {
  children.set(pid, { waiters: [], ref: true });
}

/** Whether `pid` is a child spawned (and not yet forgotten) by the process layer. */
export function isTrackedChild(pid: number): boolean {
  return children.has(pid);
}

/** How a tracked child ended, once it has been reaped. */
export function childExit(pid: number): ExitInfo | undefined {
  return children.get(pid)?.exit;
}

/**
 * Reaps `pid` if it is a finished child of ours (`waitpid(pid, WNOHANG)`,
 * never -1) and records the result; returns it, or undefined when the child
 * still runs or is not ours.
 */
export function reapChild(pid: number): ExitInfo | undefined {
  const known = children.get(pid)?.exit;
  if (known) return known;
  const status = new Int32Array(1);
  const result = libc().waitpid(pid, new Uint8Array(status.buffer), WNOHANG);
  if (result !== pid) return undefined;
  const exit = decodeWaitStatus(status[0]);
  const child = children.get(pid);
  if (child) {
    child.exit = exit;
    for (const resolve of child.waiters.splice(0)) resolve(exit);
    rememberFinished(pid);
    updateWatch();
  }
  return exit;
}

/** Resolves when the tracked child `pid` has ended. */
export function waitChild(pid: number): Promise<ExitInfo> {
  const child = children.get(pid);
  if (!child) return Promise.reject(new Error(`process ${pid} is not a child of this process`));
  const exit = reapChild(pid);
  if (exit) return Promise.resolve(exit);
  return new Promise((resolve) => {
    child.waiters.push(resolve);
    updateWatch();
    reapChild(pid);
  });
}

/**
 * Stops waiting for `pid` in this process: its pending `waitChild()` promises are dropped
 * (they never settle) and no SIGCHLD reaps it here any more, so a client that exits
 * leaves the child, or its zombie, to the process that inherits it (the init instance,
 * which records the end). An explicit {@link reapChild} still reaps it.
 */
export function releaseChild(pid: number): void {
  const child = children.get(pid);
  if (!child || child.exit) return;
  child.waiters.length = 0;
  updateWatch();
}

/** Lets the program exit while `pid` is still being waited for. */
export function unrefChild(pid: number): void {
  const child = children.get(pid);
  if (!child) return;
  child.ref = false;
  updateWatch();
}

function rememberFinished(pid: number): void {
  finished.push(pid);
  while (finished.length > MAX_FINISHED) children.delete(finished.shift()!);
}

function reapWaited(): void {
  for (const [pid, child] of children) {
    if (child.waiters.length > 0) reapChild(pid);
  }
}

// SIGCHLD wakes the waiters at once; a slow timer covers coalesced or missed
// signals and, while referenced, keeps the event loop alive for awaited children.
// An init instance (a reaper registered) has its own backstop and signal listeners.
function updateWatch(): void {
  let waiting = false;
  let referenced = false;
  for (const child of children.values()) {
    if (child.waiters.length === 0) continue;
    waiting = true;
    if (child.ref) referenced = true;
  }
  if (waiting && !listening) {
    Deno.addSignalListener("SIGCHLD", reapWaited);
    listening = true;
  } else if (!waiting && listening) {
    Deno.removeSignalListener("SIGCHLD", reapWaited);
    listening = false;
  }
  const poll = waiting && retryReap === undefined;
  if (poll && keepalive === undefined) keepalive = setInterval(reapWaited, FALLBACK_POLL_MS);
  if (!poll && keepalive !== undefined) {
    clearInterval(keepalive);
    keepalive = undefined;
  }
  if (keepalive !== undefined) {
    if (referenced) Deno.refTimer(keepalive);
    else Deno.unrefTimer(keepalive);
  }
}
