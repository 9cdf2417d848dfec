/**
 * The lifecycle of one service: the entry points of its phases (start.ts, stop.ts,
 * reload.ts, with what they share in activation.ts), and the record operations that are no
 * phase (passive units, daemon-reload, reset-failed, restarts counted, notify messages kept
 * by the init, a socket's Exec lists). Callers hold the unit lock.
 * @module
 */

import type { LoadedUnit } from "../units/loader.ts";
import type { UnitState } from "../state/store.ts";
import { describeExit } from "../unit/values.ts";
import { SOCKET_PHASES, type SocketExecKey, socketExecSlot } from "../unit/socket_address.ts";
import type { UnitConfig } from "../unit/config.ts";
import type { NotifyMessage, NotifySender } from "../process/notify.ts";
import { ExecSetupError } from "./exec_context.ts";
import { effectiveState, storedState, unitFileStamps } from "./runtime.ts";
import { notifyRefusal } from "./notify_access.ts";
export {
  isCleanExit,
  type JobOutcome,
  type LifecycleEnv,
  saveUnitState,
  type Supervisor,
} from "./activation.ts";
export { type MainEnd, mainProcessEnded, shouldRestart, startService } from "./start.ts";
export { stopService } from "./stop.ts";
export { reloadService } from "./reload.ts";
import {
  Activation,
  type LifecycleEnv,
  newMainPid,
  randomId,
  resultOf,
  runList,
  toMs,
} from "./activation.ts";
import { serviceSettingsOf } from "../units/settings.ts";

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
  return notifyRefusal(serviceSettingsOf(unit).notifyAccess, current, sender);
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
