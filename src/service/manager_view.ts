/**
 * `show` with no unit: the manager's properties.
 * @module
 */

import type { UnitLoader } from "../units/loader.ts";
import { searchPath } from "../units/paths.ts";
import type { Property } from "../unit/unit_view.ts";
import { FEATURES, PROGRAM_NAME, PROGRAM_VERSION, SYSTEMD_VERSION } from "../version.ts";
import { detectVirtualization } from "./conditions.ts";
import { systemState } from "./init_link.ts";

/** The manager property list. */
export async function managerProperties(loader: UnitLoader): Promise<Property[]> {
  const facts = loader.facts;
  const state = await systemState({
    root: loader.root,
    scope: loader.scope,
    env: loader.env,
    warn: () => {},
  });
  return [
    ["Version", `${SYSTEMD_VERSION} (${PROGRAM_NAME} ${PROGRAM_VERSION})`],
    ["Features", FEATURES],
    ["Architecture", facts.architecture],
    ["Virtualization", virtualization(loader)],
    ["Tainted", undefined],
    ["NNames", String(loader.knownNames({ builtins: true }).length)],
    ["NFailedUnits", "0"],
    ["NJobs", "0"],
    ["NInstalledJobs", "0"],
    ["Environment", undefined],
    ["UnitPath", searchPath(loader.scope, loader.env).join(" ")],
    ["DefaultTimeoutStartUSec", "1min 30s"],
    ["DefaultTimeoutStopUSec", "1min 30s"],
    ["DefaultRestartUSec", "100ms"],
    ["DefaultStartLimitIntervalUSec", "10s"],
    ["DefaultStartLimitBurst", "5"],
    ["SystemState", state],
    ["LogLevel", "info"],
    ["LogTarget", "console"],
    ["ServiceWatchdogs", "yes"],
    ["ControlGroup", undefined],
  ];
}

function virtualization(loader: UnitLoader): string | undefined {
  const facts = loader.facts;
  const v = detectVirtualization({
    root: loader.root,
    managerEnv: {},
    hostname: facts.hostname,
    architecture: facts.architecture,
    osRelease: facts.osRelease,
  });
  return v === "none" ? undefined : v;
}
