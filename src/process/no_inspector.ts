/**
 * Keeps the runtime's inspector shut. Since Deno 2.9.2 the runtime opens a V8 inspector on
 * 127.0.0.1:9229 when it gets SIGUSR1 (a Node.js habit): anyone who can signal us, or any
 * local user once it listens, could then run code as root. The runtime installs that handler
 * through its signal registry about 500 ms after start and would replace a plain SIG_IGN,
 * and a JS listener alone does not stop it. The registry installs the C handler once per
 * signal, for its first listener; so we add a listener first (the registry owns the signal
 * from then on) and then set SIG_IGN at the C level, which the registry never replaces: a
 * later inspector registration only joins the registry's list, and the kernel discards the
 * signal before any handler runs. Children start with every signal at its default
 * (posix_spawn's SETSIGDEF; the exec helper resets them before execve).
 * @module
 */

import { libc } from "./libc.ts";

const SIGUSR1 = 10;
const SIG_IGN = 1n;

function ignore(): void {}

/**
 * Makes SIGUSR1 a no-op for this process; the first statement of every mode. Returns false
 * when the process may not use FFI (a developer's `deno run` without `--allow-ffi`): the
 * signal then keeps the runtime's behaviour, which the installed launchers never allow.
 */
export function shutInspectorSignal(): boolean {
  if (Deno.build.os !== "linux") return false;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return false;
  Deno.addSignalListener("SIGUSR1", ignore);
  libc().signal(SIGUSR1, SIG_IGN);
  return true;
}
