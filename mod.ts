/**
 * Entry point: runs the program and sets the exit code; nothing else.
 * `--exec-helper` (used by the process layer to start Exec commands) loads
 * only its own small module graph; so does `--journalctl` (the journalctl companion).
 * @module
 */

import { holdSignals } from "./src/process/held_signals.ts";
import { shutInspectorSignal } from "./src/process/no_inspector.ts";

if (import.meta.main) {
  // SIGUSR1 would open the runtime's inspector: shut it in every mode, before anything else.
  shutInspectorSignal();
  // Deno as PID 1 aborts on SIGTERM/SIGINT/SIGHUP without a listener: hold them first.
  if (Deno.pid === 1) holdSignals();
}

if (import.meta.main) {
  if (Deno.args[0] === "--journalctl") {
    const { journalctlMain } = await import("./src/cli/journalctl.ts");
    Deno.exitCode = await journalctlMain(Deno.args.slice(1));
  } else if (Deno.args.length === 1 && Deno.args[0] === "--version") {
    // What tools run first (Ansible, Salt and Chef read systemd's version from it): the
    // text alone, without loading the command line's modules (main prints the same).
    const { versionText } = await import("./src/version.ts");
    const bytes = new TextEncoder().encode(versionText());
    try {
      for (let off = 0; off < bytes.length;) off += Deno.stdout.writeSync(bytes.subarray(off));
    } catch { /* stdout closed (EPIPE), as main ignores it */ }
  } else if (Deno.args[0] === "--exec-helper") {
    const { execHelperMain } = await import("./src/process/exec_helper.ts");
    await execHelperMain(Deno.args.slice(1));
  } else {
    const { main } = await import("./src/cli/main.ts");
    Deno.exitCode = await main(Deno.args);
  }
}
