/**
 * `status [UNIT...|PID...]` and `list-units [PATTERN...]`.
 * @module
 */

import { timerClock } from "../service/timer_unit.ts";
import type { TimerView } from "../output/show_socket_timer.ts";
import type { Context } from "../cli/context.ts";
import { Manager, noteIfChanged } from "../service/manager.ts";
import { printer } from "./job_words.ts";
import { unitView } from "../service/view.ts";
import { liveMembers, unitState } from "../service/runtime.ts";
import { formatStatus, type StatusExtras } from "../output/status.ts";
import { compareUnitNames, formatListUnits, type UnitRow } from "../output/units_table.ts";
import { logPath, shownLine, tailLines } from "../units/journal_files.ts";
import { processInfo, unitOfPid } from "../service/processes.ts";
import { notAUnitName, parseUnitName } from "../unit/names.ts";
import { SERVICE_EXEC_KEYS, type ServiceExecKey, socketExecCommands } from "../unit/model.ts";
import { SOCKET_EXEC_KEYS, type SocketExecKey } from "../unit/socket_address.ts";
import { listenEntries } from "../output/show_socket_timer.ts";
import {
  EXIT_FAILURE,
  EXIT_PROGRAM_NOT_RUNNING,
  EXIT_PROGRAM_OR_SERVICES_STATUS_UNKNOWN,
  EXIT_PROGRAM_RUNNING_OR_SERVICE_OK,
  EXIT_SUCCESS,
} from "../unit/exit_codes.ts";

/** What status prints of a unit's view beyond its settings and state (the rest is skipped). */
const STATUS_PROPERTIES = ["Triggers", "TriggeredBy", "UnitFileState", "UnitFilePreset"];

/** `status`: systemd's status blocks; exit 0 all active, 3 any inactive, 4 any unknown. */
export async function status(ctx: Context, args: string[]): Promise<number> {
  const m = new Manager(ctx);
  m.report = printer(ctx);
  const names: string[] = [];
  let pidFailed = false;
  for (const a of args) {
    if (/^\d+$/.test(a)) {
      const owner = unitOfPid(m, Number(a));
      if (owner) names.push(owner);
      else {
        ctx.io.err(
          `Failed to get unit for PID ${a}: PID ${a} does not belong to any loaded unit.\n`,
        );
        pidFailed = true;
      }
      continue;
    }
    names.push(...m.expand([a]));
  }
  if (args.length === 0) return await systemStatus(ctx, m);
  // A PID that belongs to no unit fails the verb (systemctl's status returns that error).
  let rc = pidFailed ? EXIT_FAILURE : EXIT_PROGRAM_RUNNING_OR_SERVICE_OK;
  let first = true;
  for (const name of names) {
    // A bare template is no unit name to systemd 252's manager: the verb stops there, exit 1.
    if (parseUnitName(name)?.isTemplate) {
      ctx.io.err(`Failed to get properties: ${notAUnitName(name)}\n`);
      return EXIT_FAILURE;
    }
    const unit = m.loader.load(name);
    const stored = unitState(m.lenv, unit);
    // A unit nothing loaded references is one systemd cannot find (or has collected).
    if (unit.loadState === "not-found" && !m.loaded().has(unit.id)) {
      ctx.io.err(`Unit ${name} could not be found.\n`);
      rc = EXIT_PROGRAM_OR_SERVICES_STATUS_UNKNOWN;
      continue;
    }
    const view = await unitView(ctx, m.loader, unit, STATUS_PROPERTIES);
    const members = liveMembers(stored).sort((a, b) => a - b).map((pid) => processInfo(pid));
    const runs: StatusExtras["controlRuns"] = [];
    // A socket's control commands, or a service's.
    const socketExec = unit.type === "socket" ? socketExecCommands(unit.config) : undefined;
    const keys: readonly string[] = socketExec ? SOCKET_EXEC_KEYS : SERVICE_EXEC_KEYS;
    for (const key of keys) {
      const cmds = socketExec
        ? socketExec[key as SocketExecKey]
        : view.service?.exec[key as ServiceExecKey] ?? [];
      (stored.Exec?.[key] ?? []).forEach((r, i) => {
        if (!r.code) return;
        if (key === "ExecStart" && view.service?.type !== "oneshot" && r.pid === stored.MainPID) {
          return;
        }
        runs.push({
          key,
          argv: cmds[i]?.argv ?? [],
          pid: r.pid,
          code: r.code,
          status: r.status ?? 0,
        });
      });
    }
    const lines = ctx.options.lines;
    const log = lines > 0
      ? tailLines(logPath(ctx.root, ctx.scope, ctx.env, unit.id), lines)
        .map((line) => shownLine(line, ctx.options.all > 0))
      : [];
    const failed = stored.FailedCondition;
    const refs = (list: readonly string[] | undefined) =>
      (list ?? []).map((n) => ({
        unit: n,
        activeState: unitState(m.lenv, m.loader.load(n)).ActiveState,
      }));
    const extras: StatusExtras = {
      triggers: refs((view.unit.deps as Record<string, string[]>).Triggers),
      triggeredBy: refs(view.reverse.TriggeredBy),
      listen: unit.type === "socket" ? listenEntries(unit.config) : undefined,
      nowUs: view.timer && timerClock(ctx).simulated ? timerClock(ctx).now() : ctx.now(),
      nextElapseUs: nextOf(view.timer),
      accepted: unit.type === "socket" && /^(1|y|yes|true|on)$/i.test(
          unit.config.get("Socket", "Accept") ?? "",
        )
        ? {
          accepted: stored.Socket?.NAccepted ?? 0,
          connected: stored.Socket?.NConnections ?? 0,
          refused: stored.Socket?.NRefused ?? 0,
        }
        : undefined,
      logLines: log,
      members: members.filter((p) => p !== undefined).map((p) => p!),
      mainComm: stored.MainPID ? processInfo(stored.MainPID)?.comm : undefined,
      controlRuns: runs,
      failedCheck: failed && (stored.ConditionResult === false || stored.AssertResult === false)
        ? {
          kind: stored.AssertResult === false ? "Assert" : "Condition",
          // The stored text ends in "was not met" already; the formatter adds it.
          text: failed.replace(/ was not met$/, ""),
          atUs: (stored.AssertResult === false ? stored.Assert : stored.Condition)?.[0] ?? 0,
        }
        : undefined,
      full: ctx.options.full || !ctx.io.stdoutIsTty,
      withLog: lines > 0,
    };
    if (!first) ctx.io.out("\n");
    first = false;
    ctx.io.out(formatStatus(view, extras));
    if (view.needDaemonReload) noteIfChanged(m, unit);
    const active = view.runtime.activeState;
    if (
      rc === EXIT_PROGRAM_RUNNING_OR_SERVICE_OK && !(active === "active" || active === "reloading")
    ) {
      rc = EXIT_PROGRAM_NOT_RUNNING;
    }
  }
  return rc;
}

async function systemStatus(ctx: Context, m: Manager): Promise<number> {
  const facts = m.loader.facts;
  let failed = 0;
  for (const n of m.stateNames()) {
    if (unitState(m.lenv, m.loader.load(n)).ActiveState === "failed") failed++;
  }
  const { systemState } = await import("../service/init_link.ts");
  const state = await systemState(m.lenv);
  const pad = (label: string) => label.padStart(11) + ":";
  ctx.io.out(
    `● ${facts.hostname}\n` +
      `${pad("State")} ${state}\n` +
      `${pad("Units")} ${m.loader.knownNames({ builtins: true }).length} loaded\n` +
      `${pad("Jobs")} 0 queued\n` +
      `${pad("Failed")} ${failed} units\n` +
      `${pad("systemd")} 252\n`,
  );
  return EXIT_SUCCESS;
}

/** `list-units [PATTERN...]`. */
export function listUnits(ctx: Context, args: string[]): Promise<number> {
  const m = new Manager(ctx);
  const o = ctx.options;
  // The units systemd holds loaded: those that may not be collected and what they reference.
  const loaded = m.loaded();
  let pool = [...new Set([...loaded, "-.slice", "system.slice"])]
    .filter((n) => !parseUnitName(n)?.isTemplate);
  if (args.length) {
    const wanted = new Set(m.loader.expand(args, ".service", (t) => ctx.warn(t), [...loaded]));
    pool = pool.filter((n) => wanted.has(n));
  }
  const rows: UnitRow[] = [];
  const seen = new Set<string>();
  for (const name of pool) {
    const unit = m.loader.load(name);
    if (seen.has(unit.id)) continue;
    seen.add(unit.id);
    const st = unit.id === "-.slice" || unit.id === "system.slice"
      ? { ActiveState: "active", SubState: "active" }
      : unitState(m.lenv, unit);
    const active = st.ActiveState;
    if (o.types.length) {
      const type = unit.type;
      const loadStates = o.types.filter((t) => !t.includes("."));
      if (!o.types.includes(type) && !loadStates.includes(unit.loadState)) continue;
    }
    if (o.states.length) {
      if (![unit.loadState, active, st.SubState].some((s) => o.states.includes(s))) continue;
    } else if (
      o.all === 0 &&
      !["active", "activating", "deactivating", "reloading", "failed"].includes(active)
    ) {
      continue;
    }
    rows.push({
      unit: unit.id,
      load: unit.loadState,
      active,
      sub: st.SubState,
      description: unit.config.get("Unit", "Description") ?? unit.id,
    });
  }
  rows.sort((a, b) => compareUnitNames(a.unit, b.unit));
  ctx.io.out(
    formatListUnits(rows, {
      plain: o.plain,
      legend: o.legend && !o.quiet,
      all: o.all > 0,
      states: o.states,
      full: o.full || !ctx.io.stdoutIsTty,
      output: o.output,
    }),
  );
  return Promise.resolve(EXIT_SUCCESS);
}

/** The earliest next elapse of a timer (0: none). */
function nextOf(t: TimerView | undefined): number {
  const all = [t?.nextRealtime, t?.nextMonotonic].filter((x): x is number => x !== undefined);
  return all.length ? Math.min(...all) : 0;
}
