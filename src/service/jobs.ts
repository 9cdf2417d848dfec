/**
 * The job verbs over several units: start (each name with its transaction), stop (with
 * the active units bound to each), restart, reload and its variants, isolate. Each reports
 * what happened to each unit through the manager's report and returns the failure that
 * decides the exit code (the first); verbs/ turns them into words and codes.
 * @module
 */

import type { LoadedUnit } from "../units/loader.ts";
import { unitState } from "./runtime.ts";
import { isActive, jobFailure, Manager, runStop, startOne, startTransaction } from "./manager.ts";
import { failureLog, type JobContext, type JobFailure, type Report } from "./outcome.ts";
import { reverseOrdering, sortStable, startOrdering } from "./order.ts";
import { unitSettingsOf } from "../units/settings.ts";

/** A manager for one job verb, reporting to `report`. */
function managerFor(ctx: JobContext, report: Report): Manager {
  const m = new Manager(ctx);
  m.report = report;
  m.canary();
  return m;
}

/** Units whose state says they are active and that require, bind to or are part of `id`. */
function boundUnits(m: Manager, id: string, keys: readonly string[]): LoadedUnit[] {
  const out: LoadedUnit[] = [];
  for (const name of m.stateNames()) {
    if (name === id) continue;
    const u = m.loader.load(name);
    if (u.loadState !== "loaded" || !isActive(m, u)) continue;
    const deps = unitSettingsOf(u).deps as Record<string, string[]>;
    if (keys.some((k) => (deps[k] ?? []).includes(id))) out.push(u);
  }
  return out;
}

/**
 * The named units in job order: systemctl enqueues one job per name and the manager runs
 * them by After=/Before= between them (in reverse for stop jobs), otherwise in the order
 * given. A cycle keeps the given order for the units caught in it.
 */
function orderNamed(m: Manager, names: readonly string[], reverse: boolean): string[] {
  if (names.length < 2) return [...names];
  const units = names.map((n) => m.loader.load(n));
  const start = startOrdering(m.loader, units);
  const after = reverse ? reverseOrdering(start) : start;
  // Positions stand for the names (a name given twice is two jobs).
  const ids = units.map((u) => u.id);
  const pos = names.map((_, i) => String(i));
  const waits = new Map(pos.map((p, i) => [
    p,
    new Set([...(after.get(ids[i]) ?? [])].map((id) => String(ids.indexOf(id)))),
  ]));
  return sortStable(pos, waits).map((p) => names[Number(p)]);
}

/** A job verb over the named units; `verb` names it in messages. Returns the first failure. */
type UnitsJob = (
  ctx: JobContext,
  args: readonly string[],
  report: Report,
  verb?: string,
) => Promise<JobFailure | undefined>;

/** Starts units with their transactions. */
export const startUnits: UnitsJob = async (ctx, args, report, verb = "start") => {
  const m = managerFor(ctx, report);
  const log = failureLog(report);
  for (const name of orderNamed(m, m.expand(args), false)) {
    const failure = await startOne(m, name, verb);
    log.keep(failure);
  }
  return log.first;
};

/** Stops units (and the active units bound to them). */
export const stopUnits: UnitsJob = async (ctx, args, report, verb = "stop") => {
  const m = managerFor(ctx, report);
  const log = failureLog(report);
  for (const name of orderNamed(m, m.expand(args), true)) {
    const unit = m.loader.load(name);
    if (unit.loadState !== "loaded" && !m.loaded().has(unit.id)) {
      if (unit.loadState === "masked") continue;
      log.fail({ kind: "load", verb, unit });
      continue;
    }
    if (unitSettingsOf(unit).refuseManualStop) {
      log.fail({ kind: "refused-manual", verb, name, id: unit.id });
      continue;
    }
    try {
      for (const b of boundUnits(m, unit.id, ["Requires", "BindsTo", "PartOf"])) {
        await runStop(m, b);
      }
      await runStop(m, unit);
    } catch (e) {
      if ((e as Error).name === "LockTimeoutError") {
        log.fail({ kind: "busy", verb, id: unit.id, reason: (e as Error).message });
        continue;
      }
      throw e;
    }
  }
  return log.first;
};

/** restart / try-restart: stop (if active) then start; PartOf units follow. */
export async function restartUnits(
  ctx: JobContext,
  args: readonly string[],
  report: Report,
  opts: { onlyIfActive: boolean; verb: string },
): Promise<JobFailure | undefined> {
  const m = managerFor(ctx, report);
  const log = failureLog(report);
  for (const name of m.expand(args)) {
    const unit = m.loader.load(name);
    if (unit.loadState !== "loaded") {
      log.fail({ kind: "load", verb: opts.verb, unit });
      continue;
    }
    const active = isActive(m, unit);
    if (opts.onlyIfActive && !active) continue;
    const partOf = boundUnits(m, unit.id, ["PartOf"]);
    if (active || unitState(m.lenv, unit).ActiveState === "failed") {
      for (const p of partOf) await runStop(m, p, true);
      await runStop(m, unit, true);
    }
    const failure = await startOne(m, unit.id, "restart");
    for (const p of partOf) await startOne(m, p.id, "restart");
    log.keep(failure);
  }
  return log.first;
}

/** reload, reload-or-restart, try-reload-or-restart. */
export async function reloadUnits(
  ctx: JobContext,
  args: readonly string[],
  report: Report,
  mode: "reload" | "reload-or-restart" | "try-reload-or-restart",
): Promise<JobFailure | undefined> {
  const m = managerFor(ctx, report);
  const log = failureLog(report);
  // systemd names the job type: `Failed to reload-or-try-restart x.service: …`.
  const jobType = mode === "try-reload-or-restart" ? "reload-or-try-restart" : mode;
  for (const name of m.expand(args)) {
    const unit = m.loader.load(name);
    if (unit.loadState !== "loaded") {
      log.fail({ kind: "load", verb: jobType, unit });
      continue;
    }
    const active = isActive(m, unit);
    const canReload = unit.type === "service" &&
      (unit.config.list("Service", "ExecReload").length > 0 ||
        unit.config.get("Service", "Type") === "notify-reload");
    if (mode === "try-reload-or-restart" && !active) continue;
    if (mode !== "reload" && (!active || !canReload)) {
      const failure = await restartUnits(ctx, [unit.id], report, {
        onlyIfActive: false,
        verb: "restart",
      });
      log.keep(failure);
      continue;
    }
    if (!canReload) {
      log.fail({ kind: "reload-not-applicable", id: unit.id });
      continue;
    }
    const { reloadService } = await import("./lifecycle.ts");
    const outcome = await m.locked(unit.id, "reload", () => reloadService(m.lenv, unit));
    if (!outcome.ok) {
      // The manager's refusal in its words; else the Result, not the journal line.
      log.fail(outcome.refusal ?? jobFailure(m, unit.id, { ok: false, result: outcome.result }));
    }
  }
  return log.first;
}

/** isolate TARGET: start it, then stop every active unit outside its transaction. */
export async function isolate(
  ctx: JobContext,
  target: string,
  report: Report,
): Promise<JobFailure | undefined> {
  const m = new Manager(ctx);
  m.report = report;
  const [name] = m.loader.expand([target], ".target", (t) => ctx.warn(t));
  const unit = m.loader.load(name);
  // A target that is not found cannot allow isolation: systemd refuses it as such.
  if (unit.loadState !== "not-found" && unit.loadState !== "loaded") {
    const f: JobFailure = { kind: "load", verb: "isolate", unit };
    report(f);
    return f;
  }
  if (unit.loadState === "not-found" || !unitSettingsOf(unit).allowIsolate) {
    const f: JobFailure = { kind: "not-isolatable", id: unit.id };
    report(f);
    return f;
  }
  const keep = new Set(startTransaction(m, [unit.id]).order.map((u) => u.id));
  for (const other of m.stateNames()) {
    const ou = m.loader.load(other);
    if (keep.has(ou.id) || !isActive(m, ou)) continue;
    if (unitSettingsOf(ou).ignoreOnIsolate) continue;
    await runStop(m, ou);
  }
  return await startUnits(ctx, [unit.id], report);
}
