/**
 * Typed views of a unit's configuration: the [Unit] settings every type
 * shares, and the [Service] settings with systemd's defaults. Pure: the
 * service manager and `show` both read these.
 * @module
 */

import type { UnitConfig } from "./config.ts";
import { type ExecCommand, parseExecLine } from "./exec.ts";
import { parseTimespan } from "./timespan.ts";
import { parseBoolean, parseExitStatusList, parseMode, parseRlimit, splitWords } from "./values.ts";
import { parseSignal } from "./signals.ts";
import { parseEnvironmentValue } from "./environment.ts";
import { climbsUp, directoryWordProblems } from "./schema.ts";
import {
  SOCKET_EXEC_KEYS,
  socketExecConfig,
  type SocketExecKey,
  socketExecSlot,
} from "./socket_address.ts";

const SEC = 1_000_000;

/** The dependency directives, by property name. */
export const DEPENDENCY_KEYS = [
  "Requires",
  "Requisite",
  "Wants",
  "BindsTo",
  "PartOf",
  "Upholds",
  "Conflicts",
  "Before",
  "After",
  "OnFailure",
  "OnSuccess",
  "PropagatesReloadTo",
  "ReloadPropagatedFrom",
  "PropagatesStopTo",
  "StopPropagatedFrom",
  "JoinsNamespaceOf",
] as const;

/** One dependency kind. */
export type DependencyKey = typeof DEPENDENCY_KEYS[number];

/** A Condition…= or Assert…= check. */
export interface Check {
  readonly kind: "Condition" | "Assert";
  /** The check name without the prefix, e.g. `PathExists`. */
  readonly name: string;
  readonly trigger: boolean;
  readonly negate: boolean;
  readonly value: string;
}

/** Settings of the [Unit] section. */
export interface UnitSettings {
  readonly description: string | undefined;
  readonly documentation: string[];
  readonly deps: Readonly<Record<DependencyKey, string[]>>;
  readonly requiresMountsFor: string[];
  readonly refuseManualStart: boolean;
  readonly refuseManualStop: boolean;
  readonly allowIsolate: boolean;
  readonly ignoreOnIsolate: boolean;
  readonly defaultDependencies: boolean;
  readonly stopWhenUnneeded: boolean;
  readonly startLimitIntervalUSec: number;
  readonly startLimitBurst: number;
  readonly startLimitAction: string;
  readonly failureAction: string;
  readonly successAction: string;
  readonly checks: Check[];
  readonly sourcePath: string | undefined;
}

function bool(config: UnitConfig, section: string, key: string, dflt: boolean): boolean {
  const v = config.get(section, key);
  if (v === undefined) return dflt;
  return parseBoolean(v) ?? dflt;
}

/** A boolean-or-keyword setting as systemd shows it: `yes`/`no`, or the keyword itself. */
function boolOrWord(v: string | undefined): string {
  if (v === undefined || v === "") return "no";
  const b = parseBoolean(v);
  return b === undefined ? v : b ? "yes" : "no";
}

function span(config: UnitConfig, section: string, keys: string[], dflt: number): number {
  for (const key of keys) {
    const v = config.get(section, key);
    if (v === undefined) continue;
    const t = parseTimespan(v);
    if (t !== undefined) return t === 0 && key.startsWith("Timeout") ? Infinity : t;
  }
  return dflt;
}

/** Reads the [Unit] settings. */
export function unitSettings(config: UnitConfig): UnitSettings {
  const deps = {} as Record<DependencyKey, string[]>;
  for (const k of DEPENDENCY_KEYS) deps[k] = [...new Set(config.words("Unit", k))];
  for (const w of config.words("Unit", "BindTo")) deps.BindsTo.push(w);
  const checks: Check[] = [];
  for (const key of config.keys("Unit")) {
    const m = /^(Condition|Assert)(.+)$/.exec(key);
    if (!m) continue;
    for (const a of config.entries("Unit", key)) {
      let v = a.value;
      let trigger = false;
      let negate = false;
      if (v.startsWith("|")) {
        trigger = true;
        v = v.slice(1).trimStart();
      }
      if (v.startsWith("!")) {
        negate = true;
        v = v.slice(1).trimStart();
      }
      checks.push({ kind: m[1] as Check["kind"], name: m[2], trigger, negate, value: v });
    }
  }
  const burst = config.get("Unit", "StartLimitBurst") ?? config.get("Service", "StartLimitBurst");
  const interval = config.get("Unit", "StartLimitIntervalSec") ??
    config.get("Unit", "StartLimitInterval") ?? config.get("Service", "StartLimitInterval");
  return {
    description: config.get("Unit", "Description"),
    documentation: config.list("Unit", "Documentation").flatMap((d) => splitWords(d).words),
    deps,
    requiresMountsFor: config.words("Unit", "RequiresMountsFor"),
    refuseManualStart: bool(config, "Unit", "RefuseManualStart", false),
    refuseManualStop: bool(config, "Unit", "RefuseManualStop", false),
    allowIsolate: bool(config, "Unit", "AllowIsolate", false),
    ignoreOnIsolate: bool(config, "Unit", "IgnoreOnIsolate", false),
    defaultDependencies: bool(config, "Unit", "DefaultDependencies", true),
    stopWhenUnneeded: bool(config, "Unit", "StopWhenUnneeded", false),
    startLimitIntervalUSec: interval !== undefined ? parseTimespan(interval) ?? 10 * SEC : 10 * SEC,
    startLimitBurst: burst !== undefined && /^\d+$/.test(burst) ? Number(burst) : 5,
    startLimitAction: config.get("Unit", "StartLimitAction") ?? "none",
    failureAction: config.get("Unit", "FailureAction") ?? "none",
    successAction: config.get("Unit", "SuccessAction") ?? "none",
    checks,
    sourcePath: config.get("Unit", "SourcePath"),
  };
}

/** The Exec list names of a service, in the order systemd shows them. */
export const SERVICE_EXEC_KEYS = [
  "ExecCondition",
  "ExecStartPre",
  "ExecStart",
  "ExecStartPost",
  "ExecReload",
  "ExecStop",
  "ExecStopPost",
] as const;

/** One service Exec list name. */
export type ServiceExecKey = typeof SERVICE_EXEC_KEYS[number];

/** The rlimit directives, in `show` order, and their kinds. */
export const LIMIT_KEYS: ReadonlyArray<[string, "time" | "size" | "number" | "nice" | "usec"]> = [
  ["CPU", "time"],
  ["FSIZE", "size"],
  ["DATA", "size"],
  ["STACK", "size"],
  ["CORE", "size"],
  ["RSS", "size"],
  ["NOFILE", "number"],
  ["AS", "size"],
  ["NPROC", "number"],
  ["MEMLOCK", "size"],
  ["LOCKS", "number"],
  ["SIGPENDING", "number"],
  ["MSGQUEUE", "size"],
  ["NICE", "nice"],
  ["RTPRIO", "number"],
  ["RTTIME", "usec"],
];

/** An output target of StandardOutput=/StandardError=. */
export interface StdioSetting {
  readonly kind: string;
  readonly path?: string;
}

/** A directory list (RuntimeDirectory= ...) with its mode. */
export interface DirectorySetting {
  readonly names: string[];
  readonly mode: number;
}

/** Settings of the [Service] section (plus exec and kill context). */
export interface ServiceSettings {
  readonly type: string;
  readonly exitType: string;
  readonly restart: string;
  readonly pidFile: string | undefined;
  readonly notifyAccess: string;
  readonly restartUSec: number;
  readonly timeoutStartUSec: number;
  readonly timeoutStopUSec: number;
  readonly timeoutAbortUSec: number;
  readonly runtimeMaxUSec: number;
  readonly watchdogUSec: number;
  readonly remainAfterExit: boolean;
  readonly guessMainPID: boolean;
  readonly successExitStatus: { codes: number[]; signals: number[] };
  readonly restartPreventExitStatus: { codes: number[]; signals: number[] };
  readonly restartForceExitStatus: { codes: number[]; signals: number[] };
  readonly busName: string | undefined;
  readonly exec: Readonly<Record<ServiceExecKey, ExecCommand[]>>;
  readonly execSearchPath: string[] | undefined;
  readonly environment: Array<[string, string]>;
  readonly environmentFiles: Array<{ path: string; optional: boolean }>;
  readonly passEnvironment: string[];
  readonly unsetEnvironment: string[];
  readonly umask: number;
  readonly limits: Readonly<Record<string, { soft: number; hard: number }>>;
  readonly workingDirectory: { path: string; optional: boolean } | undefined;
  readonly rootDirectory: string | undefined;
  readonly oomScoreAdjust: number | undefined;
  readonly nice: number | undefined;
  readonly standardInput: StdioSetting;
  readonly standardOutput: StdioSetting;
  readonly standardError: StdioSetting;
  readonly ttyPath: string | undefined;
  readonly syslogIdentifier: string | undefined;
  readonly user: string | undefined;
  readonly group: string | undefined;
  readonly dynamicUser: boolean;
  readonly supplementaryGroups: string[];
  readonly runtimeDirectory: DirectorySetting;
  readonly stateDirectory: DirectorySetting;
  readonly cacheDirectory: DirectorySetting;
  readonly logsDirectory: DirectorySetting;
  readonly configurationDirectory: DirectorySetting;
  readonly runtimeDirectoryPreserve: string;
  readonly ignoreSIGPIPE: boolean;
  readonly killMode: string;
  readonly killSignal: number;
  readonly restartKillSignal: number;
  readonly finalKillSignal: number;
  readonly sendSIGKILL: boolean;
  readonly sendSIGHUP: boolean;
  readonly watchdogSignal: number;
  readonly reloadSignal: number;
  readonly privateTmp: boolean;
  readonly protectSystem: string;
  readonly protectHome: string;
  readonly noNewPrivileges: boolean;
  readonly oomPolicy: string;
}

const SERVICE_TYPES = new Set([
  "simple",
  "exec",
  "forking",
  "oneshot",
  "dbus",
  "notify",
  "notify-reload",
  "idle",
]);

function parseStdio(v: string | undefined, dflt: string): StdioSetting {
  if (v === undefined) return { kind: dflt };
  for (const p of ["file:", "append:", "truncate:"]) {
    if (!v.startsWith(p)) continue;
    // A path with `..` is refused (warned about at load): the default applies.
    if (climbsUp(v.slice(p.length))) return { kind: dflt };
    return { kind: p.slice(0, -1), path: v.slice(p.length) };
  }
  if (v.startsWith("fd:")) return { kind: "fd", path: v.slice(3) };
  return { kind: v };
}

function dirs(config: UnitConfig, key: string): DirectorySetting {
  const mode = parseMode(config.get("Service", `${key}Mode`) ?? "0755") ?? 0o755;
  // Words systemd refuses (absolute, `..`) were warned about at load; they are dropped here.
  const names = config.words("Service", key).filter((w) =>
    directoryWordProblems(key, w).length === 0
  );
  return { names, mode };
}

function signal(config: UnitConfig, key: string, dflt: number): number {
  const v = config.get("Service", key);
  return v === undefined ? dflt : parseSignal(v) ?? dflt;
}

function execList(config: UnitConfig, key: string): ExecCommand[] {
  const out: ExecCommand[] = [];
  for (const v of config.list("Service", key)) {
    const r = parseExecLine(v);
    // A loop, not push(...): one line may hold 200,000 commands separated by `;`.
    if (!r.error) { for (const c of r.commands) out.push(c); }
  }
  return out;
}

function statusList(config: UnitConfig, key: string): { codes: number[]; signals: number[] } {
  const out = { codes: [] as number[], signals: [] as number[] };
  for (const v of config.list("Service", key)) {
    const r = parseExitStatusList(v);
    if (r) {
      out.codes.push(...r.codes);
      out.signals.push(...r.signals);
    }
  }
  return out;
}

/** Reads the [Service] settings with systemd's defaults. */
export function serviceSettings(config: UnitConfig): ServiceSettings {
  const exec = {} as Record<ServiceExecKey, ExecCommand[]>;
  for (const k of SERVICE_EXEC_KEYS) exec[k] = execList(config, k);
  const busName = config.get("Service", "BusName");
  let type = config.get("Service", "Type");
  if (type === undefined || !SERVICE_TYPES.has(type)) {
    type = busName ? "dbus" : exec.ExecStart.length > 0 ? "simple" : "oneshot";
  }
  const limits: Record<string, { soft: number; hard: number }> = {};
  for (const [name, kind] of LIMIT_KEYS) {
    const v = config.get("Service", `Limit${name}`);
    if (v === undefined) continue;
    const r = parseRlimit(v, kind);
    if (r) limits[name] = r;
  }
  // A later assignment moves its name to the end; a Map keeps this linear in the words.
  const envMap = new Map<string, string>();
  for (const v of config.list("Service", "Environment")) {
    for (const [k, val] of parseEnvironmentValue(v).vars) {
      envMap.delete(k);
      envMap.set(k, val);
    }
  }
  const env: Array<[string, string]> = [...envMap];
  const wd = config.get("Service", "WorkingDirectory");
  const timeoutBoth = config.get("Service", "TimeoutSec");
  const dfltStart = type === "oneshot" ? Infinity : 90 * SEC;
  const toSpan = (v: string | undefined, d: number) => {
    if (v === undefined) return d;
    const t = parseTimespan(v);
    if (t === undefined) return d;
    return t === 0 ? Infinity : t;
  };
  const timeoutStartUSec = toSpan(
    config.get("Service", "TimeoutStartSec") ?? timeoutBoth,
    dfltStart,
  );
  const timeoutStopUSec = toSpan(config.get("Service", "TimeoutStopSec") ?? timeoutBoth, 90 * SEC);
  // As systemd's service_add_extras(): a service that needs the socket gets `main` when
  // NotifyAccess= is unset or `none` (the two are the same setting there).
  const notifyDefault = type === "notify" || type === "notify-reload" ||
      config.get("Service", "WatchdogSec") !== undefined
    ? "main"
    : "none";
  const notifyAccess = config.get("Service", "NotifyAccess");
  const killSignal = signal(config, "KillSignal", 15);
  return {
    type,
    exitType: config.get("Service", "ExitType") ?? "main",
    restart: config.get("Service", "Restart") ?? "no",
    pidFile: pidFilePath(config.get("Service", "PIDFile")),
    notifyAccess: notifyAccess === undefined || notifyAccess === "none"
      ? notifyDefault
      : notifyAccess,
    restartUSec: span(config, "Service", ["RestartSec"], 100_000),
    timeoutStartUSec,
    timeoutStopUSec,
    timeoutAbortUSec: toSpan(config.get("Service", "TimeoutAbortSec"), timeoutStopUSec),
    runtimeMaxUSec: toSpan(config.get("Service", "RuntimeMaxSec"), Infinity),
    // Unset means no watchdog (infinity), as WatchdogSec=0 does.
    watchdogUSec: span(config, "Service", ["WatchdogSec"], Infinity),
    remainAfterExit: bool(config, "Service", "RemainAfterExit", false),
    guessMainPID: bool(config, "Service", "GuessMainPID", true),
    successExitStatus: statusList(config, "SuccessExitStatus"),
    restartPreventExitStatus: statusList(config, "RestartPreventExitStatus"),
    restartForceExitStatus: statusList(config, "RestartForceExitStatus"),
    busName,
    exec,
    execSearchPath: config.get("Service", "ExecSearchPath")?.split(":"),
    environment: env,
    environmentFiles: config.list("Service", "EnvironmentFile").map((v) =>
      v.startsWith("-") ? { path: v.slice(1), optional: true } : { path: v, optional: false }
    ).filter((f) => !climbsUp(f.path)),
    passEnvironment: config.words("Service", "PassEnvironment"),
    unsetEnvironment: config.list("Service", "UnsetEnvironment").flatMap((v) =>
      splitWords(v).words
    ),
    umask: parseMode(config.get("Service", "UMask") ?? "0022") ?? 0o022,
    limits,
    workingDirectory: wd === undefined
      ? undefined
      : wd.startsWith("-")
      ? { path: wd.slice(1), optional: true }
      : { path: wd, optional: false },
    rootDirectory: config.get("Service", "RootDirectory"),
    oomScoreAdjust: numberOrUndefined(config.get("Service", "OOMScoreAdjust")),
    nice: numberOrUndefined(config.get("Service", "Nice")),
    standardInput: parseStdio(config.get("Service", "StandardInput"), "null"),
    // systemd: stdout inherits a socket or terminal on stdin, else goes to the journal.
    standardOutput: parseStdio(
      config.get("Service", "StandardOutput"),
      /^(socket|tty)/.test(config.get("Service", "StandardInput") ?? "") ? "inherit" : "journal",
    ),
    standardError: parseStdio(config.get("Service", "StandardError"), "inherit"),
    ttyPath: config.get("Service", "TTYPath"),
    syslogIdentifier: config.get("Service", "SyslogIdentifier"),
    user: config.get("Service", "User"),
    group: config.get("Service", "Group"),
    dynamicUser: bool(config, "Service", "DynamicUser", false),
    supplementaryGroups: config.list("Service", "SupplementaryGroups").flatMap((v) =>
      splitWords(v).words
    ),
    runtimeDirectory: dirs(config, "RuntimeDirectory"),
    stateDirectory: dirs(config, "StateDirectory"),
    cacheDirectory: dirs(config, "CacheDirectory"),
    logsDirectory: dirs(config, "LogsDirectory"),
    configurationDirectory: dirs(config, "ConfigurationDirectory"),
    runtimeDirectoryPreserve: config.get("Service", "RuntimeDirectoryPreserve") ?? "no",
    ignoreSIGPIPE: bool(config, "Service", "IgnoreSIGPIPE", true),
    killMode: config.get("Service", "KillMode") ?? "control-group",
    killSignal,
    restartKillSignal: signal(config, "RestartKillSignal", killSignal),
    finalKillSignal: signal(config, "FinalKillSignal", 9),
    sendSIGKILL: bool(config, "Service", "SendSIGKILL", true),
    sendSIGHUP: bool(config, "Service", "SendSIGHUP", false),
    watchdogSignal: signal(config, "WatchdogSignal", 6),
    reloadSignal: signal(config, "ReloadSignal", 1),
    privateTmp: bool(config, "Service", "PrivateTmp", false),
    protectSystem: boolOrWord(config.get("Service", "ProtectSystem")),
    protectHome: boolOrWord(config.get("Service", "ProtectHome")),
    noNewPrivileges: bool(config, "Service", "NoNewPrivileges", false),
    oomPolicy: config.get("Service", "OOMPolicy") ?? "stop",
  };
}

function numberOrUndefined(v: string | undefined): number | undefined {
  if (v === undefined || !/^[-+]?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** A relative PIDFile= gets `/run/` in front. */
export function pidFilePath(v: string | undefined): string | undefined {
  // A path that climbs out of its directory is refused (warned about at load).
  if (v === undefined || climbsUp(v)) return undefined;
  return v.startsWith("/") ? v : `/run/${v}`;
}

/** The parsed control commands of a socket unit, by phase (its [Socket] exec context). */
export function socketExecCommands(config: UnitConfig): Record<SocketExecKey, ExecCommand[]> {
  const exec = serviceSettings(socketExecConfig(config)).exec;
  const out = {} as Record<SocketExecKey, ExecCommand[]>;
  for (const key of SOCKET_EXEC_KEYS) out[key] = exec[socketExecSlot(key)];
  return out;
}
