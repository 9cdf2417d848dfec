/**
 * Run state as every invocation sees it: the stored record, corrected by
 * what /proc says (§6.2), and its conversion to the `show` view.
 * @module
 */

import type { LoadedUnit } from "../units/loader.ts";
import { type PathEnv, type RootMap, type Scope, stateDir } from "../units/paths.ts";
import { readUnitStateSync, STATE_FORMAT, type UnitState } from "../state/store.ts";
import { makeBootKey } from "../state/boot.ts";
import { readProcText } from "../process/procread.ts";
import { isAlive, readStat } from "../process/procfs.ts";
import { monotonicMicros } from "../process/timer.ts";
import { isUnitMember, type ProcessId, unitMemberIds, unitMembers } from "../process/kill.ts";
import { NEVER_RAN, type RuntimeView, type Stamp } from "../unit/runtime_view.ts";
import type { ServiceExecKey } from "../unit/model.ts";

/** What a runtime query needs from the invocation. */
export interface StateEnv {
  readonly root: RootMap;
  readonly scope: Scope;
  readonly env: PathEnv;
  warn(text: string): void;
}

let cachedBootKey: string | undefined;

/** The boot key of this container boot (cached per invocation). */
export function currentBootKey(): string {
  cachedBootKey ??= makeBootKey(
    readProcText("/proc/sys/kernel/random/boot_id") ?? "",
    readProcText("/proc/1/stat") ?? "",
  );
  return cachedBootKey;
}

/** The host path of the state directory. */
export function stateDirHost(se: Pick<StateEnv, "root" | "scope" | "env">): string {
  return se.root.resolve(stateDir(se.scope, se.env));
}

function uptimeUs(): number {
  const up = readProcText("/proc/uptime")?.split(" ")[0];
  return up ? Math.round(Number(up) * 1_000_000) : Math.round(performance.now() * 1000);
}

/** Microseconds on the monotonic clock (CLOCK_MONOTONIC, as systemd's stamps). */
export function monotonicUs(): number {
  return monotonicMicros(uptimeUs);
}

/** A [realtime, monotonic] stamp for now. */
export function stampNow(): [number, number] {
  return [Date.now() * 1000, monotonicUs()];
}

/** A fresh record for a unit that has no state. */
export function emptyState(id: string): UnitState {
  return {
    format: STATE_FORMAT,
    Id: id,
    // Read when the record is written (two /proc reads), not for a unit that never ran.
    get Boot() {
      return currentBootKey();
    },
    ActiveState: "inactive",
    SubState: "dead",
    Result: "success",
  };
}

/** The stored record (stale or corrupt files count as absent). */
export function storedState(se: StateEnv, id: string): UnitState | undefined {
  // The boot key (two /proc reads) only when there is a record to check it against.
  const r = readUnitStateSync(stateDirHost(se), id, currentBootKey);
  if (r.warning) se.warn(r.warning);
  return r.state;
}

/**
 * Whether a recorded process is still ours and alive: a PID recorded without a
 * start time cannot be told from a reused one, so it never counts.
 */
export function alive(pid: number | undefined, start: number | undefined): boolean {
  if (!pid || pid <= 0 || !start) return false;
  return isAlive(pid, start);
}

/** The recorded main and control processes that are still ours, with their start times. */
export function recordedProcesses(
  st: UnitState,
): { mainPid?: number; controlPid?: number; startTimes: Record<number, number> } {
  const out: { mainPid?: number; controlPid?: number; startTimes: Record<number, number> } = {
    startTimes: {},
  };
  if (alive(st.MainPID, st.MainPIDStartTime)) {
    out.mainPid = st.MainPID;
    out.startTimes[st.MainPID!] = st.MainPIDStartTime!;
  }
  if (alive(st.ControlPID, st.ControlPIDStartTime)) {
    out.controlPid = st.ControlPID;
    out.startTimes[st.ControlPID!] = st.ControlPIDStartTime!;
  }
  return out;
}

/** The session part of a member query, from a record (older records carry no start times). */
export function recordedSessions(
  st: UnitState,
): { sessionIds: number[]; sessionStartTimes?: Record<number, number> } {
  const starts = st.SessionStartTimes;
  if (!starts) return { sessionIds: st.Sessions ?? [] };
  const sessionStartTimes: Record<number, number> = {};
  for (const [sid, start] of Object.entries(starts)) sessionStartTimes[Number(sid)] = start;
  return { sessionIds: st.Sessions ?? [], sessionStartTimes };
}

/** The live member processes of a unit, from its record. */
export function liveMembers(st: UnitState): number[] {
  return unitMembers({
    ...recordedProcesses(st),
    ...recordedSessions(st),
    invocationId: st.InvocationID,
  });
}

/** Whether one process is among {@link liveMembers} (told without a scan of /proc). */
export function isLiveMember(st: UnitState, pid: number): boolean {
  return isUnitMember({
    ...recordedProcesses(st),
    ...recordedSessions(st),
    invocationId: st.InvocationID,
  }, pid);
}

/** Like {@link liveMembers}, with the start times that identify each process. */
export function liveMemberIds(st: UnitState): ProcessId[] {
  return unitMemberIds({
    ...recordedProcesses(st),
    ...recordedSessions(st),
    invocationId: st.InvocationID,
  });
}

/**
 * The main process of a start whose client died between the spawn and the write that
 * records it: the one session leader that carries the activation's INVOCATION_ID
 * (every Exec process leads its session). Only for types whose ExecStart process is
 * the main process, and only while the record says ExecStart was being run.
 */
function spawnedMain(st: UnitState): ProcessId | undefined {
  if (st.ActiveState !== "activating" || st.SubState !== "start" || !st.InvocationID) return;
  if (st.MainPID || st.Type === "forking" || st.Type === "oneshot") return undefined;
  const leaders = unitMemberIds({ invocationId: st.InvocationID }).filter((p) =>
    readStat(p.pid)?.session === p.pid
  );
  return leaders.length === 1 ? leaders[0] : undefined;
}

/**
 * Whether a record is a Type=forking start that was under way (ExecStart= running, or the
 * PID file awaited) and whose processes still live.
 */
function forkingUnderWay(st: UnitState): boolean {
  if (st.Type !== "forking" || st.ActiveState !== "activating" || !st.InvocationID) return false;
  if (st.SubState !== "start" && st.SubState !== "start-post") return false;
  return liveMembers(st).length > 0;
}

/**
 * The effective state: the record while its processes live; a running unit
 * whose main process vanished unobserved reads `failed` (exit-code), or
 * stays `active/exited` with RemainAfterExit.
 */
export function effectiveState(st: UnitState | undefined, id: string): UnitState {
  if (!st) return emptyState(id);
  const transitional = st.ActiveState === "activating" || st.ActiveState === "deactivating" ||
    st.ActiveState === "reloading";
  if (transitional && st.Writer && !isAlive(st.Writer.pid)) {
    // The client that was starting (or stopping) the unit died, e.g. by SIGKILL. A
    // recorded main process that still lives is adopted: start must not run a second
    // copy, and stop must stop this one.
    if (alive(st.MainPID, st.MainPIDStartTime)) {
      return { ...st, ActiveState: "active", SubState: "running" };
    }
    const spawned = spawnedMain(st);
    if (spawned) {
      return {
        ...st,
        ActiveState: "active",
        SubState: "running",
        MainPID: spawned.pid,
        MainPIDStartTime: spawned.startTime,
        ExecMainPID: spawned.pid,
      };
    }
    if (forkingUnderWay(st)) {
      // A forking start whose client died while ExecStart ran or the PID file was awaited:
      // its daemon runs (found by the activation's INVOCATION_ID, or its session with a
      // live leader). It is adopted as running without a known main PID (§6.2: active
      // while members live), so start runs no second copy and stop stops this one.
      return { ...st, ActiveState: "active", SubState: "running", MainPID: 0, ControlPID: 0 };
    }
    return recompute(st);
  }
  if (id.endsWith(".socket")) {
    // The descriptors died with the init instance that held them.
    const holder = st.Socket?.HolderPID;
    if (
      st.ActiveState === "active" && holder &&
      !isAlive(holder, st.Socket?.HolderStartTime || undefined)
    ) {
      return { ...st, ActiveState: "inactive", SubState: "dead", Socket: {} };
    }
    return st;
  }
  // A running service without its processes has ended. Only services: a timer or path unit
  // is `running` while the unit it triggered runs, and its record names no process.
  if (id.endsWith(".service") && st.ActiveState === "active" && st.SubState === "running") {
    if (st.MainPID && st.MainPID > 0) {
      if (alive(st.MainPID, st.MainPIDStartTime)) return st;
      return recompute(st);
    }
    if (liveMembers(st).length === 0) return recompute(st);
  }
  return st;
}

function recompute(st: UnitState): UnitState {
  const killed = st.KilledMain;
  if (
    killed && st.MainPID && killed.pid === st.MainPID &&
    (!killed.startTime || !st.MainPIDStartTime || killed.startTime === st.MainPIDStartTime) &&
    st.ActiveState !== "deactivating"
  ) {
    // `kill` signalled this main process and it is gone: take the signal as its end.
    // SIGHUP, SIGINT, SIGTERM and SIGPIPE end a service cleanly, as for systemd.
    const now = stampNow();
    const at: [number, number] = [killed.at, Math.max(0, now[1] - (now[0] - killed.at))];
    const clean = [1, 2, 13, 15].includes(killed.signal) && st.Type !== "oneshot";
    const ended = {
      ...st,
      ExecMainCode: CLD_KILLED,
      ExecMainStatus: killed.signal,
      ExecMainExitTimestamp: at,
      StateChange: at,
      MainPID: 0,
      ControlPID: 0,
    };
    if (clean && st.RemainAfterExit) return { ...ended, ActiveState: "active", SubState: "exited" };
    return clean
      ? { ...ended, ActiveState: "inactive", SubState: "dead", ActiveExit: at, InactiveEnter: at }
      : {
        ...ended,
        ActiveState: "failed",
        SubState: "failed",
        Result: "signal",
        ActiveExit: at,
        InactiveEnter: at,
      };
  }
  if (st.RemainAfterExit) return { ...st, ActiveState: "active", SubState: "exited", MainPID: 0 };
  if (st.MainPID && st.MainPID > 0 && st.ActiveState !== "deactivating") {
    return {
      ...st,
      ActiveState: "failed",
      SubState: "failed",
      Result: "exit-code",
      MainPID: 0,
      ControlPID: 0,
    };
  }
  if (st.ActiveState === "deactivating") {
    return { ...st, ActiveState: "inactive", SubState: "dead", MainPID: 0, ControlPID: 0 };
  }
  return {
    ...st,
    ActiveState: "failed",
    SubState: "failed",
    Result: st.Result === "success" ? "exit-code" : st.Result,
    MainPID: 0,
    ControlPID: 0,
  };
}

/** The effective state of a loaded unit. */
export function unitState(se: StateEnv, unit: LoadedUnit | string): UnitState {
  const id = typeof unit === "string" ? unit : unit.id;
  return withMainRun(effectiveState(storedState(se, id), id));
}

const CODE_NAMES = [undefined, "exited", "killed", "dumped"] as const;

/** ExecMainCode= as systemd records it: the main process's `si_code` (CLD_EXITED, ...). */
export const CLD_EXITED = 1;
/** The main process was killed by a signal. */
export const CLD_KILLED = 2;
/** The main process was killed by a signal and dumped core. */
export const CLD_DUMPED = 3;

/** The ExecMainCode= of an end as `waitid()` tells it. */
export function execMainCode(code: "exited" | "killed" | "dumped"): number {
  return code === "exited" ? CLD_EXITED : code === "killed" ? CLD_KILLED : CLD_DUMPED;
}

/** The `$EXIT_CODE`/`MONITOR_EXIT_CODE` word of an ExecMainCode= (`exited` when unknown). */
export function exitCodeWord(code: number | undefined): "exited" | "killed" | "dumped" {
  return code === CLD_KILLED ? "killed" : code === CLD_DUMPED ? "dumped" : "exited";
}

/**
 * The main process's ExecStart run with its end filled in from ExecMain*
 * once that process is gone, as systemd lists it (`Process: … ExecStart=…`).
 */
export function withMainRun(st: UnitState): UnitState {
  const runs = st.Exec?.ExecStart;
  const code = typeof st.ExecMainCode === "number" ? CODE_NAMES[st.ExecMainCode] : undefined;
  if (!runs || !code || !st.ExecMainPID || st.MainPID === st.ExecMainPID) return st;
  const patched = runs.map((r) =>
    r.pid === st.ExecMainPID && !r.code
      ? { ...r, code, status: st.ExecMainStatus ?? 0, exit: st.ExecMainExitTimestamp?.[0] }
      : r
  );
  return { ...st, Exec: { ...st.Exec, ExecStart: patched } };
}

const stamp = (s: readonly number[] | undefined): Stamp => (s ? [s[0] ?? 0, s[1] ?? 0] : [0, 0]);

const CODE: Record<string, number> = {
  exited: CLD_EXITED,
  killed: CLD_KILLED,
  dumped: CLD_DUMPED,
};

/** Converts a record into the view `show` and `status` print. */
export function toRuntimeView(st: UnitState): RuntimeView {
  const execRuns: Partial<
    Record<
      ServiceExecKey,
      Array<
        RuntimeView["execRuns"][ServiceExecKey] extends readonly (infer R)[] | undefined ? R : never
      >
    >
  > = {};
  for (const [k, runs] of Object.entries(st.Exec ?? {})) {
    execRuns[k as ServiceExecKey] = runs.map((r) => ({
      pid: r.pid,
      start: r.start ?? 0,
      exit: r.exit ?? 0,
      code: r.code,
      status: r.status ?? 0,
    }));
  }
  return {
    ...NEVER_RAN,
    activeState: st.ActiveState,
    subState: st.SubState,
    result: st.Result ?? "success",
    reloadResult: st.ReloadResult ?? "success",
    cleanResult: st.CleanResult ?? "success",
    mainPid: st.MainPID ?? 0,
    controlPid: st.ControlPID ?? 0,
    execMainPid: st.ExecMainPID ?? 0,
    execMainCode: typeof st.ExecMainCode === "string"
      ? CODE[st.ExecMainCode] ?? 0
      : st.ExecMainCode ?? 0,
    execMainStatus: st.ExecMainStatus ?? 0,
    execMainStart: stamp(st.ExecMainStartTimestamp),
    execMainExit: stamp(st.ExecMainExitTimestamp),
    stateChange: stamp(st.StateChange),
    inactiveExit: stamp(st.InactiveExit),
    activeEnter: stamp(st.ActiveEnter),
    activeExit: stamp(st.ActiveExit),
    inactiveEnter: stamp(st.InactiveEnter),
    conditionTimestamp: stamp(st.Condition),
    assertTimestamp: stamp(st.Assert),
    conditionResult: st.ConditionResult,
    assertResult: st.AssertResult,
    nRestarts: st.NRestarts ?? 0,
    statusText: st.StatusText ?? "",
    statusErrno: st.StatusErrno ?? 0,
    invocationId: st.InvocationID ?? "",
    uid: st.ActiveState === "active" || st.ActiveState === "activating" ? st.UID : undefined,
    gid: st.ActiveState === "active" || st.ActiveState === "activating" ? st.GID : undefined,
    execRuns,
    nAccepted: st.Socket?.NAccepted ?? 0,
    nConnections: st.Socket?.NConnections ?? 0,
    nRefused: st.Socket?.NRefused ?? 0,
  };
}

/** The unit's files (fragment, drop-ins) with their mtimes in µs (-1: unreadable). */
export function unitFileStamps(
  se: Pick<StateEnv, "root">,
  unit: LoadedUnit,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const path of [unit.fragmentPath, ...unit.dropInPaths]) {
    if (!path || path === "/dev/null") continue;
    try {
      out[path] = (Deno.statSync(se.root.host(path)).mtime?.getTime() ?? 0) * 1000;
    } catch {
      out[path] = -1;
    }
  }
  return out;
}

/**
 * NeedDaemonReload=: a file the manager loaded the unit from changed (or went) since, as
 * systemd's unit_need_daemon_reload() compares the fragment's and drop-ins' mtimes with
 * those it loaded (drop-ins added since are not noticed, as in systemd 252).
 */
export function needDaemonReload(se: StateEnv, unit: LoadedUnit): boolean {
  const loaded = storedState(se, unit.id)?.LoadedFiles;
  if (!loaded) return false;
  const now = unitFileStamps(se, unit);
  return Object.entries(loaded).some(([path, mtime]) => (now[path] ?? -1) !== mtime);
}

/**
 * `Permission denied (/run/systemctl/units/x.json).` from a file-system error: the errno's
 * text and the path, without Deno's `(os error N)` and operation name.
 */
export function reasonOf(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const path = /'([^']+)'/.exec(message)?.[1];
  const where = path ? ` (${path})` : "";
  if (e instanceof Deno.errors.NotCapable) return `Permission denied${where}.`;
  const os = /^(.*?) \(os error \d+\)/.exec(message);
  return os ? `${os[1]}${where}.` : message;
}
