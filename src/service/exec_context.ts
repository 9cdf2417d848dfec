/**
 * Turns a service's configuration into what the process layer needs for
 * each Exec command: the environment (§3.8), the resolved executable,
 * credentials, limits, stdio targets and the `*Directory=` directories.
 * @module
 */

import { dirname, resolve } from "../unit/posix_path.ts";
import type { ExecCommand } from "../unit/exec.ts";
import { expandExecArgs } from "../unit/exec.ts";
import { parseEnvironmentFile } from "../unit/environment.ts";
import type { ServiceSettings, StdioSetting } from "../unit/model.ts";
import { globMatch } from "../unit/names.ts";
import { logDir, type PathEnv, type RootMap, type Scope } from "../units/paths.ts";
import { lookupGroup, lookupUser } from "../units/host_info.ts";
import { READ_FULL_BYTES_MAX, readTextCapped } from "../units/regular_file.ts";
import type { SpawnSpec, StdioTarget } from "../process/spawn.ts";
import {
  chmodIn,
  chownTreeIn,
  mkdirIn,
  readFileIn,
  RootFsError,
  statIn,
  symlinkIn,
  writeFileIn,
} from "../process/rootfs.ts";

const E2BIG = 7;

/** The default PATH of spawned processes. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const NOT_INHERITED = new Set([
  "_",
  "PWD",
  "OLDPWD",
  "SHLVL",
  "TERM",
  "NOTIFY_SOCKET",
  "LISTEN_FDS",
  "LISTEN_PID",
  "LISTEN_FDNAMES",
  "MAINPID",
  "INVOCATION_ID",
  "SYSTEMD_EXEC_PID",
  "DENO_NO_UPDATE_CHECK",
]);

/** What the exec context needs from the invocation. */
export interface ExecEnvInput {
  readonly root: RootMap;
  readonly scope: Scope;
  /** The caller's (or the init instance's captured) environment. */
  readonly env: PathEnv;
  /** The manager block from set-environment. */
  readonly managerEnv?: Readonly<Record<string, string>>;
  /** `-e NAME=VAL` extras of this invocation. */
  readonly extraVars?: readonly string[];
}

/** A failure while preparing the exec context, with systemd's result and status. */
export class ExecSetupError extends Error {
  /** systemd's unit Result (e.g. `resources`). */
  readonly result: string;
  /** The exit status a child would have had (e.g. 217 USER). */
  readonly status: number;
  constructor(message: string, result: string, status: number) {
    super(message);
    this.result = result;
    this.status = status;
  }
}

function localeEnv(root: RootMap): Record<string, string> {
  for (const p of ["/etc/locale.conf", "/etc/default/locale"]) {
    try {
      const out: Record<string, string> = {};
      for (const [k, v] of parseEnvironmentFile(readTextCapped(root.resolve(p)))) {
        if (k === "LANG" || k.startsWith("LC_") || k === "LANGUAGE") out[k] = v;
      }
      if (Object.keys(out).length) return out;
    } catch { /* next */ }
  }
  return { LANG: "C.UTF-8" };
}

/** Reads the EnvironmentFile= list (globs allowed); a missing required file throws. */
export function readEnvironmentFiles(
  root: RootMap,
  files: ReadonlyArray<{ path: string; optional: boolean }>,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const f of files) {
    const paths = /[*?[]/.test(f.path) ? globPaths(root, f.path) : [f.path];
    if (paths.length === 0 && !f.optional) {
      throw new ExecSetupError(
        "Failed to load environment files: No such file or directory",
        "resources",
        0,
      );
    }
    for (const p of paths) {
      let text: string;
      try {
        // On descriptors inside the root (a link swapped in meanwhile cannot lead out), and
        // at most systemd's READ_FULL_BYTES_MAX: a larger file fails with E2BIG.
        text = new TextDecoder().decode(
          readFileIn(root.root, root.inner(p), {}, READ_FULL_BYTES_MAX),
        );
      } catch (e) {
        if (f.optional) continue;
        const why = e instanceof RootFsError && e.code === E2BIG
          ? "Argument list too long"
          : "No such file or directory";
        throw new ExecSetupError(`Failed to load environment files: ${why}`, "resources", 0);
      }
      for (const entry of parseEnvironmentFile(text)) out.push(entry);
    }
  }
  return out;
}

function globPaths(root: RootMap, pattern: string): string[] {
  const dir = dirname(pattern);
  try {
    return [...Deno.readDirSync(root.resolve(dir))]
      .map((e) => `${dir}/${e.name}`)
      .filter((p) => globMatch(pattern, p))
      .sort();
  } catch {
    return [];
  }
}

/** Per-activation variables the program sets (§3.8 step 4). */
export interface ProgramVars {
  readonly [name: string]: string | undefined;
}

/**
 * The manager environment, steps 1 to 3 of §3.8: defaults, the inherited
 * container environment, the set-environment block. `show-environment`
 * prints it and ConditionEnvironment= tests it.
 */
export function managerEnvironment(
  input: ExecEnvInput,
  passEnvironment: readonly string[] = [],
): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, ...localeEnv(input.root) };
  // As systemd: services get the defaults and the manager block, never the caller's
  // environment (secrets included). SYSTEMCTL_INHERIT_ENVIRONMENT=yes opts in to the
  // older tool's inheritance (docker run -e / ENV reaching services).
  const inherit = /^(1|yes|true|on)$/i.test(input.env.SYSTEMCTL_INHERIT_ENVIRONMENT ?? "");
  if (inherit) {
    for (const [k, v] of Object.entries(input.env)) {
      if (v === undefined || NOT_INHERITED.has(k) || k.startsWith("SYSTEMCTL_")) continue;
      env[k] = v;
    }
    if (env.PATH !== DEFAULT_PATH) {
      const have = new Set(env.PATH.split(":"));
      const missing = DEFAULT_PATH.split(":").filter((d) => !have.has(d));
      if (missing.length) env.PATH = [env.PATH, ...missing].join(":");
    }
  } else {
    for (const name of passEnvironment) {
      const v = input.env[name];
      if (v !== undefined) env[name] = v;
    }
  }
  Object.assign(env, input.managerEnv ?? {});
  return env;
}

/** Builds the environment of a spawned process, steps 1 to 8 of §3.8. */
export function buildEnvironment(
  input: ExecEnvInput,
  service: ServiceSettings,
  programVars: ProgramVars,
): Record<string, string> {
  const env = managerEnvironment(input, service.passEnvironment);
  for (const [k, v] of Object.entries(programVars)) if (v !== undefined) env[k] = v;
  for (const [k, v] of service.environment) env[k] = v;
  for (const [k, v] of readEnvironmentFiles(input.root, service.environmentFiles)) env[k] = v;
  for (const e of input.extraVars ?? []) {
    const i = e.indexOf("=");
    if (i > 0) env[e.slice(0, i)] = e.slice(i + 1);
  }
  for (const u of service.unsetEnvironment) {
    const i = u.indexOf("=");
    if (i < 0) delete env[u];
    else if (env[u.slice(0, i)] === u.slice(i + 1)) delete env[u.slice(0, i)];
  }
  return env;
}

/** Finds a bare executable name in the search path (on the host, not under --root). */
export function resolveExecutable(path: string, searchPath?: readonly string[]): string {
  if (path.startsWith("/")) return path;
  for (const dir of searchPath ?? DEFAULT_PATH.split(":")) {
    const candidate = `${dir}/${path}`;
    try {
      const st = Deno.statSync(candidate);
      if (st.isFile && ((st.mode ?? 0) & 0o111) !== 0) return candidate;
    } catch { /* next */ }
  }
  return path;
}

/** Resolved credentials. */
export interface Credentials {
  readonly uid: number;
  readonly gid: number;
  readonly groups: number[];
  readonly name: string;
  readonly home: string;
  readonly shell: string;
}

/** The failure of a User= or Group= that names no one: systemd's words and exit status. */
function noCredentials(what: "user" | "group", status: 217 | 216): ExecSetupError {
  return new ExecSetupError(
    `Failed to determine ${what} credentials: No such process`,
    "exit-code",
    status,
  );
}

/** Resolves User=, Group= and SupplementaryGroups= (unknown → 217/USER, 216/GROUP). */
export function resolveCredentials(
  root: RootMap,
  service: ServiceSettings,
  unitId: string,
): Credentials | undefined {
  let userName = service.user;
  if (service.dynamicUser && !userName) {
    const base = unitId.replace(/\.service$/, "");
    userName = lookupUser(root, base) ? base : "nobody";
  }
  if (!userName && !service.group && service.supplementaryGroups.length === 0) return undefined;
  let uid = 0;
  let gid = 0;
  let name = "root";
  let home = "/root";
  let shell = "/bin/sh";
  if (userName) {
    const pw = lookupUser(root, userName) ??
      (/^\d+$/.test(userName)
        ? { name: userName, uid: Number(userName), gid: Number(userName), home: "/", shell: "" }
        : undefined);
    if (!pw) throw noCredentials("user", 217);
    ({ uid, gid, name, home, shell } = pw);
  }
  if (service.group) {
    const gr = lookupGroup(root, service.group) ??
      (/^\d+$/.test(service.group)
        ? { gid: Number(service.group), name: service.group, members: [] }
        : undefined);
    if (!gr) throw noCredentials("group", 216);
    gid = gr.gid;
  }
  const groups = new Set<number>([gid]);
  if (userName) {
    try {
      for (const line of Deno.readTextFileSync(root.resolve("/etc/group")).split("\n")) {
        const f = line.split(":");
        if (f.length >= 4 && f[3].split(",").includes(name)) groups.add(Number(f[2]));
      }
    } catch { /* no group file */ }
  }
  for (const g of service.supplementaryGroups) {
    const gr = lookupGroup(root, g) ?? (/^\d+$/.test(g) ? { gid: Number(g) } : undefined);
    if (!gr) {
      throw new ExecSetupError(
        `Failed to determine supplementary groups: No such process`,
        "exit-code",
        216,
      );
    }
    groups.add(gr.gid);
  }
  return { uid, gid, groups: [...groups], name, home, shell };
}

/** A unit's log file as a path inside the root (spawn specs open it inside the root). */
export function unitLogInside(scope: Scope, env: PathEnv, unit: string): string {
  return `${logDir(scope, env)}/${unit}.log`;
}

/** Creates the log directory inside the root (a link on the way stays inside it). */
export function makeLogDir(root: RootMap, scope: Scope, env: PathEnv): void {
  mkdirIn(root.root, root.inner(logDir(scope, env)));
}

/** Appends text to a unit's log file, inside the root. */
export function appendUnitLog(
  root: RootMap,
  scope: Scope,
  env: PathEnv,
  unit: string,
  text: string,
): void {
  makeLogDir(root, scope, env);
  const path = root.inner(unitLogInside(scope, env, unit));
  writeFileIn(root.root, path, new TextEncoder().encode(text), { create: true, append: true });
}

/** Paths of the spawn spec are opened inside the root by the process layer (`pathRoot`). */
function stdioTarget(s: StdioSetting, root: RootMap, logPath: string): StdioTarget {
  switch (s.kind) {
    case "null":
      return { kind: "null" };
    case "file":
    case "append":
    case "truncate":
      // Opened with O_CREAT inside the root (spec.pathRoot), a link there included.
      return { kind: s.kind, path: root.inner(s.path ?? "/dev/null") };
    case "journal":
    case "journal+console":
    case "syslog":
    case "syslog+console":
    case "kmsg":
    case "kmsg+console":
    case "tty":
    case "console":
    case "inherit":
      return { kind: "log", path: logPath };
    default:
      return { kind: "null" };
  }
}

/** The directories of RuntimeDirectory= and friends, inside the root. */
export function serviceDirectories(
  scope: Scope,
  env: PathEnv,
  service: ServiceSettings,
): Array<{ kind: string; base: string; names: string[]; mode: number; envName: string }> {
  const home = env.HOME ?? "/root";
  const user = scope === "user";
  const cfg = env.XDG_CONFIG_HOME ?? `${home}/.config`;
  return [
    {
      kind: "runtime",
      base: user ? env.XDG_RUNTIME_DIR ?? "/run/user/0" : "/run",
      names: service.runtimeDirectory.names,
      mode: service.runtimeDirectory.mode,
      envName: "RUNTIME_DIRECTORY",
    },
    {
      kind: "state",
      base: user ? cfg : "/var/lib",
      names: service.stateDirectory.names,
      mode: service.stateDirectory.mode,
      envName: "STATE_DIRECTORY",
    },
    {
      kind: "cache",
      base: user ? env.XDG_CACHE_HOME ?? `${home}/.cache` : "/var/cache",
      names: service.cacheDirectory.names,
      mode: service.cacheDirectory.mode,
      envName: "CACHE_DIRECTORY",
    },
    {
      kind: "logs",
      base: user ? `${cfg}/log` : "/var/log",
      names: service.logsDirectory.names,
      mode: service.logsDirectory.mode,
      envName: "LOGS_DIRECTORY",
    },
    {
      kind: "configuration",
      base: user ? cfg : "/etc",
      names: service.configurationDirectory.names,
      mode: service.configurationDirectory.mode,
      envName: "CONFIGURATION_DIRECTORY",
    },
  ];
}

const DIR_STATUS: Record<string, number> = {
  runtime: 233,
  state: 238,
  cache: 239,
  logs: 240,
  configuration: 241,
};

/**
 * The owner fix-up of a `*Directory=` tree: best effort, as before, except that a link a
 * service user planted on the way (an unsafe chain, a loop) refuses the start.
 */
function chownTree(root: RootMap, at: string, creds: Credentials): void {
  try {
    chownTreeIn(root.root, at, creds.uid, creds.gid);
  } catch (e) {
    if (e instanceof RootFsError && (e.code === UNSAFE_CHAIN || e.code === LOOP)) throw e;
  }
}

const UNSAFE_CHAIN = 67; // ENOLINK, as systemd's chase() reports an unsafe transition
const LOOP = 40; // ELOOP

/** Creates the `*Directory=` directories; returns the env vars to set and the runtime dirs made. */
export function createDirectories(
  root: RootMap,
  scope: Scope,
  env: PathEnv,
  service: ServiceSettings,
  creds: Credentials | undefined,
): { vars: Record<string, string>; runtimeDirs: string[] } {
  const vars: Record<string, string> = {};
  const runtimeDirs: string[] = [];
  for (const d of serviceDirectories(scope, env, service)) {
    if (d.names.length === 0) continue;
    const paths: string[] = [];
    for (const entry of d.names) {
      const [name, link] = entry.split(":");
      if (name.startsWith("/") || name.split("/").includes("..")) {
        throw new ExecSetupError(
          `Invalid ${d.kind} directory ${name}`,
          "resources",
          DIR_STATUS[d.kind],
        );
      }
      const inside = `${d.base}/${name}`;
      let host = inside;
      try {
        // On descriptors inside the root, never through a link a service user made (a
        // link owned by root, such as an image's /var/lib/mysql -> /data/mysql, is followed);
        // owner and mode changes never follow a link below the directory.
        const at = root.inner(inside);
        mkdirIn(root.root, at, d.mode, true);
        chmodIn(root.root, at, d.mode, { safe: true, follow: true });
        if (creds && d.kind !== "configuration") chownTree(root, at, creds);
        host = root.resolve(inside);
        if (link) {
          const linkAt = root.inner(`${d.base}/${link}`);
          if (statIn(root.root, linkAt) === undefined) symlinkIn(root.root, at, linkAt);
        }
      } catch (e) {
        throw new ExecSetupError(
          `Failed to set up ${d.kind} directory ${inside}: ${(e as Error).message}`,
          "resources",
          DIR_STATUS[d.kind],
        );
      }
      paths.push(root.root ? host : inside);
      if (d.kind === "runtime") runtimeDirs.push(inside);
    }
    vars[d.envName] = paths.join(":");
  }
  return { vars, runtimeDirs };
}

/** Everything shared by the Exec commands of one activation. */
export interface PreparedExec {
  readonly env: Record<string, string>;
  readonly creds: Credentials | undefined;
  /** The unit's log file, inside the root ({@link unitLogInside}). */
  readonly logPath: string;
  readonly service: ServiceSettings;
  readonly unitId: string;
  readonly root: RootMap;
  /**
   * Generated from a SysV script: under `--root` the script runs chrooted into the root,
   * since it names its own paths (`/etc/default/x`, `/usr/sbin/x`) as seen inside.
   */
  readonly sysv?: boolean;
}

/** The spawn spec for one Exec command. */
export function spawnSpecFor(
  cmd: ExecCommand,
  p: PreparedExec,
  extraEnv: Record<string, string> = {},
): SpawnSpec {
  const s = p.service;
  const env = { ...p.env, ...extraEnv };
  const args = cmd.noEnvExpand ? cmd.argv.slice(1) : expandExecArgs(cmd.argv.slice(1), env);
  const path = resolveExecutable(cmd.path, s.execSearchPath);
  const unprivileged = !cmd.privileged && !cmd.noSetuid && !cmd.ambient;
  const creds = unprivileged ? p.creds : undefined;
  if (creds && (s.user || s.dynamicUser)) {
    env.USER ??= creds.name;
    env.LOGNAME ??= creds.name;
    env.HOME ??= creds.home;
    env.SHELL ??= creds.shell;
  }
  let cwd = s.workingDirectory?.path;
  if (cwd === "~") cwd = creds?.home ?? (p.env.HOME || "/root");
  const rootDirectory = !cmd.privileged && s.rootDirectory
    ? p.root.resolve(s.rootDirectory)
    : p.sysv && p.root.root
    ? resolve([p.root.root], () => Deno.cwd())
    : undefined;
  return {
    path,
    argv: [cmd.argv[0] ?? path, ...args],
    env,
    pidEnv: ["SYSTEMD_EXEC_PID"],
    // Under --root the process layer opens the stdio files and the log, and enters the
    // working directory, inside the root on descriptors (process/rootfs.ts).
    pathRoot: p.root.root || undefined,
    // No WorkingDirectory=: the host's "/", as before (commands under --root are the host's).
    cwd: cwd === undefined || rootDirectory || !cwd.startsWith("/") ? cwd : p.root.inner(cwd),
    cwdOptional: s.workingDirectory?.optional,
    // Already that user (a non-root init in user mode): nothing to switch, and setgroups
    // would be refused without privileges.
    user: creds && !(creds.uid === Deno.uid() && creds.gid === Deno.gid() && creds.uid !== 0)
      ? { uid: creds.uid, gid: creds.gid, groups: creds.groups }
      : undefined,
    umask: s.umask,
    nice: s.nice,
    oomScoreAdjust: s.oomScoreAdjust,
    // systemd gives services a soft NOFILE limit of 1024 (select() breaks above it) and the
    // manager's hard limit. A hard limit of infinity is never allowed for NOFILE, so the
    // helper caps it at its own (the manager's) hard limit, as setrlimit_closest() does.
    rlimits: s.limits.NOFILE ? s.limits : { ...s.limits, NOFILE: { soft: 1024, hard: Infinity } },
    rootDirectory,
    stdin: s.standardInput.kind === "file"
      ? { kind: "file", path: p.root.inner(s.standardInput.path ?? "/dev/null") }
      : { kind: "null" },
    stdout: stdioTarget(s.standardOutput, p.root, p.logPath),
    stderr: s.standardError.kind === "inherit"
      ? { kind: "inherit" }
      : stdioTarget(s.standardError, p.root, p.logPath),
    ignoreSigpipe: s.ignoreSIGPIPE,
    noNewPrivileges: s.noNewPrivileges,
    unitName: p.unitId,
    failureLog: p.logPath,
  };
}
