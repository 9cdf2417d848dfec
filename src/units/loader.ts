/**
 * Loads units: finds the fragment (or built-in, or SysV script), follows
 * aliases, reads drop-ins in systemd's order, resolves
 * specifiers, validates directives and decides the LoadState. File system
 * only; never spawns.
 * @module
 */

import { hasTriggers, timerSettings } from "../unit/timer.ts";
import { basename } from "../unit/posix_path.ts";
import {
  type Diagnostic,
  formatDiagnostic,
  type ParsedFile,
  parseUnitText,
  UnitTextParser,
} from "../unit/parse.ts";
import type { Assignment } from "../unit/parse.ts";
import { dirEntries, InvalidUtf8Error, readRegularTextChunks } from "./regular_file.ts";
import { UnitConfig } from "../unit/config.ts";
import { sectionProblems, validateAssignments } from "../unit/schema.ts";
import { builtinUnitText } from "../unit/builtins.ts";
import {
  dropInDirs,
  globMatch,
  isGlob,
  mangleUnitName,
  parseUnitName,
  templateOf,
} from "../unit/names.ts";
import { expandSpecifiers, type SpecifierContext } from "../unit/specifiers.ts";
import { expandExecSpecifiers, parseExecLine } from "../unit/exec.ts";
import { expandEnvironmentSpecifiers } from "../unit/environment.ts";
import { SERVICE_EXEC_KEYS } from "../unit/model.ts";
import { socketSettingProblem } from "../unit/socket_address.ts";
import { type PathEnv, type RootMap, type Scope, searchPath, stateDir } from "./paths.ts";
import { UNIT_INDEX_FILE, type UnitFileEntry, UnitIndex } from "./index.ts";
import { type HostFacts, readHostFacts } from "./host_info.ts";
import { sysvScripts, sysvUnitText } from "./sysv.ts";

/** systemd's load states. */
export type LoadState = "loaded" | "not-found" | "masked" | "bad-setting" | "error";

/** A loaded unit. */
export interface LoadedUnit {
  /** The canonical name (aliases resolved). */
  readonly id: string;
  /** The name that was asked for. */
  readonly requested: string;
  /** The unit and its aliases. */
  readonly names: readonly string[];
  /** The type suffix without the dot. */
  readonly type: string;
  readonly loadState: LoadState;
  /** Why the unit did not load (for LoadError and status). */
  readonly loadError?: string;
  /**
   * True when the unit's settings were complete before it was refused: a bad-setting found
   * by systemd's `service_verify()` (after it derived Type= and the defaults), not while
   * parsing (a broken Exec line).
   */
  readonly settingsDerived?: boolean;
  /** Fragment path inside the root; the masking link or empty file when masked. */
  readonly fragmentPath?: string;
  readonly sourcePath?: string;
  /** Drop-in files (inside the root), in application order. */
  readonly dropInPaths: readonly string[];
  readonly config: UnitConfig;
  readonly diagnostics: readonly Diagnostic[];
  readonly builtin: boolean;
  /** Generated from a SysV init script. */
  readonly generated: boolean;
  /** The template file's unit name, for instances. */
  readonly template?: string;
}

/** What loading needs from the caller. */
export interface LoadEnv {
  readonly root: RootMap;
  readonly scope: Scope;
  readonly env: PathEnv;
}

const EMPTY = new UnitConfig([]);

/**
 * Reads and parses one unit file or drop-in, in pieces: a line over systemd's limit stops
 * the reading there, so neither time nor memory grows with what follows it.
 */
function parseFile(hostPath: string, label: string): { parsed?: ParsedFile; error?: string } {
  try {
    const parser = new UnitTextParser(label);
    // Bytes that are not UTF-8 clean stay visible: the parser fails at that line with file
    // and line, as systemd does.
    readRegularTextChunks(hostPath, (text) => parser.push(text), { unit: true });
    return { parsed: parser.end() };
  } catch (e) {
    if (e instanceof InvalidUtf8Error) return { error: "Invalid argument" };
    if (e instanceof Deno.errors.NotFound) return { error: "No such file or directory" };
    if (e instanceof Deno.errors.IsADirectory) return { error: "Is a directory" };
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      return { error: "Permission denied" };
    }
    return { error: (e as Error).message };
  }
}

/** Loads units for one invocation; caches the search-path scan and host facts. */
export class UnitLoader {
  readonly root: RootMap;
  readonly scope: Scope;
  readonly env: PathEnv;
  #index?: UnitIndex;
  #facts?: HostFacts;
  readonly #aliases = new Map<string, string[]>();
  #sysv?: Map<string, string>;
  readonly #cache = new Map<string, LoadedUnit>();
  /** The names whose alias is being followed (a loop of aliases names one of them again). */
  readonly #following = new Set<string>();
  /** Results that are not-found because their name is in a loop of aliases. */
  readonly #inLoop = new WeakSet<LoadedUnit>();

  constructor(le: LoadEnv) {
    this.root = le.root;
    this.scope = le.scope;
    this.env = le.env;
  }

  /** The search-path scan (done once). */
  get index(): UnitIndex {
    this.#index ??= UnitIndex.scan(this.root, searchPath(this.scope, this.env), {
      digest: `${stateDir(this.scope, this.env)}/${UNIT_INDEX_FILE}`,
    });
    return this.#index;
  }

  /** Host facts for specifiers (read once). */
  get facts(): HostFacts {
    this.#facts ??= readHostFacts(this.root, this.scope, this.env as Record<string, string>);
    return this.#facts;
  }

  /** SysV scripts without a native unit: unit name → script path inside the root. */
  get sysvScripts(): Map<string, string> {
    this.#sysv ??= this.scope === "system"
      ? sysvScripts(this.root, this.env, (name) => this.index.first(name) !== undefined)
      : new Map();
    return this.#sysv;
  }

  /**
   * The alias names of a real unit name, from symlinks inside the search path whose
   * highest-priority entry resolves to a file of that name in the search path. Only the
   * links that may lead there are resolved (a query about one unit does not resolve every
   * alias link of the root).
   */
  aliasesOf(id: string): string[] {
    let list = this.#aliases.get(id);
    if (list) return list;
    list = [];
    const idx = this.index;
    for (const name of idx.linkNames()) {
      if (name === id || !idx.mayLinkTo(name, id)) continue;
      const e = idx.first(name);
      if (!e || e.kind !== "symlink" || !e.resolved || e.masked) continue;
      if (basename(e.resolved) === id && idx.inSearchPath(e.resolved)) list.push(name);
    }
    this.#aliases.set(id, list);
    return list;
  }

  /** Every known unit name: unit files, SysV-generated units, built-ins. */
  knownNames(opts: { builtins?: boolean } = {}): string[] {
    const names = new Set(this.index.names());
    for (const n of this.sysvScripts.keys()) names.add(n);
    if (opts.builtins) {
      for (const n of ["-.slice", "system.slice"]) names.add(n);
      for (const n of Object.keys(BUILTIN_NAMES)) names.add(n);
    }
    return [...names];
  }

  /**
   * Turns command-line arguments into unit names: adds the suffix, escapes
   * invalid names (with systemd's warning), expands globs over known units (or `globPool`).
   */
  expand(
    args: readonly string[],
    defaultSuffix: string,
    warn: (text: string) => void,
    extraNames: readonly string[] = [],
    globPool?: () => Iterable<string>,
  ): string[] {
    // systemd mangles every name before acting on any, and an empty one cannot be mangled.
    if (args.includes("")) {
      throw new Error(
        "Failed to mangle name: Invalid argument\nFailed to expand names: Invalid argument",
      );
    }
    const out: string[] = [];
    for (const arg of args) {
      if (isGlob(arg)) {
        const pattern = /\.[a-z]+$/.test(arg) || arg.endsWith("*") ? arg : arg + defaultSuffix;
        // With a pool (the units a manager holds loaded), globs match only those, as
        // systemctl's do (ListUnitsByPatterns); else every known unit.
        const pool = new Set(
          globPool ? globPool() : [...this.knownNames({ builtins: true }), ...extraNames],
        );
        const matches = [...pool].filter((n) => globMatch(pattern, n)).sort();
        for (const n of matches) if (!parseUnitName(n)?.isTemplate) out.push(n);
        continue;
      }
      const m = mangleUnitName(arg, defaultSuffix);
      if (m.warning) warn(m.warning);
      out.push(m.name);
    }
    return out;
  }

  /** Loads one unit by name. Never throws for bad unit files. */
  load(name: string): LoadedUnit {
    const cached = this.#cache.get(name);
    if (cached) return cached;
    const unit = this.#load(name);
    this.#cache.set(name, unit);
    return unit;
  }

  /**
   * The unit another name is an alias of: `name`'s entry (or its template's) is a symlink
   * to a unit file of the same type, of another name, inside the search path; an instance
   * keeps its instance. Undefined when `name` is no alias.
   */
  #aliasTarget(name: string, entry: UnitFileEntry | undefined): string | undefined {
    if (entry?.kind !== "symlink" || !entry.resolved || entry.masked) return undefined;
    const target = basename(entry.resolved);
    if (target === basename(entry.path) || !this.index.inSearchPath(entry.resolved)) {
      return undefined;
    }
    const parts = parseUnitName(name);
    const tp = parseUnitName(target);
    if (!parts || !tp || tp.type !== parts.type) return undefined;
    const real = tp.isTemplate && parts.instance
      ? `${tp.prefix}@${parts.instance}.${tp.type}`
      : target;
    return real === name ? undefined : real;
  }

  /**
   * The id {@link load} gives a name, without reading a unit file: aliases followed (an
   * instance through its template's alias), `default.target` without a file is
   * `multi-user.target`. For verbs that need only the unit's state record (`is-active`).
   */
  idOf(name: string): string {
    // In a loop of aliases every name stays its own (not-found) unit.
    return this.#idOf(name) ?? name;
  }

  /** {@link idOf}, or undefined for a name in a loop of aliases. */
  #idOf(name: string): string | undefined {
    const cached = this.#cache.get(name);
    if (cached) return this.#inLoop.has(cached) ? undefined : cached.id;
    const parts = parseUnitName(name);
    if (!parts || name.includes("/") || name.includes("\0")) return name;
    const { entry } = this.#entryOf(name, parts.instance);
    if (entry?.masked) return name;
    const real = this.#aliasTarget(name, entry);
    if (real !== undefined) {
      if (this.#following.has(real)) return undefined;
      this.#following.add(name);
      try {
        return this.#idOf(real);
      } finally {
        this.#following.delete(name);
      }
    }
    if (!entry && name === "default.target") return this.#idOf("multi-user.target");
    return name;
  }

  /** The entry of a name, or of its template for an instance without its own file. */
  #entryOf(
    name: string,
    instance: string | undefined,
  ): { entry?: UnitFileEntry; template?: string } {
    const entry = this.index.first(name);
    if (entry || !instance) return { entry };
    const template = templateOf(name);
    return { entry: template ? this.index.first(template) : undefined, template };
  }

  #load(name: string): LoadedUnit {
    const parts = parseUnitName(name);
    const type = parts?.type ?? name.slice(name.lastIndexOf(".") + 1);
    const base = {
      id: name,
      requested: name,
      names: [name],
      type,
      dropInPaths: [] as string[],
      config: EMPTY,
      diagnostics: [] as Diagnostic[],
      builtin: false,
      generated: false,
    };
    if (!parts || name.includes("/") || name.includes("\0")) {
      return { ...base, loadState: "not-found", loadError: `Unit ${name} not found.` };
    }
    const { entry, template } = this.#entryOf(name, parts.instance);
    let id = name;
    const notFound = {
      ...base,
      loadState: "not-found" as const,
      loadError: `Unit ${name} not found.`,
    };
    // Masked: a /dev/null link or empty file for the name itself.
    if (entry?.masked) {
      return {
        ...base,
        loadState: "masked",
        loadError: `Unit ${name} is masked.`,
        // systemd 252 shows the masking link itself, not its /dev/null target.
        fragmentPath: entry.path,
        names: [name],
      };
    }
    const real = this.#aliasTarget(name, entry);
    if (real !== undefined) {
      // A loop of aliases (a.service -> b.service -> a.service): systemd finds none of its
      // names ("Unit a.service not found."), and following it would never end.
      if (this.#following.has(real)) {
        this.#inLoop.add(notFound);
        return notFound;
      }
      this.#following.add(name);
      try {
        const u = this.load(real);
        if (this.#inLoop.has(u)) {
          this.#inLoop.add(notFound);
          return notFound;
        }
        return { ...u, requested: name };
      } finally {
        this.#following.delete(name);
      }
    }
    if (!entry) {
      const sysv = this.sysvScripts.get(name);
      if (sysv) {
        const text = sysvUnitText(this.root, sysv);
        if (text !== undefined) {
          const parsed = parseUnitText(text, sysv);
          return this.#finish(name, { ...base, generated: true }, parsed, undefined, sysv);
        }
      }
      if (name === "default.target") {
        const u = this.load("multi-user.target");
        return { ...u, requested: name };
      }
      const text = builtinUnitText(name);
      if (text !== undefined) {
        return this.#finish(name, { ...base, builtin: true }, parseUnitText(text, name));
      }
      const dropIns = this.#dropIns(name, id);
      if (dropIns.length > 0) {
        // systemd loads units that only have drop-ins, but they stay not-found for services.
      }
      return notFound;
    }
    if (entry.kind === "broken") {
      return {
        ...base,
        loadState: "not-found",
        loadError: `Unit ${name} not found.`,
        diagnostics: [{
          file: entry.path,
          line: 0,
          message: `Unit file is a dangling symlink to ${entry.linkTarget}, ignoring.`,
        }],
      };
    }
    const fragment = entry.kind === "symlink" && entry.resolved ? entry.resolved : entry.path;
    id = name;
    const read = parseFile(this.root.resolve(fragment), fragment);
    if (read.parsed === undefined) {
      return {
        ...base,
        loadState: "error",
        fragmentPath: fragment,
        template,
        loadError: `Failed to load ${fragment}: ${read.error}`,
        diagnostics: [{
          file: fragment,
          line: 0,
          message: `Failed to load unit file: ${read.error}`,
        }],
      };
    }
    return this.#finish(id, { ...base, template }, read.parsed, fragment);
  }

  #finish(
    id: string,
    base: Omit<LoadedUnit, "loadState">,
    main: ParsedFile,
    fragment?: string,
    sourcePath?: string,
  ): LoadedUnit {
    const diagnostics: Diagnostic[] = [];
    const assignments: Assignment[] = [];
    const take = (parsed: ParsedFile) => {
      // Loops, not push(...list): a spread of 200,000 lines overflows the stack.
      for (const d of parsed.diagnostics) diagnostics.push(d);
      for (const d of sectionProblems(base.type, parsed.file, parsed.headers)) diagnostics.push(d);
      for (const a of parsed.assignments) assignments.push(a);
    };
    // systemd fails the unit when its main file does not parse; a bad drop-in only warns
    // (and keeps what it set before the bad line).
    take(main);
    let loadError = main.error;
    const aliases = this.aliasesOf(id);
    const dropInPaths = this.#dropIns(id, ...aliases);
    for (const p of dropInPaths) {
      const r = parseFile(this.root.resolve(p), p);
      if (r.parsed === undefined) {
        diagnostics.push({ file: p, line: 0, message: `Failed to load drop-in: ${r.error}` });
        continue;
      }
      take(r.parsed);
    }
    const expanded = this.#expandSpecifiers(id, fragment, assignments, diagnostics);
    const type = base.type;
    const { kept, diagnostics: schemaDiags } = validateAssignments(type, expanded);
    for (const d of schemaDiags) diagnostics.push(d);
    const config = new UnitConfig(kept);
    // systemd lists the unit's own name first, then its aliases.
    const names = [id, ...aliases.filter((a) => a !== id).sort()];
    let loadState: LoadState = "loaded";
    let settingsDerived: boolean | undefined;
    if (loadError) loadState = "error";
    else if (type === "service") {
      const bad = serviceSettingProblem(config, diagnostics);
      if (bad) {
        loadState = "bad-setting";
        loadError = `Unit ${id} has a bad unit file setting.`;
        settingsDerived = bad !== FATAL_PARSE_ERROR;
        diagnostics.push({ file: id, line: 0, message: bad });
      }
    } else if (type === "timer" && !hasTriggers(timerSettings(config))) {
      loadState = "bad-setting";
      loadError = `Unit ${id} has a bad unit file setting.`;
      diagnostics.push({ file: id, line: 0, message: "Timer unit lacks value setting. Refusing." });
    } else if (type === "socket") {
      const bad = socketSettingProblem(config);
      if (bad) {
        loadState = "bad-setting";
        loadError = `Unit ${id} has a bad unit file setting.`;
        settingsDerived = true;
        diagnostics.push({ file: id, line: 0, message: bad });
      }
    }
    diagnostics.sort((x, y) => (x.file === y.file ? x.line - y.line : 0));
    return {
      ...base,
      id,
      names,
      loadState,
      loadError,
      settingsDerived,
      fragmentPath: fragment,
      sourcePath: sourcePath ?? config.get("Unit", "SourcePath"),
      dropInPaths,
      config,
      diagnostics,
    };
  }

  /** Drop-in files for a unit and its aliases, in application order. */
  #dropIns(...names: string[]): string[] {
    const idx = this.index;
    const chosen = new Map<string, string>();
    for (const name of names) {
      for (const dirName of dropInDirs(name)) {
        for (const searchDir of idx.dirsWith(dirName)) {
          const dir = `${searchDir}/${dirName}`;
          const entries = dirEntries(this.root.resolve(dir));
          if (!entries) continue;
          for (const e of entries) {
            if (!e.name.endsWith(".conf") || chosen.has(e.name)) continue;
            chosen.set(e.name, `${dir}/${e.name}`);
          }
        }
      }
    }
    const out: string[] = [];
    for (const name of [...chosen.keys()].sort()) {
      const p = chosen.get(name) as string;
      try {
        // Followed inside the root (a link to /dev/null masks the drop-in).
        const target = this.root.root ? this.root.resolve(p) : Deno.realPathSync(p);
        if (this.root.inside(target) === "/dev/null") continue;
        const st = Deno.statSync(target);
        if (!st.isFile) continue; // a FIFO, socket or device: skipped, never opened
        if (st.size === 0 && Deno.lstatSync(this.root.host(p)).isSymlink) continue;
      } catch {
        continue;
      }
      out.push(p);
    }
    return out;
  }

  /** The specifier context for a unit. */
  specifierContext(id: string, fragment?: string): SpecifierContext {
    const f = this.facts;
    const r = (p: string) => (this.root.root ? this.root.host(p) : p);
    const user = this.scope === "user";
    const env = this.env;
    const runtime = user ? env.XDG_RUNTIME_DIR ?? `/run/user/${f.user.uid}` : "/run";
    const configHome = env.XDG_CONFIG_HOME ?? `${f.user.home}/.config`;
    return {
      unitName: id,
      fragmentPath: fragment,
      scope: this.scope,
      hostname: f.hostname,
      machineId: f.machineId,
      bootId: f.bootId,
      kernelRelease: f.kernelRelease,
      architecture: f.architecture,
      prettyHostname: f.prettyHostname,
      osRelease: f.osRelease,
      user: f.user,
      dirs: {
        runtime: r(runtime),
        state: r(user ? configHome : "/var/lib"),
        cache: r(user ? env.XDG_CACHE_HOME ?? `${f.user.home}/.cache` : "/var/cache"),
        logs: r(user ? `${configHome}/log` : "/var/log"),
        config: r(user ? configHome : "/etc"),
        tmp: env.TMPDIR ?? env.TEMP ?? env.TMP ?? "/tmp",
        varTmp: env.TMPDIR ?? env.TEMP ?? env.TMP ?? "/var/tmp",
      },
    };
  }

  #expandSpecifiers(
    id: string,
    fragment: string | undefined,
    assignments: Assignment[],
    diagnostics: Diagnostic[],
  ): Assignment[] {
    if (!assignments.some((a) => a.value.includes("%"))) return assignments;
    const ctx = this.specifierContext(id, fragment);
    const out: Assignment[] = [];
    for (const a of assignments) {
      if (!a.value.includes("%")) {
        out.push(a);
        continue;
      }
      const r = expandAssignment(a, ctx);
      if ("error" in r) {
        diagnostics.push({ file: a.file, line: a.line, message: r.error });
        continue;
      }
      out.push({ ...a, value: r.value });
    }
    return out;
  }
}

/**
 * Expands one assignment's specifiers. Exec lines and `Environment=` are split into words
 * first and expanded per word, as systemd does, so an expansion never splits or drops an
 * argument; the whole-value error message is kept either way.
 */
function expandAssignment(
  a: Assignment,
  ctx: SpecifierContext,
): { value: string } | { error: string } {
  const word = (w: string) => expandSpecifiers(w, ctx);
  const perWord = a.key.startsWith("Exec")
    ? expandExecSpecifiers(a.value, word)
    : a.key === "Environment"
    ? expandEnvironmentSpecifiers(a.value, word)
    : undefined;
  if (perWord === undefined) return expandSpecifiers(a.value, ctx);
  if ("error" in perWord) {
    return { error: `Failed to resolve unit specifiers in '${a.value}', ignoring.` };
  }
  return perWord;
}

const BUILTIN_NAMES: Record<string, true> = Object.fromEntries(
  [
    "multi-user.target",
    "graphical.target",
    "rescue.target",
    "emergency.target",
    "default.target",
    "sysinit.target",
    "basic.target",
    "local-fs.target",
    "remote-fs.target",
    "network.target",
    "network-online.target",
    "network-pre.target",
    "nss-lookup.target",
    "time-sync.target",
    "sockets.target",
    "timers.target",
    "paths.target",
    "slices.target",
    "getty.target",
    "shutdown.target",
    "halt.target",
    "poweroff.target",
    "reboot.target",
  ].map((n) => [n, true]),
);

/** Checks the essential service settings; returns systemd's refusal text or undefined. */

const FATAL_PARSE_ERROR = "Unit configuration has fatal error, unit will not be started.";

function serviceSettingProblem(config: UnitConfig, diagnostics: Diagnostic[]): string | undefined {
  let execStart = 0;
  let fatal = false;
  for (const key of SERVICE_EXEC_KEYS) {
    for (const a of config.entries("Service", key)) {
      const r = parseExecLine(a.value);
      if (r.error) {
        diagnostics.push({ file: a.file, line: a.line, message: r.error });
        if (!/^[@:+!]*-/.test(a.value)) fatal = true;
        continue;
      }
      if (key === "ExecStart") execStart += r.commands.length;
    }
  }
  if (fatal) return FATAL_PARSE_ERROR;
  const hasStop = config.entries("Service", "ExecStop").length > 0;
  const type = config.get("Service", "Type") ?? (execStart > 0 ? "simple" : "oneshot");
  if (execStart === 0 && !hasStop && !config.get("Unit", "SuccessAction")) {
    return "Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.";
  }
  if (type !== "oneshot" && execStart === 0) {
    return "Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.";
  }
  if (type !== "oneshot" && execStart > 1) {
    return "Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.";
  }
  const restart = config.get("Service", "Restart");
  if (type === "oneshot" && (restart === "always" || restart === "on-success")) {
    return "Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing.";
  }
  return undefined;
}

/** Expands arguments and loads each unit (helper for verbs). */
export function loadUnits(
  ctx: LoadEnv & { warn(text: string): void },
  args: readonly string[],
  defaultSuffix: string,
): LoadedUnit[] {
  const loader = new UnitLoader(ctx);
  return loader.expand(args, defaultSuffix, (t) => ctx.warn(t)).map((n) => loader.load(n));
}

/** Formats all diagnostics of a unit, one line each. */
export function unitDiagnostics(unit: LoadedUnit): string[] {
  return unit.diagnostics.map((d) => d.line > 0 ? formatDiagnostic(d) : `${d.file}: ${d.message}`);
}
