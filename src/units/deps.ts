/**
 * Dependencies as systemd computes them: the unit's own directives, the
 * `.wants/`, `.requires/` and `.upholds/` link directories, the implicit
 * default dependencies, and the reverse relations.
 * @module
 */

import type { UnitLoader } from "./loader.ts";
import type { LoadedUnit } from "./loader.ts";
import { escapeName, parseUnitName, templateOf } from "../unit/names.ts";
import { type DependencyKey, type ServiceSettings, serviceSettings } from "../unit/model.ts";
import { parseBoolean } from "../unit/values.ts";
import { socketExecConfig, socketHasExec } from "../unit/socket_address.ts";
import { serviceSettingsOf, unitSettingsOf } from "./settings.ts";

const LINK_DIRS: ReadonlyArray<[string, DependencyKey]> = [
  ["wants", "Wants"],
  ["requires", "Requires"],
  ["upholds", "Upholds"],
];

/** Unit names linked in `<name>.wants/` (etc.) in any search dir. */
export function linkedDependencies(loader: UnitLoader, name: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const names = [name];
  const t = templateOf(name);
  if (t) names.push(t);
  for (const [suffix, key] of LINK_DIRS) {
    const found = new Set<string>();
    for (const n of names) {
      const dirName = `${n}.${suffix}`;
      for (const searchDir of loader.index.dirsWith(dirName)) {
        try {
          for (const e of Deno.readDirSync(loader.root.resolve(`${searchDir}/${dirName}`))) {
            found.add(e.name);
          }
        } catch { /* unreadable */ }
      }
    }
    if (found.size) out[key] = [...found].sort();
  }
  return out;
}

/**
 * The slice a unit's processes go to: `Slice=`, else `system-<prefix>.slice`
 * for a template instance, else `system.slice`. Undefined for unit types
 * that run no processes.
 */
export function sliceOf(unit: LoadedUnit): string | undefined {
  if (unit.type !== "service" && unit.type !== "socket") return undefined;
  const section = unit.type === "service" ? "Service" : "Socket";
  const set = unit.config.get(section, "Slice");
  if (set) return set;
  const parts = parseUnitName(unit.id);
  if (parts?.instance !== undefined) return `system-${escapeName(parts.prefix)}.slice`;
  return "system.slice";
}

/** The unit a socket, timer or path unit activates: `Service=`/`Unit=`, else its namesake service. */
export function triggerTarget(unit: LoadedUnit): string | undefined {
  if (unit.type === "socket") {
    // Accept=yes sockets start instances of a template, one per connection.
    if (parseBoolean(unit.config.get("Socket", "Accept") ?? "no")) return undefined;
    return unit.config.get("Socket", "Service") ?? unit.id.replace(/\.socket$/, ".service");
  }
  if (unit.type === "timer") {
    return unit.config.get("Timer", "Unit") ?? unit.id.replace(/\.timer$/, ".service");
  }
  if (unit.type === "path") {
    return unit.config.get("Path", "Unit") ?? unit.id.replace(/\.path$/, ".service");
  }
  return undefined;
}

/** The namesake socket, timer and path units that activate this unit (`TriggeredBy=`). */
export function triggeringUnits(loader: UnitLoader, unit: LoadedUnit): string[] {
  if (unit.type !== "service") return [];
  const base = unit.id.slice(0, -".service".length);
  const out: string[] = [];
  for (const type of ["socket", "timer", "path"]) {
    const name = `${base}.${type}`;
    if (!loader.index.first(name)) continue;
    const t = loader.load(name);
    if (t.loadState === "loaded" && triggerTarget(t) === unit.id) out.push(name);
  }
  return out;
}

const LOG_OUTPUTS = /^(journal|syslog|kmsg)/;

/**
 * The paths a service needs mounted (`RequiresMountsFor=`): its own setting
 * plus, as systemd adds them, WorkingDirectory= (unless optional or `~`),
 * RootDirectory=, the `*Directory=` paths and PrivateTmp='s /tmp and /var/tmp.
 */
export function requiredMounts(
  unit: LoadedUnit,
  svc: ServiceSettings | undefined = unit.type === "service" && unit.loadState === "loaded"
    ? serviceSettingsOf(unit)
    : undefined,
): string[] {
  const out = [...unitSettingsOf(unit).requiresMountsFor];
  if (svc) {
    const s = svc;
    const wd = s.workingDirectory;
    if (wd && !wd.optional && wd.path.startsWith("/")) out.push(wd.path);
    if (s.rootDirectory) out.push(s.rootDirectory);
    const dirs: Array<[string, { names: string[] }]> = [
      ["/run", s.runtimeDirectory],
      ["/var/lib", s.stateDirectory],
      ["/var/cache", s.cacheDirectory],
      ["/var/log", s.logsDirectory],
      ["/etc", s.configurationDirectory],
    ];
    for (const [prefix, d] of dirs) for (const n of d.names) out.push(`${prefix}/${n}`);
    // PrivateTmp= needs /var/tmp mounted; /tmp is handled through tmp.mount (see below).
    if (s.privateTmp) out.push("/var/tmp");
  }
  return [...new Set(out)];
}

/** Forward dependencies of a loaded unit, including link dirs and default dependencies. */
export function forwardDependencies(
  loader: UnitLoader,
  unit: LoadedUnit,
): Record<string, string[]> {
  const s = unitSettingsOf(unit);
  const deps: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(s.deps)) if (v.length) deps[k] = [...v];
  const add = (k: string, ...names: string[]) => {
    const l = deps[k] ?? [];
    for (const n of names) if (!l.includes(n)) l.push(n);
    deps[k] = l;
  };
  for (const [k, v] of Object.entries(linkedDependencies(loader, unit.id))) add(k, ...v);
  if (unit.loadState !== "loaded") {
    for (const k of Object.keys(deps)) deps[k].sort();
    return deps;
  }
  // Implicit dependencies, whatever DefaultDependencies= says: the slice, the journal
  // socket for services (and sockets with commands) that log to it, and the unit a
  // socket/timer/path triggers.
  const slice = sliceOf(unit);
  if (slice) {
    add("Requires", slice);
    add("After", slice);
  }
  // A socket's exec context counts only when it has commands to run (as systemd's).
  const svc = unit.type === "service"
    ? serviceSettingsOf(unit)
    : unit.type === "socket" && socketHasExec(unit.config)
    ? serviceSettings(socketExecConfig(unit.config))
    : undefined;
  if (
    svc && (LOG_OUTPUTS.test(svc.standardOutput.kind) || LOG_OUTPUTS.test(svc.standardError.kind))
  ) {
    add("After", "systemd-journald.socket");
  }
  // Mount points of the needed paths: in a container only the root mount is a unit.
  if (requiredMounts(unit, svc).length) add("After", "-.mount");
  if (svc?.privateTmp) {
    add("Wants", "tmp.mount");
    add("After", "tmp.mount", "systemd-tmpfiles-setup.service");
  }
  // A D-Bus service needs the bus: systemd's service_setup_bus_name().
  if (unit.type === "service" && svc?.type === "dbus" && unit.config.get("Service", "BusName")) {
    add("Requires", "dbus.socket");
    add("After", "dbus.socket");
  }
  const target = triggerTarget(unit);
  if (target) {
    add("Triggers", target);
    add("Before", target);
  }
  if (s.defaultDependencies) {
    if (unit.type === "service") {
      add("Requires", "sysinit.target");
      add("After", "sysinit.target", "basic.target");
      add("Conflicts", "shutdown.target");
      add("Before", "shutdown.target");
    } else if (unit.type === "socket" || unit.type === "timer" || unit.type === "path") {
      add("Requires", "sysinit.target");
      add("After", "sysinit.target");
      add("Before", `${unit.type}s.target`);
      add("Conflicts", "shutdown.target");
      add("Before", "shutdown.target");
      if (unit.type === "timer" && unit.config.list("Timer", "OnCalendar").some((v) => v)) {
        add("After", "time-set.target", "time-sync.target");
      }
    } else if (unit.type === "target") {
      add("Conflicts", "shutdown.target");
      add("Before", "shutdown.target");
      for (const w of [...(deps.Wants ?? []), ...(deps.Requires ?? [])]) add("After", w);
    }
  }
  for (const k of Object.keys(deps)) deps[k].sort();
  return deps;
}

/** The reverse property of each dependency property (`Wants` → `WantedBy`). */
export const REVERSE: Readonly<Record<string, string>> = {
  Wants: "WantedBy",
  Requires: "RequiredBy",
  Requisite: "RequisiteOf",
  BindsTo: "BoundBy",
  PartOf: "ConsistsOf",
  Upholds: "UpheldBy",
  Conflicts: "ConflictedBy",
  Before: "After",
  After: "Before",
  OnFailure: "OnFailureOf",
  OnSuccess: "OnSuccessOf",
};

/**
 * Reverse dependencies from the link directories only (`T.wants/X` makes X
 * WantedBy T and ordered Before T): cheap, no unit has to be loaded.
 */
export function reverseLinkDependencies(
  loader: UnitLoader,
  name: string,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const t = templateOf(name);
  for (const dirName of loader.index.dirNames()) {
    const m = /^(.+)\.(wants|requires|upholds)$/.exec(dirName);
    if (!m) continue;
    for (const searchDir of loader.index.dirsWith(dirName)) {
      let hit = false;
      // Each name looked up, not the directory listed: it may hold thousands of links.
      const dir = loader.root.resolve(`${searchDir}/${dirName}`);
      for (const n of t ? [name, t] : [name]) {
        try {
          Deno.lstatSync(`${dir}/${n}`);
          hit = true;
        } catch { /* not there, or unreadable */ }
      }
      if (!hit) continue;
      const key =
        REVERSE[m[2] === "wants" ? "Wants" : m[2] === "requires" ? "Requires" : "Upholds"];
      (out[key] ??= []).includes(m[1]) || out[key].push(m[1]);
      if (m[1].endsWith(".target")) (out.Before ??= []).includes(m[1]) || out.Before.push(m[1]);
    }
  }
  for (const k of Object.keys(out)) out[k].sort();
  return out;
}
