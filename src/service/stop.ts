/**
 * The stop of a service: ExecStop=, the kill sequence per KillMode=, ExecStopPost= with
 * the main process's end, and the record left behind.
 * @module
 */

import type { LoadedUnit } from "../units/loader.ts";
import type { ExitNote } from "../state/store.ts";
import { takeExitNote } from "../state/store.ts";
import { liveInit } from "./init_link.ts";
import { stopSequence } from "../process/kill.ts";
import { isAlive } from "../process/procfs.ts";
import {
  alive,
  CLD_EXITED,
  CLD_KILLED,
  effectiveState,
  execMainCode,
  liveMembers,
  recordedProcesses,
  recordedSessions,
  stampNow,
  stateDirHost,
  storedState,
} from "./runtime.ts";
import {
  Activation,
  cleanupAfterStop,
  exitEnv,
  isCleanExit,
  type JobOutcome,
  type LifecycleEnv,
  mainPidEnv,
  resultOf,
  succeeded,
  toMs,
  waitFor,
} from "./activation.ts";
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
    // As systemd's service_sigchld_event(): an unclean end of the main process during the
    // stop is its first failure (before ExecStop='s own), e.g. `kill -KILL $MAINPID`.
    if (note && !isCleanExit(s, note, true)) result = resultOf(note);
    a.st = {
      ...a.st,
      ExecMainCode: note ? execMainCode(note.code) : mainSignal ? CLD_KILLED : CLD_EXITED,
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
