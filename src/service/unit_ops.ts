/**
 * The verbs that act on units without a job: kill (signal the unit's processes),
 * reset-failed and clean. Failures are reported as outcomes (service/outcome.ts).
 * @module
 */

import { parseSignal } from "../unit/signals.ts";
import { writeUnitState } from "../state/store.ts";
import { type ProcessId, signalIdentified } from "../process/kill.ts";
import { removeIn } from "../process/rootfs.ts";
import { Manager } from "./manager.ts";
import { failureLog, type JobContext, type JobFailure, type Report } from "./outcome.ts";
import {
  effectiveState,
  liveMemberIds,
  recordedProcesses,
  stateDirHost,
  storedState,
  unitState,
} from "./runtime.ts";
import { serviceSettingsOf } from "../units/settings.ts";

/** kill UNIT...: signal the unit's processes (--kill-whom, --signal). */
export async function killUnits(
  ctx: JobContext,
  args: readonly string[],
  report: Report,
  opts: { signal?: string; killWhom?: string },
): Promise<JobFailure | undefined> {
  const m = new Manager(ctx);
  const log = failureLog(report);
  const sigText = opts.signal ?? "SIGTERM";
  const sig = parseSignal(sigText);
  if (sig === undefined) {
    log.fail({ kind: "bad-signal", text: sigText });
    return log.first;
  }
  // The manager checks the unit first, then --kill-whom= (its `-fail` forms included).
  const whomText = opts.killWhom ?? "all";
  const whom = whomText.replace(/-fail$/, "");
  for (const name of m.expand(args)) {
    const unit = m.loader.load(name);
    const st = effectiveState(storedState(m.lenv, unit.id), unit.id);
    // KillUnit() asks for a loaded unit: one that was collected (or never loaded) is not.
    if (!m.loaded().has(unit.id)) {
      log.fail({ kind: "not-loaded", action: "kill", name });
      continue;
    }
    if (!["main", "control", "all"].includes(whom)) {
      log.fail({ kind: "bad-whom", id: unit.id, whom: whomText });
      continue;
    }
    // Only processes that are still the recorded ones (same start time) are signalled.
    const known = recordedProcesses(st);
    const main = known.mainPid ?? 0;
    const control = known.controlPid ?? 0;
    let targets: ProcessId[] = [];
    if (whom === "main") {
      if (!main) {
        log.fail({ kind: "no-process", id: unit.id, which: "main" });
        continue;
      }
      targets = [{ pid: main, startTime: known.startTimes[main] }];
    } else if (whom === "control") {
      if (!control) {
        log.fail({ kind: "no-process", id: unit.id, which: "control" });
        continue;
      }
      targets = [{ pid: control, startTime: known.startTimes[control] }];
    } else {
      targets = liveMemberIds(st);
    }
    await m.locked(unit.id, "kill", async () => {
      for (const p of targets) {
        try {
          signalIdentified(p.pid, p.startTime, sig);
        } catch { /* not permitted: not ours to signal */ }
      }
      if (main && targets.some((p) => p.pid === main)) {
        // No init waits for the main process: remember the signal, so that its death
        // reads as this signal's doing rather than an unknown failure.
        const record = storedState(m.lenv, unit.id);
        if (record) {
          const killed = {
            pid: main,
            startTime: st.MainPIDStartTime ?? 0,
            signal: sig,
            at: Date.now() * 1000,
          };
          await writeUnitState(stateDirHost(m.lenv), { ...record, KilledMain: killed });
        }
      }
    });
  }
  return log.first;
}

/** reset-failed [UNIT...]. */
export async function resetFailedUnits(
  ctx: JobContext,
  args: readonly string[],
  report: Report,
): Promise<JobFailure | undefined> {
  const m = new Manager(ctx);
  const names = args.length ? m.expand(args) : m.stateNames();
  const log = failureLog(report);
  for (const name of names) {
    const unit = m.loader.load(name);
    // ResetFailedUnit() asks for a loaded unit, as KillUnit() does.
    if (!m.loaded().has(unit.id)) {
      if (args.length) {
        log.fail({ kind: "not-loaded", action: "reset-failed", name });
      }
      continue;
    }
    const { resetFailed } = await import("./lifecycle.ts");
    await m.locked(unit.id, "reset-failed", () => resetFailed(m.lenv, unit));
  }
  return log.first;
}

/** clean --what=... UNIT...: remove the unit's runtime/state/cache/logs/configuration dirs. */
export async function cleanUnits(
  ctx: JobContext,
  args: readonly string[],
  report: Report,
  opts: { what: readonly string[] },
): Promise<JobFailure | undefined> {
  const m = new Manager(ctx);
  const log = failureLog(report);
  const what = new Set(opts.what.length ? opts.what : ["cache", "runtime"]);
  if (what.has("all")) {
    for (const w of ["runtime", "state", "cache", "logs", "configuration"]) what.add(w);
  }
  for (const w of what) {
    if (!["runtime", "state", "cache", "logs", "configuration", "all", "fdstore"].includes(w)) {
      log.fail({ kind: "bad-clean-type", what: w });
      return log.first;
    }
  }
  for (const name of m.expand(args)) {
    const unit = m.loader.load(name);
    if (unit.loadState !== "loaded") {
      log.fail({ kind: "not-loaded", action: "clean", name });
      continue;
    }
    const st = unitState(m.lenv, unit);
    if (!["inactive", "failed"].includes(st.ActiveState)) {
      log.fail({ kind: "clean-busy", id: unit.id });
      continue;
    }
    if (unit.type !== "service") continue;
    const { serviceDirectories } = await import("./exec_context.ts");
    const s = serviceSettingsOf(unit);
    await m.locked(unit.id, "clean", () => {
      for (const d of serviceDirectories(ctx.scope, ctx.env, s)) {
        if (!what.has(d.kind)) continue;
        for (const entry of d.names) {
          const n = entry.split(":")[0];
          try {
            removeIn(ctx.root.root, ctx.root.inner(`${d.base}/${n}`));
          } catch { /* not there */ }
        }
      }
      return Promise.resolve();
    });
  }
  return log.first;
}
