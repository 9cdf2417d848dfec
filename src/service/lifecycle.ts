/**
 * The lifecycle of one service per Type=: start, stop, reload, with the
 * Exec lists, the kill sequence and state transitions written as they
 * happen. Callers hold the unit lock.
 * @module
 */

import type { LoadedUnit } from "../units/loader.ts";
import type { ExitNote, UnitState } from "../state/store.ts";
import { takeExitNote, writeUnitState } from "../state/store.ts";
import { liveInit } from "./init_link.ts";
import type { ExecCommand } from "../unit/exec.ts";
import {
  type ServiceExecKey,
  type ServiceSettings,
  serviceSettings,
  unitSettings,
} from "../unit/model.ts";
import { signalName } from "../unit/signals.ts";
import { describeExit } from "../unit/values.ts";
import { SOCKET_PHASES, type SocketExecKey, socketExecSlot } from "../unit/socket_address.ts";
import type { UnitConfig } from "../unit/config.ts";
import { type ExitInfo, type Spawned, spawnProcess } from "../process/spawn.ts";
import { signalIdentified, type StopOutcome, stopSequence } from "../process/kill.ts";
import { descendants, isAlive, readStat } from "../process/procfs.ts";
import {
  type NotifyAuthorizer,
  type NotifyListener,
  type NotifyMessage,
  type NotifySender,
  notifySocketPath,
  openNotifySocket,
} from "../process/notify.ts";
import { setChildSubreaper } from "../process/reaper.ts";
import { setLongTimeout } from "../process/timer.ts";
import {
  appendUnitLog,
  buildEnvironment,
  createDirectories,
  type Credentials,
  type ExecEnvInput,
  ExecSetupError,
  makeLogDir,
  managerEnvironment,
  type PreparedExec,
  resolveCredentials,
  spawnSpecFor,
  unitLogInside,
} from "./exec_context.ts";
import { removeIn, unlinkIn } from "../process/rootfs.ts";
import {
  alive,
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
import { evaluateChecks } from "./conditions.ts";
import { type ActivationFds, applyDescriptors, takeDescriptors } from "./socket_fds.ts";
import { describeFailedCheck } from "./conditions.ts";
import { lookupUser } from "../units/host_info.ts";
import { judgeMainPid, notifyRefusal } from "./notify_access.ts";
import { adoptedChildren, DescendantWatch, loadPidFile, once } from "./daemons.ts";

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
  /** A complete message to print instead of the generic job-failed lines. */
  readonly message?: string;
  /** The start was skipped by a failed condition (still ok). */
  readonly skipped?: boolean;
}

const SEC = 1_000_000;

function randomId(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function toMs(us: number): number {
  return us === Infinity ? Infinity : Math.ceil(us / 1000);
}

/** `--maxtimeout` (ref): no start, stop or abort timeout is longer than the cap. */
function capTimeouts(s: ServiceSettings, cap: number | undefined): ServiceSettings {
  if (cap === undefined) return s;
  return {
    ...s,
    timeoutStartUSec: Math.min(s.timeoutStartUSec, cap),
    timeoutStopUSec: Math.min(s.timeoutStopUSec, cap),
    timeoutAbortUSec: Math.min(s.timeoutAbortUSec, cap),
  };
}

/** A running activation: the record being written and its exec context. */
class Activation {
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
    this.s = capTimeouts(serviceSettings(unit.config), se.maxTimeoutUSec);
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
function succeeded(s: ServiceSettings, cmd: ExecCommand, exit: ExitInfo & { timedOut: boolean }) {
  return !exit.timedOut && (isCleanExit(s, exit, false) || cmd.ignoreFailure);
}

/**
 * Runs one Exec list in order, each command waited for; returns the exit of
 * the first command that failed, or undefined when all succeeded.
 */
async function runList(
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

function resultOf(exit: ExitInfo & { timedOut?: boolean }): string {
  if (exit.timedOut) return "timeout";
  if (exit.code === "exited") return "exit-code";
  return exit.code === "dumped" ? "core-dump" : "signal";
}

function exitEnv(exit: ExitInfo | undefined, result: string): Record<string, string> {
  const env: Record<string, string> = { SERVICE_RESULT: result };
  if (exit) {
    env.EXIT_CODE = exit.code;
    env.EXIT_STATUS = exit.code === "exited"
      ? String(exit.status)
      : signalName(exit.status) ?? String(exit.status);
  }
  return env;
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
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

/**
 * Starts a service. The caller holds the lock. An active unit is a no-op.
 */
export async function startService(se: LifecycleEnv, unit: LoadedUnit): Promise<JobOutcome> {
  const stored = storedState(se, unit.id);
  const current = effectiveState(stored, unit.id);
  const waitingToRestart = current.SubState === "auto-restart";
  if (
    ["active", "activating", "reloading"].includes(current.ActiveState) && !waitingToRestart
  ) {
    if (stored?.ActiveState === "activating" && current.ActiveState === "active") {
      await adoptStart(se, unit, current);
    }
    return { ok: true };
  }
  const u = unitSettings(unit.config);
  const a = new Activation(se, unit, {
    ...current,
    Sessions: [],
    SessionStartTimes: {},
    Exec: {},
  });
  const s = a.s;
  // Start limit.
  const mono = stampNow()[1];
  const history = (current.StartHistory ?? []).filter((t) => mono - t < u.startLimitIntervalUSec);
  if (
    u.startLimitBurst > 0 && u.startLimitIntervalUSec > 0 && history.length >= u.startLimitBurst
  ) {
    // As systemd's service_enter_dead(): a result is replaced only while it is `success`, so
    // a unit that failed its way into the limit keeps its first failure (e.g. `exit-code`).
    const result = !current.Result || current.Result === "success"
      ? "start-limit-hit"
      : current.Result;
    await a.save({
      ActiveState: "failed",
      SubState: "failed",
      Result: result,
      StartHistory: history,
      StartLimitHit: true,
    });
    return { ok: false, result: "start-limit-hit" };
  }
  history.push(mono);
  // Conditions and asserts.
  const condEnv = {
    root: se.root,
    managerEnv: managerEnvironment(se),
    hostname: se.hostname,
    machineId: se.machineId,
    architecture: se.architecture,
    osRelease: se.osRelease,
  };
  const now = stampNow();
  const cond = evaluateChecks(u.checks, "Condition", condEnv);
  if (!cond.ok) {
    await a.save({
      ConditionResult: false,
      Condition: now,
      FailedCondition: cond.failed ? describeFailedCheck(cond.failed) : undefined,
      StartHistory: history,
    });
    return { ok: true, skipped: true };
  }
  const asrt = evaluateChecks(u.checks, "Assert", condEnv);
  if (!asrt.ok) {
    await a.save({
      ConditionResult: true,
      Condition: now,
      AssertResult: false,
      Assert: now,
      FailedCondition: asrt.failed ? describeFailedCheck(asrt.failed) : undefined,
      StartHistory: history,
    });
    return { ok: false, message: `Assertion failed on job for ${unit.id}.` };
  }
  // Socket activation: taken once the start is sure to run (the activating record follows).
  a.fds = takeDescriptors(unit.id);
  const invocation = randomId();
  await a.save({
    ActiveState: "activating",
    SubState: s.exec.ExecCondition.length
      ? "condition"
      : s.exec.ExecStartPre.length
      ? "start-pre"
      : "start",
    Result: "success",
    InvocationID: invocation,
    ConditionResult: true,
    AssertResult: true,
    Condition: now,
    Assert: now,
    FailedCondition: undefined,
    StartHistory: history,
    StartLimitHit: undefined,
    MainPID: 0,
    ExecMainPID: 0,
    ExecMainCode: 0,
    ExecMainStatus: 0,
    ExecMainExitTimestamp: undefined,
    KilledMain: undefined,
    StatusText: undefined,
    RemainAfterExit: s.remainAfterExit,
    Type: s.type,
  });
  try {
    a.prepare();
  } catch (e) {
    if (e instanceof ExecSetupError) return await failSetup(a, e);
    throw e;
  }
  const timeoutStart = toMs(s.timeoutStartUSec);
  // ExecCondition: 1..254 skips like a failed condition.
  for (const cmd of s.exec.ExecCondition) {
    const exit = await a.runControl("ExecCondition", cmd, timeoutStart);
    if (exit.code === "exited" && exit.status === 0) continue;
    if (cmd.ignoreFailure) continue;
    if (exit.code === "exited" && exit.status < 255 && !exit.timedOut) {
      await a.save({
        ActiveState: "inactive",
        SubState: "dead",
        Result: "exec-condition",
        ConditionResult: false,
      });
      return { ok: true, skipped: true };
    }
    return await failStart(a, resultOf(exit), exit);
  }
  if (s.exec.ExecCondition.length) await a.save({ SubState: "start-pre" });
  const preFailed = await runList(a, "ExecStartPre", timeoutStart);
  if (preFailed) return await failStart(a, resultOf(preFailed), preFailed);
  if (a.st.SubState !== "start") await a.save({ SubState: "start" });
  const main = await startMain(a, timeoutStart);
  if (!main.ok) return main;
  if (s.type === "oneshot") return main;
  if (s.exec.ExecStartPost.length) {
    await a.save({ SubState: "start-post" });
    const postFailed = await runList(a, "ExecStartPost", timeoutStart, () => mainPidEnv(a.st));
    if (postFailed) return await failStart(a, resultOf(postFailed), postFailed);
    // systemd reads a forking service's PID file again after ExecStartPost=: one that is
    // gone (or names no live process) is waited for until the start timeout, as before it.
    const pidFile = s.type === "forking" ? s.pidFile : undefined;
    if (pidFile) {
      const refuse = once((reason) => se.warn(`${a.unit.id}: ${reason}`));
      const found = await waitFor(() => {
        const pid = loadPidFile(se, a.st, pidFile, undefined, refuse);
        if (pid) return pid;
        return liveMembers(a.st).length ? undefined : 0;
      }, Math.min(timeoutStart, 90_000));
      if (found === undefined) return await failStart(a, "timeout", undefined);
      if (found === 0) return await failStart(a, "protocol", undefined);
    }
  }
  await a.save({
    ActiveState: "active",
    SubState: a.st.MainPID || s.type !== "forking" || liveMembers(a.st).length
      ? "running"
      : "exited",
  });
  if (!se.supervisor) await noteEarlyExit(a);
  return { ok: true };
}

/**
 * The start of a client that died (SIGKILL) left its processes running: the record is made
 * to say so, as the client would have written it. A forking service's main PID is read
 * from its PID file, judged as at any start (§12).
 */
async function adoptStart(se: LifecycleEnv, unit: LoadedUnit, current: UnitState): Promise<void> {
  const a = new Activation(se, unit, current);
  const patch: Partial<UnitState> = { ActiveState: "active", SubState: "running" };
  if (a.s.type === "forking" && a.s.pidFile && !current.MainPID) {
    const pid = loadPidFile(
      se,
      current,
      a.s.pidFile,
      undefined,
      (r) => se.warn(`${unit.id}: ${r}`),
    );
    if (pid) {
      Object.assign(patch, {
        MainPID: pid,
        MainPIDStartTime: readStat(pid)?.startTime ?? 0,
        ExecMainPID: pid,
      });
    }
  }
  // The stamps of a transition (ActiveEnter, ...) are the adopting client's.
  a.st = { ...current, ActiveState: "activating" };
  await a.save(patch);
}

/**
 * A setup step failed before any Exec (credentials, directories, environment files). As in
 * systemd the reason goes to the unit's log, not the client; a step with an exit code (217/USER,
 * 216/GROUP, ...) is recorded as the exit of the process that could not run, and simple-like
 * types report the start as done (their start completes at spawn, §6.3, §9).
 */
async function failSetup(a: Activation, e: ExecSetupError): Promise<JobOutcome> {
  try {
    appendUnitLog(a.se.root, a.se.scope, a.se.env, a.unit.id, `${a.unit.id}: ${e.message}\n`);
  } catch {
    a.se.warn(`${a.unit.id}: ${e.message}`);
  }
  if (e.status === 0) return await failStart(a, e.result, undefined);
  const s = a.s;
  const startsAtSpawn = ["simple", "idle", "dbus"].includes(s.type) &&
    s.exec.ExecCondition.length === 0 && s.exec.ExecStartPre.length === 0;
  const step = e.status === 217 ? "USER" : e.status === 216 ? "GROUP" : undefined;
  const cmd = s.exec.ExecStart[0];
  if (startsAtSpawn && step && cmd) {
    return await failedMainProcess(a, cmd, step, e.message.replace(/^.*: /, ""));
  }
  const exit: ExitInfo = { code: "exited", status: e.status };
  await a.save({ ExecMainCode: 1, ExecMainStatus: e.status, ExecMainExitTimestamp: stampNow() });
  const outcome = await failStart(a, e.result, exit);
  return startsAtSpawn ? { ok: true } : outcome;
}

/**
 * A simple service whose credentials cannot be resolved: as systemd forks a child that
 * fails at the USER or GROUP step, a helper is started that fails there, so the unit
 * goes active with a real main process that exits 217/216 (status shows it).
 */
async function failedMainProcess(
  a: Activation,
  cmd: ExecCommand,
  step: string,
  error: string,
): Promise<JobOutcome> {
  const log = a.se.root.inner(unitLogInside(a.se.scope, a.se.env, a.unit.id));
  const { spawnProcess } = await import("../process/spawn.ts");
  const child = await spawnProcess({
    pathRoot: a.se.root.root || undefined,
    path: cmd.path,
    argv: cmd.argv,
    env: {},
    stdin: { kind: "null" },
    stdout: { kind: "null" },
    stderr: { kind: "inherit" },
    unitName: a.unit.id,
    failureLog: log,
    failAt: { step, error },
  });
  await a.save({
    ...a.mainProcess(child),
    Sessions: [child.pid],
    SessionStartTimes: { [child.pid]: child.startTime },
  });
  await child.status();
  await a.save({ ActiveState: "active", SubState: "running" });
  await noteEarlyExit(a);
  return { ok: true };
}

function mainPidEnv(st: UnitState): Record<string, string> {
  return alive(st.MainPID, st.MainPIDStartTime) ? { MAINPID: String(st.MainPID) } : {};
}

/** Records the exit of a main process that already ended while we were still here. */
async function noteEarlyExit(a: Activation): Promise<void> {
  const pid = a.st.MainPID;
  if (!pid) return;
  const { exitOf } = await import("../process/spawn.ts");
  const exit = exitOf(pid);
  if (!exit) return;
  await mainExited(a, exit);
}

/**
 * A main process ended: record it and settle the state. `restart` decides, from the
 * result, whether the unit waits to be restarted (`activating (auto-restart)`) instead
 * of ending inactive or failed.
 */
async function mainExited(
  a: Activation,
  exit: ExitInfo,
  restart: (result: string) => boolean = () => false,
): Promise<void> {
  const clean = isCleanExit(a.s, exit, true);
  const code = exit.code;
  await a.save({
    ExecMainCode: code === "exited" ? 1 : code === "killed" ? 2 : 3,
    ExecMainStatus: exit.status,
    ExecMainExitTimestamp: stampNow(),
    MainPID: 0,
    KilledMain: undefined,
  });
  if (clean && a.s.remainAfterExit) {
    await a.save({ ActiveState: "active", SubState: "exited" });
    return;
  }
  await finishStop(a, clean ? "success" : resultOf(exit), exit, true, restart);
}

/** Whether Restart= (with RestartPreventExitStatus=/RestartForceExitStatus=) restarts. */
export function shouldRestart(s: ServiceSettings, result: string, exit?: ExitInfo): boolean {
  const inSet = (set: { codes: number[]; signals: number[] }) =>
    exit !== undefined &&
    (exit.code === "exited" ? set.codes.includes(exit.status) : set.signals.includes(exit.status));
  if (inSet(s.restartPreventExitStatus)) return false;
  if (inSet(s.restartForceExitStatus)) return true;
  switch (s.restart) {
    case "always":
      return true;
    case "on-success":
      return result === "success";
    case "on-failure":
      return result !== "success";
    case "on-abnormal":
      return !["success", "exit-code"].includes(result);
    case "on-watchdog":
      return result === "watchdog";
    case "on-abort":
      return result === "signal" || result === "core-dump";
    default:
      return false;
  }
}

/** What the init instance learns when it records a main process's end. */
export interface MainEnd {
  /** The unit's result. */
  readonly result: string;
  /** The unit now waits in `activating (auto-restart)` for its restart. */
  readonly restart: boolean;
  /** The unit's state after the end was recorded. */
  readonly activeState: string;
}

/**
 * The init instance reaped `pid`: when it is the unit's recorded main process (same start
 * time) and no stop is under way, record its end, run ExecStop=/the kill of what is left/
 * ExecStopPost=, and settle the state, as systemd does. The caller holds the unit lock.
 * Returns undefined when the process was not the unit's main process.
 */
export async function mainProcessEnded(
  se: LifecycleEnv,
  unit: LoadedUnit,
  pid: number,
  startTime: number,
  exit: ExitInfo,
): Promise<MainEnd | undefined> {
  const stored = storedState(se, unit.id);
  if (!stored || !pid || stored.MainPID !== pid) return undefined;
  if (stored.MainPIDStartTime && startTime && stored.MainPIDStartTime !== startTime) {
    return undefined;
  }
  if (!["active", "activating", "reloading"].includes(stored.ActiveState)) return undefined;
  const a = new Activation(se, unit, stored);
  let restart = false;
  await mainExited(a, exit, (result) => (restart = shouldRestart(a.s, result, exit)));
  return { result: a.st.Result, restart, activeState: a.st.ActiveState };
}

/**
 * NotifyAccess= for an activation's socket, judged by the record as it is when the
 * datagram arrives (the sender may be gone a moment later). Refusals are warned about.
 */
function notifyAuthorizer(a: Activation): NotifyAuthorizer {
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
function newMainPid(a: Activation, message: NotifyMessage): Partial<UnitState> {
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

async function startMain(a: Activation, timeoutMs: number): Promise<JobOutcome> {
  const s = a.s;
  const se = a.se;
  switch (s.type) {
    case "oneshot": {
      for (const cmd of s.exec.ExecStart) {
        const exit = await a.runControl("ExecStart", cmd, timeoutMs);
        // Each ExecStart= of a oneshot is the main process while it runs.
        const now = stampNow();
        const started = a.st.Exec?.ExecStart?.at(-1)?.start ?? now[0];
        a.st = {
          ...a.st,
          ExecMainPID: exit.pid,
          ExecMainStartTimestamp: [started, Math.max(0, now[1] - (now[0] - started))],
          ExecMainCode: exit.code === "exited" ? 1 : exit.code === "killed" ? 2 : 3,
          ExecMainStatus: exit.status,
          ExecMainExitTimestamp: now,
        };
        if (succeeded(s, cmd, exit)) continue;
        return await failStart(a, resultOf(exit), exit);
      }
      if (s.exec.ExecStartPost.length) {
        await a.save({ SubState: "start-post" });
        const postFailed = await runList(a, "ExecStartPost", timeoutMs);
        if (postFailed) return await failStart(a, resultOf(postFailed), postFailed);
      }
      if (s.remainAfterExit) {
        await a.save({ ActiveState: "active", SubState: "exited" });
      } else {
        await a.save({ ActiveState: "active", SubState: "exited" });
        await finishStop(a, "success", undefined, true);
      }
      return { ok: true };
    }
    case "forking": {
      setChildSubreaper();
      const cmd = s.exec.ExecStart[0];
      // In the init instance every unit's processes are children of this one: the daemon
      // is a child that appears while ExecStart runs (not one that was there before).
      const before = new Set(adoptedChildren(new Set()));
      let watch: DescendantWatch | undefined;
      const exit = await a.runControl("ExecStart", cmd, timeoutMs, {}, (child) => {
        watch = new DescendantWatch(child);
      });
      watch?.stop();
      if (!succeeded(s, cmd, exit)) {
        return await failStart(a, resultOf(exit), exit);
      }
      // The service's own processes beyond its record: what was seen below ExecStart=, and
      // (a client is a subreaper, so only what it spawned can become its child) every new
      // child of a client. In the init instance anyone's orphans come to it: not proof.
      const ours = (): number[] => {
        const seen = watch?.alive() ?? [];
        if (se.supervisor) return seen;
        const adopted = adoptedChildren(new Set([exit.pid]), before);
        return [...seen, ...adopted, ...descendants(adopted)];
      };
      const sessions = new Set(a.st.Sessions ?? []);
      const sessionStarts = { ...a.st.SessionStartTimes };
      const addSession = (pid: number) => {
        const sid = readStat(pid)?.session;
        if (!sid || sid <= 1) return;
        sessions.add(sid);
        // 0 when the leader is already gone: a later leader under that PID never matches.
        sessionStarts[sid] ??= readStat(sid)?.startTime ?? 0;
      };
      // Written before the PID file is awaited: a client killed meanwhile leaves a record
      // whose sessions (led by the daemons, with their start times) the next client trusts.
      for (const pid of ours()) addSession(pid);
      await a.save({ Sessions: [...sessions], SessionStartTimes: { ...sessionStarts } });
      let main: number | undefined;
      // As systemd's service_demand_pid_file(): the start waits for a PID file naming a
      // process it may trust until the start timeout, which then fails it (result `timeout`).
      let pidFileTimedOut = false;
      if (s.pidFile) {
        const pidFile = s.pidFile;
        const refuse = once((reason) => se.warn(`${a.unit.id}: ${reason}`));
        const found = await waitFor(() => {
          const adopted = adoptedChildren(new Set([exit.pid]), before, a.st.InvocationID);
          const pid = loadPidFile(se, a.st, pidFile, ours, refuse);
          if (pid) return pid;
          // As systemd: no PID file and nothing of the service left: stop waiting (0).
          const gone = !adopted.length && !liveMembers(a.st).length;
          return gone ? 0 : undefined;
        }, Math.min(timeoutMs, 90_000));
        pidFileTimedOut = found === undefined;
        main = found || undefined;
      }
      const adopted = adoptedChildren(new Set([exit.pid]), before, a.st.InvocationID);
      if (main === undefined && !s.pidFile && s.guessMainPID && adopted.length === 1) {
        main = adopted[0];
      }
      for (const p of adopted) addSession(p);
      if (main !== undefined) {
        addSession(main);
        se.supervisor?.mainProcess(a.unit.id, main);
      }
      await a.save({
        MainPID: main ?? 0,
        MainPIDStartTime: main ? readStat(main)?.startTime ?? 0 : 0,
        ExecMainPID: main ?? 0,
        ExecMainStartTimestamp: stampNow(),
        Sessions: [...sessions],
        SessionStartTimes: sessionStarts,
        PIDFile: s.pidFile,
      });
      // What the daemon left running is recorded above, so the failed start stops it.
      if (pidFileTimedOut) return await failStart(a, "timeout", undefined);
      if (main === undefined && adopted.length === 0 && !s.remainAfterExit) {
        // Nothing left running: the daemon exited right away.
        if (liveMembers(a.st).length === 0) {
          return await failStart(a, "protocol", undefined);
        }
      }
      return { ok: true };
    }
    case "notify":
    case "notify-reload": {
      const sockPath = notifySocketPath(stateDirHost(se), a.unit.id);
      let listener: NotifyListener;
      try {
        listener = await openNotifySocket(sockPath, notifyAuthorizer(a));
      } catch (e) {
        se.warn(`${a.unit.id}: Failed to open notify socket: ${(e as Error).message}`);
        return await failStart(a, "resources", undefined);
      }
      let kept = false;
      try {
        const child = await a.spawn(s.exec.ExecStart[0], { NOTIFY_SOCKET: sockPath });
        const spawned = { ...a.mainProcess(child), NotifySocket: sockPath };
        // Set before any message can be judged: NotifyAccess=main compares with it.
        a.st = { ...a.st, ...spawned };
        await a.save(spawned);
        const exec = await child.execResult();
        if (!exec.ok) {
          const exit = await child.status();
          return await failStart(a, "exit-code", exit);
        }
        let deadline = timeoutMs === Infinity ? Infinity : Date.now() + timeoutMs;
        let ended: ExitInfo | undefined;
        child.status().then((e) => (ended = e));
        for (;;) {
          if (ended) {
            return await failStart(
              a,
              ended.code === "exited" && ended.status === 0 ? "protocol" : resultOf(ended),
              ended,
            );
          }
          const left = deadline === Infinity ? 100 : Math.min(100, deadline - Date.now());
          if (left <= 0) return await failStart(a, "timeout", undefined);
          const message = await listener.next(left);
          if (!message) continue;
          const msg = message.fields;
          const patch: Partial<UnitState> = {};
          if (msg.STATUS !== undefined) patch.StatusText = msg.STATUS;
          if (msg.ERRNO !== undefined) patch.StatusErrno = Number(msg.ERRNO) || 0;
          Object.assign(patch, newMainPid(a, message));
          if (msg.EXTEND_TIMEOUT_USEC && /^\d+$/.test(msg.EXTEND_TIMEOUT_USEC)) {
            deadline = Date.now() + Number(msg.EXTEND_TIMEOUT_USEC) / 1000;
          }
          if (Object.keys(patch).length) await a.save(patch);
          if (msg.READY === "1") {
            if (se.supervisor) {
              // The init instance keeps the socket for the unit's life (later STATUS= etc.).
              se.supervisor.keepNotifySocket(a.unit.id, listener);
              kept = true;
              break;
            }
            // systemd-notify sends BARRIER=1 right after READY=1 and fails if the socket is gone.
            for (const late of await listener.drain(50)) {
              if (late.fields.STATUS !== undefined) {
                await a.save({ StatusText: late.fields.STATUS });
              }
            }
            break;
          }
          if (msg.STOPPING === "1") {
            await a.save({ ActiveState: "deactivating", SubState: "stop" });
          }
        }
      } finally {
        if (!kept) listener.close();
      }
      return { ok: true };
    }
    default: {
      // simple, exec, idle, dbus
      if (s.type === "dbus") {
        se.warn(
          `${a.unit.id}: Type=dbus is run as Type=simple: no D-Bus name is watched in a container.`,
        );
      }
      // The exec is confirmed through the helper's report pipe, so that the window below
      // starts when the command itself runs.
      const child = await a.spawn(s.exec.ExecStart[0], {});
      // Written at once: a client killed from here on leaves a record naming the main
      // process, which the next start adopts and stop stops (never a duplicate).
      await a.save(a.mainProcess(child));
      const exec = await child.execResult();
      if (!exec.ok) {
        const { exitOf } = await import("../process/spawn.ts");
        const exit = exitOf(child.pid) ?? await child.status();
        if (s.type === "exec") {
          await a.save({
            ExecMainCode: 1,
            ExecMainStatus: exit.status,
            ExecMainExitTimestamp: stampNow(),
            MainPID: 0,
          });
          return await failStart(a, "exit-code", exit);
        }
        // Type=simple is started once forked: it goes active, then noteEarlyExit records
        // the failed exec (203/EXEC, 217/USER, ...) and the unit fails, as in systemd.
        return { ok: true };
      }
      // Without an init instance only this client, the main process's parent, can see it
      // end: a process that fails at once gets a short window (noteEarlyExit records its
      // exit status once the unit is active, as systemd would). A healthy one keeps running
      // when the client exits. The window ends early when the process does. The init
      // instance records every end itself.
      if (se.supervisor) return { ok: true };
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        child.status(),
        new Promise<void>((r) => (timer = setTimeout(r, IMMEDIATE_EXIT_MS))),
      ]);
      clearTimeout(timer);
      // A later end is not this client's to reap: left unreaped, it reaches the init
      // instance (the main process's next parent), which records it as systemd would.
      child.release();
      return { ok: true };
    }
  }
}

/** How long `start` watches a Type=simple main process for an immediate exit (ms). */
const IMMEDIATE_EXIT_MS = 50;

async function killAll(a: Activation): Promise<StopOutcome | undefined> {
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
async function failStart(
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
async function finishStop(
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
        ExecMainCode: 2,
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

function cleanupAfterStop(a: Activation, restarting: boolean): void {
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

/** Stops a service. The caller holds the lock. Not running → no-op. */
export async function stopService(
  se: LifecycleEnv,
  unit: LoadedUnit,
  opts: { restarting?: boolean } = {},
): Promise<JobOutcome> {
  const stored = storedState(se, unit.id);
  const current = effectiveState(stored, unit.id);
  const a = new Activation(se, unit, current);
  const running = ["active", "activating", "reloading", "deactivating"].includes(
    current.ActiveState,
  );
  const members = current.ActiveState === "failed" || current.ActiveState === "inactive"
    ? liveMembers(current)
    : [];
  if (!running && members.length === 0) return { ok: true };
  const s = a.s;
  // The exec context is needed only for ExecStop=/ExecStopPost=; a setup
  // failure (user gone, ...) skips them but never blocks the kill.
  const canRun = (): boolean => {
    if (a.prepared) return true;
    try {
      a.prepare();
      return true;
    } catch {
      return false;
    }
  };
  const timeoutStop = toMs(s.timeoutStopUSec);
  const mainAtStop = alive(current.MainPID, current.MainPIDStartTime) ? current.MainPID : 0;
  let mainSignal = 0;
  // Without ExecStop= the kill phase's write (stop-sigterm) is the first transition.
  if (s.exec.ExecStop.length) await a.save({ ActiveState: "deactivating", SubState: "stop" });
  let result = "success";
  if (running && current.SubState !== "exited" || s.exec.ExecStop.length && running) {
    for (const cmd of s.exec.ExecStop) {
      if (!canRun()) break;
      try {
        const stopExit = await a.runControl("ExecStop", cmd, timeoutStop, {
          ...mainPidEnv(a.st),
          SERVICE_RESULT: "success",
        });
        // systemd 252 ends the list at the first failure and the unit ends failed with
        // that result; the kill sequence still runs.
        if (!succeeded(s, cmd, stopExit)) {
          result = resultOf(stopExit);
          break;
        }
      } catch (e) {
        se.debug(`${unit.id}: ExecStop failed: ${(e as Error).message}`);
      }
    }
  }
  // stopSequence finds the members itself (one /proc scan) and returns at once when none are left.
  {
    const killMode = s.killMode as "control-group" | "mixed" | "process" | "none";
    const { mainPid, startTimes } = recordedProcesses({ ...a.st, ControlPID: 0 });
    if (mainPid && killMode !== "none") {
      mainSignal = opts.restarting ? s.restartKillSignal : s.killSignal;
    }
    const outcome = await stopSequence({
      mainPid,
      startTimes,
      ...recordedSessions(a.st),
      invocationId: a.st.InvocationID,
      killMode,
      killSignal: opts.restarting ? s.restartKillSignal : s.killSignal,
      finalKillSignal: s.finalKillSignal,
      sendSIGHUP: s.sendSIGHUP,
      sendSIGKILL: s.sendSIGKILL,
      timeoutMs: timeoutStop,
      finalTimeoutMs: 5000,
      onPhase: (phase) => {
        // Progress only: a failed write here must not stop the kill.
        a.save({
          ActiveState: "deactivating",
          SubState: phase === "sigterm" ? "stop-sigterm" : "stop-sigkill",
        }).catch(() => {});
      },
    });
    // KillMode=mixed sends the final signal to the rest of the unit by design once the
    // main process is gone: only a main (or control) process that outlived the stop
    // timeout makes it one.
    const timedOut = killMode === "mixed"
      ? outcome.finalSignaled.some((pid) => outcome.signaled.includes(pid))
      : outcome.finalSignaled.length > 0;
    if (timedOut && s.sendSIGKILL) {
      if (result === "success") result = "timeout";
      if (mainPid && outcome.finalSignaled.includes(mainPid)) mainSignal = s.finalKillSignal;
    }
  }
  // KillMode=none (or a process that ignores even the final signal) leaves the main
  // process running: systemd records no exit for it.
  if (mainAtStop && !isAlive(mainAtStop, current.MainPIDStartTime || undefined)) {
    // Ended before the kill (ExecStop= stopped it): the init instance, its parent, notes how.
    const note = mainSignal ? undefined : await exitNoteOf(se, unit.id, mainAtStop);
    a.st = {
      ...a.st,
      ExecMainCode: note
        ? (note.code === "exited" ? 1 : note.code === "killed" ? 2 : 3)
        : mainSignal
        ? 2
        : 1,
      ExecMainStatus: note ? note.status : mainSignal,
      ExecMainExitTimestamp: stampNow(),
    };
  }
  if (s.exec.ExecStopPost.length && canRun()) {
    await a.save({ SubState: "stop-post" });
    // EXIT_CODE/EXIT_STATUS describe the main process's end, as far as it is known (§3.8).
    const code = (["exited", "killed", "dumped"] as const)[(a.st.ExecMainCode ?? 0) - 1];
    const mainExit = code ? { code, status: a.st.ExecMainStatus ?? 0 } : undefined;
    for (const cmd of s.exec.ExecStopPost) {
      try {
        await a.runControl("ExecStopPost", cmd, timeoutStop, exitEnv(mainExit, result));
      } catch (e) {
        se.debug(`${unit.id}: ExecStopPost failed: ${(e as Error).message}`);
      }
    }
  }
  cleanupAfterStop(a, !!opts.restarting);
  const failed = result !== "success";
  await a.save({
    ActiveState: failed ? "failed" : "inactive",
    SubState: failed ? "failed" : "dead",
    Result: failed ? result : current.ActiveState === "failed" ? current.Result : "success",
    MainPID: 0,
    ControlPID: 0,
    // systemd keeps the last STATUS= text after the unit stops.
    NotifySocket: undefined,
  });
  if (current.ActiveState === "failed" && !failed) {
    await a.save({ ActiveState: "failed", SubState: "failed" });
  }
  return { ok: true };
}

/**
 * How a main process that the init instance reaped ended (its exit note), waiting for the
 * note a moment; undefined without an init instance or when none comes.
 */
async function exitNoteOf(
  se: LifecycleEnv,
  unit: string,
  pid: number,
): Promise<ExitNote | undefined> {
  const init = liveInit(se);
  if (!init || init.pid === Deno.pid) return undefined;
  return await waitFor(() => takeExitNote(stateDirHost(se), unit, pid), 1000);
}

/** Reloads a service: ExecReload (or the reload signal for notify-reload). */
export async function reloadService(se: LifecycleEnv, unit: LoadedUnit): Promise<JobOutcome> {
  const current = effectiveState(storedState(se, unit.id), unit.id);
  const a = new Activation(se, unit, current);
  const s = a.s;
  if (s.exec.ExecReload.length === 0 && s.type !== "notify-reload") {
    return {
      ok: false,
      message:
        `Failed to reload ${unit.id}: Job type reload is not applicable for unit ${unit.id}.`,
    };
  }
  if (!["active", "reloading"].includes(current.ActiveState)) {
    return { ok: false, message: `Failed to reload ${unit.id}: Unit ${unit.id} is not active.` };
  }
  a.prepare();
  await a.save({
    ActiveState: "reloading",
    SubState: "reload",
    Exec: { ...(current.Exec ?? {}), ExecReload: [] },
  });
  let ok = true;
  if (s.type === "notify-reload" && s.exec.ExecReload.length === 0 && current.MainPID) {
    const sockPath = current.NotifySocket ?? notifySocketPath(stateDirHost(se), unit.id);
    let listener: NotifyListener | undefined;
    try {
      listener = await openNotifySocket(sockPath, notifyAuthorizer(a));
      signalIdentified(current.MainPID, current.MainPIDStartTime ?? 0, s.reloadSignal);
      const deadline = Date.now() +
        toMs(s.timeoutStartUSec === Infinity ? 90 * SEC : s.timeoutStartUSec);
      let reloading = false;
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) {
          ok = false;
          break;
        }
        const msg = (await listener.next(left))?.fields;
        if (!msg) continue;
        if (msg.STATUS !== undefined) await a.save({ StatusText: msg.STATUS });
        if (msg.RELOADING === "1") reloading = true;
        if (msg.READY === "1" && reloading) break;
      }
    } finally {
      listener?.close();
    }
  } else {
    for (const cmd of s.exec.ExecReload) {
      const exit = await a.runControl(
        "ExecReload",
        cmd,
        toMs(s.timeoutStartUSec === Infinity ? 90 * SEC : s.timeoutStartUSec),
        mainPidEnv(current),
      );
      if (succeeded(s, cmd, exit)) continue;
      ok = false;
      break;
    }
  }
  if (s.pidFile && s.type === "forking") {
    const pid = loadPidFile(
      se,
      a.st,
      s.pidFile,
      undefined,
      (reason) => se.warn(`${unit.id}: ${reason}`),
    );
    if (pid && pid !== a.st.MainPID) {
      a.st = { ...a.st, MainPID: pid, MainPIDStartTime: readStat(pid)?.startTime ?? 0 };
    }
  }
  await a.save({
    ActiveState: "active",
    SubState: "running",
    ReloadResult: ok ? "success" : "exit-code",
  });
  return ok
    ? { ok: true }
    : { ok: false, result: "exit-code", message: `Job for ${unit.id} failed.` };
}

/**
 * Runs one Exec list of a socket unit in the socket's exec context: `serviceLike` presents
 * the [Socket] section (User=, Environment=, TimeoutSec=, ...) as a service's. The runs are
 * recorded as a service's control runs are. Undefined when every command succeeded (or the
 * list is empty); else the unit's Result and systemd's journal line.
 */
export async function runSocketExec(
  se: LifecycleEnv,
  unit: LoadedUnit,
  serviceLike: UnitConfig,
  key: SocketExecKey,
): Promise<{ result: string; message: string } | undefined> {
  const current = effectiveState(storedState(se, unit.id), unit.id);
  const a = new Activation(se, { ...unit, config: serviceLike }, {
    ...current,
    // A start begins a new set of runs, as a service's activation does.
    Exec: key === "ExecStartPre" ? {} : current.Exec,
  });
  const slot = socketExecSlot(key);
  if (a.s.exec[slot].length === 0) return undefined;
  const starting = key === "ExecStartPre" || key === "ExecStartPost";
  const timeoutMs = toMs(starting ? a.s.timeoutStartUSec : a.s.timeoutStopUSec);
  let failed: Awaited<ReturnType<typeof runList>>;
  try {
    failed = await runList(a, slot, timeoutMs);
  } catch (e) {
    if (e instanceof ExecSetupError) {
      return { result: e.result, message: `${unit.id}: ${e.message}` };
    }
    throw e;
  } finally {
    if (slot !== key && a.st.Exec?.[slot]) {
      const { [slot]: runs, ...rest } = a.st.Exec;
      a.st = { ...a.st, Exec: { ...rest, [key]: runs } };
    }
    await a.save({});
  }
  if (!failed) return undefined;
  if (failed.timedOut) {
    return {
      result: "timeout",
      message: `${unit.id}: ${SOCKET_PHASES[key]} operation timed out. Terminating.`,
    };
  }
  return {
    result: resultOf(failed),
    message: `${unit.id}: Control process exited, ${describeExit(failed)}`,
  };
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

/** Marks a target (or other passive unit) active or inactive. */
export async function setPassiveState(
  se: LifecycleEnv,
  unit: LoadedUnit,
  active: boolean,
): Promise<void> {
  const current = effectiveState(storedState(se, unit.id), unit.id);
  const a = new Activation(se, unit, current);
  if (active && current.ActiveState === "active") return;
  if (!active && current.ActiveState !== "active") return;
  await a.save(
    active
      ? { ActiveState: "active", SubState: "active", Result: "success", InvocationID: randomId() }
      : { ActiveState: "inactive", SubState: "dead" },
  );
}

/**
 * After the manager re-read the unit files (daemon-reload): the runs of the Exec commands
 * are forgotten (`Process:` lines, the `pid=`/times of `ExecStart=` …), as systemd's
 * reloaded units show them, keeping the main process's end (ExecMain*); the files the unit
 * now comes from are noted. The caller holds the unit lock.
 */
export async function forgetEndedRuns(se: LifecycleEnv, unit: LoadedUnit): Promise<void> {
  const current = storedState(se, unit.id);
  if (!current) return;
  // The files are loaded anew: NeedDaemonReload= compares with these from now on.
  await new Activation(se, unit, current).save({
    Exec: {},
    LoadedFiles: unitFileStamps(se, unit),
  });
}

/** Clears a failed state (reset-failed). */
export async function resetFailed(se: LifecycleEnv, unit: LoadedUnit): Promise<void> {
  const current = storedState(se, unit.id);
  if (!current) return;
  const eff = effectiveState(current, unit.id);
  const a = new Activation(se, unit, eff);
  const patch: Partial<UnitState> = { StartHistory: [], NRestarts: 0 };
  if (eff.ActiveState === "failed") {
    Object.assign(patch, { ActiveState: "inactive", SubState: "dead", Result: "success" });
  }
  await a.save(patch);
}

/**
 * The init instance's restart job begins: a unit still waiting in
 * `activating (auto-restart)` counts one more restart (NRestarts). Returns the new
 * count, or undefined when the unit no longer waits (stopped meanwhile). The caller
 * holds the unit lock.
 */
export async function noteRestart(se: LifecycleEnv, unit: LoadedUnit): Promise<number | undefined> {
  const current = storedState(se, unit.id);
  if (!current || current.SubState !== "auto-restart") return undefined;
  const a = new Activation(se, unit, current);
  const n = (current.NRestarts ?? 0) + 1;
  await a.save({ NRestarts: n });
  return n;
}

/**
 * NotifyAccess= for a unit whose socket the init instance keeps: judged by the unit's record
 * as it is when the datagram arrives. Returns systemd's warning for a refused message.
 */
export function notifyRefusalFor(
  se: LifecycleEnv,
  unit: LoadedUnit,
  sender: NotifySender,
): string | undefined {
  const current = storedState(se, unit.id);
  if (!current) return `Cannot find unit for notify message of PID ${sender.pid}, ignoring.`;
  return notifyRefusal(serviceSettings(unit.config).notifyAccess, current, sender);
}

/**
 * Applies a notify message that arrived after start (the init instance keeps the socket):
 * STATUS=, ERRNO=, MAINPID=, RELOADING=1/READY=1 (STOPPING=1 is left to the main
 * process's end, which the init instance records). The sender was authorized on receipt
 * (NotifyAccess=); a new main PID is judged here (§12). The caller holds the unit lock.
 * Returns the new main PID when MAINPID= moved it.
 */
export async function applyNotifyMessage(
  se: LifecycleEnv,
  unit: LoadedUnit,
  message: NotifyMessage,
): Promise<number | undefined> {
  const current = storedState(se, unit.id);
  if (!current || !["active", "reloading", "activating"].includes(current.ActiveState)) {
    return undefined;
  }
  const msg = message.fields;
  const a = new Activation(se, unit, current);
  const patch: Partial<UnitState> = {};
  let moved: number | undefined;
  if (msg.STATUS !== undefined) patch.StatusText = msg.STATUS;
  if (msg.ERRNO !== undefined) patch.StatusErrno = Number(msg.ERRNO) || 0;
  const main = newMainPid(a, message);
  if (main.MainPID !== undefined) {
    moved = main.MainPID;
    Object.assign(patch, main);
  }
  if (msg.RELOADING === "1") Object.assign(patch, { ActiveState: "reloading", SubState: "reload" });
  else if (msg.READY === "1" && current.ActiveState === "reloading") {
    Object.assign(patch, { ActiveState: "active", SubState: "running", ReloadResult: "success" });
  }
  if (Object.keys(patch).length) await a.save(patch);
  return moved;
}
