/**
 * Unit-file verbs: list-unit-files, is-enabled, enable, disable, reenable,
 * preset, preset-all, mask, unmask, link, revert, add-wants, add-requires,
 * get-default, set-default. They print what systemd 252 prints offline.
 * @module
 */

import type { Context } from "../cli/context.ts";
import { absoluteFromCwd } from "../units/paths.ts";
import { globMatch, isValidUnitName, mangleUnitName } from "../unit/names.ts";
import { BUILTIN_TARGETS } from "../unit/builtins.ts";
import { formatTable } from "../output/table.ts";
import { formatJson, isJsonMode } from "../output/json.ts";
import {
  addDependency,
  disableUnits,
  ENABLED_STATES,
  enableUnits,
  errnoOf,
  getDefaultTarget,
  type InstallChange,
  InstallLookup,
  type InstallResult,
  linkUnitFiles,
  listUnitFiles as listRows,
  lookupState,
  maskUnits,
  presetAllUnits,
  presetUnits,
  reenableUnits,
  revertUnits,
  setDefaultTarget,
  showsPreset,
  unitFilePreset,
  type UnitFileRow,
  unmaskUnits,
} from "../units/install.ts";
import { sysvScripts } from "../units/sysv.ts";
import { parseBoolean } from "../unit/values.ts";
import { liveManager } from "./collect.ts";
import { sysvIsEnabled, sysvScriptFor, sysvToggle } from "../units/sysv_rc.ts";
import { reasonText, strerror } from "./errors.ts";

/** The notice `enable` prints when no unit had install rules (systemd 252's text). */
export const NO_INSTALL_INFO_NOTICE =
  `The unit files have no installation config (WantedBy=, RequiredBy=, Also=,
Alias= settings in the [Install] section, and DefaultInstance= for template
units). This means they are not meant to be enabled using systemctl.
 
Possible reasons for having this kind of units are:
\u2022 A unit may be statically enabled by being symlinked from another unit's
  .wants/ or .requires/ directory.
\u2022 A unit's purpose may be to act as a helper for some other unit which has
  a requirement dependency on it.
\u2022 A unit may be started when needed via activation (socket, path, timer,
  D-Bus, udev, scripted systemctl call, ...).
\u2022 In case of template units, the unit is meant to be enabled with some
  instance name specified.
`;

/** Formats one change as systemd's install_changes_dump does; undefined if quiet hides it. */
export function formatChange(
  c: InstallChange,
  verb: string,
  quiet: boolean,
): { text: string; error: boolean } | undefined {
  switch (c.type) {
    case "symlink":
      return quiet
        ? undefined
        : { text: `Created symlink ${c.path} \u2192 ${c.source}.`, error: false };
    case "unlink":
      return quiet ? undefined : { text: `Removed "${c.path}".`, error: false };
    case "is-masked":
      return quiet ? undefined : { text: `Unit ${c.path} is masked, ignoring.`, error: false };
    case "is-dangling":
      return quiet ? undefined : {
        text: `Unit ${c.path} is an alias to a unit that is not present, ignoring.`,
        error: false,
      };
    case "destination-not-present":
      return quiet ? undefined : {
        text: `Unit ${c.source} is added as a dependency to a non-existent unit ${c.path}.`,
        error: false,
      };
    case "auxiliary-failed":
      return quiet
        ? undefined
        : { text: `Failed to enable auxiliary unit ${c.path}, ignoring.`, error: false };
    case "error":
      return { text: errorText(c, verb), error: true };
  }
}

function errorText(c: Extract<InstallChange, { type: "error" }>, verb: string): string {
  switch (c.errno) {
    case "EEXIST":
      return c.source !== undefined
        ? `Failed to ${verb} unit, file "${c.path}" already exists and is a symlink to "${c.source}".`
        : `Failed to ${verb} unit, file "${c.path}" already exists.`;
    case "ERFKILL":
      return `Failed to ${verb} unit, unit ${c.path} is masked.`;
    case "EADDRNOTAVAIL":
      return `Failed to ${verb} unit, unit ${c.path} is transient or generated.`;
    case "ETXTBSY":
      return `Failed to ${verb} unit, file ${c.path} is under the systemd unit hierarchy already.`;
    case "EBADSLT":
      return `Failed to ${verb} unit, invalid specifier in "${c.path}".`;
    case "EIDRM":
      return `Failed to ${verb} ${c.source}, destination unit ${c.path} is a non-template unit.`;
    case "EUCLEAN":
      return `Failed to ${verb} unit, "${c.path}" is not a valid unit name.`;
    case "ELOOP":
      return `Failed to ${verb} unit, refusing to operate on linked unit file ${c.path}.`;
    case "EXDEV":
      return c.source !== undefined
        ? `Failed to ${verb} unit, cannot alias ${c.source} as ${c.path}.`
        : `Failed to ${verb} unit, invalid unit reference "${c.path}".`;
    case "ENOENT":
      return `Failed to ${verb} unit, unit ${c.path} does not exist.`;
    default:
      return `Failed to ${verb} unit, file "${c.path}": ${strerror(c.errno)}`;
  }
}

/**
 * The manager's words for a failed change (install_error() of systemd's dbus-manager.c),
 * which systemctl prints as `Failed to VERB unit: …` when a manager runs.
 */
function managerErrorText(c: Extract<InstallChange, { type: "error" }>): string {
  switch (c.errno) {
    case "EEXIST":
      return c.source !== undefined
        ? `File ${c.path} already exists and is a symlink to ${c.source}.`
        : `File ${c.path} already exists.`;
    case "ERFKILL":
      return `Unit file ${c.path} is masked.`;
    case "EADDRNOTAVAIL":
      return `Unit ${c.path} is transient or generated.`;
    case "ETXTBSY":
      return `File ${c.path} is under the systemd unit hierarchy already.`;
    case "EBADSLT":
      return `Invalid specifier in ${c.path}.`;
    case "EIDRM":
      return `Destination unit ${c.path} is a non-template unit.`;
    case "EUCLEAN":
      return `"${c.path}" is not a valid unit name.`;
    case "ELOOP":
      return `Refusing to operate on alias name or linked unit file: ${c.path}`;
    case "EXDEV":
      return c.source !== undefined
        ? `Cannot alias ${c.source} as ${c.path}.`
        : `Invalid unit reference ${c.path}.`;
    case "ENOENT":
      return `Unit file ${c.path} does not exist.`;
    default:
      return `File ${c.path}: ${strerror(c.errno)}`;
  }
}

/**
 * Live: the manager makes the changes and answers with them, or with its first error
 * when the call failed or nothing but errors came of it (then nothing else is printed);
 * errors beside successful changes are not reported (reply_install_changes_and_free()).
 */
function dumpLiveChanges(
  ctx: Context,
  r: InstallResult,
  verb: string,
  failed = `Failed to ${verb} unit`,
): number {
  const errors = r.changes.filter((c) => c.type === "error");
  const good = r.changes.filter((c) => c.type !== "error");
  if (r.error !== undefined || (errors.length > 0 && good.length === 0)) {
    const first = errors[0];
    const why = first ? managerErrorText(first) : strerror(r.error ?? "EINVAL");
    ctx.io.err(`${failed}: ${why}\n`);
    return 1;
  }
  for (const c of good) {
    const f = formatChange(c, verb, ctx.options.quiet);
    if (f) ctx.io.err(f.text + "\n");
  }
  return 0;
}

/** Prints the changes and returns the exit code (1 when the result carries an error). */
function dumpChanges(ctx: Context, r: InstallResult, verb: string, liveFailed?: string): number {
  if (liveManager(ctx)) return dumpLiveChanges(ctx, r, verb, liveFailed);
  let logged = false;
  for (const c of r.changes) {
    const f = formatChange(c, verb, ctx.options.quiet);
    if (!f) continue;
    if (f.error) logged = true;
    ctx.io.err(f.text + "\n");
  }
  if (r.error !== undefined) {
    if (!logged) ctx.io.err(`Failed to ${verb}: ${strerror(r.error)}.\n`);
    return 1;
  }
  return 0;
}

function lookup(ctx: Context, readOnly = false): InstallLookup {
  const lp = InstallLookup.open(ctx.root, ctx.scope, ctx.env, ctx.options.global, readOnly);
  lp.warn = (text) => ctx.io.err(text + "\n");
  return lp;
}

function printPresetWarnings(ctx: Context, lp: InstallLookup): void {
  for (const w of lp.presets.warnings) ctx.io.err(w + "\n");
}

/**
 * A unit-file path made absolute against the working directory; when that is
 * gone (the launcher started the program from /), systemctl's words.
 */
function absoluteOrFail(path: string): string {
  const abs = absoluteFromCwd(path);
  if (abs === undefined) {
    throw new Error(`Failed to mangle unit name or path '${path}': No such file or directory`);
  }
  return abs;
}

/** systemctl's mangle_names: paths made absolute, names escaped and given a suffix. */
function mangleNames(ctx: Context, args: readonly string[], suffix = ".service"): string[] {
  return args.map((a) => {
    if (a.includes("/")) {
      const abs = absoluteOrFail(a);
      return abs.replace(/\/+/g, "/").replace(/\/\.(?=\/|$)/g, "").replace(/(.)\/$/, "$1");
    }
    const m = mangleUnitName(a, suffix, { allowGlobs: false });
    if (m.warning && !ctx.options.quiet) ctx.io.err(m.warning + "\n");
    return m.name;
  });
}

function changeOptions(ctx: Context): { runtime: boolean; force: boolean } {
  return { runtime: ctx.options.runtime, force: ctx.options.force > 0 };
}

async function runNow(ctx: Context, names: string[], action: "start" | "stop"): Promise<number> {
  // Loaded lazily: enable without --now never pays for the service manager.
  const mod = await import("../service/jobs.ts");
  const { jobRefusal, whenPermitted } = await import("./access.ts");
  const { said } = await import("./job_words.ts");
  return await whenPermitted(
    ctx,
    jobRefusal(action),
    (m) => m.expand(names),
    () =>
      said(
        ctx,
        (r) => action === "start" ? mod.startUnits(ctx, names, r) : mod.stopUnits(ctx, names, r),
      ),
  );
}

function unitNamesOf(names: readonly string[]): string[] {
  return names.map((n) => n.slice(n.lastIndexOf("/") + 1));
}

// ---------------------------------------------------------------------------
// SysV scripts

/**
 * systemd's SysV compatibility for `enable`, `disable` and `is-enabled`
 * (system scope, unless `SYSTEMCTL_SKIP_SYSV` is true): a `NAME.service`
 * with an `/etc/init.d/NAME` script gets its rc links changed or read. A
 * script without a native unit is handled here alone and leaves the list;
 * with a native unit both are changed, and `is-enabled` asks the native one.
 */
function sysvCompat(
  ctx: Context,
  lp: InstallLookup,
  verb: "enable" | "disable" | "is-enabled",
  names: readonly string[],
): { names: string[]; enabled: boolean; failed: boolean } {
  const left: string[] = [];
  let enabled = false;
  const skip = ctx.scope !== "system" ||
    parseBoolean(ctx.env.SYSTEMCTL_SKIP_SYSV ?? "") === true;
  for (const name of names) {
    const script = skip || name.startsWith("/") ? undefined : sysvScriptFor(ctx.root, name);
    const native = script !== undefined && lookupState(lp, name) !== "ENOENT";
    if (script === undefined || (native && verb === "is-enabled")) {
      left.push(name);
      continue;
    }
    const base = script.slice(script.lastIndexOf("/") + 1);
    if (!ctx.options.quiet) {
      ctx.io.err(
        native
          ? `Synchronizing state of ${name} with SysV service script ${script}.\n`
          : `${name} is not a native service, redirecting to its SysV script ${script}.\n`,
      );
    }
    if (verb === "is-enabled") {
      const on = sysvIsEnabled(ctx.root, base);
      if (on) enabled = true;
      if (!ctx.options.quiet) ctx.io.out(on ? "enabled\n" : "disabled\n");
      continue;
    }
    const r = sysvToggle(ctx.root, base, verb);
    for (const w of r.warnings) ctx.io.err(`Warning: ${script}: ${w}.\n`);
    if (!ctx.options.quiet) {
      for (const link of r.created) ctx.io.err(`Created symlink ${link} → ../init.d/${base}.\n`);
      for (const m of r.renamed) ctx.io.err(`Renamed ${m.from} → ${m.to}.\n`);
    }
    if (r.error !== undefined) {
      const why = r.cause === undefined ? "" : `: ${reasonText(r.cause)}`;
      ctx.io.err(`Failed to ${verb} ${name}: ${r.error}${why}.\n`);
      return { names: left, enabled, failed: true };
    }
    if (native) left.push(name);
  }
  return { names: left, enabled, failed: false };
}

// ---------------------------------------------------------------------------
// list-unit-files

/** Sorts rows as systemd: by type suffix, then by name, both case-insensitively. */
function sortRows<T extends { name: string }>(rows: T[]): T[] {
  const keyed = rows.map((r) => {
    const low = r.name.toLowerCase();
    return { r, sfx: low.slice(low.lastIndexOf(".")), low };
  });
  keyed.sort((a, b) =>
    a.sfx !== b.sfx ? (a.sfx < b.sfx ? -1 : 1) : a.low < b.low ? -1 : a.low > b.low ? 1 : 0
  );
  return keyed.map((k) => k.r);
}

/** `list-unit-files [PATTERN…]`. */
export function listUnitFiles(ctx: Context, args: string[]): Promise<number> {
  const lp = lookup(ctx, true);
  const types = ctx.options.types;
  const states = ctx.options.states;
  const filter = (name: string): boolean => {
    if (args.length > 0 && !args.some((p) => globMatch(p, name))) return false;
    if (types.length > 0 && !types.includes(name.slice(name.lastIndexOf(".") + 1))) return false;
    return true;
  };
  const all: UnitFileRow[] = listRows(lp, filter);
  if (ctx.scope === "system") {
    // SysV scripts list as the generator's units, as on a booted system.
    const native = new Set(all.map((r) => r.name));
    for (const [name, path] of sysvScripts(ctx.root, ctx.env, (n) => native.has(n))) {
      if (filter(name)) all.push({ name, path, state: "generated" });
    }
  }
  const rows = sortRows(all.filter((r) => states.length === 0 || states.includes(r.state)));
  const cells = rows.map((r) => {
    const preset = showsPreset(r.state) ? unitFilePreset(lp, r.name) ?? "n/a" : undefined;
    return { name: r.name, state: r.state, preset };
  });
  if (lp.presetsLoaded) printPresetWarnings(ctx, lp);
  const mode = ctx.options.output;
  if (isJsonMode(mode)) {
    const value = cells.map((c) => ({
      unit_file: c.name,
      state: c.state,
      preset: c.preset ?? null,
    }));
    ctx.io.out(formatJson(value, mode as string));
    return Promise.resolve(rows.length === 0 ? 1 : 0);
  }
  const legend = ctx.options.legend && !ctx.options.quiet;
  const lines = formatTable(
    legend ? ["UNIT FILE", "STATE", "PRESET"] : undefined,
    cells.map((c) => [c.name, c.state, c.preset ?? ""]),
  );
  if (lines.length > 0) ctx.io.out(lines.join("\n") + "\n");
  if (legend) ctx.io.out(`\n${rows.length} unit files listed.\n`);
  return Promise.resolve(rows.length === 0 ? 1 : 0);
}

// ---------------------------------------------------------------------------
// is-enabled

/** `is-enabled UNIT…`: one state word per unit; exit 0 if any is an "enabled" state. */
export function isEnabled(ctx: Context, args: string[]): Promise<number> {
  const lp = lookup(ctx, true);
  // A query about a few units: by name, from the search-path digest when it holds.
  lp.useDigest();
  const sysv = sysvCompat(ctx, lp, "is-enabled", mangleNames(ctx, args));
  let enabled = sysv.enabled;
  for (const name of sysv.names) {
    const r = lookupState(lp, name);
    if (typeof r === "string") {
      ctx.io.err(`Failed to get unit file state for ${name}: ${strerror(r)}\n`);
      return Promise.resolve(1);
    }
    if (ENABLED_STATES.has(r.state)) enabled = true;
    if (ctx.options.quiet) continue;
    ctx.io.out(r.state + "\n");
    // --full (-l, which Ansible passes): the links `disable` would remove, as systemd 252 lists
    // them (a dry-run disable of the persistent config), by their paths inside the root.
    if (ctx.options.full) {
      const dry = disableUnits(lp, [name], { runtime: ctx.options.runtime, dryRun: true });
      for (const c of dry.changes) {
        if (c.type === "unlink") ctx.io.out(`  ${ctx.root.inside(c.path)}\n`);
      }
    }
  }
  return Promise.resolve(enabled ? 0 : 1);
}

// ---------------------------------------------------------------------------
// enable / disable / reenable

function noticeIfNoInstallInfo(ctx: Context, r: InstallResult): void {
  if (r.error === undefined && r.carriesInstallInfo === 0 && !ctx.options.quiet) {
    ctx.io.err(NO_INSTALL_INFO_NOTICE);
  }
}

/** `enable UNIT…|PATH…`; with `--now` the units are started afterwards. */
export async function enable(ctx: Context, args: string[]): Promise<number> {
  const lp = lookup(ctx);
  const sysv = sysvCompat(ctx, lp, "enable", mangleNames(ctx, args));
  if (sysv.failed) return 1;
  // As systemd: when SysV scripts took every name, there is nothing left to enable or start.
  if (sysv.names.length === 0) return 0;
  const names = sysv.names;
  const r = enableUnits(lp, names, changeOptions(ctx));
  const code = dumpChanges(ctx, r, "enable");
  if (code !== 0) return code;
  noticeIfNoInstallInfo(ctx, r);
  if (ctx.options.now) return await runNow(ctx, unitNamesOf(names), "start");
  return 0;
}

/** `disable UNIT…`; with `--now` the units are stopped afterwards. */
export async function disable(ctx: Context, args: string[]): Promise<number> {
  let names = mangleNames(ctx, args);
  if (names.some((n) => n.includes("/"))) {
    names = unitNamesOf(names);
    ctx.io.err(
      "Warning: Can't execute disable on the unit file path. Proceeding with the unit name.\n",
    );
  }
  const lp = lookup(ctx);
  const sysv = sysvCompat(ctx, lp, "disable", names);
  if (sysv.failed) return 1;
  if (sysv.names.length === 0) return 0;
  names = sysv.names;
  const r = disableUnits(lp, names, changeOptions(ctx));
  const code = dumpChanges(ctx, r, "disable");
  if (code !== 0) return code;
  if (ctx.options.now) return await runNow(ctx, names, "stop");
  return 0;
}

/** `reenable UNIT…`: disable, then enable. */
export async function reenable(ctx: Context, args: string[]): Promise<number> {
  const names = mangleNames(ctx, args);
  const r = reenableUnits(lookup(ctx), names, changeOptions(ctx));
  const code = dumpChanges(ctx, r, "reenable");
  if (code !== 0) return code;
  noticeIfNoInstallInfo(ctx, r);
  if (ctx.options.now) return await runNow(ctx, unitNamesOf(names), "start");
  return 0;
}

// ---------------------------------------------------------------------------
// preset

/** `preset UNIT…` with `--preset-mode`. */
export function preset(ctx: Context, args: string[]): Promise<number> {
  const names = mangleNames(ctx, args);
  const lp = lookup(ctx);
  printPresetWarnings(ctx, lp);
  const r = presetUnits(lp, names, ctx.options.presetMode, changeOptions(ctx));
  return Promise.resolve(dumpChanges(ctx, r, "preset"));
}

/** `preset-all` with `--preset-mode`. */
export function presetAll(ctx: Context, _args: string[]): Promise<number> {
  const lp = lookup(ctx);
  printPresetWarnings(ctx, lp);
  const r = presetAllUnits(lp, ctx.options.presetMode, changeOptions(ctx));
  return Promise.resolve(dumpChanges(ctx, r, "preset"));
}

// ---------------------------------------------------------------------------
// mask / unmask / link / revert / add-wants

/** `mask UNIT…`: links to /dev/null; `--now` stops the units afterwards. */
export async function mask(ctx: Context, args: string[]): Promise<number> {
  const names = mangleNames(ctx, args);
  const lp = lookup(ctx);
  if (!ctx.options.quiet && liveManager(ctx)) {
    // systemctl asks the manager first whether each unit exists (unit_exists()).
    for (const name of names) {
      if (lookupState(lp, name) === "ENOENT") {
        ctx.io.err(`Unit ${name} does not exist, proceeding anyway.\n`);
      }
    }
  }
  const r = maskUnits(lp, names, changeOptions(ctx));
  const code = dumpChanges(ctx, r, "mask");
  if (code !== 0) return code;
  if (ctx.options.now) return await runNow(ctx, names, "stop");
  return 0;
}

/** `unmask UNIT…`. */
export function unmask(ctx: Context, args: string[]): Promise<number> {
  const names = mangleNames(ctx, args);
  const r = unmaskUnits(lookup(ctx), names, changeOptions(ctx));
  return Promise.resolve(dumpChanges(ctx, r, "unmask"));
}

/** `link PATH…`: makes unit files outside the search path available. */
export function link(ctx: Context, args: string[]): Promise<number> {
  const files = args.map(absoluteOrFail);
  const r = linkUnitFiles(lookup(ctx), files, changeOptions(ctx));
  return Promise.resolve(dumpChanges(ctx, r, "link"));
}

/** `revert UNIT…`: drops local drop-ins and overriding copies, and unmasks. */
export function revert(ctx: Context, args: string[]): Promise<number> {
  const names = mangleNames(ctx, args);
  const r = revertUnits(lookup(ctx), names);
  return Promise.resolve(dumpChanges(ctx, r, "revert"));
}

/** `add-wants TARGET UNIT…`. */
export function addWants(ctx: Context, args: string[]): Promise<number> {
  return addDep(ctx, args, "wants");
}

/** `add-requires TARGET UNIT…`. */
export function addRequires(ctx: Context, args: string[]): Promise<number> {
  return addDep(ctx, args, "requires");
}

function addDep(ctx: Context, args: string[], dep: "wants" | "requires"): Promise<number> {
  const [target, ...rest] = args;
  const t = mangleUnitName(target, ".target", { allowGlobs: false });
  if (t.warning && !ctx.options.quiet) ctx.io.err(t.warning + "\n");
  const names = mangleNames(ctx, rest);
  const r = addDependency(lookup(ctx), t.name, names, dep, changeOptions(ctx));
  return Promise.resolve(dumpChanges(ctx, r, "add dependency on", "Failed to add dependency"));
}

// ---------------------------------------------------------------------------
// get-default / set-default

/** `get-default`: the target default.target links to (multi-user.target when none, as ref). */
export function getDefault(ctx: Context, _args: string[]): Promise<number> {
  const name = getDefaultTarget(lookup(ctx));
  ctx.io.out((name ?? "multi-user.target") + "\n");
  return Promise.resolve(0);
}

/** `set-default TARGET`. */
export function setDefault(ctx: Context, args: string[]): Promise<number> {
  const m = mangleUnitName(args[0], ".target", { allowGlobs: false });
  if (m.warning && !ctx.options.quiet) ctx.io.err(m.warning + "\n");
  const lp = lookup(ctx);
  if (!isValidUnitName(m.name) || !m.name.endsWith(".target") || m.name === "default.target") {
    ctx.io.err("Failed to set default target: Invalid argument\n");
    return Promise.resolve(1);
  }
  let r = setDefaultTarget(lp, m.name);
  if (r.error === "ENOENT" && m.name in BUILTIN_TARGETS) {
    r = setDefaultBuiltin(lp, m.name);
  }
  return Promise.resolve(dumpChanges(ctx, r, "set default", "Failed to set default target"));
}

/** A built-in target without a file: link to where systemd would ship it. */
function setDefaultBuiltin(lp: InstallLookup, name: string): InstallResult {
  const target = `/usr/lib/systemd/system/${name}`;
  const link = lp.host(`${lp.persistentConfig}/default.target`);
  const changes: InstallChange[] = [];
  try {
    Deno.mkdirSync(link.slice(0, link.lastIndexOf("/")), { recursive: true });
    let existing: string | undefined;
    try {
      existing = Deno.readLinkSync(link);
    } catch { /* none */ }
    if (existing === target) return { changes };
    if (existing !== undefined || exists(link)) {
      Deno.removeSync(link);
      changes.push({ type: "unlink", path: link });
    }
    Deno.symlinkSync(target, link);
    changes.push({ type: "symlink", path: link, source: target });
    return { changes };
  } catch (e) {
    changes.push({ type: "error", errno: errnoOf(e), path: link });
    return { changes, error: errnoOf(e) };
  }
}

function exists(hostPath: string): boolean {
  try {
    Deno.lstatSync(hostPath);
    return true;
  } catch {
    return false;
  }
}
