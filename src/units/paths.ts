/**
 * The one `--root` mapping and the search paths of systemd 252.
 * Every path the program opens goes through {@link RootMap.host}.
 * @module
 */

import { join, normalize } from "node:path";

/** Manager scope. */
export type Scope = "system" | "user";

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
 * ("<root>/etc/x"). A path that already starts with the root is not prefixed
 * again; `//x` means the host path `/x`.
 */
export class RootMap {
  /** The root, without trailing slash; "" for the real root. */
  readonly root: string;
  constructor(root: string | undefined) {
    const r = root ? normalize(root).replace(/\/+$/, "") : "";
    this.root = r === "/" ? "" : r;
  }

  /** The host path for a path inside the root. */
  host(path: string): string {
    if (this.root === "") return path.startsWith("//") ? path.slice(1) : path;
    if (path.startsWith("//")) return path.slice(1);
    if (path === this.root || path.startsWith(this.root + "/")) return path;
    return join(this.root, path);
  }

  /**
   * The host path for a path inside the root, resolved as a chroot would: `..` stops at
   * the root and symlinks in the directories on the way (absolute ones included) are
   * followed inside the root, so the result never leaves it. The last component is
   * followed only when it leads to a directory (a link there is what enable writes or
   * removes), or when `followLeaf` is set.
   * Without a root it is {@link host}.
   */
  safe(path: string, followLeaf = false): string {
    if (this.root === "" || path.startsWith("//")) return this.host(path);
    const inside = path === this.root || path.startsWith(this.root + "/")
      ? this.inside(path)
      : path;
    const cut = inside.lastIndexOf("/");
    const leaf = inside.slice(cut + 1);
    if (followLeaf || cut <= 0 || leaf === "" || leaf === "." || leaf === "..") {
      return this.root + this.#resolve(inside, followLeaf);
    }
    // Directories are resolved once per invocation: enable and start look up many
    // paths in the same few directories.
    const dir = inside.slice(0, cut);
    let resolved = this.#dirs.get(dir);
    if (resolved === undefined) {
      resolved = this.#resolve(dir, true);
      this.#dirs.set(dir, resolved);
    }
    const host = this.root + (resolved === "/" ? "" : resolved) + "/" + leaf;
    // A link to a directory is followed (a search dir that is a link); a link to
    // anything else is the object itself (enable's links are read and removed as links).
    try {
      if (!Deno.lstatSync(host).isSymlink) return host;
      const through = this.root + this.#resolve(inside, true);
      if (Deno.statSync(through).isDirectory) return through;
    } catch {
      // Not there, or a dangling link: the link itself.
    }
    return host;
  }

  #dirs = new Map<string, string>();

  #resolve(path: string, followLeaf: boolean): string {
    const done: string[] = [];
    const todo = path.split("/").filter((c) => c !== "" && c !== ".");
    let hops = 0;
    while (todo.length > 0) {
      const c = todo.shift()!;
      if (c === "..") {
        done.pop();
        continue;
      }
      if (todo.length === 0 && !followLeaf) {
        done.push(c);
        break;
      }
      const here = `${this.root}/${[...done, c].join("/")}`;
      let target: string | undefined;
      try {
        if (Deno.lstatSync(here).isSymlink) target = Deno.readLinkSync(here);
      } catch {
        // Not there (yet): the rest of the path is taken as written.
      }
      if (target === undefined) {
        done.push(c);
        continue;
      }
      // ELOOP, as the kernel counts.
      if (++hops > 40) {
        throw new Deno.errors.FilesystemLoop(`Too many levels of symbolic links: ${path}`);
      }
      if (target.startsWith("/")) done.length = 0;
      todo.unshift(...target.split("/").filter((x) => x !== "" && x !== "."));
    }
    return "/" + done.join("/");
  }

  /** The path inside the root for a host path (inverse of {@link host}). */
  inside(hostPath: string): string {
    if (this.root === "") return hostPath;
    if (hostPath === this.root) return "/";
    if (hostPath.startsWith(this.root + "/")) return hostPath.slice(this.root.length);
    return hostPath;
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
