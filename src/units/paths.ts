/**
 * The one `--root` mapping and the search paths of systemd 252.
 * Every path the program opens goes through {@link RootMap.resolve}.
 * @module
 */

import { normalize } from "../unit/posix_path.ts";

/** Manager scope. */
export type Scope = "system" | "user";

/** The kernel's limit on symlinks followed in one path lookup (MAXSYMLINKS). */
const MAX_LINKS = 40;

/**
 * Whether the launcher started the program from `/` because the caller's
 * working directory was gone (scripts/launcher.ts sets this variable; Deno
 * cannot start without a working directory).
 */
export function workingDirectoryLost(): boolean {
  try {
    return Deno.env.get("SYSTEMCTL_LOST_CWD") === "1";
  } catch {
    return false;
  }
}

/**
 * `path` made absolute against the working directory, as systemd's
 * `path_make_absolute_cwd()`; undefined when a relative path cannot be
 * resolved because the working directory is gone.
 */
export function absoluteFromCwd(path: string): string | undefined {
  if (path.startsWith("/")) return path;
  if (workingDirectoryLost()) return undefined;
  try {
    return `${Deno.cwd()}/${path}`;
  } catch {
    return undefined;
  }
}

/**
 * The error of a path option (`--root=PATH`) whose relative path cannot be
 * made absolute, in systemd's words (`parse_path_argument()`), or undefined.
 */
export function pathArgumentError(path: string | undefined): string | undefined {
  if (path === undefined || path === "" || absoluteFromCwd(path) !== undefined) return undefined;
  return `Failed to parse path "${path}" and make it absolute: No such file or directory`;
}

/**
 * Maps paths as a unit file or systemd sees them ("/etc/x") to host paths
 * ("<root>/etc/x"). {@link RootMap.resolve} is the one resolver: every path a unit or
 * the program names inside the root is resolved by it as `chroot` would, so the result
 * never leaves the root. A path that already starts with the root is taken as that path
 * inside it (`<root>/etc/x` is `/etc/x`).
 */
export class RootMap {
  /** The root, without trailing slash; "" for the real root. */
  readonly root: string;
  constructor(root: string | undefined) {
    const r = root ? normalize(root).replace(/\/+$/, "") : "";
    this.root = r === "/" ? "" : r;
  }

  /**
   * The host path for a path inside the root, resolved as the kernel would inside
   * `chroot(root)`: `//`, `/./` and `..` (which stops at the root), and symlinks at every
   * component (absolute targets start again at the root, relative ones at the link's
   * directory), the last component only when `follow` is set (an operation that follows
   * it: open, stat, chdir; not unlink, lstat, readlink). A missing component ends the
   * lookup of links; the rest is taken as written (`..` still climbs), as `realpath -m`
   * does. The result is the root or a path below it, with no `.`, `..` or empty
   * components. Throws `Deno.errors.FilesystemLoop` after 40 links, as the kernel.
   * Without a root the path is the host's own and the kernel follows its links: only
   * leading slashes are folded.
   */
  resolve(path: string, follow = true): string {
    return this.#resolve(path, follow).path;
  }

  /**
   * {@link resolve} (following the last component), or undefined when the walk found a
   * component missing: no lookup is made below a missing one, and the caller need not
   * fail a `stat` of its own. Without a root nothing is walked: the path, as given.
   */
  unlessMissing(path: string): string | undefined {
    const { path: host, absent } = this.#resolve(path, true);
    return absent ? undefined : host;
  }

  #resolve(path: string, follow: boolean): { path: string; absent: boolean } {
    if (this.root === "") return { path: path.replace(/^\/{2,}/, "/"), absent: false };
    const inside = this.inner(path);
    // A trailing `/` or `/.` names the directory the last component leads to.
    if (/\/\.?$/.test(inside)) follow = true;
    const parts = components(inside);
    let start: Walk = { done: [], hops: 0, missing: false, absent: false };
    let todo = parts;
    // The directory part of a plain path (no `..`) is looked up once per task: enable and
    // list-unit-files resolve thousands of paths in the same few directories.
    if (parts.length > 1 && !parts.includes("..")) {
      const key = parts.slice(0, -1).join("/");
      let dir = this.#dirs.get(key);
      if (dir === undefined) {
        const from = { done: [], hops: 0, missing: false, absent: false };
        dir = this.#walk(path, from, parts.slice(0, -1), true);
        // What is missing may yet appear (as a link): only what exists is remembered.
        if (!dir.missing) this.#remember(key, dir);
      }
      start = dir;
      todo = parts.slice(-1);
    }
    // Below a missing directory nothing exists: the last component is not looked up. (Not
    // `missing`, which stays set after a `..` climbed back above the missing component.)
    const end = start.absent && todo.length === 1
      ? { done: [...start.done, todo[0]], absent: true }
      : this.#walk(path, start, todo, follow);
    const done = end.done;
    return {
      path: done.length ? `${this.root}/${done.join("/")}` : this.root,
      absent: end.absent,
    };
  }

  #dirs = new Map<string, Walk>();
  #forgetting = false;
  /** Link lookups shared by the resolutions inside {@link lookingOnly}; undefined outside. */
  #seen: Map<string, string | undefined> | undefined;

  /**
   * Runs `read` (synchronous, and writing nothing under the root) with each component
   * looked up once: the many search dirs share their first components, and a missing one
   * is otherwise looked up (and its error built) once per dir below it.
   */
  lookingOnly<T>(read: () => T): T {
    if (this.#seen !== undefined) return read();
    this.#seen = new Map();
    try {
      return read();
    } finally {
      this.#seen = undefined;
    }
  }

  #linkTarget(hostPath: string): string | undefined {
    const seen = this.#seen;
    if (seen === undefined) return linkTarget(hostPath);
    if (seen.has(hostPath)) return seen.get(hostPath);
    const target = linkTarget(hostPath);
    seen.set(hostPath, target);
    return target;
  }

  /** Remembers a directory's resolution until the current task ends. */
  #remember(key: string, walk: Walk): void {
    this.#dirs.set(key, walk);
    if (this.#forgetting) return;
    this.#forgetting = true;
    queueMicrotask(() => {
      this.#dirs.clear();
      this.#forgetting = false;
    });
  }

  /** Resolves `parts` (in order) after the components already in `from`. */
  #walk(path: string, from: Walk, parts: string[], follow: boolean): Walk {
    const r = this.root;
    const done = [...from.done];
    let hops = from.hops;
    let missing = from.missing;
    // A stack: the next component is at the end.
    const todo = [...parts].reverse();
    // The depth of a component found missing in this walk: below it nothing exists to look
    // up (each lookup would only fail again, and a failed lstat costs a thrown error), until
    // a `..` climbs back to it.
    let absentAt = Infinity;
    while (todo.length > 0) {
      const c = todo.pop()!;
      if (c === "..") {
        done.pop();
        if (done.length <= absentAt) absentAt = Infinity;
        continue;
      }
      if (done.length > absentAt || (todo.length === 0 && !follow)) {
        done.push(c);
        continue;
      }
      const target = this.#linkTarget(`${r}/${done.length ? done.join("/") + "/" : ""}${c}`);
      if (target === undefined) {
        done.push(c);
        continue;
      }
      if (target === MISSING) {
        missing = true;
        absentAt = done.length;
        done.push(c);
        continue;
      }
      if (++hops > MAX_LINKS) {
        throw new Deno.errors.FilesystemLoop(`Too many levels of symbolic links: ${path}`);
      }
      if (target.startsWith("/")) done.length = 0;
      todo.push(...components(target).reverse());
    }
    return { done, hops, missing, absent: absentAt !== Infinity };
  }

  /**
   * The host path of a path inside the root whose last component is not followed (the
   * object itself: a link is the link): {@link resolve} without `follow`.
   */
  host(path: string): string {
    return this.resolve(path, false);
  }

  /**
   * {@link resolve}, following the last component when `followLeaf` is set or when it is
   * a link to a directory (a search dir that is a link); a link to anything else is the
   * object itself (enable's links are read and removed as links).
   */
  safe(path: string, followLeaf = false): string {
    if (followLeaf || this.root === "") return this.resolve(path, followLeaf);
    const host = this.resolve(path, false);
    try {
      if (!Deno.lstatSync(host).isSymlink) return host;
      const through = this.resolve(path, true);
      if (Deno.statSync(through).isDirectory) return through;
    } catch {
      // Not there, or a dangling link: the link itself.
    }
    return host;
  }

  /**
   * The path as seen inside the root, unresolved: a path that already starts with the root
   * loses that prefix (as {@link resolve} takes it). What the process layer's descriptor
   * walk (process/rootfs.ts) is given: it resolves the path itself, on descriptors, the
   * same way as {@link resolve}, so that a link swapped in between cannot lead out.
   */
  inner(path: string): string {
    const r = this.root;
    if (r === "") return path;
    return path === r || path.startsWith(r + "/") ? path.slice(r.length) || "/" : path;
  }

  /** The path inside the root for a host path (inverse of {@link host}). */
  inside(hostPath: string): string {
    if (this.root === "") return hostPath;
    if (hostPath === this.root) return "/";
    if (hostPath.startsWith(this.root + "/")) return hostPath.slice(this.root.length);
    return hostPath;
  }
}

function components(path: string): string[] {
  return path.split("/").filter((c) => c !== "" && c !== ".");
}

/** A resolution in progress: the components so far, links followed, anything missing. */
interface Walk {
  readonly done: string[];
  readonly hops: number;
  readonly missing: boolean;
  /** Whether the walk ended at or below a missing component (no `..` climbed back out). */
  readonly absent: boolean;
}

const MISSING = "\0missing";

/** The target of a symlink, {@link MISSING} for nothing there, else undefined. */
function linkTarget(hostPath: string): string | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(hostPath);
  } catch {
    return MISSING;
  }
  if (!info.isSymlink) return undefined;
  try {
    return Deno.readLinkSync(hostPath);
  } catch (e) {
    // A target that is not UTF-8 cannot be read as a string. Taken for missing, the link
    // would stay in the result and the kernel would follow it, out of the root: it is a
    // link to U+FFFD instead (what a lossy decoding of one bad byte gives, as the
    // descriptor walk in process/rootfs.ts decodes), looked up inside the root like any
    // other name. Gone since the lstat (or any other failure): nothing there.
    return e instanceof Deno.errors.InvalidData ? "\uFFFD" : MISSING;
  }
}

/** Environment values that shape the search paths (XDG and friends). */
export interface PathEnv {
  readonly [name: string]: string | undefined;
}

function userDirs(env: PathEnv): {
  configHome: string;
  runtimeDir: string;
  dataHome: string;
  configDirs: string[];
  dataDirs: string[];
} {
  const home = env.HOME ?? "/root";
  const configHome = env.XDG_CONFIG_HOME || `${home}/.config`;
  const runtimeDir = env.XDG_RUNTIME_DIR || `/run/user/0`;
  const dataHome = env.XDG_DATA_HOME || `${home}/.local/share`;
  const configDirs = (env.XDG_CONFIG_DIRS || "/etc/xdg").split(":").filter((d) => d);
  const dataDirs = (env.XDG_DATA_DIRS || "/usr/local/share:/usr/share").split(":").filter((d) => d);
  return { configHome, runtimeDir, dataHome, configDirs, dataDirs };
}

/** The default unit search path (inside the root) for a scope, highest priority first. */
export function defaultSearchPath(scope: Scope, env: PathEnv = {}): string[] {
  if (scope === "system") {
    return [
      "/etc/systemd/system.control",
      "/run/systemd/system.control",
      "/run/systemd/transient",
      "/run/systemd/generator.early",
      "/etc/systemd/system",
      "/etc/systemd/system.attached",
      "/run/systemd/system",
      "/run/systemd/system.attached",
      "/run/systemd/generator",
      "/usr/local/lib/systemd/system",
      // Debian's systemd 252 (split-usr build) searches /lib before /usr/lib:
      // `systemd-analyze unit-paths` and the symlink targets `enable` prints say so.
      "/lib/systemd/system",
      "/usr/lib/systemd/system",
      "/run/systemd/generator.late",
    ];
  }
  const d = userDirs(env);
  return [
    `${d.configHome}/systemd/user.control`,
    `${d.runtimeDir}/systemd/user.control`,
    `${d.runtimeDir}/systemd/transient`,
    `${d.runtimeDir}/systemd/generator.early`,
    `${d.configHome}/systemd/user`,
    ...d.configDirs.map((c) => `${c}/systemd/user`),
    "/etc/systemd/user",
    `${d.runtimeDir}/systemd/user`,
    "/run/systemd/user",
    `${d.runtimeDir}/systemd/generator`,
    `${d.dataHome}/systemd/user`,
    ...d.dataDirs.map((c) => `${c}/systemd/user`),
    "/usr/local/lib/systemd/user",
    "/usr/lib/systemd/user",
    `${d.runtimeDir}/systemd/generator.late`,
  ];
}

/**
 * The search path of `--global` (systemd 252's global user scope): the global config and
 * runtime dirs and the vendor dirs, none of a particular user's.
 */
export const GLOBAL_SEARCH_PATH: readonly string[] = [
  "/etc/systemd/user",
  "/run/systemd/user",
  "/usr/local/share/systemd/user",
  "/usr/share/systemd/user",
  "/usr/local/lib/systemd/user",
  "/usr/lib/systemd/user",
];

/**
 * The unit search path: `SYSTEMD_UNIT_PATH` replaces the default list; an
 * empty component (or a trailing colon) splices the default list in.
 */
export function searchPath(scope: Scope, env: PathEnv = {}, global = false): string[] {
  const defaults = scope === "user" && global
    ? [...GLOBAL_SEARCH_PATH]
    : defaultSearchPath(scope, env);
  const custom = env.SYSTEMD_UNIT_PATH;
  if (custom === undefined || custom === "") return defaults;
  const out: string[] = [];
  for (const part of custom.split(":")) {
    if (part === "") out.push(...defaults);
    else out.push(part);
  }
  return [...new Set(out)];
}

/** The configuration directories where enable/mask write (inside the root). */
export interface ConfigDirs {
  /** Persistent config dir: `/etc/systemd/system` or the user's. */
  readonly persistent: string;
  /** Runtime config dir: `/run/systemd/system` or the user's. */
  readonly runtime: string;
  /** Control dirs written by set-property. */
  readonly persistentControl: string;
  readonly runtimeControl: string;
}

/** Config dirs for a scope; `global` selects `/etc/systemd/user`. */
export function configDirs(scope: Scope, env: PathEnv = {}, global = false): ConfigDirs {
  if (scope === "system") {
    return {
      persistent: "/etc/systemd/system",
      runtime: "/run/systemd/system",
      persistentControl: "/etc/systemd/system.control",
      runtimeControl: "/run/systemd/system.control",
    };
  }
  if (global) {
    return {
      persistent: "/etc/systemd/user",
      runtime: "/run/systemd/user",
      persistentControl: "/etc/systemd/user",
      runtimeControl: "/run/systemd/user",
    };
  }
  const d = userDirs(env);
  return {
    persistent: `${d.configHome}/systemd/user`,
    runtime: `${d.runtimeDir}/systemd/user`,
    persistentControl: `${d.configHome}/systemd/user.control`,
    runtimeControl: `${d.runtimeDir}/systemd/user.control`,
  };
}

/** Preset directories (inside the root), highest priority first. */
export function presetDirs(scope: Scope): string[] {
  const kind = scope === "system" ? "system-preset" : "user-preset";
  return [
    `/etc/systemd/${kind}`,
    `/run/systemd/${kind}`,
    `/usr/local/lib/systemd/${kind}`,
    `/usr/lib/systemd/${kind}`,
    `/lib/systemd/${kind}`,
  ];
}

/** Where run state lives (inside the root). */
export function stateDir(scope: Scope, env: PathEnv = {}): string {
  if (scope === "system") return "/run/systemctl";
  return `${userDirs(env).runtimeDir}/systemctl`;
}

/** Where unit log files live (inside the root). */
export function logDir(scope: Scope, env: PathEnv = {}): string {
  if (scope === "system") return "/var/log/journal";
  return `${userDirs(env).configHome}/log/journal`;
}

/** The SysV init script directory (inside the root). */
export function sysvInitDir(env: PathEnv = {}): string {
  return env.SYSTEMD_SYSVINIT_PATH || "/etc/init.d";
}
