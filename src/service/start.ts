/**
 * The start of a service per Type= (simple, exec, forking, oneshot, notify, dbus, idle):
 * conditions, the start limit, ExecStartPre=, the main process and how its readiness is
 * judged, ExecStartPost=, and the record of a main process that ended.
 * @module
 */

import type { LoadedUnit } from "../units/loader.ts";
import type { UnitState } from "../state/store.ts";
import type { ExecCommand } from "../unit/exec.ts";
import type { ServiceSettings } from "../unit/model.ts";
import type { ExitInfo } from "../process/spawn.ts";
import { descendants, readStat } from "../process/procfs.ts";
import { type NotifyListener, notifySocketPath, openNotifySocket } from "../process/notify.ts";
import { setChildSubreaper } from "../process/reaper.ts";
import {
  appendUnitLog,
  ExecSetupError,
  managerEnvironment,
  unitLogInside,
} from "./exec_context.ts";
import {
  CLD_EXITED,
  effectiveState,
  execMainCode,
  liveMembers,
  stampNow,
  stateDirHost,
  storedState,
} from "./runtime.ts";
import { evaluateChecks } from "./conditions.ts";
import { takeDescriptors } from "./socket_fds.ts";
import { describeFailedCheck } from "./conditions.ts";
import { adoptedChildren, DescendantWatch, loadPidFile, once } from "./daemons.ts";
import {
  Activation,
  failStart,
  finishStop,
  isCleanExit,
  type JobOutcome,
  type LifecycleEnv,
  mainPidEnv,
  newMainPid,
  notifyAuthorizer,
  randomId,
  resultOf,
  runList,
  succeeded,
  toMs,
  waitFor,
} from "./activation.ts";
import { unitSettingsOf } from "../units/settings.ts";
/** Starts a service. The caller holds the lock. An active unit is a no-op. */
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
  const u = unitSettingsOf(unit);
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
    return { ok: false, refusal: { kind: "assert-failed", id: unit.id } };
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
  await a.save({
    ExecMainCode: CLD_EXITED,
    ExecMainStatus: e.status,
    ExecMainExitTimestamp: stampNow(),
  });
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
    ExecMainCode: execMainCode(code),
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
          ExecMainCode: execMainCode(exit.code),
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
            ExecMainCode: CLD_EXITED,
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
