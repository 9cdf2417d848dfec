/**
 * What every phase of a service's lifecycle shares: the invocation's environment, the
 * activation (the unit's record being written as transitions happen, control commands run
 * and recorded), the kill of a unit's processes, and the end of a run (ExecStopPost=, the
 * Result, the restart decision). Callers hold the unit lock.
 * @module
 */

import type { LoadedUnit } from "../units/loader.ts";
import type { UnitState } from "../state/store.ts";
import { writeUnitState } from "../state/store.ts";
import type { ExecCommand } from "../unit/exec.ts";
import type { ServiceExecKey, ServiceSettings } from "../unit/model.ts";
import { signalName } from "../unit/signals.ts";
import { type ExitInfo, type Spawned, spawnProcess } from "../process/spawn.ts";
import { type StopOutcome, stopSequence } from "../process/kill.ts";
import { isAlive, readStat } from "../process/procfs.ts";
import type { NotifyAuthorizer, NotifyListener, NotifyMessage } from "../process/notify.ts";
import { setLongTimeout } from "../process/timer.ts";
import {
  buildEnvironment,
  createDirectories,
  type Credentials,
  type ExecEnvInput,
  makeLogDir,
  type PreparedExec,
  resolveCredentials,
  spawnSpecFor,
  unitLogInside,
} from "./exec_context.ts";
import { removeIn, unlinkIn } from "../process/rootfs.ts";
import {
  alive,
  CLD_KILLED,
  currentBootKey,
  effectiveState,
  liveMembers,
  reasonOf,
  recordedProcesses,
  recordedSessions,
  stampNow,
  stateDirHost,
  storedState,
  unitFileStamps,
} from "./runtime.ts";
import { type ActivationFds, applyDescriptors } from "./socket_fds.ts";
import { lookupUser } from "../units/host_info.ts";
import { judgeMainPid, notifyRefusal } from "./notify_access.ts";
import { once } from "./daemons.ts";
import { serviceSettingsOf } from "../units/settings.ts";
import type { JobRefusal } from "./outcome.ts";

/** Everything the lifecycle needs from the invocation. */
export interface LifecycleEnv extends ExecEnvInput {
  warn(text: string): void;
  readonly hostname: string;
  readonly machineId?: string;
  readonly architecture: string;
  readonly osRelease: Record<string, string>;
  /** Verbose diagnostics go here (may be a no-op). */
  debug(text: string): void;
  /** `--maxtimeout` in microseconds: caps every start, stop and abort timeout. */
  readonly maxTimeoutUSec?: number;
  /**
   * Set in the init instance: it reaps and records every main process's end, so start
   * does not watch for an immediate exit, and notify sockets stay open after READY=1.
   */
  readonly supervisor?: Supervisor;
}

/** What the init instance offers the lifecycle. */
export interface Supervisor {
  /** A main process was spawned (or adopted) for a unit. */
  mainProcess(unit: string, pid: number): void;
  /** The notify socket of a unit that reached READY=1, to keep open for the unit's life. */
  keepNotifySocket(unit: string, listener: NotifyListener): void;
}

/** The outcome of a job on one unit. */
export interface JobOutcome {
  readonly ok: boolean;
  /** systemd's Result on failure (exit-code, timeout, resources, ...). */
  readonly result?: string;
  /**
   * Why the job was refused, when the manager says so itself (the client gets these words
   * instead of the generic job-failed lines).
   */
  readonly refusal?: JobRefusal;
  /** The unit's log line that says why (a socket that could not bind, ...), printed as is. */
  readonly message?: string;
  /** The start was skipped by a failed condition (still ok). */
  readonly skipped?: boolean;
}

/** One second in µs. */
export const SEC = 1_000_000;

/** A new InvocationID= (128 random bits in hex). */
export function randomId(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** µs to ms, rounded up (infinity stays). */
export function toMs(us: number): number {
  return us === Infinity ? Infinity : Math.ceil(us / 1000);
}

/** `--maxtimeout` (ref): no start, stop or abort timeout is longer than the cap. */
export function capTimeouts(s: ServiceSettings, cap: number | undefined): ServiceSettings {
  if (cap === undefined) return s;
  return {
    ...s,
    timeoutStartUSec: Math.min(s.timeoutStartUSec, cap),
    timeoutStopUSec: Math.min(s.timeoutStopUSec, cap),
    timeoutAbortUSec: Math.min(s.timeoutAbortUSec, cap),
  };
}

/** A running activation: the record being written and its exec context. */
export class Activation {
  st: UnitState;
  readonly se: LifecycleEnv;
  readonly unit: LoadedUnit;
  readonly s: ServiceSettings;
  prepared?: PreparedExec;
  /** Descriptors from a socket activation, for the ExecStart commands. */
  fds?: ActivationFds;

  constructor(se: LifecycleEnv, unit: LoadedUnit, st: UnitState) {
    this.se = se;
    this.unit = unit;
    this.s = capTimeouts(serviceSettingsOf(unit), se.maxTimeoutUSec);
    this.st = st;
  }

  #writing: Promise<void> = Promise.resolve();

  /** Applies a patch and writes the record; writes are serialized. */
  save(patch: Partial<UnitState>): Promise<void> {
    // A failed write rejects this save only; the next one still runs.
    this.#writing = this.#writing.catch(() => {}).then(() => this.#save(patch));
    return this.#writing;
  }

  async #save(patch: Partial<UnitState>): Promise<void> {
    const now = stampNow();
    const next: UnitState = {
      ...this.st,
      ...patch,
      // What the manager loaded the unit from, when the record begins (NeedDaemonReload=).
      LoadedFiles: patch.LoadedFiles ?? this.st.LoadedFiles ?? unitFileStamps(this.se, this.unit),
      Boot: currentBootKey(),
      Writer: { pid: Deno.pid, time: now[0] },
    };
    if (patch.ActiveState && patch.ActiveState !== this.st.ActiveState) {
      next.StateChange = now;
      const from = this.st.ActiveState;
      const to = patch.ActiveState;
      // Reloading counts as active: going there and back moves no active/inactive stamp.
      const activeish = (x: string) => x === "active" || x === "reloading";
      if (from === "inactive" || from === "failed") next.InactiveExit = now;
      if (to === "active" && from !== "reloading") next.ActiveEnter = now;
      if (activeish(from) && !activeish(to)) next.ActiveExit = now;
      if (to === "inactive" || to === "failed") next.InactiveEnter = now;
    }
    this.st = next;
    try {
      await writeUnitState(stateDirHost(this.se), next);
    } catch (e) {
      throw new Error(`Failed to write state of ${this.unit.id}: ${reasonOf(e)}`);
    }
  }

  recordRun(key: ServiceExecKey, run: NonNullable<UnitState["Exec"]>[string][number]): void {
    const exec = { ...(this.st.Exec ?? {}) };
    exec[key] = [...(exec[key] ?? []), run];
    this.st = { ...this.st, Exec: exec };
  }

  /** Records a spawned main process: its ExecStart run and the MainPID/ExecMain* fields. */
  mainProcess(child: Spawned): Partial<UnitState> {
    child.unref();
    this.se.supervisor?.mainProcess(this.unit.id, child.pid);
    this.recordRun("ExecStart", { pid: child.pid, start: Date.now() * 1000 });
    return {
      MainPID: child.pid,
      MainPIDStartTime: child.startTime,
      ExecMainPID: child.pid,
      ExecMainStartTimestamp: stampNow(),
    };
  }

  /** Prepares credentials, directories and the environment (once per activation). */
  prepare(extra: Record<string, string | undefined> = {}): PreparedExec {
    const se = this.se;
    const creds: Credentials | undefined = resolveCredentials(se.root, this.s, this.unit.id);
    const dirs = createDirectories(se.root, se.scope, se.env, this.s, creds);
    const logPath = se.root.inner(unitLogInside(se.scope, se.env, this.unit.id));
    try {
      makeLogDir(se.root, se.scope, se.env);
    } catch { /* reported at spawn */ }
    const programVars: Record<string, string | undefined> = {
      INVOCATION_ID: this.st.InvocationID,
      ...dirs.vars,
      ...extra,
    };
    if (creds && (this.s.user || this.s.dynamicUser)) {
      const pw = lookupUser(se.root, creds.uid);
      programVars.USER = creds.name;
      programVars.LOGNAME = creds.name;
      programVars.HOME = pw?.home ?? creds.home;
      programVars.SHELL = pw?.shell ?? creds.shell;
    }
    if (this.s.pidFile) programVars.PIDFILE = this.s.pidFile;
    const env = buildEnvironment(se, this.s, programVars);
    this.st = {
      ...this.st,
      RuntimeDirectories: dirs.runtimeDirs,
      UID: creds?.uid ?? 0,
      GID: creds?.gid ?? 0,
    };
    this.prepared = {
      env,
      creds,
      logPath,
      service: this.s,
      unitId: this.unit.id,
      root: se.root,
      sysv: this.unit.generated,
    };
    return this.prepared;
  }

  async spawn(cmd: ExecCommand, extraEnv: Record<string, string> = {}): Promise<Spawned> {
    const p = this.prepared ?? this.prepare();
    let spec = spawnSpecFor(cmd, p, extraEnv);
    // Socket activation: the ExecStart commands get the sockets (systemd's EXEC_PASS_FDS).
    if (this.fds && this.s.exec.ExecStart.includes(cmd)) {
      spec = applyDescriptors(spec, this.fds, this.s);
    }
    const child = await spawnProcess(spec);
    this.st = {
      ...this.st,
      Sessions: [...new Set([...(this.st.Sessions ?? []), child.pid])],
      // The leader's start time tells this session from a later one under a reused PID.
      SessionStartTimes: { ...this.st.SessionStartTimes, [child.pid]: child.startTime },
    };
    return child;
  }

  /** Runs one control command and waits for it, with a timeout (ms). */
  async runControl(
    key: ServiceExecKey,
    cmd: ExecCommand,
    timeoutMs: number,
    extraEnv: Record<string, string> = {},
    onSpawn?: (child: Spawned) => void,
  ): Promise<ExitInfo & { pid: number; timedOut: boolean }> {
    const child = await this.spawn(cmd, extraEnv);
    onSpawn?.(child);
    await this.save({ ControlPID: child.pid, ControlPIDStartTime: child.startTime });
    const start = Date.now() * 1000;
    let cancelTimer: (() => void) | undefined;
    const timeout = timeoutMs === Infinity ? undefined : new Promise<"timeout">((r) => {
      cancelTimer = setLongTimeout(() => r("timeout"), timeoutMs);
    });
    const status = child.status();
    let exit = await (timeout ? Promise.race([status, timeout]) : status);
    let timedOut = false;
    if (exit === "timeout") {
      timedOut = true;
      await stopSequence({
        mainPid: child.pid,
        startTimes: { [child.pid]: child.startTime },
        killMode: "control-group",
        timeoutMs: toMs(this.s.timeoutStopUSec),
        finalTimeoutMs: 5000,
      });
      exit = await status;
    }
    cancelTimer?.();
    this.recordRun(key, {
      pid: child.pid,
      start,
      exit: Date.now() * 1000,
      code: exit.code,
      status: exit.status,
    });
    this.st = { ...this.st, ControlPID: 0, ControlPIDStartTime: 0 };
    return { ...exit, pid: child.pid, timedOut };
  }
}

/** Whether a finished control command lets the sequence go on (`-` ignores failures). */
export function succeeded(
  s: ServiceSettings,
  cmd: ExecCommand,
  exit: ExitInfo & { timedOut: boolean },
) {
  return !exit.timedOut && (isCleanExit(s, exit, false) || cmd.ignoreFailure);
}

/**
 * Runs one Exec list in order, each command waited for; returns the exit of
 * the first command that failed, or undefined when all succeeded.
 */
export async function runList(
  a: Activation,
  key: ServiceExecKey,
  timeoutMs: number,
  env: () => Record<string, string> = () => ({}),
): Promise<(ExitInfo & { timedOut: boolean }) | undefined> {
  for (const cmd of a.s.exec[key]) {
    const exit = await a.runControl(key, cmd, timeoutMs, env());
    if (!succeeded(a.s, cmd, exit)) return exit;
  }
  return undefined;
}

/** Whether an exit counts as success for this service (SuccessExitStatus=). */
export function isCleanExit(s: ServiceSettings, exit: ExitInfo, main: boolean): boolean {
  if (exit.code === "exited") {
    return exit.status === 0 || s.successExitStatus.codes.includes(exit.status);
  }
  if (s.successExitStatus.signals.includes(exit.status)) return true;
  return main && s.type !== "oneshot" && [1, 2, 13, 15].includes(exit.status);
}

/** systemd's Result for a failed run: timeout, exit-code, core-dump or signal. */
export function resultOf(exit: ExitInfo & { timedOut?: boolean }): string {
  if (exit.timedOut) return "timeout";
  if (exit.code === "exited") return "exit-code";
  return exit.code === "dumped" ? "core-dump" : "signal";
}

/** `$SERVICE_RESULT`, `$EXIT_CODE` and `$EXIT_STATUS` for ExecStopPost=. */
export function exitEnv(exit: ExitInfo | undefined, result: string): Record<string, string> {
  const env: Record<string, string> = { SERVICE_RESULT: result };
  if (exit) {
    env.EXIT_CODE = exit.code;
    env.EXIT_STATUS = exit.code === "exited"
      ? String(exit.status)
      : signalName(exit.status) ?? String(exit.status);
  }
  return env;
}

/** Polls `probe` with a growing delay until it answers or `timeoutMs` passes. */
export async function waitFor<T>(
  probe: () => T | undefined,
  timeoutMs: number,
): Promise<T | undefined> {
  const deadline = Date.now() + (timeoutMs === Infinity ? 1e12 : timeoutMs);
  let delay = 2;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
}

/** `$MAINPID` for a control command, while the main process lives. */
export function mainPidEnv(st: UnitState): Record<string, string> {
  return alive(st.MainPID, st.MainPIDStartTime) ? { MAINPID: String(st.MainPID) } : {};
}

/**
 * NotifyAccess= for an activation's socket, judged by the record as it is when the
 * datagram arrives (the sender may be gone a moment later). Refusals are warned about.
 */
export function notifyAuthorizer(a: Activation): NotifyAuthorizer {
  const say = once((text) => a.se.warn(`${a.unit.id}: ${text}`));
  return (sender) => {
    const refusal = notifyRefusal(a.s.notifyAccess, a.st, sender);
    if (refusal) say(refusal);
    return refusal === undefined;
  };
}

/**
 * The record's patch for a MAINPID= message: the new main PID when it is acceptable
 * (the service's own process, or any live process when the sender is root), else
 * nothing and systemd's refusal as a warning.
 */
export function newMainPid(a: Activation, message: NotifyMessage): Partial<UnitState> {
  const value = message.fields.MAINPID;
  if (value === undefined) return {};
  if (!/^\d+$/.test(value) || !(Number(value) > 0)) {
    a.se.warn(
      `${a.unit.id}: Failed to parse MAINPID= field in notification message, ignoring: ${value}`,
    );
    return {};
  }
  const pid = Number(value);
  if (pid === a.st.MainPID && alive(a.st.MainPID, a.st.MainPIDStartTime)) return {};
  const verdict = judgeMainPid(a.st, pid, { kind: "message", senderUid: message.sender.uid });
  if (!verdict.accept) {
    a.se.warn(`${a.unit.id}: ${verdict.reason}`);
    return {};
  }
  return { MainPID: pid, MainPIDStartTime: readStat(pid)?.startTime ?? 0 };
}

/** Stops every live process of the unit by its KillMode= (the kill sequence). */
export async function killAll(a: Activation): Promise<StopOutcome | undefined> {
  const members = liveMembers(a.st);
  if (members.length === 0) return undefined;
  return await stopSequence({
    ...recordedProcesses({ ...a.st, ControlPID: 0 }),
    ...recordedSessions(a.st),
    invocationId: a.st.InvocationID,
    killMode: (a.s.killMode as "control-group") ?? "control-group",
    killSignal: a.s.killSignal,
    finalKillSignal: a.s.finalKillSignal,
    sendSIGHUP: a.s.sendSIGHUP,
    sendSIGKILL: a.s.sendSIGKILL,
    timeoutMs: toMs(a.s.timeoutStopUSec),
    finalTimeoutMs: 5000,
  });
}

/** A failed start: kill what remains, run ExecStopPost, mark failed. */
export async function failStart(
  a: Activation,
  result: string,
  exit: ExitInfo | undefined,
): Promise<JobOutcome> {
  await finishStop(a, result, exit, false);
  return { ok: false, result };
}

/**
 * The end of an activation: ExecStop (when the start had succeeded), the
 * kill sequence, ExecStopPost, runtime directory cleanup, final state.
 */
export async function finishStop(
  a: Activation,
  result: string,
  exit: ExitInfo | undefined,
  startSucceeded: boolean,
  restart: (result: string) => boolean = () => false,
): Promise<void> {
  const s = a.s;
  const timeoutStop = toMs(s.timeoutStopUSec);
  if (startSucceeded && s.exec.ExecStop.length) {
    await a.save({ ActiveState: "deactivating", SubState: "stop" });
    for (const cmd of s.exec.ExecStop) {
      try {
        const stopExit = await a.runControl("ExecStop", cmd, timeoutStop, {
          ...mainPidEnv(a.st),
          ...exitEnv(exit, result),
        });
        // As in systemd 252: the first failure ends the list and, unless the unit
        // already failed, becomes its result; the kill sequence runs anyway.
        if (!succeeded(s, cmd, stopExit)) {
          if (result === "success") result = resultOf(stopExit);
          break;
        }
      } catch { /* a command that cannot be spawned does not fail the stop */ }
    }
  }
  // A main process still running (a failed start: timeout, ExecStartPost=) is killed here;
  // its end is recorded as systemd records the signal it died of.
  const mainAtKill = alive(a.st.MainPID, a.st.MainPIDStartTime) ? a.st.MainPID! : 0;
  if (liveMembers(a.st).length) {
    await a.save({ ActiveState: "deactivating", SubState: "stop-sigterm" });
    const outcome = await killAll(a);
    if (mainAtKill && !isAlive(mainAtKill, a.st.MainPIDStartTime || undefined)) {
      a.st = {
        ...a.st,
        ExecMainCode: CLD_KILLED,
        ExecMainStatus: outcome?.finalSignaled.includes(mainAtKill)
          ? s.finalKillSignal
          : s.killSignal,
        ExecMainExitTimestamp: stampNow(),
      };
    }
  }
  if (s.exec.ExecStopPost.length) {
    await a.save({ ActiveState: "deactivating", SubState: "stop-post" });
    for (const cmd of s.exec.ExecStopPost) {
      try {
        await a.runControl("ExecStopPost", cmd, timeoutStop, exitEnv(exit, result));
      } catch (e) {
        a.se.debug(`${a.unit.id}: ExecStopPost failed: ${(e as Error).message}`);
      }
    }
  }
  const restarting = restart(result);
  cleanupAfterStop(a, restarting);
  const failed = result !== "success";
  await a.save({
    ActiveState: restarting ? "activating" : failed ? "failed" : "inactive",
    SubState: restarting ? "auto-restart" : failed ? "failed" : "dead",
    Result: result,
    MainPID: 0,
    ControlPID: 0,
    // systemd keeps the last STATUS= text after the unit stops.
    NotifySocket: undefined,
  });
}

/** What a stopped run leaves behind goes: runtime directories, the PID file. */
export function cleanupAfterStop(a: Activation, restarting: boolean): void {
  const se = a.se;
  const keep = a.s.runtimeDirectoryPreserve === "yes" ||
    (restarting && a.s.runtimeDirectoryPreserve === "restart");
  if (!keep) {
    for (const d of a.st.RuntimeDirectories ?? []) {
      try {
        removeIn(se.root.root, se.root.inner(d));
      } catch { /* already gone */ }
    }
  }
  if (a.s.pidFile) {
    try {
      unlinkIn(se.root.root, se.root.inner(a.s.pidFile));
    } catch { /* not there */ }
  }
}

/** Applies a patch to a unit's record (state stamps as for any transition). */
export async function saveUnitState(
  se: LifecycleEnv,
  unit: LoadedUnit,
  patch: Partial<UnitState>,
): Promise<UnitState> {
  const a = new Activation(se, unit, effectiveState(storedState(se, unit.id), unit.id));
  await a.save(patch);
  return a.st;
}
