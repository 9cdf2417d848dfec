/**
 * The bare Deno baseline of the PID-1 section: a process that binds every
 * libc symbol our program declares (src/process/libc.ts, bound the same lazy
 * way, one `dlopen` per symbol), registers the signal listeners an init
 * needs (SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD), prints "ready" and
 * idles. Its idle RSS and CPU are what any Deno init costs.
 * @module
 */

import { libc } from "../src/process/libc.ts";

const source = Deno.readTextFileSync(new URL("../src/process/libc.ts", import.meta.url));
const table = source.slice(source.indexOf("const SYMBOLS = {"), source.indexOf("} as const"));
const names = [...table.matchAll(/^ {2}(\w+): \{/gm)].map((m) => m[1]);
const symbols = libc() as unknown as Record<string, unknown>;
let bound = 0;
for (const name of names) if (symbols[name] !== undefined) bound++;

let signals = 0;
for (const s of ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGCHLD"] as const) {
  Deno.addSignalListener(s, () => {
    signals++;
    if (s !== "SIGCHLD" && s !== "SIGHUP") Deno.exit(0);
  });
}
// Signal listeners alone do not keep the event loop alive.
setInterval(() => {}, 2 ** 31 - 1);
console.log(`ready: ${bound} libc symbols bound, ${signals} signals so far`);
