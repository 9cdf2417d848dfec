/**
 * `show` with no unit: the manager's properties.
 * @module
 */

import type { Context } from "../cli/context.ts";
import type { UnitLoader } from "../units/loader.ts";
import type { Property } from "../output/show.ts";
import { FEATURES, PROGRAM_NAME, PROGRAM_VERSION, SYSTEMD_VERSION } from "../version.ts";

/** The manager property list. */
export function managerProperties(_ctx: Context, loader: UnitLoader): Promise<Property[]> {
  const facts = loader.facts;
  return Promise.resolve([
    ["Version", `${SYSTEMD_VERSION} (${PROGRAM_NAME} ${PROGRAM_VERSION})`],
    ["Features", FEATURES],
    ["Architecture", facts.architecture],
    ["Virtualization", undefined],
    ["Tainted", undefined],
    ["NNames", String(loader.knownNames({ builtins: true }).length)],
    ["NFailedUnits", "0"],
    ["NJobs", "0"],
    ["NInstalledJobs", "0"],
    ["Environment", undefined],
    ["UnitPath", loader.index.dirs.join(" ")],
    ["DefaultTimeoutStartUSec", "1min 30s"],
    ["DefaultTimeoutStopUSec", "1min 30s"],
    ["DefaultRestartUSec", "100ms"],
    ["DefaultStartLimitIntervalUSec", "10s"],
    ["DefaultStartLimitBurst", "5"],
    ["SystemState", "offline"],
    ["LogLevel", "info"],
    ["LogTarget", "console"],
    ["ServiceWatchdogs", "yes"],
    ["ControlGroup", undefined],
  ]);
}

/** The system state for is-system-running and status: offline without an init instance. */
export function systemState(_ctx: Context, failedUnits: number): string {
  return failedUnits > 0 ? "degraded" : "offline";
}
