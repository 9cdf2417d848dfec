/**
 * `show`: the property list of a unit in systemd's order, and its text and
 * JSON forms. Pure: callers gather the data into a {@link UnitView}.
 * @module
 */

import { formatTimespan, formatTimestamp } from "../unit/timespan.ts";
import { quoteListElement } from "../unit/values.ts";
import { signalName } from "../unit/signals.ts";
import { UnitConfig } from "../unit/config.ts";
import { execShowLines, socketProps, timerProps } from "./show_socket_timer.ts";
import { LIMIT_KEYS, SERVICE_EXEC_KEYS, type ServiceSettings } from "../unit/model.ts";

export { type ExecRun, NEVER_RAN, type RuntimeView, type Stamp } from "../unit/runtime_view.ts";
import type { Stamp } from "../unit/runtime_view.ts";
export type { Property, UnitView } from "../unit/unit_view.ts";
import type { Property, UnitView } from "../unit/unit_view.ts";

const yn = (b: boolean) => (b ? "yes" : "no");
const ts = (s: Stamp) => (s[0] ? formatTimestamp(s[0], "local") : undefined);
const mono = (s: Stamp) => String(s[1]);
const list = (
  xs: readonly string[],
) => (xs.length ? xs.map(quoteListElement).join(" ") : undefined);
const mode = (m: number) => m.toString(8).padStart(4, "0");

function limitValue(v: number, kind: string): string {
  if (v === Infinity) return "infinity";
  return kind === "usec" ? String(v) : String(v);
}

function stampProps(name: string, s: Stamp): Property[] {
  return [[`${name}Timestamp`, ts(s)], [`${name}TimestampMonotonic`, mono(s)]];
}

function statusListText(s: { codes: number[]; signals: number[] }): string | undefined {
  // Signals by name without "SIG", as systemctl prints them (`42 USR1`).
  const sig = (n: number) => signalName(n)?.replace(/^SIG/, "") ?? String(n);
  const parts = [...s.codes.map(String), ...s.signals.map(sig)];
  return parts.length ? parts.join(" ") : undefined;
}

/**
 * The control group path systemd would give a unit in `slice`: each dash
 * level of the slice name is a parent (`a-b.slice` → `/a.slice/a-b.slice`).
 */
export function cgroupPath(slice: string | undefined, id: string): string {
  if (!slice) return `/system.slice/${id}`;
  if (slice === "-.slice") return `/${id}`;
  const parts = slice.slice(0, -".slice".length).split("-");
  const dirs = parts.map((_, i) => `${parts.slice(0, i + 1).join("-")}.slice`);
  return `/${[...dirs, id].join("/")}`;
}

// Rows repeat by shape on purpose: one [name, value] per property, in systemd's order.
function serviceProps(v: UnitView, s: ServiceSettings): Property[] {
  const r = v.runtime;
  // A service that did not load has no type yet, and the default start timeout. A bad
  // setting found by service_verify() comes after systemd derived them (service_add_extras);
  // one found while parsing (a broken Exec line) comes before.
  const loaded = v.loadState === "loaded" || v.settingsDerived === true;
  const p: Property[] = [
    ["Type", loaded ? s.type : undefined],
    ["ExitType", s.exitType],
    ["Restart", s.restart],
    ["PIDFile", s.pidFile],
    ["NotifyAccess", s.notifyAccess],
    ["RestartUSec", formatTimespan(s.restartUSec)],
    ["TimeoutStartUSec", formatTimespan(loaded ? s.timeoutStartUSec : 90 * 1_000_000)],
    ["TimeoutStopUSec", formatTimespan(s.timeoutStopUSec)],
    ["TimeoutAbortUSec", formatTimespan(s.timeoutAbortUSec)],
    ["TimeoutStartFailureMode", "terminate"],
    ["TimeoutStopFailureMode", "terminate"],
    ["RuntimeMaxUSec", formatTimespan(s.runtimeMaxUSec)],
    ["RuntimeRandomizedExtraUSec", "0"],
    // Until the unit first starts, systemd reports no watchdog (infinity); then WatchdogSec=.
    [
      "WatchdogUSec",
      formatTimespan(
        r.invocationId ? (s.watchdogUSec === Infinity ? 0 : s.watchdogUSec) : Infinity,
      ),
    ],
    ["WatchdogTimestamp", undefined],
    ["WatchdogTimestampMonotonic", "0"],
    ["RootDirectoryStartOnly", "no"],
    ["RemainAfterExit", yn(s.remainAfterExit)],
    ["GuessMainPID", yn(s.guessMainPID)],
    ["RestartPreventExitStatus", statusListText(s.restartPreventExitStatus)],
    ["RestartForceExitStatus", statusListText(s.restartForceExitStatus)],
    ["SuccessExitStatus", statusListText(s.successExitStatus)],
    ["MainPID", String(r.mainPid)],
    ["ControlPID", String(r.controlPid)],
    ["BusName", s.busName],
    ["FileDescriptorStoreMax", "0"],
    ["NFileDescriptorStore", "0"],
    ["StatusText", r.statusText || undefined],
    ["StatusErrno", String(r.statusErrno)],
    ["Result", r.result],
    ["ReloadResult", r.reloadResult],
    ["CleanResult", r.cleanResult],
    // systemd tracks the uid/gid of a running service only when User=/Group= chose them.
    ["UID", r.uid === undefined || !s.user ? "[not set]" : String(r.uid)],
    ["GID", r.gid === undefined || !(s.user || s.group) ? "[not set]" : String(r.gid)],
    ["NRestarts", String(r.nRestarts)],
    ["OOMPolicy", loaded ? s.oomPolicy : undefined],
    ...stampProps("ExecMainStart", r.execMainStart),
    ...stampProps("ExecMainExit", r.execMainExit),
    ["ExecMainPID", String(r.execMainPid)],
    ["ExecMainCode", String(r.execMainCode)],
    ["ExecMainStatus", String(r.execMainStatus)],
  ];
  for (const key of SERVICE_EXEC_KEYS) {
    const runs = r.execRuns[key] ?? [];
    const cmds = s.exec[key];
    // An empty command list prints nothing, even when named with -p (as systemctl does).
    if (cmds.length === 0) continue;
    for (const name of [key, `${key}Ex`]) {
      // A loop, not push(...): a unit may hold hundreds of thousands of commands.
      for (const line of execShowLines(name, cmds, runs)) p.push(line);
    }
  }
  p.push(
    ["Slice", v.slice],
    ["ControlGroup", r.mainPid > 0 || r.controlPid > 0 ? cgroupPath(v.slice, v.id) : undefined],
    ["MemoryCurrent", "[not set]"],
    ["TasksCurrent", "[not set]"],
    ["Environment", list(s.environment.map(([k, val]) => `${k}=${val}`))],
    [
      "EnvironmentFiles",
      s.environmentFiles.length
        ? s.environmentFiles.map((f) => `${f.path} (ignore_errors=${yn(f.optional)})`).join(" ")
        : undefined,
    ],
    ["PassEnvironment", list(s.passEnvironment)],
    ["UnsetEnvironment", list(s.unsetEnvironment)],
    ["UMask", mode(s.umask)],
  );
  for (const [name, kind] of LIMIT_KEYS) {
    // Unset, a limit is what the service inherits from the process that starts it.
    const l = s.limits[name] ?? v.inheritedLimits?.[name];
    p.push(
      [`Limit${name}`, l ? limitValue(l.hard, kind) : undefined],
      [`Limit${name}Soft`, l ? limitValue(l.soft, kind) : undefined],
    );
  }
  const wd = s.workingDirectory;
  p.push(
    ["WorkingDirectory", wd ? (wd.optional ? `!${wd.path}` : wd.path) : undefined],
    ["RootDirectory", s.rootDirectory],
    ["OOMScoreAdjust", s.oomScoreAdjust === undefined ? undefined : String(s.oomScoreAdjust)],
    ["Nice", String(s.nice ?? 0)],
    ["StandardInput", stdioText(s.standardInput)],
    // The manager's DefaultStandardOutput=journal is applied when a unit loads.
    ["StandardOutput", loaded ? stdioText(s.standardOutput) : "inherit"],
    ["StandardError", stdioText(s.standardError)],
    ["TTYPath", s.ttyPath],
    ["SyslogIdentifier", s.syslogIdentifier],
    ["User", s.user],
    ["Group", s.group],
    ["DynamicUser", yn(s.dynamicUser)],
    ["SupplementaryGroups", list(s.supplementaryGroups)],
    ["PrivateTmp", yn(s.privateTmp)],
    ["ProtectSystem", s.protectSystem],
    ["ProtectHome", s.protectHome],
    ["NoNewPrivileges", yn(s.noNewPrivileges)],
    ["RuntimeDirectoryPreserve", s.runtimeDirectoryPreserve],
    ["RuntimeDirectoryMode", mode(s.runtimeDirectory.mode)],
    ["RuntimeDirectory", list(s.runtimeDirectory.names)],
    ["StateDirectoryMode", mode(s.stateDirectory.mode)],
    ["StateDirectory", list(s.stateDirectory.names)],
    ["CacheDirectoryMode", mode(s.cacheDirectory.mode)],
    ["CacheDirectory", list(s.cacheDirectory.names)],
    ["LogsDirectoryMode", mode(s.logsDirectory.mode)],
    ["LogsDirectory", list(s.logsDirectory.names)],
    ["ConfigurationDirectoryMode", mode(s.configurationDirectory.mode)],
    ["ConfigurationDirectory", list(s.configurationDirectory.names)],
    ["KillMode", s.killMode],
    ["KillSignal", String(s.killSignal)],
    ["RestartKillSignal", String(s.restartKillSignal)],
    ["FinalKillSignal", String(s.finalKillSignal)],
    ["SendSIGKILL", yn(s.sendSIGKILL)],
    ["SendSIGHUP", yn(s.sendSIGHUP)],
    ["WatchdogSignal", String(s.watchdogSignal)],
  );
  return p;
}

function stdioText(s: { kind: string; path?: string }): string {
  return s.path !== undefined ? `${s.kind}:${s.path}` : s.kind;
}

const REVERSE_KEYS = [
  ["Requires", "Requisite", "Wants", "BindsTo", "PartOf", "Upholds"],
  ["RequiredBy", "RequisiteOf", "WantedBy", "BoundBy", "ConsistsOf", "UpheldBy"],
] as const;

function unitProps(v: UnitView): Property[] {
  const u = v.unit;
  const r = v.runtime;
  const deps = (k: string): string | undefined => {
    const own = (u.deps as Record<string, string[]>)[k] ?? [];
    const rev = v.reverse[k] ?? [];
    const all = [...new Set([...own, ...rev])];
    return all.length ? all.join(" ") : undefined;
  };
  const p: Property[] = [
    ["Id", v.id],
    ["Names", v.names.join(" ")],
    // The unit this one follows (devices, swaps): none here; printed when asked for.
    ["Following", undefined],
  ];
  for (const k of REVERSE_KEYS[0]) p.push([k, deps(k)]);
  for (const k of REVERSE_KEYS[1]) p.push([k, deps(k)]);
  p.push(
    ["Conflicts", deps("Conflicts")],
    ["ConflictedBy", deps("ConflictedBy")],
    ["Before", deps("Before")],
    ["After", deps("After")],
    ["OnFailure", deps("OnFailure")],
    ["OnFailureOf", deps("OnFailureOf")],
    ["OnSuccess", deps("OnSuccess")],
    ["OnSuccessOf", deps("OnSuccessOf")],
    ["Triggers", deps("Triggers")],
    ["TriggeredBy", deps("TriggeredBy")],
    ["PropagatesReloadTo", deps("PropagatesReloadTo")],
    ["ReloadPropagatedFrom", deps("ReloadPropagatedFrom")],
    ["PropagatesStopTo", deps("PropagatesStopTo")],
    ["StopPropagatedFrom", deps("StopPropagatedFrom")],
    ["JoinsNamespaceOf", deps("JoinsNamespaceOf")],
    ["RequiresMountsFor", list(u.requiresMountsFor)],
    ["Documentation", list(u.documentation)],
    ["Description", u.description ?? v.id],
    ["LoadState", v.loadState],
    ["ActiveState", r.activeState],
    ["FreezerState", "running"],
    ["SubState", r.subState],
    ["FragmentPath", v.fragmentPath],
    ["SourcePath", v.sourcePath],
    ["DropInPaths", v.dropInPaths.length ? v.dropInPaths.join(" ") : undefined],
    ["UnitFileState", v.unitFileState || undefined],
    ["UnitFilePreset", v.unitFilePreset || undefined],
    ...stampProps("StateChange", r.stateChange),
    ...stampProps("InactiveExit", r.inactiveExit),
    ...stampProps("ActiveEnter", r.activeEnter),
    ...stampProps("ActiveExit", r.activeExit),
    ...stampProps("InactiveEnter", r.inactiveEnter),
    ["CanStart", yn(v.canStart)],
    ["CanStop", yn(v.canStop)],
    ["CanReload", yn(v.canReload)],
    ["CanIsolate", yn(v.canIsolate)],
    ["CanClean", v.canClean.length ? v.canClean.join(" ") : undefined],
    ["CanFreeze", "no"],
    ["StopWhenUnneeded", yn(u.stopWhenUnneeded)],
    ["RefuseManualStart", yn(u.refuseManualStart)],
    ["RefuseManualStop", yn(u.refuseManualStop)],
    ["AllowIsolate", yn(u.allowIsolate)],
    ["DefaultDependencies", yn(u.defaultDependencies)],
    ["OnSuccessJobMode", "fail"],
    ["OnFailureJobMode", "replace"],
    ["IgnoreOnIsolate", yn(u.ignoreOnIsolate)],
    ["NeedDaemonReload", yn(v.needDaemonReload ?? false)],
    ["JobTimeoutUSec", "infinity"],
    ["JobRunningTimeoutUSec", "infinity"],
    ["JobTimeoutAction", "none"],
    ["ConditionResult", r.conditionResult === undefined ? "no" : yn(r.conditionResult)],
    ["AssertResult", r.assertResult === undefined ? "no" : yn(r.assertResult)],
    ...stampProps("Condition", r.conditionTimestamp),
    ...stampProps("Assert", r.assertTimestamp),
  );
  p.push(
    ["LoadError", v.loadError ? loadErrorText(v.loadState, v.loadError) : undefined],
    ["Transient", "no"],
    ["Perpetual", yn(v.id === "-.slice")],
    ["StartLimitIntervalUSec", formatTimespan(u.startLimitIntervalUSec)],
    ["StartLimitBurst", String(u.startLimitBurst)],
    ["StartLimitAction", u.startLimitAction],
    ["FailureAction", u.failureAction],
    ["SuccessAction", u.successAction],
    ["InvocationID", r.invocationId || undefined],
    ["CollectMode", "inactive"],
  );
  return p;
}

function loadErrorText(state: string, reason: string): string {
  switch (state) {
    case "not-found":
      return `org.freedesktop.systemd1.NoSuchUnit "${reason}"`;
    case "masked":
      return `org.freedesktop.systemd1.UnitMasked "${reason}"`;
    case "bad-setting":
      return `org.freedesktop.systemd1.BadUnitSetting "${reason}"`;
    default:
      return `org.freedesktop.DBus.Error.InvalidArgs "${reason}"`;
  }
}

/** All properties of a unit, in systemd's order (type block first, then the Unit block). */
export function unitProperties(v: UnitView): Property[] {
  const x = {
    id: v.id,
    config: v.config ?? new UnitConfig([]),
    controlPid: v.runtime.controlPid,
    nAccepted: v.runtime.nAccepted,
    nConnections: v.runtime.nConnections,
    nRefused: v.runtime.nRefused,
    execRuns: v.runtime.execRuns,
    result: v.runtime.result,
    slice: v.slice,
    triggers: (v.unit.deps as Record<string, string[]>).Triggers?.[0],
    limits: v.inheritedLimits,
    timer: v.timer,
  };
  const loaded = v.loadState === "loaded";
  const typeBlock = v.service
    ? serviceProps(v, v.service)
    : loaded && v.type === "socket"
    ? socketProps(x)
    : loaded && v.type === "timer"
    ? timerProps(x)
    : [];
  const p = [...typeBlock, ...unitProps(v)];
  if (v.journalPath) p.push(["JournalFilePath", v.journalPath]);
  return p;
}

/** Options that select and shape `show` output. */
export interface ShowOptions {
  readonly properties: readonly string[];
  readonly all: boolean;
  readonly value: boolean;
}

/** Applies -p / --all selection: the properties to print, with empty values as "". */
export function selectProperties(
  props: readonly Property[],
  o: ShowOptions,
): Array<[string, string]> {
  const wanted = o.properties.length ? new Set(o.properties) : undefined;
  const out: Array<[string, string]> = [];
  for (const [k, val] of props) {
    if (wanted && !wanted.has(k)) continue;
    if (k === "JournalFilePath" && !wanted) continue;
    if (val === undefined) {
      if (o.all || wanted) out.push([k, ""]);
      continue;
    }
    out.push([k, val]);
  }
  return out;
}

/** Text form: `Key=Value` lines, or values only with --value. */
export function formatShowText(
  blocks: ReadonlyArray<Array<[string, string]>>,
  value: boolean,
): string {
  return blocks
    .map((b) => b.map(([k, v]) => (value ? `${v}\n` : `${k}=${v}\n`)).join(""))
    .join("\n");
}

/** JSON form (program extension): one object per unit; Exec entries as arrays. */
export function showJson(blocks: ReadonlyArray<Array<[string, string]>>): unknown[] {
  return blocks.map((b) => {
    const o: Record<string, string | string[]> = {};
    for (const [k, v] of b) {
      const prev = o[k];
      if (prev === undefined) o[k] = /^Exec/.test(k) ? [v] : v;
      else if (Array.isArray(prev)) prev.push(v);
      else o[k] = v;
    }
    return o;
  });
}
