/**
 * The manager of one invocation (units loaded once, the lifecycle's environment, unit
 * locks), the start transaction (requirements pulled in, conflicts, ordering) and the
 * start and stop job of one unit. The verbs over several units are in jobs.ts and
 * unit_ops.ts; nothing here prints.
 * @module
 */

import { type LoadedUnit, UnitLoader } from "../units/loader.ts";
import { linkedDependencies } from "../units/deps.ts";
import { globMatch, parseUnitName } from "../unit/names.ts";
import { LockTimeoutError, withUnitLock } from "../state/lock.ts";
import { readManagerState } from "../state/manager.ts";
import { mkdirIn } from "../process/rootfs.ts";
import type { JobOutcome, LifecycleEnv, Supervisor } from "./lifecycle.ts";
import { collectUnits, loadedUnits, mayCollect } from "./gc.ts";
import { type JobContext, type JobFailure, QUIET, type Report } from "./outcome.ts";
import { sortByName, startOrdering } from "./order.ts";

/** The lifecycle module loads only when a job runs: queries never pay for it. */
const lifecycle = () => import("./lifecycle.ts");
import {
  effectiveState,
  exitCodeWord,
  needDaemonReload,
  reasonOf,
  stateDirHost,
  storedState,
  unitState,
} from "./runtime.ts";
import { serviceSettingsOf, unitSettingsOf } from "../units/settings.ts";

/**
 * What a reload of the manager does to the unit records: the runs of ended commands are
 * forgotten and the files each unit now comes from are noted (lifecycle's
 * forgetEndedRuns()). A unit whose lock is held (a job runs) is left as it is.
 */
export async function reloadRecords(m: Manager): Promise<void> {
  const { forgetEndedRuns } = await lifecycle();
  const dir = stateDirHost(m.lenv);
  for (const name of m.stateNames()) {
    try {
      const unit = m.loader.load(name);
      await withUnitLock(dir, name, { verb: "reload" }, () => forgetEndedRuns(m.lenv, unit), {
        timeoutMs: 1000,
      });
    } catch { /* busy or unwritable */ }
  }
}

/** Units that a container cannot run; skipped when pulled in as dependencies (§8.2). */
export const BOOT_IGNORE: readonly string[] = [
  "systemd-*",
  "dbus*",
  "network*.service",
  "networking.service",
  "kmod*",
  "kdump*",
  "dm-event.*",
  "lvm2-*",
  "getty@*",
  "serial-getty@*",
  "console-getty.service",
  "e2scrub*",
  "purge-kernels.service",
  "after-local.service",
  "*.mount",
  "*.swap",
  "*.automount",
  "*.device",
];

/** The context of a job run. */
export class Manager {
  readonly ctx: JobContext;
  readonly loader: UnitLoader;
  readonly lenv: LifecycleEnv;
  /** Where failures and notices go as they happen (the verbs print them). */
  report: Report = QUIET;

  constructor(ctx: JobContext, loader = new UnitLoader(ctx), supervisor?: Supervisor) {
    this.ctx = ctx;
    this.loader = loader;
    // Host facts are read only when a job needs them (conditions, specifiers).
    this.lenv = {
      root: ctx.root,
      scope: ctx.scope,
      env: ctx.env,
      extraVars: ctx.options.extraVars,
      maxTimeoutUSec: ctx.options.maxTimeout !== undefined
        ? ctx.options.maxTimeout * 1_000_000
        : undefined,
      get managerEnv() {
        return readManagerState(stateDirHost({ root: ctx.root, scope: ctx.scope, env: ctx.env }))
          .Environment;
      },
      get hostname() {
        return loader.facts.hostname;
      },
      get machineId() {
        return loader.facts.machineId;
      },
      get architecture() {
        return loader.facts.architecture;
      },
      get osRelease() {
        return loader.facts.osRelease;
      },
      warn: (t) => ctx.warn(t),
      // The -v trace goes to the report; without one (the init's own jobs), to warnings.
      debug: (t) => {
        if (ctx.options.verbose === 0) return;
        if (this.report === QUIET) ctx.warn(t);
        else this.report({ kind: "trace", text: t });
      },
      supervisor,
    };
  }

  /** Resolves command-line arguments to unit names (globs match the loaded units only). */
  expand(args: readonly string[], suffix = ".service"): string[] {
    return this.loader.expand(args, suffix, (t) => this.ctx.warn(t), [], () => this.loaded());
  }

  #stateNames?: string[];
  stateNames(): string[] {
    if (!this.#stateNames) {
      this.#stateNames = [];
      try {
        for (const e of Deno.readDirSync(`${stateDirHost(this.lenv)}/units`)) {
          if (e.name.endsWith(".json")) this.#stateNames.push(e.name.slice(0, -5));
        }
      } catch { /* no state yet */ }
    }
    return this.#stateNames;
  }

  #loaded?: Set<string>;
  /** The units systemd would hold loaded now (see gc.ts); computed once per invocation. */
  loaded(): Set<string> {
    this.#loaded ??= loadedUnits(this.loader, this.lenv, this.stateNames());
    return this.#loaded;
  }

  /** Forgets the units systemd would have collected (their records go); see gc.ts. */
  async collect(): Promise<string[]> {
    this.#stateNames = undefined;
    this.#loaded = undefined;
    const out = await collectUnits(this.loader, this.lenv, this.stateNames());
    this.#stateNames = undefined;
    return out;
  }

  /** Runs fn under the unit lock; lock timeouts become systemd-style errors. */
  async locked<T>(unit: string, verb: string, fn: () => Promise<T>): Promise<T> {
    const max = this.ctx.options.maxTimeout;
    let locked = false;
    try {
      return await withUnitLock(stateDirHost(this.lenv), unit, { verb }, () => {
        locked = true;
        return fn();
      }, { timeoutMs: max !== undefined ? max * 1000 : undefined });
    } catch (e) {
      // The lock file could not be made: the state directory is not writable.
      if (!locked && !(e instanceof LockTimeoutError)) {
        throw new Error(`Failed to write state of ${unit}: ${reasonOf(e)}`);
      }
      throw e;
    }
  }

  /** Makes `/run/systemd/system/` exist, so tools detect systemd. */
  canary(): void {
    if (this.ctx.scope !== "system") return;
    try {
      mkdirIn(this.ctx.root.root, "/run/systemd/system");
    } catch { /* read-only /run: detection is best effort */ }
  }
}

/** The start transaction of the given units, in job order. */
export function startTransaction(
  m: Manager,
  names: readonly string[],
  opts: { ignore?: readonly string[] } = {},
): {
  order: LoadedUnit[];
  required: Map<string, Set<string>>;
  conflicts: Set<string>;
  /** For each unit, the units of the transaction it is ordered after. */
  after: Map<string, Set<string>>;
} {
  const loader = m.loader;
  const units = new Map<string, LoadedUnit>();
  const required = new Map<string, Set<string>>();
  const queue: Array<{ name: string; named: boolean }> = names.map((n) => ({
    name: n,
    named: true,
  }));
  const conflicts = new Set<string>();
  const ignore = opts.ignore ?? BOOT_IGNORE;
  const isIgnored = (name: string) => ignore.some((p) => globMatch(p, name));
  while (queue.length) {
    const { name, named } = queue.shift()!;
    if (!named && isIgnored(name)) continue;
    const unit = loader.load(name);
    if (units.has(unit.id)) continue;
    if (!named && unit.loadState !== "loaded") continue;
    units.set(unit.id, unit);
    if (unit.loadState !== "loaded") continue;
    const own = unitSettingsOf(unit).deps;
    // Default dependencies order jobs but pull nothing in: a container has no early boot.
    const linked = linkedDependencies(loader, unit.id);
    for (const key of ["Requires", "BindsTo"] as const) {
      for (
        const d of [
          ...own[key],
          ...(key === "Requires" ? (linkedOnly(linked.Requires, own.Requires)) : []),
        ]
      ) {
        if (isIgnored(d)) continue;
        const set = required.get(unit.id) ?? new Set();
        set.add(loader.load(d).id);
        required.set(unit.id, set);
        queue.push({ name: d, named: false });
      }
    }
    for (const d of [...own.Wants, ...linkedOnly(linked.Wants, own.Wants)]) {
      queue.push({ name: d, named: false });
    }
    for (const c of own.Conflicts) conflicts.add(c);
  }
  // Order by After/Before within the transaction (Kahn, stable by name).
  const after = startOrdering(loader, units.values());
  const order = sortByName([...units.keys()], after, (victim) => {
    m.ctx.warn(`Found ordering cycle on ${victim}/start; breaking it.`);
  }).map((id) => units.get(id)!);
  // Cycles were broken by dropping a victim's ordering: `after` is acyclic.
  return { order, required, conflicts, after };
}

function linkedOnly(linked: string[] | undefined, own: string[]): string[] {
  return (linked ?? []).filter((l) => !own.includes(l));
}

/** Runs the start job of one unit (no transaction) under its lock. */
export async function runStart(m: Manager, unit: LoadedUnit): Promise<JobOutcome> {
  if (unit.type === "service") {
    const sockets = m.stateNames().filter((n) => n.endsWith(".socket"));
    if (sockets.length > 0) {
      // An init instance that holds the service's sockets runs the start (it has them).
      const { startThroughHolder } = await import("./socket_unit.ts");
      const outcome = await startThroughHolder(
        m.lenv,
        unit,
        () => sockets.map((n) => m.loader.load(n)),
      );
      if (outcome) return outcome;
    }
    const { startService } = await lifecycle();
    return await m.locked(unit.id, "start", () => startService(m.lenv, unit));
  }
  if (["target", "slice", "scope"].includes(unit.type)) {
    const { setPassiveState } = await lifecycle();
    await m.locked(unit.id, "start", () => setPassiveState(m.lenv, unit, true));
    return { ok: true };
  }
  if (unit.type === "timer") {
    const { startTimer } = await import("./timer_unit.ts");
    await m.locked(unit.id, "start", () => startTimer(m.lenv, unit));
    return { ok: true };
  }
  if (unit.type === "socket") {
    const { startSocket, socketServiceProblem } = await import("./socket_unit.ts");
    const problem = socketServiceProblem(unit, (id) => m.loader.load(id).loadState);
    if (problem) return { ok: false, result: "resources", message: problem };
    return await m.locked(
      unit.id,
      "start",
      async () =>
        await startSocket(
          m.lenv,
          unit,
          async (service) => await startOne(m, service, "start") === undefined,
        ),
    );
  }
  m.lenv.debug(`${unit.id}: units of type ${unit.type} are not started without an init instance.`);
  return { ok: true };
}

/** Runs the stop job of one unit under its lock. */
export async function runStop(
  m: Manager,
  unit: LoadedUnit,
  restarting = false,
): Promise<JobOutcome> {
  if (unit.type === "service") {
    const { stopService } = await lifecycle();
    return await m.locked(unit.id, "stop", () => stopService(m.lenv, unit, { restarting }));
  }
  if (unit.type === "timer") {
    const { stopTimer } = await import("./timer_unit.ts");
    await m.locked(unit.id, "stop", () => stopTimer(m.lenv, unit));
    return { ok: true };
  }
  if (unit.type === "socket") {
    const { stopSocket } = await import("./socket_unit.ts");
    return await m.locked(unit.id, "stop", () => stopSocket(m.lenv, unit));
  }
  const { setPassiveState } = await lifecycle();
  await m.locked(unit.id, "stop", () => setPassiveState(m.lenv, unit, false));
  return { ok: true };
}

/** Whether the unit is active, activating or reloading. */
export function isActive(m: Manager, unit: LoadedUnit): boolean {
  const st = unitState(m.lenv, unit).ActiveState;
  return st === "active" || st === "activating" || st === "reloading";
}

/**
 * The failure of a job that ran: the Result the manager holds after it (the first failure
 * of the run, see verbs/job_words.ts), or none when the unit was collected right after its
 * job (CollectMode=inactive-or-failed, nothing refers to it).
 */
export function jobFailure(m: Manager, unit: string, outcome: JobOutcome): JobFailure {
  if (outcome.refusal) return outcome.refusal;
  if (outcome.message || !unit.endsWith(".service")) {
    return { kind: "job-failed", id: unit, message: outcome.message };
  }
  const st = storedState(m.lenv, unit);
  const collected = st !== undefined &&
    mayCollect(m.loader.load(unit), effectiveState(st, unit)) &&
    !loadedUnits(m.loader, m.lenv, m.stateNames()).has(unit);
  const result = collected ? undefined : st?.Result ?? outcome.result;
  return { kind: "job-failed", id: unit, result };
}

/** Reports that a unit a job is queued for was loaded from files changed since. */
export function noteIfChanged(m: Manager, unit: LoadedUnit): void {
  if (needDaemonReload(m.lenv, unit)) m.report({ kind: "changed-on-disk", id: unit.id });
}

/**
 * The start job of one named unit with its transaction: requisites checked, conflicts
 * stopped, required units started first. Returns the failure that decides the exit code.
 */
export async function startOne(
  m: Manager,
  name: string,
  verb: string,
): Promise<JobFailure | undefined> {
  const fail = (f: JobFailure) => {
    m.report(f);
    return f;
  };
  if (parseUnitName(name)?.isTemplate) return fail({ kind: "no-instance", verb, name });
  const unit = m.loader.load(name);
  if (unit.loadState !== "loaded") return fail({ kind: "load", verb, unit });
  noteIfChanged(m, unit);
  const settings = unitSettingsOf(unit);
  if (settings.refuseManualStart) {
    return fail({ kind: "refused-manual", verb, name, id: unit.id });
  }
  for (const r of settings.deps.Requisite) {
    if (!isActive(m, m.loader.load(r))) return fail({ kind: "dependency-failed", id: unit.id });
  }
  // Type=dbus requires dbus.socket (we do not run the bus, but where there is none at all
  // the transaction fails as systemd's does).
  const svc = unit.type === "service" ? serviceSettingsOf(unit) : undefined;
  if (
    svc?.type === "dbus" && unit.config.get("Service", "BusName") &&
    m.loader.load("dbus.socket").loadState === "not-found"
  ) {
    return fail({
      kind: "dependency-not-found",
      verb,
      requested: unit.requested,
      missing: "dbus.socket",
    });
  }
  const tx = startTransaction(m, [unit.id]);
  // systemd refuses the whole transaction (NoSuchUnit, exit 5) before any job runs.
  for (const req of tx.required.values()) {
    const missing = [...req].find((r) => m.loader.load(r).loadState === "not-found");
    if (missing !== undefined) {
      return fail({ kind: "dependency-not-found", verb, requested: unit.requested, missing });
    }
  }
  // Conflicts: stop those first.
  for (const c of tx.conflicts) {
    const cu = m.loader.load(c);
    if (cu.loadState === "loaded" && isActive(m, cu)) await runStop(m, cu);
  }
  for (const other of m.stateNames()) {
    const ou = m.loader.load(other);
    if (ou.loadState !== "loaded") continue;
    if (unitSettingsOf(ou).deps.Conflicts.includes(unit.id) && isActive(m, ou)) {
      await runStop(m, ou);
    }
  }
  const failed = new Set<string>();
  for (const u of tx.order) {
    const req = tx.required.get(u.id);
    if (req && [...req].some((r) => failed.has(r))) {
      failed.add(u.id);
      if (u.id === unit.id) return fail({ kind: "dependency-failed", id: unit.id });
      continue;
    }
    if (u.loadState !== "loaded") {
      failed.add(u.id);
      continue;
    }
    let outcome: JobOutcome;
    try {
      outcome = await runStart(m, u);
    } catch (e) {
      if ((e as Error).name === "LockTimeoutError") {
        return fail({ kind: "busy", verb, id: u.id, reason: (e as Error).message });
      }
      throw e;
    }
    if (!outcome.ok) {
      failed.add(u.id);
      await triggerOnFailure(m, u);
      if (u.id === unit.id) return fail(jobFailure(m, unit.id, outcome));
    }
  }
  return undefined;
}

/** Starts the OnFailure= units of a unit that just failed, with the MONITOR_* variables. */
async function triggerOnFailure(m: Manager, unit: LoadedUnit): Promise<void> {
  const targets = unitSettingsOf(unit).deps.OnFailure;
  if (targets.length === 0) return;
  const st = unitState(m.lenv, unit);
  const monitor = [
    `MONITOR_SERVICE_RESULT=${st.Result}`,
    `MONITOR_EXIT_CODE=${exitCodeWord(st.ExecMainCode)}`,
    `MONITOR_EXIT_STATUS=${st.ExecMainStatus ?? 0}`,
    `MONITOR_INVOCATION_ID=${st.InvocationID ?? ""}`,
    `MONITOR_UNIT=${unit.id}`,
  ];
  const sub = new Manager({
    ...m.ctx,
    options: { ...m.ctx.options, extraVars: [...m.ctx.options.extraVars, ...monitor] },
  }, m.loader);
  sub.report = m.report;
  for (const t of targets) {
    if (await startOne(sub, t, "start")) {
      m.lenv.debug(`${unit.id}: OnFailure unit ${t} failed to start.`);
    }
  }
}
