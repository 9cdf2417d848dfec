/**
 * Signal listeners registered before anything else runs. Deno as PID 1
 * aborts on SIGTERM, SIGINT or SIGHUP when no JS listener for that signal
 * exists (or when the last one is removed), so these listeners are added
 * first and never removed. Until the init loop takes over, the signals they
 * receive are queued; the init then gets them in order.
 * @module
 */

import { libc } from "./libc.ts";

const SIG_IGN = 1n;

/** The signals an init must hold from the first statement on. */
export const INIT_SIGNALS: readonly Deno.Signal[] = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"];

const queued: Deno.Signal[] = [];
let handler: ((signal: Deno.Signal) => void) | undefined;
let holding = false;

/** Registers the permanent listeners (once). */
export function holdSignals(): void {
  if (holding) return;
  holding = true;
  for (const signal of INIT_SIGNALS) {
    Deno.addSignalListener(signal, () => {
      if (handler) handler(signal);
      else queued.push(signal);
    });
  }
}

/** Routes held signals to `fn`, first those that arrived before. */
export function onHeldSignal(fn: (signal: Deno.Signal) => void): void {
  holdSignals();
  handler = fn;
  for (const signal of queued.splice(0)) fn(signal);
}

/**
 * For a client that has just asked its init to shut down: the init's last broadcast
 * (SIGTERM to every process left in the namespace) must not end this client while it is
 * still on its way out (`systemctl poweroff` exited 143). A JS listener is not enough: the
 * runtime drops it while it exits and then acts on the signal as the default would. So, as
 * for SIGUSR1 (no_inspector.ts), the listener makes the runtime's registry own the signal
 * and SIG_IGN at the C level discards it. The client spawns nothing after this.
 */
export function outliveShutdownBroadcast(): void {
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return;
  for (const [name, number] of [["SIGTERM", 15], ["SIGHUP", 1]] as const) {
    Deno.addSignalListener(name, () => {});
    libc().signal(number, SIG_IGN);
  }
}
