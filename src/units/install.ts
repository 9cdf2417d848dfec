/**
 * Install logic as systemd 252's `install.c` does it offline: finding a unit
 * file by name (following alias and linked symlinks), reading `[Install]`,
 * computing UnitFileState, and planning and applying enable, disable, mask,
 * unmask, link, preset and set-default as lists of changes.
 *
 * Paths handed around are paths inside the root ("/etc/systemd/system/x")
 * unless named `host…`; change records carry host paths, as systemd prints.
 * State queries use one {@link UnitIndex} scan plus a reverse map of every
 * symlink in the search path, so listing N units costs O(N).
 * @module
 */

import { dirname, isAbsolute, join, normalize } from "../unit/posix_path.ts";
import {
  instanceName,
  isValidUnitName,
  parseUnitName,
  templateOf,
  unescapeName,
  unescapePath,
} from "../unit/names.ts";
import { builtinUnitText } from "../unit/builtins.ts";
import {
  configDirs,
  type PathEnv,
  type RootMap,
  type Scope,
  searchPath,
  stateDir,
} from "./paths.ts";
import { UNIT_INDEX_FILE, UnitIndex } from "./index.ts";
import { readRegularTextChunks } from "./regular_file.ts";
import { LineReader, LONG_LINE_MAX, UnitTextParser } from "../unit/parse.ts";
import { escapeInvalid, isUtf8Clean } from "../unit/utf8.ts";
import { type PresetAnswer, type Presets, queryPreset, readPresets } from "./presets.ts";

/** The unit-file states of systemd 252. */
export type UnitFileState =
  | "enabled"
  | "enabled-runtime"
  | "linked"
  | "linked-runtime"
  | "alias"
  | "masked"
  | "masked-runtime"
  | "static"
  | "disabled"
  | "indirect"
  | "generated"
  | "transient"
  | "bad";

/** States for which `is-enabled` exits 0. */
export const ENABLED_STATES: ReadonlySet<UnitFileState> = new Set<UnitFileState>([
  "enabled",
  "enabled-runtime",
  "static",
  "alias",
  "indirect",
  "generated",
]);

/** The `[Install]` settings of a unit file (drop-ins included). */
export interface InstallSection {
  aliases: string[];
  wantedBy: string[];
  requiredBy: string[];
  upheldBy: string[];
  also: string[];
  defaultInstance: string | undefined;
}

/** How a name was found. */
type Mode = "regular" | "linked" | "alias" | "masked";

/** An errno-like failure code, as systemd's install code reports them. */
export type InstallErrno =
  | "ENOENT"
  | "EEXIST"
  | "ERFKILL"
  | "EADDRNOTAVAIL"
  | "ELOOP"
  | "EXDEV"
  | "EUCLEAN"
  | "EIDRM"
  | "EBADSLT"
  | "EINVAL"
  | "ENOLINK"
  | "EISDIR"
  | "ETXTBSY"
  | "ENOBUFS"
  | "EIO"
  | "EACCES"
  | "EPERM"
  | "EROFS"
  | "ENOTDIR"
  | "ENOSPC"
  | "EDQUOT"
  | "ENAMETOOLONG";

const FS_ERRNOS: ReadonlySet<string> = new Set<InstallErrno>([
  "ENOENT",
  "EEXIST",
  "ELOOP",
  "EISDIR",
  "EIO",
  "EACCES",
  "EPERM",
  "EROFS",
  "ENOTDIR",
  "ENOSPC",
  "EDQUOT",
  "ENAMETOOLONG",
]);

/** The errno of a file-system error (Deno's errors carry it as `code`); EIO when unknown. */
export function errnoOf(e: unknown): InstallErrno {
  const code = (e as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" && FS_ERRNOS.has(code) ? code as InstallErrno : "EIO";
}

/** One change made (or refused), as systemd's InstallChange. Paths are host paths. */
export type InstallChange =
  | { readonly type: "symlink"; readonly path: string; readonly source: string }
  | { readonly type: "unlink"; readonly path: string }
  | { readonly type: "is-masked"; readonly path: string }
  | { readonly type: "is-dangling"; readonly path: string }
  | { readonly type: "destination-not-present"; readonly path: string; readonly source: string }
  | { readonly type: "auxiliary-failed"; readonly path: string }
  | {
    readonly type: "error";
    readonly errno: InstallErrno;
    readonly path: string;
    readonly source?: string;
  };

/** A failure that ends an operation; the change list already records it. */
export class InstallError extends Error {
  /** The errno-like code. */
  readonly errno: InstallErrno;
  constructor(errno: InstallErrno, message = errno) {
    super(message);
    this.name = "InstallError";
    this.errno = errno;
  }
}

/** The outcome of an install operation. */
export interface InstallResult {
  readonly changes: InstallChange[];
  /** Negative-errno semantics: set when the operation failed. */
  readonly error?: InstallErrno;
  /** enable/reenable: how many install rules were applied (0 → the "no [Install]" notice). */
  readonly carriesInstallInfo?: number;
}

interface Info {
  name: string;
  path?: string;
  mode?: Mode;
  symlinkTarget?: string;
  install: InstallSection;
  auxiliary: boolean;
}

function emptyInstall(): InstallSection {
  return {
    aliases: [],
    wantedBy: [],
    requiredBy: [],
    upheldBy: [],
    also: [],
    defaultInstance: undefined,
  };
}

function basename(p: string): string {
  const s = p.endsWith("/") && p.length > 1 ? p.slice(0, -1) : p;
  return s.slice(s.lastIndexOf("/") + 1);
}

/** path_startswith on whole components. */
function pathStartsWith(path: string, prefix: string): boolean {
  if (prefix === "/") return path.startsWith("/");
  return path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === "/");
}

function isInstance(name: string): boolean {
  const p = parseUnitName(name);
  return p !== undefined && p.instance !== undefined && p.instance !== "";
}

function isTemplate(name: string): boolean {
  return parseUnitName(name)?.isTemplate === true;
}

function hasRules(i: InstallSection): boolean {
  return i.aliases.length + i.wantedBy.length + i.requiredBy.length + i.upheldBy.length > 0;
}

/** Splits a list value like `extract_first_word` with quote removal. */
function splitWords(value: string, unquote: boolean): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && /\s/.test(value[i])) i++;
    if (i >= value.length) break;
    let word = "";
    let quote: string | undefined;
    for (; i < value.length; i++) {
      const c = value[i];
      if (quote) {
        if (c === quote) quote = undefined;
        else word += c;
        continue;
      }
      if (unquote && (c === '"' || c === "'")) {
        quote = c;
        continue;
      }
      if (/\s/.test(c)) break;
      word += c;
    }
    out.push(word);
  }
  return out;
}

interface LinkRef {
  readonly dir: number;
  readonly name: string;
}

/**
 * The search path, config dirs and symlink maps of one scope under one root.
 * Build it once per invocation with {@link InstallLookup.open}.
 */
export class InstallLookup {
  /** The root mapping. */
  readonly root: RootMap;
  readonly scope: Scope;
  /** Existing search dirs (inside the root), highest priority first. */
  readonly searchPath: readonly string[];
  readonly persistentConfig: string;
  readonly runtimeConfig: string;
  readonly persistentControl: string;
  readonly runtimeControl: string;
  readonly transient: string;
  readonly generators: readonly string[];
  readonly #searchSet: Set<string>;
  readonly #allDirs: readonly string[];
  /** The search path as given, and where its digest lives (none for the global dirs). */
  readonly #scanDirs: readonly string[];
  readonly #digest: string | undefined;
  #index: UnitIndex | undefined;
  #links: LinkMaps | undefined;
  readonly #linksByName = new Map<string, LinkMaps>();
  #presets: Presets | undefined;
  readonly #installCache = new Map<
    string,
    { install: InstallSection | InstallErrno | "EMPTY"; warnings: string[] }
  >();
  readonly #dirNames = new Map<string, Map<string, "file" | "symlink" | "dir" | "other">>();
  /** Set for query-only use: directory listings may then be cached. */
  readOnly = false;

  private constructor(root: RootMap, scope: Scope, env: PathEnv, global: boolean) {
    this.root = root;
    this.scope = scope;
    const all = searchPath(scope, env, global);
    const cfg = configDirs(scope, env, global);
    this.persistentConfig = cfg.persistent;
    this.runtimeConfig = cfg.runtime;
    this.persistentControl = cfg.persistentControl;
    this.runtimeControl = cfg.runtimeControl;
    const runtimeDir = scope === "system"
      ? "/run/systemd"
      : `${env.XDG_RUNTIME_DIR || "/run/user/0"}/systemd`;
    this.transient = `${runtimeDir}/transient`;
    this.generators = [
      `${runtimeDir}/generator.early`,
      `${runtimeDir}/generator`,
      `${runtimeDir}/generator.late`,
    ];
    const seen = new Set<string>();
    const dirs: string[] = [];
    for (const d of all) {
      let real: string;
      try {
        // Resolved inside the root: an absolute link there must not lead to the host.
        real = root.safe(d, true);
        Deno.statSync(real);
      } catch {
        continue;
      }
      if (seen.has(real)) continue;
      seen.add(real);
      dirs.push(d);
    }
    this.searchPath = dirs;
    // Membership checks use the whole list: systemd 252 keeps missing dirs in it.
    this.#allDirs = [...new Set(all)];
    // The loader's scan of the same list: one digest for both (its key is the list).
    this.#scanDirs = all;
    this.#digest = global ? undefined : `${stateDir(scope, env)}/${UNIT_INDEX_FILE}`;
    this.#searchSet = new Set([...dirs, ...all]);
  }

  /** Opens the lookup for a scope. `global` selects the global user config dirs. */
  static open(root: RootMap, scope: Scope, env: PathEnv = {}, global = false): InstallLookup {
    return new InstallLookup(root, scope, env, global);
  }

  /** The one scan of the search path (made on first use). */
  get index(): UnitIndex {
    if (!this.#index) {
      this.#index = UnitIndex.scan(this.root, this.#scanDirs, { digest: this.#digest });
    }
    return this.#index;
  }

  /** The scan of the search path when one was made or given already (none is made). */
  get scanned(): UnitIndex | undefined {
    return this.#index;
  }

  /**
   * Uses the search-path digest when it holds (then one-unit lookups read no directory of
   * any size); without one, nothing changes. For read-only lookups.
   */
  useDigest(): void {
    if (this.#index || this.#digest === undefined) return;
    const index = UnitIndex.fromDigest(this.root, this.#scanDirs, this.#digest);
    if (index) this.useIndex(index);
  }

  /** Uses an existing scan instead of making one. */
  useIndex(index: UnitIndex): void {
    this.#index = index;
    this.#links = undefined;
    this.#linksByName.clear();
  }

  /** Forgets cached scans (after the file system was changed). */
  invalidate(): void {
    this.#index = undefined;
    this.#links = undefined;
    this.#linksByName.clear();
    this.#installCache.clear();
    this.#dirNames.clear();
  }

  /** The preset policy (read once). */
  get presets(): Presets {
    if (!this.#presets) this.#presets = readPresets(this.root, this.scope);
    return this.#presets;
  }

  /** Whether the presets were read already (their warnings printed). */
  get presetsLoaded(): boolean {
    return this.#presets !== undefined;
  }

  /** The symlink maps (built on first use). */
  get links(): LinkMaps {
    if (!this.#links) this.#links = buildLinkMaps(this);
    return this.#links;
  }

  /**
   * The symlink maps as far as `name` needs them: with the search-path digest and a name
   * that is no template, its links in `.wants`-like subdirs are looked up by name (a query
   * about one unit then reads no subdir of any size); else {@link links}.
   */
  linksFor(name: string): LinkMaps {
    if (this.#links || !this.#index?.digested || isTemplate(name)) return this.links;
    let maps = this.#linksByName.get(name);
    if (!maps) {
      maps = buildLinkMaps(this, name);
      this.#linksByName.set(name, maps);
    }
    return maps;
  }

  /**
   * The host path of a path inside the root; symlinked directories are followed inside
   * the root, never out of it (an absolute `/etc/systemd/system` link in an image).
   */
  host(path: string): string {
    return this.root.safe(path);
  }

  /** Whether a path's directory is one of the search dirs. */
  inSearchPath(path: string): boolean {
    return this.#searchSet.has(dirname(path));
  }

  /** Whether a path lies anywhere beneath a search dir. */
  underSearchPath(path: string): boolean {
    for (const d of this.#allDirs) if (pathStartsWith(path, d)) return true;
    return false;
  }

  /** Whether a directory (not a file in it) is a runtime directory. */
  isRuntimeDir(dir: string): boolean {
    if (pathStartsWith(dir, "/run")) return true;
    return dir === this.runtimeConfig || this.generators.includes(dir) ||
      dir === this.transient || dir === this.runtimeControl;
  }

  /** Whether the file's directory is a generator dir. */
  isGenerated(path: string): boolean {
    return this.generators.includes(dirname(path));
  }

  /** Whether the file's directory is the transient dir. */
  isTransient(path: string): boolean {
    return dirname(path) === this.transient;
  }

  /** Whether the file's directory is a config dir (/etc or /run config). */
  isConfig(path: string): boolean {
    const d = dirname(path);
    return d === this.persistentConfig || d === this.runtimeConfig;
  }

  /** Parsed `[Install]` of a file (drop-ins included), cached by path and name. */
  installOf(info: Info, ctx: InstallContext | undefined): InstallSection | InstallErrno | "EMPTY" {
    const key = `${info.path}\0${info.name}`;
    const cached = this.#installCache.get(key);
    if (cached !== undefined) {
      for (const w of cached.warnings) this.warn(w);
      if (typeof cached.install !== "string" && ctx) {
        for (const a of cached.install.also) {
          try {
            ctx.add(a, undefined, true);
          } catch { /* invalid name */ }
        }
      }
      return cached.install;
    }
    const warnings: string[] = [];
    const r = loadInstall(this, info, ctx, warnings);
    this.#installCache.set(key, { install: r, warnings });
    for (const w of warnings) this.warn(w);
    return r;
  }

  /** Where unit-file warnings go (systemd logs them at every load). */
  warn: (text: string) => void = () => {};

  /**
   * Whether a file name exists in a search dir, from one listing per dir
   * (read-only lookups only); undefined when not cached.
   */
  listed(dir: string, name: string): boolean | undefined {
    const k = this.listedKind(dir, name);
    return k === undefined ? undefined : k !== "none";
  }

  /** The kind of a directory entry from the cached listing (read-only lookups only). */
  listedKind(dir: string, name: string): "file" | "symlink" | "dir" | "other" | "none" | undefined {
    if (!this.readOnly) return undefined;
    // From the search-path digest: its special entries, and regular files by name, so that
    // a query about one unit does not list directories of any size.
    const index = this.#index;
    const special = index?.digested ? index.specialEntries(dir) : undefined;
    if (special) {
      const kind = special.get(name);
      if (kind !== undefined) return kind;
      try {
        return Deno.lstatSync(`${this.host(dir)}/${name}`).isFile ? "file" : "none";
      } catch {
        return "none";
      }
    }
    let m = this.#dirNames.get(dir);
    if (!m) {
      m = new Map();
      try {
        for (const e of Deno.readDirSync(this.host(dir))) {
          m.set(
            e.name,
            e.isFile ? "file" : e.isSymlink ? "symlink" : e.isDirectory ? "dir" : "other",
          );
        }
      } catch { /* missing dir */ }
      this.#dirNames.set(dir, m);
    }
    return m.get(name) ?? "none";
  }
}

/** Reverse maps of every symlink in the search dirs and their `.wants`-like subdirs. */
export interface LinkMaps {
  /** Links inside `X.wants|requires|upholds/` by link name → dir indexes. */
  readonly wantsByName: Map<string, number[]>;
  /** The same links by the template of their name. */
  readonly wantsByTemplate: Map<string, LinkRef[]>;
  /** Top-level symlinks by name → (dir, target base name). */
  readonly topByName: Map<string, { dir: number; dest: string }[]>;
  /** Top-level symlinks by target base name → (dir, link name). */
  readonly topByDest: Map<string, LinkRef[]>;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

/**
 * The link maps; with `only` (a unit name that is no template), only its own entries of the
 * `.wants`-like subdirs, each looked up by name instead of listing the subdirs.
 */
function buildLinkMaps(lp: InstallLookup, only?: string): LinkMaps {
  const maps: LinkMaps = {
    wantsByName: new Map(),
    wantsByTemplate: new Map(),
    topByName: new Map(),
    topByDest: new Map(),
  };
  lp.searchPath.forEach((dir, i) => {
    let entries: { name: string; isDirectory: boolean; isSymlink: boolean }[];
    const hostDir = lp.host(dir);
    // Only links and directories matter here: the scan's list of them, when there is one.
    const special = lp.scanned?.specialEntries(dir);
    if (special) {
      entries = [];
      for (const [name, kind] of special) {
        entries.push({ name, isDirectory: kind === "dir", isSymlink: kind === "symlink" });
      }
    } else {
      try {
        entries = [...Deno.readDirSync(hostDir)];
      } catch {
        return;
      }
    }
    for (const e of entries) {
      if (e.isDirectory) {
        const dot = e.name.lastIndexOf(".");
        const suffix = dot < 0 ? "" : e.name.slice(dot);
        if (suffix !== ".wants" && suffix !== ".requires" && suffix !== ".upholds") continue;
        if (only !== undefined) {
          try {
            if (Deno.lstatSync(`${hostDir}/${e.name}/${only}`).isSymlink) {
              push(maps.wantsByName, only, i);
            }
          } catch { /* not linked here */ }
          continue;
        }
        let sub: Deno.DirEntry[];
        try {
          sub = [...Deno.readDirSync(`${hostDir}/${e.name}`)];
        } catch {
          continue;
        }
        for (const s of sub) {
          if (!s.isSymlink) continue;
          push(maps.wantsByName, s.name, i);
          const t = templateOf(s.name);
          if (t !== undefined && t !== s.name) {
            push(maps.wantsByTemplate, t, { dir: i, name: s.name });
          }
        }
      } else if (e.isSymlink) {
        let target: string;
        try {
          target = Deno.readLinkSync(`${hostDir}/${e.name}`);
        } catch {
          continue;
        }
        const dest = basename(isAbsolute(target) ? target : join(hostDir, target));
        push(maps.topByName, e.name, { dir: i, dest });
        push(maps.topByDest, dest, { dir: i, name: e.name });
      }
    }
  });
  return maps;
}

// ---------------------------------------------------------------------------
// Specifiers in [Install] values

/** Expands the specifiers systemd allows in `[Install]` (name-derived ones). */
export function installPrintf(name: string, text: string, defaultInstance?: string): string {
  if (!text.includes("%")) return text;
  const parts = parseUnitName(name);
  const dot = name.lastIndexOf(".");
  const prefix = parts?.prefix ?? name.slice(0, dot);
  // A template's instance specifiers use DefaultInstance=, as systemd's install_name_printf.
  const instance = parts?.isTemplate && defaultInstance !== undefined
    ? defaultInstance
    : parts?.instance ?? "";
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "%") {
      out += c;
      continue;
    }
    const s = text[++i];
    switch (s) {
      case "%":
        out += "%";
        break;
      case "n":
        out += name;
        break;
      case "N":
        out += name.slice(0, dot);
        break;
      case "p":
        out += prefix;
        break;
      case "P":
        out += unescapeName(prefix) ?? prefix;
        break;
      case "i":
        out += instance;
        break;
      case "I":
        out += unescapeName(instance) ?? instance;
        break;
      case "j": {
        const d = prefix.lastIndexOf("-");
        out += d < 0 ? prefix : prefix.slice(d + 1);
        break;
      }
      case "J": {
        const d = prefix.lastIndexOf("-");
        const j = d < 0 ? prefix : prefix.slice(d + 1);
        out += unescapeName(j) ?? j;
        break;
      }
      case "f":
        out += unescapePath(instance || prefix) ?? "/";
        break;
      default:
        throw new InstallError("EBADSLT");
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Loading

function lstatIn(lp: InstallLookup, path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(lp.host(path));
  } catch {
    return undefined;
  }
}

/**
 * Follows symlinks in every component but the last, inside the root
 * (systemd's chase with CHASE_NOFOLLOW|CHASE_NONEXISTENT).
 */
function chaseParent(lp: InstallLookup, path: string): string {
  const norm = normalize(path);
  const dir = dirname(norm);
  const base = basename(norm);
  if (dir === "/" || norm === "/") return norm;
  const resolvedDir = chaseAll(lp, dir);
  return resolvedDir === "/" ? `/${base}` : `${resolvedDir}/${base}`;
}

/** Resolves every symlink in a path inside the root; missing tails are kept. */
function chaseAll(lp: InstallLookup, path: string): string {
  let todo = normalize(path).split("/").filter((x) => x !== "");
  let done = "";
  let hops = 0;
  while (todo.length > 0) {
    const comp = todo.shift() as string;
    if (comp === "..") {
      done = dirname(done || "/");
      if (done === "/") done = "";
      continue;
    }
    const next = `${done}/${comp}`;
    const st = lstatIn(lp, next);
    if (st?.isSymlink && hops++ < 40) {
      let target: string;
      try {
        target = Deno.readLinkSync(lp.host(next));
      } catch {
        done = next;
        continue;
      }
      const parts = target.split("/").filter((x) => x !== "");
      if (isAbsolute(target)) done = "";
      todo = [...parts, ...todo];
      continue;
    }
    done = next;
  }
  return done === "" ? "/" : done;
}

function nullOrEmpty(lp: InstallLookup, path: string): boolean | undefined {
  if (path === "/dev/null") return true;
  try {
    const st = Deno.statSync(lp.host(path));
    if (st.isCharDevice) return true;
    return st.isFile && st.size === 0;
  } catch {
    return undefined;
  }
}

function loadInstall(
  lp: InstallLookup,
  info: Info,
  ctx: InstallContext | undefined,
  warnings: string[],
): InstallSection | InstallErrno | "EMPTY" {
  const install = emptyInstall();
  const path = info.path as string;
  const main = scanInstallFile(lp.host(path));
  if (typeof main === "string") return main;
  if (main.empty) return "EMPTY";
  // A line over systemd's limit fails the whole unit file (config_parse's ENOBUFS).
  if (main.tooLong) return "ENOBUFS";
  const pending = [{ file: lp.host(path), scan: main }];
  // Drop-ins of the name and of its template, first dir wins per file name.
  const names = [`${info.name}.d`];
  const t = templateOf(info.name);
  if (t !== undefined && t !== info.name) names.push(`${t}.d`);
  const files = new Map<string, string>();
  for (const dn of names) {
    for (const dir of lp.searchPath) {
      if (lp.listed(dir, dn) === false) continue;
      let entries: Deno.DirEntry[];
      try {
        entries = [...Deno.readDirSync(lp.host(`${dir}/${dn}`))];
      } catch {
        continue;
      }
      for (const e of entries) {
        if (!e.name.endsWith(".conf") || files.has(e.name)) continue;
        files.set(e.name, `${dir}/${dn}/${e.name}`);
      }
    }
  }
  for (const n of [...files.keys()].sort()) {
    if (pending[pending.length - 1].scan.unclean) break;
    const f = lp.host(files.get(n) as string);
    const scan = scanInstallFile(f);
    if (typeof scan === "string") continue; // unreadable drop-in: ignored
    if (scan.tooLong) return "ENOBUFS";
    pending.push({ file: f, scan });
  }
  for (const { file, scan } of pending) {
    if (!applyInstallScan(install, info.name, scan, file, ctx, warnings)) return "EINVAL";
  }
  return install;
}

const KNOWN_SECTIONS = new Set([
  "Install",
  "Unit",
  "Automount",
  "Device",
  "Mount",
  "Path",
  "Scope",
  "Service",
  "Slice",
  "Socket",
  "Swap",
  "Target",
  "Timer",
]);

/** The `[Install]` assignments of a text, with systemd's warnings for what it ignores. */
type Assign = { key: string; value: string; line: number };
type Note = { line: number; text: string };

/** What scanning one file for its [Install] settings found. */
interface InstallScan {
  readonly assignments: Assign[];
  readonly notes: Note[];
  /** The file held no text at all. */
  readonly empty: boolean;
  /** A line, or a continued line, over systemd's LONG_LINE_MAX: the file is refused. */
  readonly tooLong: boolean;
  /**
   * The first line that is not UTF-8 clean, with systemd's warning: its parser stops there
   * and the file is bad (`Invalid argument`); comment lines do not count.
   */
  readonly unclean?: Note;
}

/**
 * Reads a unit file or drop-in in pieces and collects its [Install] assignments line by
 * line (time linear in the file, memory bounded by one line): a trailing backslash joins
 * the next line, comment lines inside are skipped, and a logical line counts from its
 * first physical line. Returns an errno for a file that cannot be read.
 */
function scanInstallFile(hostPath: string): InstallScan | InstallErrno {
  const scanner = new InstallScanner();
  const reader = new LineReader((line, bytes) => scanner.line(line, bytes));
  let empty = true;
  try {
    readRegularTextChunks(hostPath, (text) => {
      empty = false;
      return reader.push(text);
    }, { unit: true });
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? "EIO" : errnoOf(e);
  }
  reader.end();
  const tooLong = reader.tooLong || scanner.tooLong;
  if (!tooLong && !scanner.unclean) scanner.end();
  const { assignments, notes } = scanner;
  return { assignments, notes, empty, tooLong, unclean: scanner.unclean && uncleanLine(hostPath) };
}

/**
 * The line that is not UTF-8 clean, in the unit parser's words (the number of the last
 * physical line of a continued line, its text as joined): read again, since this is rare.
 */
function uncleanLine(hostPath: string): Note | undefined {
  const parser = new UnitTextParser(hostPath);
  try {
    readRegularTextChunks(hostPath, (text) => parser.push(text), { unit: true });
  } catch {
    return undefined;
  }
  const parsed = parser.end();
  const last = parsed.diagnostics[parsed.diagnostics.length - 1];
  return parsed.error === "Invalid argument" && last
    ? { line: last.line, text: last.message }
    : undefined;
}

/** The [Install] scanner's state between physical lines. */
class InstallScanner {
  readonly assignments: Assign[] = [];
  readonly notes: Note[] = [];
  tooLong = false;
  unclean: Note | undefined;
  #section: string | undefined;
  #lineNo = 0;
  #first = true;
  /** The pieces of a continued line, its first line's number, and its size in bytes. */
  #pending: string[] | undefined;
  #pendingLine = 0;
  #pendingBytes = 0;

  line(raw: string, bytes: number): boolean {
    this.#lineNo++;
    if (this.#first) {
      this.#first = false;
      if (raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    }
    const line = raw.trim();
    const comment = line[0] === "#" || line[0] === ";";
    if (this.#pending !== undefined) {
      if (comment) {
        // Skipped, the continuation goes on (with a space where the backslash was).
        this.#pending.push(" ");
        return true;
      }
      if (this.#pendingBytes + bytes > LONG_LINE_MAX) {
        this.tooLong = true;
        return false;
      }
      this.#pendingBytes += bytes;
      if (line.endsWith("\\")) {
        this.#pending.push(" " + line.slice(0, -1));
        return true;
      }
      this.#pending.push(" " + line);
      this.#flush();
      return this.unclean === undefined;
    }
    if (line === "" || comment) return true;
    if (line.endsWith("\\")) {
      this.#pending = [line.slice(0, -1)];
      this.#pendingLine = this.#lineNo;
      this.#pendingBytes = bytes;
      return true;
    }
    this.#logical(line, this.#lineNo);
    return this.unclean === undefined;
  }

  end(): void {
    if (this.#pending !== undefined) this.#flush();
  }

  #flush(): void {
    const parts = this.#pending as string[];
    this.#pending = undefined;
    this.#logical(parts.join(""), this.#pendingLine);
  }

  #logical(line: string, lineNo: number): void {
    if (!isUtf8Clean(line)) {
      this.unclean = {
        line: lineNo,
        text: `String is not UTF-8 clean, ignoring assignment: ${escapeInvalid(line)}`,
      };
      return;
    }
    if (line[0] === "[" && line.endsWith("]")) {
      const section = line.slice(1, -1);
      this.#section = section;
      if (!KNOWN_SECTIONS.has(section) && !section.startsWith("X-")) {
        this.notes.push({ line: lineNo, text: `Unknown section '${section}'. Ignoring.` });
      }
      return;
    }
    if (this.#section === undefined) {
      this.notes.push({ line: lineNo, text: "Assignment outside of section. Ignoring." });
      return;
    }
    if (this.#section !== "Install") return;
    const eq = line.indexOf("=");
    if (eq < 0) {
      this.notes.push({ line: lineNo, text: "Missing '=', ignoring line." });
      return;
    }
    const key = line.slice(0, eq).trim();
    if (key === "") {
      this.notes.push({ line: lineNo, text: "Missing key name before '=', ignoring line." });
      return;
    }
    this.assignments.push({ key, value: line.slice(eq + 1).trim(), line: lineNo });
  }
}

/** Applies a file's `[Install]` settings; false (after the warnings) when the file is bad. */
function applyInstallScan(
  install: InstallSection,
  name: string,
  scan: InstallScan,
  file: string,
  ctx: InstallContext | undefined,
  warnings: string[],
): boolean {
  if (scan.unclean) {
    // systemd read (and warned about) the lines before the bad one, then gave up.
    const before = scan.notes.filter((n) => n.line < scan.unclean!.line);
    before.sort((x, y) => x.line - y.line);
    for (const n of before) warnings.push(`${file}:${n.line}: ${n.text}`);
    warnings.push(`${file}:${scan.unclean.line}: ${scan.unclean.text}`);
    return false;
  }
  const { assignments } = scan;
  const notes = [...scan.notes];
  for (const a of assignments) {
    const setList = (list: string[]): void => {
      if (a.value === "") list.length = 0;
      else for (const w of splitWords(a.value, true)) list.push(w);
    };
    switch (a.key) {
      case "Alias": {
        const type = name.slice(name.lastIndexOf(".") + 1);
        if (type === "device" || type === "slice" || type === "scope") break;
        setList(install.aliases);
        break;
      }
      case "WantedBy":
        setList(install.wantedBy);
        break;
      case "RequiredBy":
        setList(install.requiredBy);
        break;
      case "Also":
        for (const w of splitWords(a.value, false)) {
          let printed: string;
          try {
            printed = installPrintf(name, w);
          } catch {
            continue;
          }
          try {
            ctx?.add(printed, undefined, true);
          } catch {
            continue;
          }
          install.also.push(printed);
        }
        break;
      case "DefaultInstance": {
        if (isInstance(name) || !isTemplate(name)) break;
        let printed: string;
        try {
          printed = installPrintf(name, a.value);
        } catch {
          break;
        }
        install.defaultInstance = printed === "" ? undefined : printed;
        break;
      }
      default:
        if (!a.key.startsWith("X-")) {
          notes.push({
            line: a.line,
            text: `Unknown key '${a.key}' in section [Install], ignoring.`,
          });
        }
    }
  }
  notes.sort((x, y) => x.line - y.line);
  for (const n of notes) warnings.push(`${file}:${n.line}: ${n.text}`);
  return true;
}

interface SearchFlags {
  load: boolean;
  followConfig: boolean;
}

const LOAD_FOLLOW: SearchFlags = { load: true, followConfig: true };

/** systemd's InstallContext: the units to process, in order of discovery. */
class InstallContext {
  readonly lp: InstallLookup;
  readonly willProcess = new Map<string, Info>();
  readonly haveProcessed = new Map<string, Info>();

  constructor(lp: InstallLookup) {
    this.lp = lp;
  }

  find(name: string): Info | undefined {
    return this.haveProcessed.get(name) ?? this.willProcess.get(name);
  }

  /** Adds a name (or a path whose base name is the name). */
  add(name: string | undefined, path: string | undefined, auxiliary: boolean): Info {
    const n = name ?? basename(path as string);
    if (!isValidUnitName(n)) throw new InstallError("EINVAL");
    const existing = this.find(n);
    if (existing) {
      existing.auxiliary = existing.auxiliary && auxiliary;
      return existing;
    }
    const info: Info = { name: n, path, install: emptyInstall(), auxiliary };
    this.willProcess.set(n, info);
    return info;
  }

  loadOrReadlink(info: Info, path: string, flags: SearchFlags): void {
    const lp = this.lp;
    if (lp.listedKind(dirname(path), basename(path)) === "file" && flags.load) {
      // Known regular file: reading it tells emptiness, no lstat needed.
      info.path = path;
      const r = lp.installOf(info, this);
      if (r === "EMPTY") {
        info.mode = "masked";
        return;
      }
      if (typeof r === "string") throw new InstallError(r);
      info.install = r;
      info.mode = "regular";
      return;
    }
    const st = lstatIn(lp, path);
    if (!st) throw new InstallError("ENOENT");
    if (st.isSymlink) {
      let raw: string;
      try {
        raw = Deno.readLinkSync(lp.host(path));
      } catch {
        throw new InstallError("ENOENT");
      }
      const target = chaseParent(lp, isAbsolute(raw) ? raw : join(dirname(path), raw));
      info.symlinkTarget = target;
      const outside = !lp.underSearchPath(target);
      if (nullOrEmpty(lp, target) === true) info.mode = "masked";
      else info.mode = outside ? "linked" : "alias";
      return;
    }
    if (st.isDirectory) throw new InstallError("EISDIR");
    if (st.isFile && st.size === 0) {
      info.mode = "masked";
      return;
    }
    if (!st.isFile) throw new InstallError("EIO");
    info.path = path;
    if (flags.load) {
      const r = lp.installOf(info, this);
      if (r === "EMPTY") {
        info.mode = "masked";
        return;
      }
      if (typeof r === "string") throw new InstallError(r);
      info.install = r;
    }
    info.mode = "regular";
  }

  search(info: Info, flags: SearchFlags): void {
    if (info.mode !== undefined) return;
    if (info.path !== undefined) {
      this.loadOrReadlink(info, info.path, flags);
      return;
    }
    const candidates = [info.name];
    const t = isInstance(info.name) ? templateOf(info.name) : undefined;
    if (t !== undefined) candidates.push(t);
    for (const n of candidates) {
      for (const dir of this.lp.searchPath) {
        if (this.lp.listed(dir, n) === false) continue;
        const path = `${dir}/${n}`;
        try {
          info.path = path;
          this.loadOrReadlink(info, path, flags);
          info.path = path;
          return;
        } catch (e) {
          info.path = undefined;
          info.mode = undefined;
          if (e instanceof InstallError && e.errno === "ENOENT") continue;
          throw e;
        }
      }
    }
    throw new InstallError("ENOENT");
  }

  follow(info: Info, flags: SearchFlags, ignoreDifferentName: boolean): void {
    const target = info.symlinkTarget as string;
    if (!ignoreDifferentName && basename(target) !== info.name) throw new InstallError("EXDEV");
    info.path = target;
    info.mode = undefined;
    info.symlinkTarget = undefined;
    this.loadOrReadlink(info, target, flags);
    if (info.mode !== "regular") info.path = target;
  }

  traverse(start: Info, flags: SearchFlags): Info {
    this.search(start, flags);
    let i = start;
    let k = 0;
    while (i.mode === "alias" || i.mode === "linked") {
      if (++k > 64) throw new InstallError("ELOOP");
      if (!flags.followConfig && this.lp.isConfig(i.path as string)) {
        throw new InstallError("ELOOP");
      }
      try {
        this.follow(i, flags, i.mode === "linked");
        continue;
      } catch (e) {
        if (!(e instanceof InstallError) || e.errno !== "EXDEV" || !i.symlinkTarget) throw e;
      }
      let bn = basename(i.symlinkTarget);
      if (isInstance(i.name) && isTemplate(bn)) {
        const inst = parseUnitName(i.name)?.instance as string;
        const buffer = instanceName(bn, inst);
        if (buffer === i.name) {
          this.follow(i, flags, true);
          continue;
        }
        bn = buffer;
      }
      i = this.add(bn, undefined, false);
      try {
        this.search(i, flags);
      } catch (e) {
        if (e instanceof InstallError && e.errno === "ENOENT") throw new InstallError("ENOLINK");
        throw e;
      }
    }
    return i;
  }

  addAuto(nameOrPath: string): Info {
    if (nameOrPath.startsWith("/")) return this.add(undefined, nameOrPath, false);
    return this.add(nameOrPath, undefined, false);
  }

  discover(nameOrPath: string, flags: SearchFlags, changes?: InstallChange[]): Info {
    try {
      return this.traverse(this.addAuto(nameOrPath), flags);
    } catch (e) {
      if (e instanceof InstallError) {
        changes?.push({ type: "error", errno: e.errno, path: nameOrPath });
      }
      throw e;
    }
  }

  discoverAndCheck(nameOrPath: string, flags: SearchFlags, changes: InstallChange[]): Info {
    const info = this.discover(nameOrPath, flags, changes);
    const lp = this.lp;
    if (info.mode === "masked") {
      changes.push({ type: "error", errno: "ERFKILL", path: lp.host(info.path as string) });
      throw new InstallError("ERFKILL");
    }
    if (lp.isGenerated(info.path as string) || lp.isTransient(info.path as string)) {
      changes.push({ type: "error", errno: "EADDRNOTAVAIL", path: lp.host(info.path as string) });
      throw new InstallError("EADDRNOTAVAIL");
    }
    return info;
  }
}

// ---------------------------------------------------------------------------
// State

function knownName(info: Info, name: string): boolean {
  if (name === info.name) return true;
  if (info.install.aliases.includes(name)) return true;
  const di = info.install.defaultInstance;
  if (di !== undefined && isTemplate(info.name)) {
    try {
      if (name === instanceName(info.name, di)) return true;
    } catch { /* invalid instance */ }
  }
  return false;
}

function findSymlinksInScope(
  lp: InstallLookup,
  info: Info,
  matchName: boolean,
): UnitFileState | undefined {
  const maps = lp.linksFor(info.name);
  const path = info.path as string;
  let ignoreSameName = false;
  let enabledInRuntime = false;
  let enabledAtAll = false;
  let sameConfig = false;
  let sameRuntime = false;
  const wantsHere = maps.wantsByName.get(info.name);
  const wantsTpl = maps.wantsByTemplate.get(info.name);
  const topSame = maps.topByName.get(info.name);
  const topDest = maps.topByDest.get(info.name);
  for (let i = 0; i < lp.searchPath.length; i++) {
    const dir = lp.searchPath[i];
    let found = false;
    let same = false;
    if (wantsHere?.includes(i)) found = true;
    if (!found && wantsTpl) {
      for (const l of wantsTpl) {
        if (l.dir === i && (!matchName || knownName(info, l.name))) {
          found = true;
          break;
        }
      }
    }
    if (!found && topSame) {
      for (const l of topSame) {
        if (l.dir !== i) continue;
        const foundPath = !ignoreSameName;
        const foundDest = l.dest === info.name;
        if (foundPath && foundDest) same = true;
        else if (foundPath || foundDest) found = true;
      }
    }
    if (!found && topDest) {
      for (const l of topDest) {
        if (l.dir !== i || l.name === info.name) continue;
        if (!matchName || knownName(info, l.name)) {
          found = true;
          break;
        }
      }
    }
    if (found) {
      if (dir === lp.persistentConfig) return "enabled";
      if (lp.isRuntimeDir(dir)) enabledInRuntime = true;
      else enabledAtAll = true;
    } else if (same) {
      if (dir === lp.persistentConfig) sameConfig = true;
      else if (lp.isRuntimeDir(dir)) sameRuntime = true;
    }
    if (!ignoreSameName && pathStartsWith(path, dir)) ignoreSameName = true;
  }
  if (enabledInRuntime) return "enabled-runtime";
  if (enabledAtAll && isInstance(info.name)) return "static";
  if (sameConfig) return "linked";
  if (sameRuntime) return "linked-runtime";
  return undefined;
}

/**
 * The UnitFileState of a unit name, as `systemctl is-enabled` and the
 * `UnitFileState` property report it. Returns undefined when no file for the
 * name exists, and `bad` when the name or file cannot be used.
 */
export function unitFileState(lp: InstallLookup, name: string): UnitFileState | undefined {
  const r = lookupState(lp, name);
  if (r === "ENOENT") return undefined;
  if (typeof r === "object") return r.state;
  return "bad";
}

/** Like {@link unitFileState}, but tells the failure: an errno-like code or the state. */
export function lookupState(
  lp: InstallLookup,
  name: string,
): { state: UnitFileState } | InstallErrno {
  if (!isValidUnitName(name)) return "EINVAL";
  const ctx = new InstallContext(lp);
  let info: Info;
  try {
    info = ctx.discover(name, LOAD_FOLLOW);
  } catch (e) {
    if (e instanceof InstallError) return e.errno;
    return errnoOf(e);
  }
  const path = info.path as string;
  if (info.mode === "masked") {
    return { state: lp.isRuntimeDir(dirname(path)) ? "masked-runtime" : "masked" };
  }
  if (name !== basename(path) && !isInstance(info.name)) return { state: "alias" };
  if (lp.isGenerated(path)) return { state: "generated" };
  if (lp.isTransient(path)) return { state: "transient" };
  const s = findSymlinksInScope(lp, info, true);
  if (s) return { state: s };
  if (findSymlinksInScope(lp, info, false)) return { state: "indirect" };
  if (hasRules(info.install)) return { state: "disabled" };
  if (info.install.also.length > 0) return { state: "indirect" };
  return { state: "static" };
}

/**
 * UnitFilePreset of a unit: `enabled`/`disabled` from the preset policy; undefined when
 * the policy cannot be read (list-unit-files then shows `n/a`, as systemd 252 does).
 */
export function unitFilePreset(
  lp: InstallLookup,
  name: string,
): "enabled" | "disabled" | undefined {
  if (lp.presets.error) return undefined;
  return queryPreset(lp.presets, name).action === "enable" ? "enabled" : "disabled";
}

/** Whether list-unit-files shows a preset for a state (not for static, alias, generated, transient). */
export function showsPreset(state: UnitFileState): boolean {
  return state !== "alias" && state !== "static" && state !== "generated" &&
    state !== "transient";
}

/** One row of list-unit-files. */
export interface UnitFileRow {
  readonly name: string;
  /** Where the listed entry is (inside the root). */
  readonly path: string;
  readonly state: UnitFileState;
}

/**
 * Every unit file of the search path with its state, as systemd's
 * `unit_file_get_list`: the first directory holding a name wins; only
 * regular files and symlinks with valid unit names count. Unsorted.
 */
export function listUnitFiles(
  lp: InstallLookup,
  filter: (name: string) => boolean = () => true,
): UnitFileRow[] {
  const rows: UnitFileRow[] = [];
  const seen = new Set<string>();
  for (const dir of lp.searchPath) {
    let entries: Iterable<Deno.DirEntry>;
    try {
      entries = Deno.readDirSync(lp.host(dir));
    } catch {
      continue;
    }
    // Directory order, as systemd walks it: the order of warnings depends on it.
    for (const e of entries) {
      if (!isValidUnitName(e.name) || !filter(e.name) || seen.has(e.name)) continue;
      if (!e.isFile && !e.isSymlink) continue;
      seen.add(e.name);
      rows.push({
        name: e.name,
        path: `${dir}/${e.name}`,
        state: unitFileState(lp, e.name) ?? "bad",
      });
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------
// Changing links

function symlinksEquivalent(lp: InstallLookup, src: string, a: string, b: string): boolean {
  // a, b: link targets as written; resolve relative ones against the link's dir (host paths).
  const hostDir = dirname(src);
  const ha = isAbsolute(a) ? lp.host(a) : join(hostDir, a);
  const hb = isAbsolute(b) ? lp.host(b) : join(hostDir, b);
  if (normalize(ha) === normalize(hb)) return true;
  try {
    const sa = Deno.statSync(ha);
    const sb = Deno.statSync(hb);
    if (sa.ino !== null && sa.ino === sb.ino && sa.dev === sb.dev) return true;
  } catch { /* missing */ }
  if (basename(ha) !== basename(hb)) return false;
  const ia = lp.root.inside(normalize(ha));
  const ib = lp.root.inside(normalize(hb));
  return lp.underSearchPath(ia) && lp.underSearchPath(ib);
}

/**
 * Creates `newPath` → `oldPath` (both inside the root) as systemd's
 * create_symlink: an equivalent existing link is fine, another one is
 * replaced only with `force`. Returns 1 on success, throws on failure.
 */
function createSymlink(
  lp: InstallLookup,
  oldPath: string,
  newPath: string,
  force: boolean,
  changes: InstallChange[],
): number {
  const hostNew = lp.host(newPath);
  // A directory that could not be made explains the failed link better than its ENOENT.
  let mkdirErrno: InstallErrno | undefined;
  try {
    Deno.mkdirSync(dirname(hostNew), { recursive: true });
  } catch (e) {
    mkdirErrno = errnoOf(e);
  }
  try {
    Deno.symlinkSync(oldPath, hostNew);
    changes.push({ type: "symlink", path: hostNew, source: oldPath });
    return 1;
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) {
      const errno = e instanceof Deno.errors.NotFound && mkdirErrno ? mkdirErrno : errnoOf(e);
      changes.push({ type: "error", errno, path: hostNew });
      throw new InstallError(errno);
    }
  }
  let dest: string;
  try {
    dest = Deno.readLinkSync(hostNew);
  } catch {
    changes.push({ type: "error", errno: "EEXIST", path: hostNew });
    throw new InstallError("EEXIST");
  }
  if (symlinksEquivalent(lp, hostNew, dest, oldPath)) return 1;
  if (!force) {
    changes.push({ type: "error", errno: "EEXIST", path: hostNew, source: dest });
    throw new InstallError("EEXIST");
  }
  const tmp = `${dirname(hostNew)}/.#${basename(hostNew)}${crypto.randomUUID().slice(0, 8)}`;
  try {
    Deno.symlinkSync(oldPath, tmp);
    Deno.renameSync(tmp, hostNew);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* never made */ }
    changes.push({ type: "error", errno: errnoOf(e), path: hostNew });
    throw new InstallError(errnoOf(e));
  }
  changes.push({ type: "unlink", path: hostNew });
  changes.push({ type: "symlink", path: hostNew, source: oldPath });
  return 1;
}

/** Runs one step the way systemd accumulates results: the first error wins. */
function attempt(fn: () => number): number | InstallErrno {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InstallError) return e.errno;
    throw e;
  }
}

interface ApplyOptions {
  force: boolean;
  ignoreAuxiliaryFailure: boolean;
}

function verifyAlias(
  info: Info,
  dst: string,
  changes: InstallChange[],
): string | "self" | InstallErrno {
  if (dst.includes("/")) {
    const dir = dirname(dst);
    const m = /^(.*)\.(wants|requires)$/.exec(dir);
    const unit = m?.[1];
    if (!unit || !isValidUnitName(unit)) {
      changes.push({ type: "error", errno: "EXDEV", path: dst });
      return "EXDEV";
    }
    const aliasName = basename(dst);
    const ok = aliasName === info.name ||
      (isTemplate(unit) && isTemplate(info.name) && templateOf(aliasName) === info.name);
    if (!ok) {
      changes.push({ type: "error", errno: "EXDEV", path: dst, source: info.name });
      return "EXDEV";
    }
    return dst;
  }
  let d = dst;
  if (isTemplate(dst)) {
    const p = parseUnitName(info.name);
    if (p?.instance) d = instanceName(dst, p.instance);
  }
  if (d === info.name) return "self";
  const typeOf = (n: string) => n.slice(n.lastIndexOf(".") + 1);
  const pd = parseUnitName(d);
  const pi = parseUnitName(info.name);
  let ok = pd !== undefined && pi !== undefined && typeOf(d) === typeOf(info.name);
  if (ok && pd && pi) {
    const kind = (p: typeof pd) => p.instance === undefined ? 0 : p.isTemplate ? 1 : 2;
    if (kind(pd) !== kind(pi)) ok = false;
    if (ok && kind(pd) === 2 && pd.instance !== pi.instance) ok = false;
  }
  if (!ok) {
    changes.push({ type: "error", errno: "EXDEV", path: d, source: info.name });
    return "EXDEV";
  }
  return d;
}

function unitFileExists(lp: InstallLookup, name: string): boolean {
  if (!isValidUnitName(name)) return false;
  const ctx = new InstallContext(lp);
  try {
    ctx.discover(name, { load: false, followConfig: false });
    return true;
  } catch (e) {
    return !(e instanceof InstallError && e.errno === "ENOENT");
  }
}

function symlinkWants(
  lp: InstallLookup,
  info: Info,
  configPath: string,
  list: readonly string[],
  suffix: string,
  opts: ApplyOptions,
  changes: InstallChange[],
): number | InstallErrno {
  if (list.length === 0) return 0;
  let n: string;
  let templateOnly = false;
  const p = parseUnitName(info.name);
  if (!p?.isTemplate) n = info.name;
  else if (info.install.defaultInstance !== undefined) {
    n = instanceName(info.name, info.install.defaultInstance);
    const inst: Info = { name: n, install: emptyInstall(), auxiliary: false };
    try {
      new InstallContext(lp).search(inst, { load: false, followConfig: true });
    } catch (e) {
      if (e instanceof InstallError) return e.errno;
      throw e;
    }
    if (inst.mode === "masked") {
      changes.push({ type: "error", errno: "ERFKILL", path: lp.host(inst.path as string) });
      return "ERFKILL";
    }
  } else {
    templateOnly = true;
    n = info.name;
  }
  let r: number | InstallErrno = 0;
  for (const s of list) {
    let dst: string;
    try {
      dst = installPrintf(info.name, s, info.install.defaultInstance);
    } catch {
      changes.push({ type: "error", errno: "EBADSLT", path: s });
      if (typeof r === "number") r = "EBADSLT";
      continue;
    }
    const dp = parseUnitName(dst);
    const validType = templateOnly
      ? dp !== undefined && dp.instance !== undefined
      : dp !== undefined;
    if (!validType) {
      if (opts.ignoreAuxiliaryFailure) continue;
      if (dp !== undefined) {
        changes.push({ type: "error", errno: "EIDRM", path: dst, source: n });
        if (typeof r === "number") r = "EIDRM";
      } else {
        changes.push({ type: "error", errno: "EUCLEAN", path: dst });
        if (typeof r === "number") r = "EUCLEAN";
      }
      continue;
    }
    const path = `${configPath}/${dst}${suffix}${n}`;
    const q = attempt(() => createSymlink(lp, info.path as string, path, true, changes));
    if ((typeof q === "string" && typeof r === "number") || r === 0) r = q;
    // A target this program provides itself (a minimal image ships no target files) is present.
    if (builtinUnitText(dst) === undefined && !unitFileExists(lp, dst)) {
      changes.push({
        type: "destination-not-present",
        path: dst,
        source: lp.host(info.path as string),
      });
    }
  }
  return r;
}

function installInfoApply(
  lp: InstallLookup,
  info: Info,
  configPath: string,
  opts: ApplyOptions,
  changes: InstallChange[],
): number | InstallErrno {
  if (info.mode !== "regular") return 0;
  const path = info.path as string;
  if (!lp.inSearchPath(path)) {
    const q = attempt(() =>
      createSymlink(lp, path, `${configPath}/${info.name}`, opts.force, changes)
    );
    if (typeof q === "string") return q;
  }
  let r: number | InstallErrno = 0;
  for (const s of info.install.aliases) {
    let dst: string;
    try {
      dst = installPrintf(info.name, s, info.install.defaultInstance);
    } catch {
      changes.push({ type: "error", errno: "EBADSLT", path: s });
      if (typeof r === "number") r = "EBADSLT";
      continue;
    }
    const v = verifyAlias(info, dst, changes);
    if (v === "self") continue;
    if (v === "EXDEV" || v === "EUCLEAN") {
      if (typeof r === "number") r = v;
      continue;
    }
    const aliasPath = `${configPath}/${v}`;
    const broken = !exists(lp, aliasPath);
    const q = attempt(() => createSymlink(lp, path, aliasPath, opts.force || broken, changes));
    r = typeof r === "string" ? r : q;
  }
  const lists: [string[], string][] = [
    [info.install.wantedBy, ".wants/"],
    [info.install.requiredBy, ".requires/"],
    [info.install.upheldBy, ".upholds/"],
  ];
  for (const [list, suffix] of lists) {
    let q: number | InstallErrno;
    try {
      q = symlinkWants(lp, info, configPath, list, suffix, opts, changes);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      q = "EINVAL";
    }
    if (r === 0) r = q;
  }
  return r;
}

function exists(lp: InstallLookup, path: string): boolean {
  try {
    Deno.statSync(lp.host(path));
    return true;
  } catch {
    return false;
  }
}

function contextApply(
  ctx: InstallContext,
  configPath: string,
  flags: SearchFlags,
  opts: ApplyOptions,
  changes: InstallChange[],
): number | InstallErrno {
  let r: number | InstallErrno = 0;
  for (;;) {
    const first = ctx.willProcess.entries().next();
    if (first.done) break;
    const [name, i] = first.value;
    ctx.willProcess.delete(name);
    ctx.haveProcessed.set(name, i);
    try {
      ctx.traverse(i, flags);
    } catch (e) {
      if (!(e instanceof InstallError)) throw e;
      if (i.auxiliary) {
        changes.push({ type: "auxiliary-failed", path: i.name });
        continue;
      }
      changes.push({ type: "error", errno: e.errno, path: i.name });
      return e.errno;
    }
    if (i.mode === "masked") {
      changes.push({ type: "is-masked", path: ctx.lp.host(i.path as string) });
      if (typeof r === "number") r += 1;
      continue;
    }
    if (i.mode !== "regular") continue;
    const q = installInfoApply(ctx.lp, i, configPath, opts, changes);
    if (typeof r === "number") r = typeof q === "string" ? q : r + q;
  }
  return r;
}

function markForRemoval(
  ctx: InstallContext,
  remove: Set<string>,
  changes: InstallChange[],
): void {
  for (;;) {
    const first = ctx.willProcess.entries().next();
    if (first.done) break;
    const [name, i] = first.value;
    ctx.willProcess.delete(name);
    ctx.haveProcessed.set(name, i);
    try {
      ctx.traverse(i, LOAD_FOLLOW);
    } catch (e) {
      if (!(e instanceof InstallError)) throw e;
      const where = i.path !== undefined ? ctx.lp.host(i.path) : i.name;
      if (e.errno === "ENOLINK") changes.push({ type: "is-dangling", path: where });
      else if (e.errno === "ENOENT") {
        if (!i.auxiliary) changes.push({ type: "error", errno: "ENOENT", path: where });
      } else changes.push({ type: "error", errno: e.errno, path: where });
      remove.add(i.name);
      continue;
    }
    if (i.mode === "masked") {
      changes.push({ type: "is-masked", path: ctx.lp.host(i.path as string) });
      continue;
    }
    if (i.mode !== "regular") continue;
    remove.add(i.name);
  }
}

function removeMarkedSymlinks(
  lp: InstallLookup,
  remove: Set<string>,
  configPath: string,
  changes: InstallChange[],
  dryRun = false,
): InstallErrno | undefined {
  if (remove.size === 0) return undefined;
  // A dry run leaves the links in place: each is reported once, however often the walk restarts.
  const reported = new Set<string>();
  const hostConfig = lp.host(configPath);
  try {
    if (!Deno.statSync(hostConfig).isDirectory) return undefined;
  } catch {
    return undefined;
  }
  // As systemd: a link that cannot be removed is reported, the walk goes on, the first error wins.
  let failed: InstallErrno | undefined;
  let restart = true;
  while (restart) {
    restart = false;
    walk(hostConfig);
  }
  return failed;

  function walk(hostDir: string): void {
    let it: Iterable<Deno.DirEntry>;
    try {
      it = Deno.readDirSync(hostDir);
    } catch {
      return;
    }
    for (const de of it) {
      const p = `${hostDir}/${de.name}`;
      if (de.isDirectory) {
        walk(p);
        continue;
      }
      if (!de.isSymlink || !isValidUnitName(de.name)) continue;
      let found = remove.has(de.name);
      if (!found) {
        const t = templateOf(de.name);
        if (t !== undefined && t !== de.name) found = remove.has(t);
      }
      if (!found) {
        const destInside = chaseAll(lp, lp.root.inside(p));
        const dest = lp.host(destInside);
        found = remove.has(dest) || remove.has(basename(dest));
      }
      if (!found || reported.has(p)) continue;
      reported.add(p);
      if (!dryRun) {
        try {
          Deno.removeSync(p);
        } catch (e) {
          if (!(e instanceof Deno.errors.NotFound)) {
            changes.push({ type: "error", errno: errnoOf(e), path: p });
            failed ??= errnoOf(e);
            continue;
          }
        }
        rmdirParents(p, hostConfig);
      }
      changes.push({ type: "unlink", path: p });
      const rp = lp.root.inside(p);
      if (!remove.has(rp)) {
        remove.add(rp);
        restart = true;
      }
    }
  }
}

function rmdirParents(path: string, stop: string): void {
  let d = dirname(path);
  while (d !== stop && d.startsWith(stop + "/")) {
    try {
      Deno.removeSync(d);
    } catch {
      return;
    }
    d = dirname(d);
  }
}

/** Options of the changing operations. */
export interface ChangeOptions {
  /** Write into the runtime config dir instead of the persistent one. */
  readonly runtime?: boolean;
  /** Replace conflicting links. */
  readonly force?: boolean;
  /** Report the changes without making them (`disable` only: `is-enabled --full`). */
  readonly dryRun?: boolean;
}

function configPathOf(lp: InstallLookup, opts: ChangeOptions): string {
  return opts.runtime ? lp.runtimeConfig : lp.persistentConfig;
}

function doEnable(
  lp: InstallLookup,
  configPath: string,
  namesOrPaths: readonly string[],
  opts: ChangeOptions,
  changes: InstallChange[],
): InstallResult {
  const ctx = new InstallContext(lp);
  for (const n of namesOrPaths) {
    try {
      ctx.discoverAndCheck(n, LOAD_FOLLOW, changes);
    } catch (e) {
      if (e instanceof InstallError) return { changes, error: e.errno };
      throw e;
    }
  }
  const r = contextApply(ctx, configPath, { load: true, followConfig: false }, {
    force: opts.force ?? false,
    ignoreAuxiliaryFailure: false,
  }, changes);
  if (typeof r === "string") return { changes, error: r };
  return { changes, carriesInstallInfo: r };
}

/**
 * `enable`: names or absolute paths (inside the root). Creates the links
 * `[Install]` asks for, linking files from outside the search path first.
 */
export function enableUnits(
  lp: InstallLookup,
  namesOrPaths: readonly string[],
  opts: ChangeOptions = {},
): InstallResult {
  return doEnable(lp, configPathOf(lp, opts), namesOrPaths, opts, []);
}

function doDisable(
  lp: InstallLookup,
  configPath: string,
  names: readonly string[],
  changes: InstallChange[],
  dryRun = false,
): InstallResult {
  const ctx = new InstallContext(lp);
  for (const n of names) {
    if (!isValidUnitName(n)) {
      changes.push({ type: "error", errno: "EUCLEAN", path: n });
      return { changes, error: "EUCLEAN" };
    }
    ctx.add(n, undefined, false);
  }
  const remove = new Set<string>();
  markForRemoval(ctx, remove, changes);
  return { changes, error: removeMarkedSymlinks(lp, remove, configPath, changes, dryRun) };
}

/** `disable`: removes every link in the config dir that points to the units or their Also= units. */
export function disableUnits(
  lp: InstallLookup,
  names: readonly string[],
  opts: ChangeOptions = {},
): InstallResult {
  return doDisable(lp, configPathOf(lp, opts), names, [], opts.dryRun);
}

/** `reenable`: disable by name, then enable by name or path. */
export function reenableUnits(
  lp: InstallLookup,
  namesOrPaths: readonly string[],
  opts: ChangeOptions = {},
): InstallResult {
  const configPath = configPathOf(lp, opts);
  const names: string[] = [];
  const files: string[] = [];
  for (const a of namesOrPaths) {
    const n = basename(a);
    let file = a;
    if (!a.includes("/") && !isInstance(a)) {
      try {
        const info = new InstallContext(lp).discover(n, LOAD_FOLLOW);
        if (info.path) file = info.path;
      } catch { /* operate on the name */ }
    }
    names.push(n);
    files.push(file);
  }
  const changes: InstallChange[] = [];
  const d = doDisable(lp, configPath, names, changes);
  if (d.error) return d;
  return doEnable(lp, configPath, files, opts, changes);
}

/** `mask`: links each name to /dev/null in the config dir. */
export function maskUnits(
  lp: InstallLookup,
  names: readonly string[],
  opts: ChangeOptions = {},
): InstallResult {
  const changes: InstallChange[] = [];
  const configPath = configPathOf(lp, opts);
  let error: InstallErrno | undefined;
  for (const n of names) {
    if (!isValidUnitName(n)) {
      error ??= "EINVAL";
      continue;
    }
    const q = attempt(() =>
      createSymlink(lp, "/dev/null", `${configPath}/${n}`, opts.force ?? false, changes)
    );
    if (typeof q === "string") error ??= q;
  }
  return { changes, error };
}

/** `unmask`: removes /dev/null links (or empty files) of the names from the config dir. */
export function unmaskUnits(
  lp: InstallLookup,
  names: readonly string[],
  opts: ChangeOptions = {},
): InstallResult {
  const changes: InstallChange[] = [];
  const configPath = configPathOf(lp, opts);
  const todo: string[] = [];
  for (const n of names) {
    if (!isValidUnitName(n)) return { changes, error: "EINVAL" };
    if (nullOrEmpty(lp, `${configPath}/${n}`) !== true) continue;
    if (!todo.includes(n)) todo.push(n);
  }
  const remove = new Set<string>();
  let error: InstallErrno | undefined;
  for (const n of todo) {
    const path = `${configPath}/${n}`;
    try {
      Deno.removeSync(lp.host(path));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        changes.push({ type: "error", errno: errnoOf(e), path: lp.host(path) });
        error ??= errnoOf(e);
      }
      continue;
    }
    changes.push({ type: "unlink", path: lp.host(path) });
    remove.add(path);
  }
  const q = removeMarkedSymlinks(lp, remove, configPath, changes);
  return { changes, error: error ?? q };
}

/** `link`: absolute paths (inside the root) linked into the config dir by base name. */
export function linkUnitFiles(
  lp: InstallLookup,
  files: readonly string[],
  opts: ChangeOptions = {},
): InstallResult {
  const changes: InstallChange[] = [];
  const configPath = configPathOf(lp, opts);
  const todo: string[] = [];
  for (const f of files) {
    const fail = (errno: InstallErrno): InstallResult => {
      changes.push({ type: "error", errno, path: f });
      return { changes, error: errno };
    };
    if (!f.startsWith("/")) return fail("EINVAL");
    if (!isValidUnitName(basename(f))) return fail("EUCLEAN");
    const st = lstatIn(lp, f);
    if (!st) return fail("ENOENT");
    if (st.isDirectory) return fail("EISDIR");
    if (!st.isFile) return fail("EIO");
    // systemd 252 compares the root-less path with the rooted search path, so under
    // --root a file is never taken to be in it.
    if (lp.root.root === "") {
      if (lp.inSearchPath(f)) continue;
      if (lp.underSearchPath(f)) return fail("ETXTBSY");
    }
    if (!todo.includes(f)) todo.push(f);
  }
  let error: InstallErrno | undefined;
  for (const f of todo) {
    const q = attempt(() =>
      createSymlink(lp, f, `${configPath}/${basename(f)}`, opts.force ?? false, changes)
    );
    if (typeof q === "string") error ??= q;
  }
  return { changes, error };
}

/** How `preset` treats the policy. */
export type PresetMode = "full" | "enable-only" | "disable-only";

function presetPrepareOne(
  lp: InstallLookup,
  plus: InstallContext,
  minus: InstallContext,
  name: string,
  changes: InstallChange[],
): void {
  if (plus.find(name) || minus.find(name)) return;
  const tmp = new InstallContext(lp);
  const info = tmp.discover(name, { load: false, followConfig: true }, changes);
  if (name !== info.name) return;
  if (lp.presets.error) throw new InstallError(lp.presets.error);
  const answer: PresetAnswer = queryPreset(lp.presets, name, true);
  if (answer.action === "enable") {
    for (const n of answer.instances ?? [name]) plus.discoverAndCheck(n, LOAD_FOLLOW, changes);
  } else {
    minus.discover(name, { load: false, followConfig: true }, changes);
  }
}

function executePreset(
  lp: InstallLookup,
  plus: InstallContext,
  minus: InstallContext,
  configPath: string,
  mode: PresetMode,
  opts: ChangeOptions,
  changes: InstallChange[],
): InstallErrno | undefined {
  if (mode !== "enable-only") {
    const remove = new Set<string>();
    markForRemoval(minus, remove, changes);
    const q = removeMarkedSymlinks(lp, remove, configPath, changes);
    if (q !== undefined) return q;
  }
  if (mode !== "disable-only") {
    const r = contextApply(plus, configPath, { load: true, followConfig: false }, {
      force: opts.force ?? false,
      ignoreAuxiliaryFailure: true,
    }, changes);
    if (typeof r === "string") return r;
  }
  return undefined;
}

/** `preset UNIT…`: applies the preset policy to the named units. */
export function presetUnits(
  lp: InstallLookup,
  names: readonly string[],
  mode: PresetMode,
  opts: ChangeOptions = {},
): InstallResult {
  const changes: InstallChange[] = [];
  const plus = new InstallContext(lp);
  const minus = new InstallContext(lp);
  for (const n of names) {
    try {
      presetPrepareOne(lp, plus, minus, n, changes);
    } catch (e) {
      if (e instanceof InstallError) return { changes, error: e.errno };
      throw e;
    }
  }
  const error = executePreset(lp, plus, minus, configPathOf(lp, opts), mode, opts, changes);
  return { changes, error };
}

const PRESET_ALL_IGNORED = new Set<InstallErrno>([
  "EEXIST",
  "ERFKILL",
  "EADDRNOTAVAIL",
  "EBADSLT",
  "EIDRM",
  "EUCLEAN",
  "ELOOP",
  "ENOENT",
  "EXDEV",
]);

/** `preset-all`: applies the preset policy to every unit file in the search path. */
export function presetAllUnits(
  lp: InstallLookup,
  mode: PresetMode,
  opts: ChangeOptions = {},
): InstallResult {
  const changes: InstallChange[] = [];
  const plus = new InstallContext(lp);
  const minus = new InstallContext(lp);
  for (const dir of lp.searchPath) {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(lp.host(dir))];
    } catch {
      continue;
    }
    for (const de of entries) {
      if (!isValidUnitName(de.name) || !(de.isFile || de.isSymlink)) continue;
      try {
        presetPrepareOne(lp, plus, minus, de.name, changes);
      } catch (e) {
        if (!(e instanceof InstallError)) throw e;
        if (!PRESET_ALL_IGNORED.has(e.errno)) return { changes, error: e.errno };
      }
    }
  }
  const error = executePreset(lp, plus, minus, configPathOf(lp, opts), mode, opts, changes);
  return { changes, error };
}

/** `add-wants`/`add-requires`: links the units into `TARGET.wants/` or `.requires/`. */
export function addDependency(
  lp: InstallLookup,
  target: string,
  names: readonly string[],
  dep: "wants" | "requires",
  opts: ChangeOptions = {},
): InstallResult {
  const changes: InstallChange[] = [];
  if (!isValidUnitName(target)) {
    changes.push({ type: "error", errno: "EUCLEAN", path: target });
    return { changes, error: "EUCLEAN" };
  }
  const ctx = new InstallContext(lp);
  const follow = { load: false, followConfig: true };
  try {
    const t = ctx.discoverAndCheck(target, follow, changes);
    for (const n of names) {
      const info = ctx.discoverAndCheck(n, follow, changes);
      info.install = emptyInstall();
      if (dep === "wants") info.install.wantedBy = [t.name];
      else info.install.requiredBy = [t.name];
    }
  } catch (e) {
    if (e instanceof InstallError) return { changes, error: e.errno };
    throw e;
  }
  const r = contextApply(ctx, configPathOf(lp, opts), follow, {
    force: opts.force ?? false,
    ignoreAuxiliaryFailure: false,
  }, changes);
  return { changes, error: typeof r === "string" ? r : undefined };
}

/** `revert`: removes drop-ins in config/control/transient dirs and config copies of vendor units. */
export function revertUnits(lp: InstallLookup, names: readonly string[]): InstallResult {
  const changes: InstallChange[] = [];
  const todo: string[] = [];
  const isVendor = (p: string) => pathStartsWith(p, "/usr") || lp.isGenerated(p);
  const shallRevert = (p: string) => {
    const d = dirname(p);
    return d === lp.persistentConfig || d === lp.runtimeConfig || d === lp.persistentControl ||
      d === lp.runtimeControl || d === lp.transient;
  };
  for (const n of names) {
    if (!isValidUnitName(n)) return { changes, error: "EINVAL" };
    let hasVendor = false;
    for (const dir of lp.searchPath) {
      const path = `${dir}/${n}`;
      const st = lstatIn(lp, path);
      if (st?.isFile && isVendor(path)) hasVendor = true;
      const dropin = `${path}.d`;
      const ds = lstatIn(lp, dropin);
      if (ds?.isDirectory && shallRevert(dropin) && !todo.includes(dropin)) todo.push(dropin);
    }
    if (!hasVendor) continue;
    for (const dir of lp.searchPath) {
      const path = `${dir}/${n}`;
      const st = lstatIn(lp, path);
      if ((st?.isFile || st?.isSymlink) && lp.isConfig(path) && !todo.includes(path)) {
        todo.push(path);
      }
    }
  }
  const remove = new Set<string>();
  let error: InstallErrno | undefined;
  for (const p of todo) {
    const host = lp.host(p);
    let files: string[] = [];
    try {
      files = [...Deno.readDirSync(host)].map((e) => e.name);
    } catch { /* not a directory */ }
    try {
      Deno.removeSync(host, { recursive: true });
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        changes.push({ type: "error", errno: errnoOf(e), path: host });
        error ??= errnoOf(e);
      }
      continue;
    }
    for (const f of files) changes.push({ type: "unlink", path: `${host}/${f}` });
    changes.push({ type: "unlink", path: host });
    remove.add(p);
  }
  const q = removeMarkedSymlinks(lp, remove, lp.runtimeConfig, changes);
  const r = removeMarkedSymlinks(lp, remove, lp.persistentConfig, changes);
  return { changes, error: error ?? q ?? r };
}

/** `set-default`: points `default.target` in the persistent config dir at the target's file. */
export function setDefaultTarget(lp: InstallLookup, name: string): InstallResult {
  const changes: InstallChange[] = [];
  if (!name.endsWith(".target") || !isValidUnitName(name) || name === "default.target") {
    return { changes, error: "EINVAL" };
  }
  const ctx = new InstallContext(lp);
  let info: Info;
  try {
    info = ctx.discoverAndCheck(name, { load: false, followConfig: false }, changes);
  } catch (e) {
    if (e instanceof InstallError) return { changes, error: e.errno };
    throw e;
  }
  const q = attempt(() =>
    createSymlink(
      lp,
      info.path as string,
      `${lp.persistentConfig}/default.target`,
      true,
      changes,
    )
  );
  return { changes, error: typeof q === "string" ? q : undefined };
}

/** `get-default`: the name `default.target` resolves to, or undefined. */
export function getDefaultTarget(lp: InstallLookup): string | undefined {
  try {
    return new InstallContext(lp).discover("default.target", { load: false, followConfig: true })
      .name;
  } catch {
    return undefined;
  }
}

/** The install settings of a unit, for `show` (undefined when not found). */
export function installSectionOf(lp: InstallLookup, name: string): InstallSection | undefined {
  try {
    return new InstallContext(lp).discover(name, LOAD_FOLLOW).install;
  } catch {
    return undefined;
  }
}
