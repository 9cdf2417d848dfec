/**
 * The remaining verbs of systemctl that need no init instance: list-sockets, list-timers,
 * list-jobs, cancel, get-preset, the power verbs (halt, poweroff, reboot,
 * kexec, exit) without an init instance, and the verbs a container cannot
 * support, refused in one line.
 * @module
 */

import type { Context } from "../cli/context.ts";
import type { LoadedUnit } from "../units/loader.ts";
import { Manager } from "../service/manager.ts";
import { isolate, startUnits, stopUnits } from "../service/jobs.ts";
import { said } from "./job_words.ts";
import { requestShutdown } from "../service/init_link.ts";
import { storedState, unitState } from "../service/runtime.ts";
import { timerClock, timerView } from "../service/timer_unit.ts";
import { formatRelative, formatTimestamp } from "../unit/timespan.ts";
import { globMatch, parseUnitName } from "../unit/names.ts";
import { formatTable } from "../output/table.ts";
import { listenEntries } from "../output/show_socket_timer.ts";
import { triggerTarget } from "../units/deps.ts";
import { getDefaultTarget, InstallLookup } from "../units/install.ts";
import { configDirs } from "../units/paths.ts";
import { queryPreset } from "../units/presets.ts";
import { managerReason } from "./errors.ts";
import { jobRefusal, whenPermitted } from "./access.ts";
import { EXIT_FAILURE, EXIT_SUCCESS } from "../unit/exit_codes.ts";

const ACTIVE = new Set(["active", "activating", "reloading", "deactivating"]);

/**
 * The units of a type that the manager holds loaded (see service/gc.ts), by pattern; only
 * active ones unless --all.
 */
function unitsOfType(ctx: Context, m: Manager, suffix: string, patterns: string[]): LoadedUnit[] {
  const names = m.loaded();
  const out: LoadedUnit[] = [];
  for (const name of [...names].sort()) {
    if (!name.endsWith(suffix) || parseUnitName(name)?.isTemplate) continue;
    if (patterns.length && !patterns.some((p) => globMatch(p, name))) continue;
    const unit = m.loader.load(name);
    if (unit.loadState !== "loaded") continue;
    if (!ctx.options.all && !ACTIVE.has(unitState(m.lenv, unit).ActiveState)) continue;
    out.push(unit);
  }
  return out;
}

/** Prints a listing table with systemd's footer (`N <noun>s listed.`, the --all hint). */
function printListing(ctx: Context, header: string[], rows: string[][], noun: string): void {
  const legend = ctx.options.legend && !ctx.options.quiet;
  const lines = formatTable(legend ? header : undefined, rows);
  if (lines.length) ctx.io.out(lines.join("\n") + "\n");
  if (legend) {
    ctx.io.out(`\n${rows.length} ${noun}s listed.\n`);
    if (!ctx.options.all) ctx.io.out(`Pass --all to see loaded but inactive ${noun}s, too.\n`);
  }
}

/** `list-sockets [PATTERN…]`: LISTEN, (TYPE,) UNIT, ACTIVATES; active sockets unless --all. */
export function listSockets(ctx: Context, args: string[]): Promise<number> {
  const m = new Manager(ctx);
  const rows: string[][] = [];
  for (const unit of unitsOfType(ctx, m, ".socket", args)) {
    for (const l of listenEntries(unit.config)) {
      const row = [l.address, unit.id, triggerTarget(unit) ?? ""];
      if (ctx.options.showTypes) row.splice(1, 0, l.type);
      rows.push(row);
    }
  }
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const header = ctx.options.showTypes
    ? ["LISTEN", "TYPE", "UNIT", "ACTIVATES"]
    : ["LISTEN", "UNIT", "ACTIVATES"];
  printListing(ctx, header, rows, "socket");
  return Promise.resolve(EXIT_SUCCESS);
}

/**
 * `list-timers [PATTERN…]`: NEXT LEFT LAST PASSED UNIT ACTIVATES, sorted by next elapse;
 * active timers unless --all. Without an init instance nothing elapses (the NEXT a
 * client recorded is shown all the same).
 */
export function listTimers(ctx: Context, args: string[]): Promise<number> {
  const m = new Manager(ctx);
  const now = timerClock(ctx).now();
  const items = unitsOfType(ctx, m, ".timer", args).map((unit) => {
    const t = timerView(ctx, unit, storedState(ctx, unit.id));
    const all = [t.nextRealtime, t.nextMonotonic].filter((x): x is number => x !== undefined);
    return { unit, next: all.length ? Math.min(...all) : undefined, last: t.lastTrigger };
  });
  items.sort((a, b) =>
    (a.next ?? Infinity) - (b.next ?? Infinity) || (a.unit.id < b.unit.id ? -1 : 1)
  );
  const stamp = (us: number | undefined) => (us ? formatTimestamp(us, "local") : "-");
  const rel = (us: number | undefined) => (us ? formatRelative(now, us) : "-");
  const rows = items.map(({ unit, next, last }) => [
    stamp(next),
    rel(next),
    stamp(last),
    rel(last),
    unit.id,
    triggerTarget(unit) ?? "",
  ]);
  printListing(ctx, ["NEXT", "LEFT", "LAST", "PASSED", "UNIT", "ACTIVATES"], rows, "timer");
  return Promise.resolve(EXIT_SUCCESS);
}

/**
 * `list-jobs`: each invocation runs its own jobs to the end, so there is never a
 * queued job another invocation could list.
 */
export function listJobs(ctx: Context, _args: string[]): Promise<number> {
  if (ctx.options.legend && !ctx.options.quiet) ctx.io.out("No jobs running.\n");
  return Promise.resolve(EXIT_SUCCESS);
}

/** `cancel [JOB…]`: nothing to cancel; a named job does not exist. */
export function cancel(ctx: Context, args: string[]): Promise<number> {
  for (const id of args) {
    ctx.io.err(`Failed to cancel job ${id}: Job ${id} does not exist.\n`);
  }
  return Promise.resolve(args.length ? EXIT_FAILURE : EXIT_SUCCESS);
}

/** `get-preset UNIT…`: the preset policy's answer, `enable` or `disable`. */
export function getPreset(ctx: Context, args: string[]): Promise<number> {
  const lp = InstallLookup.open(ctx.root, ctx.scope, ctx.env, ctx.options.global);
  const m = new Manager(ctx);
  for (const name of m.expand(args)) {
    ctx.io.out(`${queryPreset(lp.presets, name).action === "enable" ? "enable" : "disable"}\n`);
  }
  return Promise.resolve(EXIT_SUCCESS);
}

/**
 * `halt`, `poweroff`: the init instance of this root shuts down (SIGTERM). Without one,
 * there is no machine to power off, so every active unit of this root stops.
 */
export function powerOff(ctx: Context, _args: string[]): Promise<number> {
  return special(ctx, "poweroff.target", async () => {
    if (await requestShutdown(ctx, "poweroff")) return EXIT_SUCCESS;
    return await stopAll(ctx);
  });
}

/** `reboot`, `kexec`: the init instance stops every unit and boots again. */
export function reboot(ctx: Context, _args: string[]): Promise<number> {
  return special(ctx, "reboot.target", async () => {
    if (await requestShutdown(ctx, "reboot")) return EXIT_SUCCESS;
    return await stopAll(ctx);
  });
}

/** `exit [CODE]`: the init instance shuts down and exits with CODE (default 0). */
export function exitManager(ctx: Context, args: string[]): Promise<number> {
  const code = args.length ? Number(args[0]) : 0;
  if (!Number.isInteger(code) || code < 0 || code > 255) {
    ctx.io.err(`Invalid exit code: ${args[0]}\n`);
    return Promise.resolve(EXIT_FAILURE);
  }
  return special(ctx, "exit.target", async () => {
    if (await requestShutdown(ctx, "exit", code)) return EXIT_SUCCESS;
    return await stopAll(ctx);
  });
}

/** A verb that starts a special target, refused as a start of that target (systemd's words). */
function special(ctx: Context, target: string, run: () => Promise<number>): Promise<number> {
  return whenPermitted(ctx, jobRefusal("start"), () => [target], run);
}

async function stopAll(ctx: Context): Promise<number> {
  const m = new Manager(ctx);
  const active = m.stateNames().filter((n) =>
    ACTIVE.has(unitState(m.lenv, m.loader.load(n)).ActiveState)
  );
  const code = active.length ? await said(ctx, (r) => stopUnits(ctx, active, r)) : EXIT_SUCCESS;
  ctx.io.err("No init instance is running; stopped all units.\n");
  return code;
}

/** `freeze`, `thaw`, `bind`, … on units: there are no cgroups or mount namespaces to use. */
export function unitNotSupported(verb: string): (ctx: Context, args: string[]) => Promise<number> {
  return (ctx, args) => {
    const m = new Manager(ctx);
    for (const name of m.expand(args.slice(0, 1))) {
      ctx.io.err(`Failed to ${verb} unit ${name}: Operation not supported in this environment.\n`);
    }
    return Promise.resolve(EXIT_FAILURE);
  };
}

/** Sleep states and switch-root: not in a container. */
export function containerNotSupported(ctx: Context, _args: string[]): Promise<number> {
  ctx.io.err("Operation not supported in a container.\n");
  return Promise.resolve(EXIT_FAILURE);
}

export const freeze = unitNotSupported("freeze");
export const thaw = unitNotSupported("thaw");
export const bind = unitNotSupported("bind");
export const mountImage = unitNotSupported("mount-image");
export const serviceLogLevel = unitNotSupported("service-log-level");
export const serviceLogTarget = unitNotSupported("service-log-target");

/**
 * `default`: without an init instance, start what the default target pulls in
 * (its transaction), and return.
 */
export function startDefault(ctx: Context, _args: string[]): Promise<number> {
  return special(ctx, "default.target", () => {
    const lp = InstallLookup.open(ctx.root, ctx.scope, ctx.env, ctx.options.global);
    return said(ctx, (r) => startUnits(ctx, [getDefaultTarget(lp) ?? "multi-user.target"], r));
  });
}

/** `rescue`: isolate rescue.target. */
export function rescue(ctx: Context, _args: string[]): Promise<number> {
  return special(ctx, "rescue.target", () => said(ctx, (r) => isolate(ctx, "rescue.target", r)));
}

/** `emergency`: isolate emergency.target. */
export function emergency(ctx: Context, _args: string[]): Promise<number> {
  return special(
    ctx,
    "emergency.target",
    () => said(ctx, (r) => isolate(ctx, "emergency.target", r)),
  );
}

/** `list-automounts`: a container has no automount points. */
export function listAutomounts(ctx: Context, _args: string[]): Promise<number> {
  printListing(ctx, ["WHAT", "WHERE", "MOUNTED", "IDLE TIMEOUT", "UNIT"], [], "automount");
  return Promise.resolve(EXIT_SUCCESS);
}

/** The properties `set-property` accepts in the unit type's section (resource control). */
const TYPE_SECTION_PROPERTIES = new Set([
  "CPUAccounting",
  "CPUWeight",
  "StartupCPUWeight",
  "CPUShares",
  "StartupCPUShares",
  "CPUQuota",
  "CPUQuotaPeriodSec",
  "AllowedCPUs",
  "StartupAllowedCPUs",
  "AllowedMemoryNodes",
  "StartupAllowedMemoryNodes",
  "MemoryAccounting",
  "MemoryMin",
  "MemoryLow",
  "MemoryHigh",
  "MemoryMax",
  "MemorySwapMax",
  "MemoryLimit",
  "TasksAccounting",
  "TasksMax",
  "IOAccounting",
  "IOWeight",
  "StartupIOWeight",
  "IODeviceWeight",
  "IOReadBandwidthMax",
  "IOWriteBandwidthMax",
  "IOReadIOPSMax",
  "IOWriteIOPSMax",
  "IODeviceLatencyTargetSec",
  "BlockIOAccounting",
  "BlockIOWeight",
  "StartupBlockIOWeight",
  "IPAccounting",
  "IPAddressAllow",
  "IPAddressDeny",
  "DeviceAllow",
  "DevicePolicy",
  "Delegate",
  "ManagedOOMSwap",
  "ManagedOOMMemoryPressure",
  "ManagedOOMMemoryPressureLimit",
  "ManagedOOMPreference",
]);

/** The `[Unit]` properties `set-property` accepts. */
const UNIT_SECTION_PROPERTIES = new Set(["Description", "Documentation"]);

const SECTION_OF_TYPE: Record<string, string> = {
  service: "Service",
  socket: "Socket",
  slice: "Slice",
  scope: "Scope",
  mount: "Mount",
  swap: "Swap",
};

const SIZE_PROPERTIES = /^Memory(Min|Low|High|Max|SwapMax|Limit)$/;

/** A byte size as systemd stores it: `100M` → `104857600` (1024-based); `infinity` and `%` kept. */
function normalizeSize(v: string): string {
  const m = /^(\d+(?:\.\d+)?)([KMGTPE]?)$/i.exec(v.trim());
  if (!m) return v;
  const power = " KMGTPE".indexOf(m[2].toUpperCase() || " ");
  return String(Math.floor(Number(m[1]) * 1024 ** power));
}

const SET_PROPERTY_HEADER = "# This is a drop-in unit file extension, created via " +
  '"systemctl set-property"\n# or an equivalent operation. Do not edit.\n';

/**
 * `set-property UNIT P=V…`: each property becomes the drop-in
 * `<control dir>/UNIT.d/50-P.conf` (`/etc/systemd/system.control`, or `/run/…`
 * with --runtime), as systemd writes it. The values are kept, not applied:
 * there are no cgroups to set.
 */
export function setProperty(ctx: Context, args: string[]): Promise<number> {
  const m = new Manager(ctx);
  const [name] = m.expand(args.slice(0, 1));
  const unit = m.loader.load(name);
  const files: Array<[string, string]> = [];
  for (const a of args.slice(1)) {
    const eq = a.indexOf("=");
    if (eq <= 0) {
      ctx.io.err(`Not an assignment: ${a}\n`);
      return Promise.resolve(EXIT_FAILURE);
    }
    const key = a.slice(0, eq);
    let value = a.slice(eq + 1);
    const typeSection = SECTION_OF_TYPE[unit.type];
    const section = UNIT_SECTION_PROPERTIES.has(key)
      ? "Unit"
      : typeSection && TYPE_SECTION_PROPERTIES.has(key)
      ? typeSection
      : undefined;
    if (!section) {
      ctx.io.err(`Unknown assignment: ${a}\n`);
      return Promise.resolve(EXIT_FAILURE);
    }
    if (SIZE_PROPERTIES.test(key)) value = normalizeSize(value);
    files.push([`50-${key}.conf`, `${SET_PROPERTY_HEADER}[${section}]\n${key}=${value}\n`]);
  }
  if (unit.loadState === "not-found") {
    ctx.io.err(`Failed to set unit properties on ${unit.id}: Unit ${unit.id} not found.\n`);
    return Promise.resolve(EXIT_FAILURE);
  }
  const control = configDirs(ctx.scope, ctx.env, ctx.options.global);
  const dir = `${
    ctx.options.runtime ? control.runtimeControl : control.persistentControl
  }/${unit.id}.d`;
  try {
    const hostDir = ctx.root.resolve(dir);
    Deno.mkdirSync(hostDir, { recursive: true });
    for (const [file, text] of files) {
      const path = `${hostDir}/${file}`;
      const tmp = `${path}.tmp-${Deno.pid}`;
      Deno.writeTextFileSync(tmp, text);
      Deno.renameSync(tmp, path);
    }
  } catch (e) {
    ctx.io.err(`Failed to set unit properties on ${unit.id}: ${managerReason(ctx.scope, e)}\n`);
    return Promise.resolve(EXIT_FAILURE);
  }
  return Promise.resolve(EXIT_SUCCESS);
}
