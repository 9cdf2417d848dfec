/**
 * The search path, config dirs, caches and symlink maps of one scope under one root
 * ({@link InstallLookup}), with the symlink chasing done inside the root.
 * @module
 */

import { dirname, isAbsolute, join, normalize } from "../unit/posix_path.ts";
import { templateOf } from "../unit/names.ts";
import {
  configDirs,
  type PathEnv,
  type RootMap,
  type Scope,
  searchPath,
  stateDir,
} from "./paths.ts";
import { existingDirs, UNIT_INDEX_FILE, UnitIndex } from "./index.ts";
import { type Presets, readPresets } from "./presets.ts";
import { loadInstall } from "./install_file.ts";
import {
  basename,
  type Info,
  type InstallErrno,
  type InstallSection,
  isTemplate,
  pathStartsWith,
} from "./install_types.ts";

export interface LinkRef {
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
  /** Existing search dirs (inside the root), highest priority first (see {@link searchPath}). */
  #searchPath: readonly string[] | undefined;
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

  private constructor(
    root: RootMap,
    scope: Scope,
    env: PathEnv,
    global: boolean,
    readOnly: boolean,
  ) {
    this.root = root;
    this.readOnly = readOnly;
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
    // A lookup that may write sees the dirs that exist when it opens; a read-only one finds
    // them when first needed, in the scan it is given (useIndex, useDigest) if any.
    if (!readOnly) this.#searchPath = existingDirs(root, all);
    // Membership checks use the whole list: systemd 252 keeps missing dirs in it.
    this.#allDirs = [...new Set(all)];
    // The loader's scan of the same list: one digest for both (its key is the list).
    this.#scanDirs = all;
    this.#digest = global ? undefined : `${stateDir(scope, env)}/${UNIT_INDEX_FILE}`;
    this.#searchSet = new Set(all);
  }

  /**
   * Opens the lookup for a scope. `global` selects the global user config dirs; `readOnly`
   * is for queries (see {@link readOnly}).
   */
  static open(
    root: RootMap,
    scope: Scope,
    env: PathEnv = {},
    global = false,
    readOnly = false,
  ): InstallLookup {
    return new InstallLookup(root, scope, env, global, readOnly);
  }

  /** Existing search dirs (inside the root), highest priority first, each real dir once. */
  get searchPath(): readonly string[] {
    // The scan's dirs are the same list: existingDirs of the same search path.
    this.#searchPath ??= this.#index?.dirs ?? existingDirs(this.root, this.#scanDirs);
    return this.#searchPath;
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

  /**
   * Parsed `[Install]` of a file (drop-ins included), cached by path and name; `addAlso`
   * takes the `Also=` names (again when the answer comes from the cache).
   */
  installOf(
    info: Info,
    addAlso: ((name: string) => void) | undefined,
  ): InstallSection | InstallErrno | "EMPTY" {
    const key = `${info.path}\0${info.name}`;
    const cached = this.#installCache.get(key);
    if (cached !== undefined) {
      for (const w of cached.warnings) this.warn(w);
      if (typeof cached.install !== "string" && addAlso) {
        for (const a of cached.install.also) {
          try {
            addAlso(a);
          } catch { /* invalid name */ }
        }
      }
      return cached.install;
    }
    const warnings: string[] = [];
    const r = loadInstall(this, info.name, info.path as string, addAlso, warnings);
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

// Loading

export function lstatIn(lp: InstallLookup, path: string): Deno.FileInfo | undefined {
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
export function chaseParent(lp: InstallLookup, path: string): string {
  const norm = normalize(path);
  const dir = dirname(norm);
  const base = basename(norm);
  if (dir === "/" || norm === "/") return norm;
  const resolvedDir = chaseAll(lp, dir);
  return resolvedDir === "/" ? `/${base}` : `${resolvedDir}/${base}`;
}

/** Resolves every symlink in a path inside the root; missing tails are kept. */
export function chaseAll(lp: InstallLookup, path: string): string {
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

export function nullOrEmpty(lp: InstallLookup, path: string): boolean | undefined {
  if (path === "/dev/null") return true;
  try {
    const st = Deno.statSync(lp.host(path));
    if (st.isCharDevice) return true;
    return st.isFile && st.size === 0;
  } catch {
    return undefined;
  }
}
