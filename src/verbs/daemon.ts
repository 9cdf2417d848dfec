/**
 * `daemon-reload` / `daemon-reexec`: load every unit afresh and report each
 * unit-file problem, one line each. Exit 0, as systemd does; a non-root caller of the
 * system manager is refused as systemd refuses it (`Reload daemon failed: Access denied`).
 * @module
 */

import type { Context } from "../cli/context.ts";
import { unitDiagnostics, UnitLoader } from "../units/loader.ts";
import { parseUnitName } from "../unit/names.ts";
import { reloadInit, systemState } from "../service/init_link.ts";
import { unlessDenied } from "./access.ts";
import { EXIT_FAILURE, EXIT_SUCCESS } from "../unit/exit_codes.ts";

/**
 * Loads all units and prints their problems on stderr; a running init instance re-reads
 * the unit files too.
 */
export function daemonReload(ctx: Context): Promise<number> {
  return unlessDenied(ctx, "Reload daemon failed: Access denied", () => reload(ctx));
}

/** `daemon-reexec`: as `daemon-reload` (there is no manager binary to re-execute). */
export function daemonReexec(ctx: Context): Promise<number> {
  return unlessDenied(ctx, "Reexecute daemon failed: Access denied", () => reload(ctx));
}

async function reload(ctx: Context): Promise<number> {
  const loader = new UnitLoader(ctx);
  const seen = new Set<string>();
  for (const name of [...loader.knownNames()].sort()) {
    if (parseUnitName(name)?.isTemplate) continue;
    const unit = loader.load(name);
    if (seen.has(unit.id)) continue;
    seen.add(unit.id);
    for (const line of unitDiagnostics(unit)) {
      if (!ctx.options.quiet) ctx.io.err(line + "\n");
    }
  }
  // Without an init instance the client does to the records what a reload would.
  if (!(await reloadInit(ctx))) {
    const { Manager, reloadRecords } = await import("../service/manager.ts");
    await reloadRecords(new Manager(ctx, loader));
  }
  return EXIT_SUCCESS;
}

/**
 * `is-system-running`: the init instance's state (initializing, starting,
 * running, degraded, stopping), `offline` without one; only `running` exits 0.
 */
export async function isSystemRunning(ctx: Context): Promise<number> {
  const se = { ...ctx, warn: (t: string) => ctx.warn(t) };
  let state = await systemState(se);
  // --wait: until the boot is done (systemd waits for its startup to finish).
  while (ctx.options.wait && (state === "initializing" || state === "starting")) {
    await new Promise((r) => setTimeout(r, 50));
    state = await systemState(se);
  }
  if (!ctx.options.quiet) ctx.io.out(state + "\n");
  return state === "running" ? EXIT_SUCCESS : EXIT_FAILURE;
}
