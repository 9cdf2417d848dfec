/**
 * Verbs kept from docker-systemctl-replacement (spec §1.5), so that scripts written for
 * that tool run unchanged: `default-services`, `environment`, `command`,
 * `list-start-dependencies`, `reap-zombies`. None of them is a systemd verb; errors use
 * systemd's words as our other verbs do (`Unit X could not be found.`, exit 4).
 * @module
 */

import type { Context } from "../cli/context.ts";
import type { LoadedUnit } from "../units/loader.ts";
import { forwardDependencies } from "../units/deps.ts";
import { lookupUser } from "../units/host_info.ts";
import { getDefaultTarget, InstallLookup } from "../units/install.ts";
import { parseUnitName } from "../unit/names.ts";
import { SERVICE_EXEC_KEYS, type ServiceSettings, serviceSettings } from "../unit/model.ts";
import { socketExecConfig } from "../unit/socket_address.ts";
import type { ExecCommand } from "../unit/exec.ts";
import { BOOT_IGNORE, Manager, startTransaction } from "../service/manager.ts";
import { buildEnvironment, ExecSetupError, serviceDirectories } from "../service/exec_context.ts";
import { reapOnce } from "../service/zombies.ts";
import {
  EXIT_FAILURE,
  EXIT_PROGRAM_OR_SERVICES_STATUS_UNKNOWN,
  EXIT_SUCCESS,
} from "../unit/exit_codes.ts";

/**
 * Resolves one unit argument for a query verb; prints systemd's line and returns the exit
 * code when it cannot be used: a template without instance (1), an unknown unit (4, as
 * `status`), a masked unit (1).
 */
function queryUnit(ctx: Context, m: Manager, arg: string): LoadedUnit | number {
  const [name] = m.expand([arg]);
  if (name === undefined) {
    ctx.io.err(`Unit ${arg} could not be found.\n`);
    return EXIT_PROGRAM_OR_SERVICES_STATUS_UNKNOWN;
  }
  if (parseUnitName(name)?.isTemplate) {
    ctx.io.err(`Unit name ${name} is missing the instance name.\n`);
    return EXIT_FAILURE;
  }
  const unit = m.loader.load(name);
  if (unit.loadState === "not-found") {
    ctx.io.err(`Unit ${name} could not be found.\n`);
    return EXIT_PROGRAM_OR_SERVICES_STATUS_UNKNOWN;
  }
  if (unit.loadState === "masked") {
    ctx.io.err(`Unit ${name} is masked.\n`);
    return EXIT_FAILURE;
  }
  return unit;
}

/** The exec settings of a unit: a service's own, a socket's [Socket] context. */
function execSettings(unit: LoadedUnit): ServiceSettings {
  return serviceSettings(unit.type === "socket" ? socketExecConfig(unit.config) : unit.config);
}

/**
 * `default-services [TARGET]`: the services a boot of TARGET (default: the default
 * target, with sysinit.target and basic.target as the init boots them) starts, in start
 * order, one per line. The units a container cannot run are left out as the boot leaves
 * them out; `--all` keeps them.
 */
export function defaultServices(ctx: Context, args: string[]): Promise<number> {
  const m = new Manager(ctx);
  let names: string[];
  if (args.length) {
    names = m.expand(args, ".target");
  } else {
    const lp = InstallLookup.open(ctx.root, ctx.scope, ctx.env, ctx.options.global);
    const target = getDefaultTarget(lp) ?? (ctx.scope === "user" ? "default.target" : undefined) ??
      "multi-user.target";
    names = ctx.scope === "user" ? [target] : ["sysinit.target", "basic.target", target];
  }
  for (const n of names) {
    if (parseUnitName(n)?.isTemplate) {
      ctx.io.err(`Unit name ${n} is missing the instance name.\n`);
      return Promise.resolve(EXIT_FAILURE);
    }
    const unit = m.loader.load(n);
    if (args.length && unit.loadState === "not-found") {
      ctx.io.err(`Unit ${n} could not be found.\n`);
      return Promise.resolve(EXIT_PROGRAM_OR_SERVICES_STATUS_UNKNOWN);
    }
    if (unit.loadState === "masked") {
      ctx.io.err(`Unit ${n} is masked.\n`);
      return Promise.resolve(EXIT_FAILURE);
    }
  }
  const tx = startTransaction(m, names, { ignore: ctx.options.all ? [] : BOOT_IGNORE });
  const lines = tx.order
    .filter((u) => u.type === "service" && u.loadState === "loaded")
    .map((u) => u.id + "\n");
  ctx.io.out(lines.join(""));
  return Promise.resolve(EXIT_SUCCESS);
}

/**
 * `environment UNIT`: the environment a new process of UNIT receives (§3.8) — the
 * defaults and the manager block, `Environment=`, `EnvironmentFile=` (a missing `-` file
 * skipped), `-e` extras, `UnsetEnvironment=`, the user and directory variables — sorted,
 * `NAME=value` with the value as is (no quoting), as the older tool printed it. The
 * per-activation `INVOCATION_ID` and `MAINPID` are not known before a start.
 */
export function environment(ctx: Context, args: string[]): Promise<number> {
  const m = new Manager(ctx);
  const unit = queryUnit(ctx, m, args[0]);
  if (typeof unit === "number") return Promise.resolve(unit);
  const s = execSettings(unit);
  const vars: Record<string, string | undefined> = {};
  for (const d of serviceDirectories(ctx.scope, ctx.env, s)) {
    if (d.names.length === 0) continue;
    vars[d.envName] = d.names.map((entry) => {
      const inside = `${d.base}/${entry.split(":")[0]}`;
      return ctx.root.root ? ctx.root.host(inside) : inside;
    }).join(":");
  }
  const user = s.user ?? (s.dynamicUser ? "nobody" : undefined);
  if (user !== undefined) {
    const pw = lookupUser(ctx.root, /^\d+$/.test(user) ? Number(user) : user);
    if (pw) {
      vars.USER = pw.name;
      vars.LOGNAME = pw.name;
      vars.HOME = pw.home;
      vars.SHELL = pw.shell;
    }
  }
  if (s.pidFile) vars.PIDFILE = s.pidFile;
  let env: Record<string, string>;
  try {
    env = buildEnvironment(m.lenv, s, vars);
  } catch (e) {
    if (!(e instanceof ExecSetupError)) throw e;
    ctx.io.err(`${unit.id}: ${e.message}\n`);
    return Promise.resolve(EXIT_FAILURE);
  }
  const names = Object.keys(env).sort();
  ctx.io.out(names.map((k) => `${k}=${env[k]}\n`).join(""));
  return Promise.resolve(EXIT_SUCCESS);
}

/** One command as its `Exec*=` line would have it: prefixes, then path and arguments. */
function commandLine(cmd: ExecCommand): string {
  const prefix = (cmd.ignoreFailure ? "-" : "") + (cmd.argv0Override ? "@" : "") +
    (cmd.noEnvExpand ? ":" : "") + (cmd.privileged ? "+" : "") +
    (cmd.ambient ? "!!" : cmd.noSetuid ? "!" : "");
  const words = cmd.argv0Override ? [cmd.path, ...cmd.argv] : [cmd.path, ...cmd.argv.slice(1)];
  return prefix + words.map(quoteArg).join(" ");
}

function quoteArg(word: string): string {
  if (word !== "" && !/[\s"'\\;]/.test(word)) return word;
  return `"${word.replace(/["\\]/g, (c) => "\\" + c)}"`;
}

/**
 * `command UNIT`: the commands of `ExecStart=` (or of the `Exec*=` settings named with
 * `-p`), one per line, with their prefixes, specifiers resolved and `$VAR` left for the
 * start to expand.
 */
export function command(ctx: Context, args: string[]): Promise<number> {
  const m = new Manager(ctx);
  const unit = queryUnit(ctx, m, args[0]);
  if (typeof unit === "number") return Promise.resolve(unit);
  const exec = execSettings(unit).exec;
  const keys = ctx.options.properties.length ? ctx.options.properties : ["ExecStart"];
  const lines: string[] = [];
  for (const key of keys) {
    if (!(SERVICE_EXEC_KEYS as readonly string[]).includes(key)) continue;
    for (const cmd of exec[key as typeof SERVICE_EXEC_KEYS[number]]) {
      lines.push(commandLine(cmd) + "\n");
    }
  }
  ctx.io.out(lines.join(""));
  return Promise.resolve(EXIT_SUCCESS);
}

/** The dependency kinds that pull a unit into a start transaction. */
const PULLING = ["Requires", "BindsTo", "Wants"] as const;

/**
 * `list-start-dependencies UNIT...`: the units a start of UNIT... starts, in the order
 * the start runs them, one `UNIT\t(REASON...)` line each: `Requested` for a named unit,
 * else the kinds of dependency (`Requires`, `BindsTo`, `Wants`, from the settings or
 * the `.wants/`/`.requires/` links) that pull it in. `After=` alone pulls nothing in.
 */
export function listStartDependencies(ctx: Context, args: string[]): Promise<number> {
  const m = new Manager(ctx);
  const named: string[] = [];
  for (const a of args) {
    const unit = queryUnit(ctx, m, a);
    if (typeof unit === "number") return Promise.resolve(unit);
    named.push(unit.id);
  }
  const tx = startTransaction(m, named);
  const inTx = new Set(tx.order.map((u) => u.id));
  const reasons = new Map<string, string[]>();
  const add = (id: string, why: string) => {
    const list = reasons.get(id) ?? [];
    if (!list.includes(why)) list.push(why);
    reasons.set(id, list);
  };
  for (const id of named) add(id, "Requested");
  for (const u of tx.order) {
    if (u.loadState !== "loaded") continue;
    const deps = forwardDependencies(m.loader, u);
    for (const kind of PULLING) {
      for (const d of deps[kind] ?? []) {
        const id = m.loader.load(d).id;
        if (inTx.has(id) && id !== u.id) add(id, kind);
      }
    }
  }
  const lines = tx.order
    .filter((u) => u.loadState === "loaded")
    .map((u) => `${u.id}\t(${(reasons.get(u.id) ?? []).join(" ")})\n`);
  ctx.io.out(lines.join(""));
  return Promise.resolve(EXIT_SUCCESS);
}

/**
 * `reap-zombies`: reaps the zombie children of this process once (a shell that `exec`s
 * the program hands its unreaped children over) and prints how many processes are left
 * besides PID 1 and itself, `remaining N process`. The older tool gave that count as its
 * exit status (modulo 256); ours exits 0.
 */
export function reapZombies(ctx: Context, _args: string[]): Promise<number> {
  const pass = reapOnce();
  if (ctx.options.verbose > 0) ctx.io.err(`reaped ${pass.reaped} zombie process(es)\n`);
  ctx.io.out(`remaining ${pass.remaining} process\n`);
  return Promise.resolve(EXIT_SUCCESS);
}
