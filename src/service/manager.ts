/**
 * Jobs over several units: the start transaction (requirements pulled in,
 * conflicts stopped, After/Before ordering), stop with the units bound to
 * a unit, restart, reload, kill, reset-failed and clean. Prints systemd's
 * messages and returns the exit code.
 * @module
 */

import type { Context } from "../cli/context.ts";
import { type LoadedUnit, UnitLoader } from "../units/loader.ts";
import { forwardDependencies, linkedDependencies } from "../units/deps.ts";
import { serviceSettings, unitSettings } from "../unit/model.ts";
import { globMatch, parseUnitName } from "../unit/names.ts";
import { parseSignal } from "../unit/signals.ts";
import { LockTimeoutError, withUnitLock } from "../state/lock.ts";
import { writeUnitState } from "../state/store.ts";
import { readManagerState } from "../state/manager.ts";
import { type ProcessId, signalIdentified } from "../process/kill.ts";
import { mkdirIn, removeIn } from "../process/rootfs.ts";
import type { JobOutcome, LifecycleEnv, Supervisor } from "./lifecycle.ts";
import { collectUnits, loadedUnits, mayCollect } from "./gc.ts";

/** The lifecycle module loads only when a job runs: queries never pay for it. */
const lifecycle = () => import("./lifecycle.ts");
import {
  effectiveState,
  liveMemberIds,
  needDaemonReload,
  reasonOf,
  recordedProcesses,
  stateDirHost,
  storedState,
  unitState,
} from "./runtime.ts";

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
  readonly ctx: Context;
  readonly loader: UnitLoader;
  readonly lenv: LifecycleEnv;

  constructor(ctx: Context, loader = new UnitLoader(ctx), supervisor?: Supervisor) {
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
      debug: (t) => {
        if (ctx.options.verbose > 0) ctx.io.err(t + "\n");
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

/** The message printed when a unit cannot be acted on; undefined if it can. */
export function loadProblem(
  verb: string,
  unit: LoadedUnit,
): { text: string; code: number } | undefined {
  const n = unit.requested;
  switch (unit.loadState) {
    case "loaded":
      return undefined;
    case "not-found":
      return verb === "start" || verb === "restart" || verb === "try-restart" ||
          verb === "reload" || verb === "reload-or-restart" || verb === "reload-or-try-restart" ||
          verb === "isolate"
        ? { text: `Failed to ${verb} ${n}: Unit ${n} not found.`, code: 5 }
        : { text: `Failed to ${verb} ${n}: Unit ${n} not loaded.`, code: 5 };
    case "masked":
      return { text: `Failed to ${verb} ${n}: Unit ${n} is masked.`, code: 1 };
    case "bad-setting":
      return {
        text: `Failed to ${verb} ${n}: Unit ${unit.id} has a bad unit file setting.\n` +
          `See system logs and 'systemctl status ${n}' for details.`,
        code: 1,
      };
    default:
      return {
        text:
          `Failed to ${verb} ${n}: Unit ${unit.id} failed to load properly, please adjust/correct ` +
          `and reload service manager: ${unit.loadError ?? "Invalid argument"}`,
        code: 1,
      };
  }
}

const RESULT_TEXT: Record<string, string> = {
  "exit-code": "the control process exited with error code",
  "timeout": "a timeout was exceeded",
  "signal": "a fatal signal was delivered to the control process",
  "core-dump": "a fatal signal was delivered causing the control process to dump core",
  "protocol": "the service did not take the steps required by its unit configuration",
  "start-limit-hit": "start of the service was attempted too often",
  "resources": "of unavailable resources or another system error",
  "exec-condition": "the control process exited with error code",
};

/**
 * systemctl's words for a failed job (check_wait_response()): for a service they come
 * from its Result as the manager holds it after the job
 * (log_job_error_with_service_result()), which is the first failure of a run, not
 * necessarily this job's (a start refused by the start limit after a failed run says
 * why the run failed); a Result without an explanation (`success` after a failed reload)
 * gives the short form. Other unit types get one line.
 */
function jobFailed(ctx: Context, m: Manager, unit: string, outcome: JobOutcome): void {
  if (outcome.message) {
    ctx.io.err(outcome.message + "\n");
    return;
  }
  if (!unit.endsWith(".service")) {
    ctx.io.err(`Job failed. See "journalctl -xe" for details.\n`);
    return;
  }
  // A unit collected right after its job (CollectMode=inactive-or-failed, nothing refers to
  // it) has no Result left to read.
  const st = storedState(m.lenv, unit);
  const collected = st !== undefined &&
    mayCollect(m.loader.load(unit), effectiveState(st, unit)) &&
    !loadedUnits(m.loader, m.lenv, m.stateNames()).has(unit);
  const result = collected ? undefined : st?.Result ?? outcome.result;
  const why = result ? RESULT_TEXT[result] : undefined;
  const hint = ctx.scope === "user" ? " --user" : "";
  ctx.io.err(
    `Job for ${unit} failed${why ? ` because ${why}` : ""}.\n` +
      `See "systemctl${hint} status ${unit}" and "journalctl${hint} -xeu ${unit}" for details.\n`,
  );
  if (result === "start-limit-hit") {
    ctx.io.err(
      `To force a start use "systemctl${hint} reset-failed ${unit}"\n` +
        `followed by "systemctl${hint} start ${unit}" again.\n`,
    );
  }
}

function refusedManually(ctx: Context, verb: string, name: string, id: string): void {
  ctx.io.err(
    `Failed to ${verb} ${name}: Operation refused, unit ${id} may be requested by dependency only ` +
      "(it is configured to refuse manual start/stop).\n",
  );
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
    const own = unitSettings(unit.config).deps;
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
  const ids = [...units.keys()];
  const after = new Map<string, Set<string>>(ids.map((id) => [id, new Set()]));
  for (const id of ids) {
    const u = units.get(id)!;
    if (u.loadState !== "loaded") continue;
    const deps = forwardDependencies(loader, u);
    for (const a of deps.After ?? []) {
      const t = loader.load(a).id;
      if (units.has(t) && t !== id) after.get(id)!.add(t);
    }
    for (const b of deps.Before ?? []) {
      const t = loader.load(b).id;
      if (units.has(t) && t !== id) after.get(t)!.add(id);
    }
  }
  const order: LoadedUnit[] = [];
  const done = new Set<string>();
  while (done.size < ids.length) {
    const ready = ids.filter((id) => !done.has(id) && [...after.get(id)!].every((d) => done.has(d)))
      .sort(compareNames);
    if (ready.length === 0) {
      const stuck = ids.filter((id) => !done.has(id)).sort(compareNames);
      const victim = stuck[0];
      m.ctx.warn(`Found ordering cycle on ${victim}/start; breaking it.`);
      after.get(victim)!.clear();
      continue;
    }
    for (const id of ready) {
      done.add(id);
      order.push(units.get(id)!);
    }
  }
  // Cycles were broken above by clearing a victim's set: the ordering is acyclic.
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
      () => startSocket(m.lenv, unit, (service) => startOne(m, service, "start")),
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

function isActive(m: Manager, unit: LoadedUnit): boolean {
  const st = unitState(m.lenv, unit).ActiveState;
  return st === "active" || st === "activating" || st === "reloading";
}

/**
 * The named units in job order: systemctl enqueues one job per name and the manager runs
 * them by After=/Before= between them (in reverse for stop jobs), otherwise in the order
 * given. A cycle keeps the given order for the units caught in it.
 */
function orderNamed(m: Manager, names: readonly string[], reverse: boolean): string[] {
  if (names.length < 2) return [...names];
  const ids = names.map((n) => m.loader.load(n).id);
  // before[i]: the indexes whose start job must come first.
  const before = names.map(() => new Set<number>());
  names.forEach((_, i) => {
    const u = m.loader.load(names[i]);
    if (u.loadState !== "loaded") return;
    const deps = forwardDependencies(m.loader, u);
    for (const a of deps.After ?? []) {
      const j = ids.indexOf(m.loader.load(a).id);
      if (j >= 0 && j !== i) before[i].add(j);
    }
    for (const b of deps.Before ?? []) {
      const j = ids.indexOf(m.loader.load(b).id);
      if (j >= 0 && j !== i) before[j].add(i);
    }
  });
  if (reverse) {
    const flipped = names.map(() => new Set<number>());
    before.forEach((set, i) => set.forEach((j) => flipped[j].add(i)));
    before.splice(0, before.length, ...flipped);
  }
  const out: number[] = [];
  const done = new Set<number>();
  while (out.length < names.length) {
    const next = names.findIndex((_, i) =>
      !done.has(i) && [...before[i]].every((j) => done.has(j))
    );
    const pick = next >= 0 ? next : names.findIndex((_, i) => !done.has(i));
    done.add(pick);
    out.push(pick);
  }
  return out.map((i) => names[i]);
}

/** Starts units with their transactions. Returns the exit code. */
export async function startUnits(
  ctx: Context,
  args: readonly string[],
  verb = "start",
): Promise<number> {
  const m = new Manager(ctx);
  m.canary();
  let rc = 0;
  for (const name of orderNamed(m, m.expand(args), false)) {
    const code = await startOne(m, name, verb);
    if (code !== 0 && rc === 0) rc = code;
  }
  return rc;
}

/**
 * systemctl's warning when a unit it queued a job for was loaded from files that changed
 * since (NeedDaemonReload=).
 */
export function warnIfChanged(m: Manager, unit: LoadedUnit): void {
  if (!needDaemonReload(m.lenv, unit)) return;
  m.ctx.io.err(
    `Warning: The unit file, source configuration file or drop-ins of ${unit.id} changed on ` +
      `disk. Run 'systemctl${m.ctx.scope === "user" ? " --user" : ""} daemon-reload' to reload ` +
      "units.\n",
  );
}

async function startOne(m: Manager, name: string, verb: string): Promise<number> {
  const ctx = m.ctx;
  if (parseUnitName(name)?.isTemplate) {
    // The manager's error, with systemctl's hint (not for a missing or masked unit).
    ctx.io.err(
      `Failed to ${verb} ${name}: Unit name ${name} is missing the instance name.\n` +
        `See system logs and 'systemctl${ctx.scope === "user" ? " --user" : ""} status ${name}' ` +
        "for details.\n",
    );
    return 1;
  }
  const unit = m.loader.load(name);
  const problem = loadProblem(verb, unit);
  if (problem) {
    ctx.io.err(problem.text + "\n");
    return problem.code;
  }
  warnIfChanged(m, unit);
  const settings = unitSettings(unit.config);
  if (settings.refuseManualStart) {
    refusedManually(ctx, verb, name, unit.id);
    return 1;
  }
  for (const r of settings.deps.Requisite) {
    if (!isActive(m, m.loader.load(r))) {
      ctx.io.err(`A dependency job for ${unit.id} failed. See 'journalctl -xe' for details.\n`);
      return 1;
    }
  }
  // Type=dbus requires dbus.socket (we do not run the bus, but where there is none at all
  // the transaction fails as systemd's does).
  const svc = unit.type === "service" ? serviceSettings(unit.config) : undefined;
  if (
    svc?.type === "dbus" && unit.config.get("Service", "BusName") &&
    m.loader.load("dbus.socket").loadState === "not-found"
  ) {
    ctx.io.err(`Failed to ${verb} ${unit.requested}: Unit dbus.socket not found.\n`);
    return 5;
  }
  const tx = startTransaction(m, [unit.id]);
  // systemd refuses the whole transaction (NoSuchUnit, exit 5) before any job runs.
  for (const req of tx.required.values()) {
    const missing = [...req].find((r) => m.loader.load(r).loadState === "not-found");
    if (missing !== undefined) {
      ctx.io.err(`Failed to ${verb} ${unit.requested}: Unit ${missing} not found.\n`);
      return 5;
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
    if (unitSettings(ou.config).deps.Conflicts.includes(unit.id) && isActive(m, ou)) {
      await runStop(m, ou);
    }
  }
  const failed = new Set<string>();
  for (const u of tx.order) {
    const req = tx.required.get(u.id);
    if (req && [...req].some((r) => failed.has(r))) {
      failed.add(u.id);
      if (u.id === unit.id) {
        ctx.io.err(`A dependency job for ${unit.id} failed. See 'journalctl -xe' for details.\n`);
        return 1;
      }
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
        ctx.io.err(`Failed to ${verb} ${u.id}: ${(e as Error).message}\n`);
        return 1;
      }
      throw e;
    }
    if (!outcome.ok) {
      failed.add(u.id);
      await triggerOnFailure(m, u);
      if (u.id === unit.id) {
        jobFailed(ctx, m, unit.id, outcome);
        return 1;
      }
    }
  }
  return 0;
}

/** Starts the OnFailure= units of a unit that just failed, with the MONITOR_* variables. */
async function triggerOnFailure(m: Manager, unit: LoadedUnit): Promise<void> {
  const targets = unitSettings(unit.config).deps.OnFailure;
  if (targets.length === 0) return;
  const st = unitState(m.lenv, unit);
  const monitor = [
    `MONITOR_SERVICE_RESULT=${st.Result}`,
    `MONITOR_EXIT_CODE=${
      st.ExecMainCode === 2 ? "killed" : st.ExecMainCode === 3 ? "dumped" : "exited"
    }`,
    `MONITOR_EXIT_STATUS=${st.ExecMainStatus ?? 0}`,
    `MONITOR_INVOCATION_ID=${st.InvocationID ?? ""}`,
    `MONITOR_UNIT=${unit.id}`,
  ];
  const sub = new Manager({
    ...m.ctx,
    options: { ...m.ctx.options, extraVars: [...m.ctx.options.extraVars, ...monitor] },
  }, m.loader);
  for (const t of targets) {
    const code = await startOne(sub, t, "start");
    if (code !== 0) m.lenv.debug(`${unit.id}: OnFailure unit ${t} failed to start.`);
  }
}

/** Units whose state says they are active and that require, bind to or are part of `id`. */
function boundUnits(m: Manager, id: string, keys: readonly string[]): LoadedUnit[] {
  const out: LoadedUnit[] = [];
  for (const name of m.stateNames()) {
    if (name === id) continue;
    const u = m.loader.load(name);
    if (u.loadState !== "loaded" || !isActive(m, u)) continue;
    const deps = unitSettings(u.config).deps as Record<string, string[]>;
    if (keys.some((k) => (deps[k] ?? []).includes(id))) out.push(u);
  }
  return out;
}

/** Stops units (and the active units bound to them). Returns the exit code. */
export async function stopUnits(
  ctx: Context,
  args: readonly string[],
  verb = "stop",
): Promise<number> {
  const m = new Manager(ctx);
  m.canary();
  let rc = 0;
  for (const name of orderNamed(m, m.expand(args), true)) {
    const unit = m.loader.load(name);
    if (unit.loadState !== "loaded" && !m.loaded().has(unit.id)) {
      const problem = loadProblem(verb, unit);
      if (problem && unit.loadState !== "masked") {
        ctx.io.err(problem.text + "\n");
        if (rc === 0) rc = problem.code;
        continue;
      }
      if (unit.loadState === "masked") continue;
    }
    if (unitSettings(unit.config).refuseManualStop) {
      refusedManually(ctx, verb, name, unit.id);
      if (rc === 0) rc = 1;
      continue;
    }
    try {
      for (const b of boundUnits(m, unit.id, ["Requires", "BindsTo", "PartOf"])) {
        await runStop(m, b);
      }
      await runStop(m, unit);
    } catch (e) {
      if ((e as Error).name === "LockTimeoutError") {
        ctx.io.err(`Failed to ${verb} ${unit.id}: ${(e as Error).message}\n`);
        if (rc === 0) rc = 1;
        continue;
      }
      throw e;
    }
  }
  return rc;
}

/** restart / try-restart: stop (if active) then start; PartOf units follow. */
export async function restartUnits(
  ctx: Context,
  args: readonly string[],
  opts: { onlyIfActive: boolean; verb: string },
): Promise<number> {
  const m = new Manager(ctx);
  m.canary();
  let rc = 0;
  for (const name of m.expand(args)) {
    const unit = m.loader.load(name);
    const problem = loadProblem(opts.verb, unit);
    if (problem) {
      ctx.io.err(problem.text + "\n");
      if (rc === 0) rc = problem.code;
      continue;
    }
    const active = isActive(m, unit);
    if (opts.onlyIfActive && !active) continue;
    const partOf = boundUnits(m, unit.id, ["PartOf"]);
    if (active || unitState(m.lenv, unit).ActiveState === "failed") {
      for (const p of partOf) await runStop(m, p, true);
      await runStop(m, unit, true);
    }
    const code = await startOne(m, unit.id, "restart");
    for (const p of partOf) await startOne(m, p.id, "restart");
    if (code !== 0 && rc === 0) rc = code;
  }
  return rc;
}

/** reload, reload-or-restart, try-reload-or-restart. */
export async function reloadUnits(
  ctx: Context,
  args: readonly string[],
  mode: "reload" | "reload-or-restart" | "try-reload-or-restart",
): Promise<number> {
  const m = new Manager(ctx);
  m.canary();
  let rc = 0;
  // systemd names the job type: `Failed to reload-or-try-restart x.service: …`.
  const jobType = mode === "try-reload-or-restart" ? "reload-or-try-restart" : mode;
  for (const name of m.expand(args)) {
    const unit = m.loader.load(name);
    const problem = loadProblem(jobType, unit);
    if (problem) {
      ctx.io.err(problem.text + "\n");
      if (rc === 0) rc = problem.code;
      continue;
    }
    const active = isActive(m, unit);
    const canReload = unit.type === "service" &&
      (unit.config.list("Service", "ExecReload").length > 0 ||
        unit.config.get("Service", "Type") === "notify-reload");
    if (mode === "try-reload-or-restart" && !active) continue;
    if (mode !== "reload" && (!active || !canReload)) {
      const code = await restartUnits(ctx, [unit.id], { onlyIfActive: false, verb: "restart" });
      if (code !== 0 && rc === 0) rc = code;
      continue;
    }
    if (!canReload) {
      ctx.io.err(
        `Failed to reload ${unit.id}: Job type reload is not applicable for unit ${unit.id}.\n`,
      );
      if (rc === 0) rc = 3; // BUS_ERROR_JOB_TYPE_NOT_APPLICABLE: EXIT_NOTIMPLEMENTED
      continue;
    }
    const { reloadService } = await lifecycle();
    const outcome = await m.locked(unit.id, "reload", () => reloadService(m.lenv, unit));
    if (!outcome.ok) {
      if (outcome.message?.startsWith("Failed to reload")) ctx.io.err(outcome.message + "\n");
      else jobFailed(ctx, m, unit.id, { ok: false, result: outcome.result });
      if (rc === 0) rc = 1;
    }
  }
  return rc;
}

/** isolate TARGET: start it, then stop every active unit outside its transaction. */
export async function isolate(ctx: Context, target: string): Promise<number> {
  const m = new Manager(ctx);
  const [name] = m.loader.expand([target], ".target", (t) => ctx.warn(t));
  const unit = m.loader.load(name);
  // A target that is not found cannot allow isolation: systemd refuses it as such.
  const problem = unit.loadState === "not-found" ? undefined : loadProblem("isolate", unit);
  if (problem) {
    ctx.io.err(problem.text + "\n");
    return problem.code;
  }
  if (unit.loadState === "not-found" || !unitSettings(unit.config).allowIsolate) {
    ctx.io.err(
      `Failed to start ${unit.id}: Operation refused, unit may not be isolated.\n` +
        `See system logs and 'systemctl status ${unit.id}' for details.\n`,
    );
    return 4; // systemctl maps BUS_ERROR_NO_ISOLATION to EXIT_NOPERMISSION
  }
  const keep = new Set(startTransaction(m, [unit.id]).order.map((u) => u.id));
  for (const other of m.stateNames()) {
    const ou = m.loader.load(other);
    if (keep.has(ou.id) || !isActive(m, ou)) continue;
    if (unitSettings(ou.config).ignoreOnIsolate) continue;
    await runStop(m, ou);
  }
  return await startUnits(ctx, [unit.id]);
}

/** kill UNIT...: signal the unit's processes (--kill-whom, --signal). */
export async function killUnits(ctx: Context, args: readonly string[]): Promise<number> {
  const m = new Manager(ctx);
  const sigText = ctx.options.signal ?? "SIGTERM";
  const sig = parseSignal(sigText);
  if (sig === undefined) {
    ctx.io.err(`Failed to parse signal string "${sigText}".\n`);
    return 1;
  }
  // The manager checks the unit first, then --kill-whom= (its `-fail` forms included).
  const whomText = ctx.options.killWhom ?? "all";
  const whom = whomText.replace(/-fail$/, "");
  let rc = 0;
  for (const name of m.expand(args)) {
    const unit = m.loader.load(name);
    const st = effectiveState(storedState(m.lenv, unit.id), unit.id);
    // KillUnit() asks for a loaded unit: one that was collected (or never loaded) is not.
    if (!m.loaded().has(unit.id)) {
      ctx.io.err(`Failed to kill unit ${name}: Unit ${name} not loaded.\n`);
      rc ||= 1;
      continue;
    }
    if (!["main", "control", "all"].includes(whom)) {
      ctx.io.err(`Failed to kill unit ${unit.id}: Invalid who argument ${whomText}\n`);
      rc ||= 1;
      continue;
    }
    // Only processes that are still the recorded ones (same start time) are signalled.
    const known = recordedProcesses(st);
    const main = known.mainPid ?? 0;
    const control = known.controlPid ?? 0;
    let targets: ProcessId[] = [];
    if (whom === "main") {
      if (!main) {
        ctx.io.err(`Failed to kill unit ${unit.id}: No main process to kill\n`);
        rc ||= 1;
        continue;
      }
      targets = [{ pid: main, startTime: known.startTimes[main] }];
    } else if (whom === "control") {
      if (!control) {
        ctx.io.err(`Failed to kill unit ${unit.id}: No control process to kill\n`);
        rc ||= 1;
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
  return rc;
}

/** reset-failed [UNIT...]. */
export async function resetFailedUnits(ctx: Context, args: readonly string[]): Promise<number> {
  const m = new Manager(ctx);
  const names = args.length ? m.expand(args) : m.stateNames();
  let rc = 0;
  for (const name of names) {
    const unit = m.loader.load(name);
    // ResetFailedUnit() asks for a loaded unit, as KillUnit() does.
    if (!m.loaded().has(unit.id)) {
      if (args.length) {
        ctx.io.err(`Failed to reset failed state of unit ${name}: Unit ${name} not loaded.\n`);
        rc ||= 1;
      }
      continue;
    }
    const { resetFailed } = await lifecycle();
    await m.locked(unit.id, "reset-failed", () => resetFailed(m.lenv, unit));
  }
  return rc;
}

/** clean --what=... UNIT...: remove the unit's runtime/state/cache/logs/configuration dirs. */
export async function cleanUnits(ctx: Context, args: readonly string[]): Promise<number> {
  const m = new Manager(ctx);
  const what = new Set(ctx.options.what.length ? ctx.options.what : ["cache", "runtime"]);
  if (what.has("all")) {
    for (const w of ["runtime", "state", "cache", "logs", "configuration"]) what.add(w);
  }
  for (const w of what) {
    if (!["runtime", "state", "cache", "logs", "configuration", "all", "fdstore"].includes(w)) {
      ctx.io.err(`Invalid clean resource type: ${w}\n`);
      return 1;
    }
  }
  let rc = 0;
  for (const name of m.expand(args)) {
    const unit = m.loader.load(name);
    const problem = loadProblem("clean", unit);
    if (problem) {
      ctx.io.err(`Failed to clean unit ${name}: Unit ${name} not loaded.\n`);
      rc ||= 1;
      continue;
    }
    const st = unitState(m.lenv, unit);
    if (!["inactive", "failed"].includes(st.ActiveState)) {
      ctx.io.err(`Failed to clean unit ${unit.id}: Unit is not inactive or has pending job.\n`);
      rc ||= 1;
      continue;
    }
    if (unit.type !== "service") continue;
    const { serviceSettings } = await import("../unit/model.ts");
    const { serviceDirectories } = await import("./exec_context.ts");
    const s = serviceSettings(unit.config);
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
  return rc;
}
