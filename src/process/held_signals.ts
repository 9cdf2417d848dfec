/**
 * Signal listeners registered before anything else runs. Deno as PID 1
 * aborts on SIGTERM, SIGINT or SIGHUP when no JS listener for that signal
 * exists (or when the last one is removed), so these listeners are added
 * first and never removed. Until the init loop takes over, the signals they
 * receive are queued; the init then gets them in order.
 * @module
 */

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
 * still on its way out (a slow exit under load made `systemctl poweroff` exit 143).
 * Listeners do not keep the runtime alive, so the client still ends when its work is done.
 */
export function outliveShutdownBroadcast(): void {
  for (const signal of ["SIGTERM", "SIGHUP"] as const) Deno.addSignalListener(signal, () => {});
}
