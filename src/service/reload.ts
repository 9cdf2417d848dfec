/**
 * The reload of a service: ExecReload= (or the reload signal for Type=notify-reload) and
 * its record.
 * @module
 */

import type { LoadedUnit } from "../units/loader.ts";
import { signalIdentified } from "../process/kill.ts";
import { readStat } from "../process/procfs.ts";
import { type NotifyListener, notifySocketPath, openNotifySocket } from "../process/notify.ts";
import { effectiveState, stateDirHost, storedState } from "./runtime.ts";
import { loadPidFile } from "./daemons.ts";
import {
  Activation,
  type JobOutcome,
  type LifecycleEnv,
  mainPidEnv,
  notifyAuthorizer,
  SEC,
  succeeded,
  toMs,
} from "./activation.ts";
/** Reloads a service: ExecReload (or the reload signal for notify-reload). */
export async function reloadService(se: LifecycleEnv, unit: LoadedUnit): Promise<JobOutcome> {
  const current = effectiveState(storedState(se, unit.id), unit.id);
  const a = new Activation(se, unit, current);
  const s = a.s;
  if (s.exec.ExecReload.length === 0 && s.type !== "notify-reload") {
    return { ok: false, refusal: { kind: "reload-not-applicable", id: unit.id } };
  }
  if (!["active", "reloading"].includes(current.ActiveState)) {
    return { ok: false, refusal: { kind: "reload-inactive", id: unit.id } };
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
  return ok ? { ok: true } : { ok: false, result: "exit-code" };
}
