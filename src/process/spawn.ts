/**
 * Spawning Exec commands. The command is started through the exec helper
 * (this program in `--exec-helper` mode), launched with `posix_spawn` in a
 * new session with its stdio on /dev/null or the caller's descriptors. The
 * helper applies the exec context and `execve`s the command, so the returned
 * PID is the command's PID. We own the child (Deno does not reap it), which
 * gives exact exit statuses, core dumps included, and no tie to the
 * spawner's lifetime: a main process simply outlives the client.
 * @module
 */

import {
  childExit,
  type ExitInfo,
  reapChild,
  releaseChild,
  spawnBegins,
  spawnEnds,
  trackChild,
  unrefChild,
  waitChild,
} from "./_children.ts";
import { type HelperFailure, LOG_MODE, OUTPUT_FLAGS, RLIMIT } from "./exec_helper.ts";
import type { HelperRequest, SpawnSpec, StdioTarget } from "./exec_request.ts";
import { cstr, cstrArray, errno, F, libc, O, strerror } from "./libc.ts";
import { isAlive, readCmdline, readStat } from "./procfs.ts";
import { openIn, RootFsError } from "./rootfs.ts";
import { selfCommand } from "./self.ts";

export type { ExitInfo } from "./_children.ts";
export type { SpawnSpec, StdioTarget } from "./exec_request.ts";
export { childExit, isTrackedChild, onReapReleased, reapChild } from "./_children.ts";

/** The outcome of the exec: success, or the systemd step that failed. */
export type ExecResult =
  | { ok: true }
  | { ok: false; status: number; step: string; error: string };

/** A spawned command. */
export interface Spawned {
  /** The command's PID (the helper's PID, kept across execve). */
  pid: number;
  /** Start time in clock ticks, for identity checks. */
  startTime: number;
  /** Resolves when the process has ended (keeps the program alive until then, unless unref'd). */
  status(): Promise<ExitInfo>;
  /** Resolves once the command has been exec'd or its setup failed. */
  execResult(): Promise<ExecResult>;
  /** Stops `status()` from keeping the program alive. */
  unref(): void;
  /** Stops waiting for the process here: once this program exits, its end goes to the init. */
  release(): void;
}

const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
/** Scratch descriptors at or above this number avoid clashing with the 3.. targets. */
const HIGH_FD = 100;

function helperEnvironment(): string[] {
  let env: Record<string, string> = {};
  try {
    env = Deno.env.toObject();
  } catch {
    env = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };
  }
  env.DENO_NO_UPDATE_CHECK = "1";
  return Object.entries(env).map(([name, value]) => `${name}=${value}`);
}

/** Linux's execve limits (fs/exec.c): one string, the stack's default, the least share. */
const MAX_ARG_STRLEN = 32 * 4096;
const STK_LIM = 8 * 1024 * 1024;
const ARG_MAX = 32 * 4096;
const POINTER_SIZE = 8;

/** The UTF-8 size of a string, counted without encoding it. */
function utf8Size(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c < 0x800 ? 1 : c >= 0xd800 && c <= 0xdfff ? 1 : 2;
  }
  return n;
}

/** The soft RLIMIT_STACK the command will run under: its LimitSTACK=, else ours. */
function stackLimit(spec: SpawnSpec): number {
  for (const [name, value] of Object.entries(spec.rlimits ?? {})) {
    if (name.toUpperCase() === "STACK") return value.soft;
  }
  const current = new BigUint64Array(2);
  if (libc().getrlimit(RLIMIT.STACK, new Uint8Array(current.buffer)) !== 0) return Infinity;
  return Number(current[0]);
}

/**
 * Whether execve is sure to refuse the command with E2BIG, counted as the kernel counts
 * (fs/exec.c): a string of MAX_ARG_STRLEN bytes or more, or the path, arguments and
 * environment strings with their pointers over a quarter of RLIMIT_STACK (at most 3/4 of
 * _STK_LIM, at least ARG_MAX). The helper's and shell's own strings are not counted, so
 * a list this lets pass may still fail at execve, but one it refuses always would.
 */
export function exceedsExecLimits(spec: SpawnSpec): boolean {
  const limit = Math.max(Math.min(STK_LIM / 4 * 3, stackLimit(spec) / 4), ARG_MAX);
  const envNames = Object.keys(spec.env);
  const pointers = (Math.max(spec.argv.length, 1) + envNames.length) * POINTER_SIZE;
  if (limit <= pointers) return true;
  const room = limit - pointers;
  let total = utf8Size(spec.path) + 1;
  for (const arg of spec.argv) {
    const n = utf8Size(arg) + 1;
    if (n > MAX_ARG_STRLEN) return true;
    total += n;
    if (total > room) return true;
  }
  for (const name of envNames) {
    const n = utf8Size(name) + utf8Size(spec.env[name]) + 2;
    if (n > MAX_ARG_STRLEN) return true;
    total += n;
    if (total > room) return true;
  }
  return false;
}

function toRequest(spec: SpawnSpec, argumentsTooLong = false): HelperRequest {
  const rlimits: HelperRequest["rlimits"] = {};
  for (const [name, { soft, hard }] of Object.entries(spec.rlimits ?? {})) {
    rlimits[name] = {
      soft: Number.isFinite(soft) ? soft : null,
      hard: Number.isFinite(hard) ? hard : null,
    };
  }
  const passFds = spec.passFds?.length ?? 0;
  return {
    path: spec.path,
    argv: spec.argv,
    env: spec.env,
    pidEnv: spec.pidEnv,
    pathRoot: spec.pathRoot,
    cwd: spec.cwd,
    cwdOptional: spec.cwdOptional,
    user: spec.user,
    umask: spec.umask,
    nice: spec.nice,
    oomScoreAdjust: spec.oomScoreAdjust,
    rlimits,
    rootDirectory: spec.rootDirectory,
    stdin: spec.stdin,
    stdout: spec.stdout,
    stderr: spec.stderr,
    ignoreSigpipe: spec.ignoreSigpipe,
    noNewPrivileges: spec.noNewPrivileges,
    unitName: spec.unitName,
    failureLog: spec.failureLog,
    failAt: spec.failAt,
    argumentsTooLong: argumentsTooLong || undefined,
    passFds,
    reportFd: 3 + passFds,
  };
}

function check(result: number, what: string): void {
  if (result !== 0) throw new Error(`${what}: ${strerror(result)}`);
}

/** Clears O_NONBLOCK: the open file description is shared, so the command sees it too. */
function setBlocking(fd: number): void {
  const flags = libc().fcntl(fd, F.GETFL, 0);
  if (flags >= 0 && (flags & O.NONBLOCK)) libc().fcntl(fd, F.SETFL, flags & ~O.NONBLOCK);
}

function dupHigh(fd: number): number {
  const copy = libc().fcntl(fd, F.DUPFD_CLOEXEC, HIGH_FD);
  if (copy < 0) throw new Error(`cannot duplicate descriptor ${fd}: ${strerror(errno())}`);
  return copy;
}

/**
 * Starts `attr` and `actions` as every spawn has them: a session of its own (setsid),
 * every signal at its default disposition and none blocked.
 */
function initSpawn(attr: Uint8Array, actions: Uint8Array): void {
  const c = libc();
  check(c.posix_spawnattr_init(attr), "posix_spawnattr_init");
  check(c.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
  const everySignal = new Uint8Array(128).fill(0xff, 0, 8);
  check(c.posix_spawnattr_setsigdefault(attr, everySignal), "posix_spawnattr_setsigdefault");
  check(c.posix_spawnattr_setsigmask(attr, new Uint8Array(128)), "posix_spawnattr_setsigmask");
  const flags = POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  check(c.posix_spawnattr_setflags(attr, flags), "posix_spawnattr_setflags");
}

interface Launch {
  pid: number;
  reportFd: number;
}

const MFD_CLOEXEC = 1;
const SEEK_SET = 0;

/**
 * The request as a descriptor the helper reads first: a memfd holding the
 * JSON, positioned at its start. It cannot travel in argv, where one string
 * may hold at most 128 KiB (a larger environment failed with E2BIG), and a
 * pipe would block the spawner once the request outgrows the pipe buffer.
 */
function requestDescriptor(request: HelperRequest): number {
  const c = libc();
  const bytes = new TextEncoder().encode(JSON.stringify(request));
  const fd = c.memfd_create(cstr("systemctl-exec-request"), MFD_CLOEXEC);
  if (fd < 0) throw new Error(`cannot pass the exec request: ${strerror(errno())}`);
  let offset = 0;
  while (offset < bytes.length) {
    const n = Number(c.write(fd, bytes.subarray(offset), BigInt(bytes.length - offset)));
    if (n <= 0) {
      const code = errno();
      c.close(fd);
      throw new Error(`cannot pass the exec request: ${strerror(code)}`);
    }
    offset += n;
  }
  c.lseek(fd, 0n, SEEK_SET);
  return fd;
}

function launchHelper(spec: SpawnSpec, request: HelperRequest): Launch {
  const c = libc();
  const self = selfCommand();
  // The request goes on the descriptor right after the report pipe's.
  const requestFd = request.reportFd + 1;
  const argv = cstrArray([self.cmd, ...self.args, "--exec-helper", String(requestFd)]);
  // The unit's INVOCATION_ID from the first instant: a client killed before it records the
  // spawn leaves a helper (then the command) that the next client finds by it.
  const marker = spec.env.INVOCATION_ID;
  const envp = cstrArray([
    ...helperEnvironment().filter((v) => !v.startsWith("INVOCATION_ID=")),
    ...(marker ? [`INVOCATION_ID=${marker}`] : []),
  ]);
  const requestMemfd = requestDescriptor(request);
  const pipe = new Int32Array(2);
  if (c.pipe2(new Uint8Array(pipe.buffer), O.CLOEXEC) !== 0) {
    const code = errno();
    c.close(requestMemfd);
    throw new Error(`cannot create pipe: ${strerror(code)}`);
  }
  const scratch: number[] = [];
  const attr = new Uint8Array(512);
  const actions = new Uint8Array(512);
  try {
    scratch.push(dupHigh(pipe[1]));
    scratch.push(dupHigh(requestMemfd));
    const passed = (spec.passFds ?? []).map((fd) => {
      const copy = dupHigh(fd);
      scratch.push(copy);
      return copy;
    });
    initSpawn(attr, actions);
    const devNull = cstr("/dev/null");
    for (const [fd, target] of [spec.stdin, spec.stdout, spec.stderr].entries()) {
      if (target.kind === "inherit") continue;
      check(c.posix_spawn_file_actions_addopen(actions, fd, devNull, O.RDWR, 0), "addopen");
    }
    passed.forEach((fd, index) => {
      check(c.posix_spawn_file_actions_adddup2(actions, fd, 3 + index), "adddup2");
    });
    check(c.posix_spawn_file_actions_adddup2(actions, scratch[0], request.reportFd), "adddup2");
    check(c.posix_spawn_file_actions_adddup2(actions, scratch[1], requestFd), "adddup2");
    const pid = new Int32Array(1);
    check(
      c.posix_spawn(
        new Uint8Array(pid.buffer),
        cstr(self.cmd),
        actions,
        attr,
        new Uint8Array(argv.pointers.buffer),
        new Uint8Array(envp.pointers.buffer),
      ),
      `cannot spawn ${self.cmd}`,
    );
    return { pid: pid[0], reportFd: pipe[0] };
  } catch (error) {
    c.close(pipe[0]);
    throw error;
  } finally {
    c.posix_spawn_file_actions_destroy(actions);
    c.posix_spawnattr_destroy(attr);
    c.close(pipe[1]);
    c.close(requestMemfd);
    for (const fd of scratch) c.close(fd);
  }
}

async function readReport(fd: number): Promise<string> {
  const chunks: number[] = [];
  const buffer = new Uint8Array(4096);
  // errno belongs to the worker thread that ran the read, so a failed read is
  // retried (EINTR: signals such as SIGCHLD land on that thread) instead of
  // being inspected. Only EOF, once the helper has exec'd or exited, ends it:
  // an "R" read early must not count as an exec that has happened.
  let failures = 0;
  try {
    while (failures < 1000) {
      const n = Number(await libc().readAsync(fd, buffer, BigInt(buffer.length)));
      if (n === 0) break;
      if (n > 0) chunks.push(...buffer.subarray(0, n));
      else failures++;
    }
  } finally {
    libc().close(fd);
  }
  return new TextDecoder().decode(new Uint8Array(chunks));
}

function parseReport(report: string): ExecResult {
  const failure = report.indexOf("E");
  if (failure >= 0) {
    try {
      const parsed = JSON.parse(report.slice(failure + 1).split("\n")[0]) as HelperFailure;
      return { ok: false, status: parsed.status, step: parsed.step, error: parsed.error };
    } catch {
      return { ok: false, status: 203, step: "EXEC", error: "unreadable exec helper report" };
    }
  }
  if (report.startsWith("R")) return { ok: true };
  return { ok: false, status: 203, step: "EXEC", error: "exec helper ended before exec" };
}

/**
 * Resolves once the shell prologue has exec'd the command (its command line is no
 * longer the prologue's) or has ended: what the helper's report tells on the other path.
 */
async function prologueDone(pid: number, script: string): Promise<ExecResult> {
  for (let delay = 0.5;; delay = Math.min(delay * 2, 20)) {
    const argv = readCmdline(pid);
    if ((argv.length > 0 && argv[2] !== script) || childExit(pid) || !isAlive(pid)) {
      return { ok: true };
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** The shell of the direct path; it must exist for that path to be taken. */
const SHELL = "/bin/sh";
/**
 * The direct path's shell prologue: `$0` is the working directory, `"$@"` the
 * command (argv[0] = the executable path). `$$` is the command's own PID, since
 * `exec` keeps it.
 */
function directScript(spec: SpawnSpec): string {
  const pidVars = (spec.pidEnv ?? []).map((name) => `${name}=$$; export ${name}; `).join("");
  const pipe = spec.ignoreSigpipe === false ? "" : "trap '' PIPE; ";
  const cwd = spec.cwdOptional ? `cd -- "$0" 2>/dev/null || cd /; ` : `cd -- "$0" || exit 200; `;
  const soft = softNofileOnly(spec);
  const nofile = soft === undefined ? "" : `ulimit -S -n ${soft} || exit 205; `;
  // The shell's own PWD/OLDPWD must not reach the command (systemd sets neither).
  return `${pipe}${pidVars}${nofile}${cwd}unset PWD OLDPWD; exec "$@"`;
}

/**
 * The soft NOFILE limit when that is the spec's only limit and its hard limit is
 * infinity, which NOFILE never gets: the hard limit stays the manager's (as in the
 * helper's setrlimit_closest), so the shell prologue can set it. Capped at the hard limit.
 */
function softNofileOnly(spec: SpawnSpec): number | undefined {
  const limits = Object.entries(spec.rlimits ?? {});
  if (limits.length !== 1 || limits[0][0].toUpperCase() !== "NOFILE") return undefined;
  const { soft, hard } = limits[0][1];
  if (Number.isFinite(hard) || !Number.isFinite(soft)) return undefined;
  const current = new BigUint64Array(2);
  if (libc().getrlimit(RLIMIT.NOFILE, new Uint8Array(current.buffer)) !== 0) return undefined;
  return Math.min(soft, Number(current[1]));
}

let directUnavailable = false;
let ownUmask: number | undefined;

function currentUmask(): number {
  if (ownUmask === undefined) {
    ownUmask = libc().umask(0o022);
    libc().umask(ownUmask);
  }
  return ownUmask;
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function isExecutableFile(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && ((st.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Whether a command needs nothing that the exec helper alone can do (credentials,
 * limits, nice, OOM score, a umask of its own, chroot, no_new_privs, a setup
 * failure to stage, an argv[0] of its own) and its executable
 * is there: then a shell prologue does the rest (working directory, SIGPIPE,
 * SYSTEMD_EXEC_PID) and posix_spawn the stdio, with no Deno start-up per spawn.
 * Anything the direct path would get wrong (a missing binary, an unopenable log)
 * goes through the helper, which reports the failed step as systemd does.
 */
function canSpawnDirect(spec: SpawnSpec): boolean {
  if (directUnavailable) return false;
  if (spec.user || spec.nice !== undefined || spec.oomScoreAdjust !== undefined) return false;
  const limits = Object.keys(spec.rlimits ?? {}).length;
  if ((limits && softNofileOnly(spec) === undefined) || spec.rootDirectory) return false;
  if (spec.noNewPrivileges) return false;
  if (spec.failAt || spec.argv[0] !== spec.path) return false;
  if ((spec.umask ?? 0o022) !== currentUmask()) return false;
  if ((spec.pidEnv ?? []).some((name) => !/^[A-Z_][A-Z0-9_]*$/.test(name))) return false;
  if ("PWD" in spec.env || "OLDPWD" in spec.env) return false;
  if (spec.pathRoot === undefined && !spec.cwdOptional && !isDirectory(spec.cwd ?? "/")) {
    return false;
  }
  return isExecutableFile(spec.path) && isExecutableFile(SHELL);
}

/** The buffers of spawns in flight (referenced so that no collection frees them). */
const inFlight = new Set<unknown[]>();

/**
 * posix_spawn of the shell prologue, tracked as our child; undefined when posix_spawn
 * refused (use the helper). The call runs on a runtime thread: the parent of a vfork
 * waits until the child has exec'd, which on a loaded machine takes milliseconds that
 * the loop spends on other jobs. Until the PID is tracked, reapers hold back.
 */
async function launchDirect(spec: SpawnSpec): Promise<number | undefined> {
  const c = libc();
  // Under a root the working directory is entered by descriptor (fchdir), not by name.
  const inRoot = spec.pathRoot !== undefined && spec.cwd !== undefined;
  const cwdArg = inRoot ? "." : spec.cwd ?? "/";
  const argv = cstrArray([SHELL, "-c", directScript(spec), cwdArg, ...spec.argv]);
  const envp = cstrArray(Object.entries(spec.env).map(([name, value]) => `${name}=${value}`));
  const attr = new Uint8Array(512);
  const actions = new Uint8Array(512);
  const keep: Uint8Array[] = [];
  const scratch: number[] = [];
  /** Inside the root, on descriptors: opened here (we are root too) and handed over. */
  const openHigh = (path: string, flags: number, mode: number) => {
    const fd = openIn(spec.pathRoot!, path, flags, mode);
    const copy = c.fcntl(fd, F.DUPFD_CLOEXEC, HIGH_FD);
    c.close(fd);
    if (copy < 0) throw new RootFsError(errno(), path);
    scratch.push(copy);
    return copy;
  };
  /** Opens a target onto `fd`: /dev/null (kind `null`) is the host's, a file the spec's. */
  const open = (fd: number, target: StdioTarget, flags: number) => {
    const path = target.kind === "null" ? "/dev/null" : target.path ?? "/dev/null";
    const mode = target.kind === "log" ? LOG_MODE : 0o666;
    if (spec.pathRoot !== undefined && target.kind !== "null") {
      const file = openHigh(path, flags | O.NOCTTY, mode);
      check(c.posix_spawn_file_actions_adddup2(actions, file, fd), "adddup2");
      return;
    }
    const p = cstr(path);
    keep.push(p);
    check(c.posix_spawn_file_actions_addopen(actions, fd, p, flags | O.NOCTTY, mode), "addopen");
  };
  try {
    initSpawn(attr, actions);
    // Socket activation: the descriptors land on 3, 4, ... (dup2 clears close-on-exec).
    const passed = spec.passFds ?? [];
    passed.forEach((fd, index) => {
      setBlocking(fd);
      const copy = dupHigh(fd);
      scratch.push(copy);
      check(c.posix_spawn_file_actions_adddup2(actions, copy, 3 + index), "adddup2");
    });
    const dupOnto = (target: number, t: StdioTarget) =>
      check(c.posix_spawn_file_actions_adddup2(actions, t.fd ?? -1, target), "adddup2");
    const { stdin, stdout, stderr } = spec;
    if (stdin.kind === "fd") dupOnto(0, stdin);
    else if (stdin.kind !== "inherit") open(0, stdin, O.RDONLY);
    if (stdout.kind === "fd") dupOnto(1, stdout);
    else if (stdout.kind !== "inherit") open(1, stdout, OUTPUT_FLAGS[stdout.kind]);
    const sameAsStdout = stderr.kind === "inherit" ||
      (stderr.kind === stdout.kind && stderr.path === stdout.path && stderr.fd === stdout.fd);
    if (sameAsStdout) check(c.posix_spawn_file_actions_adddup2(actions, 1, 2), "adddup2");
    else if (stderr.kind === "fd") dupOnto(2, stderr);
    else open(2, stderr, OUTPUT_FLAGS[stderr.kind]);
    if (inRoot) {
      let dir: number;
      try {
        dir = openHigh(spec.cwd!, O.PATH | O.DIRECTORY, 0);
      } catch (e) {
        if (!spec.cwdOptional) throw e;
        dir = openHigh("/", O.PATH | O.DIRECTORY, 0);
      }
      check(c.posix_spawn_file_actions_addfchdir_np(actions, dir), "addfchdir");
    }
    try {
      check(c.posix_spawn_file_actions_addclosefrom_np(actions, 3 + passed.length), "addclosefrom");
    } catch {
      // glibc before 2.34: without closefrom the runtime's descriptors would leak.
      directUnavailable = true;
      return undefined;
    }
    const pid = new Int32Array(1);
    const shell = cstr(SHELL);
    // The C side reads these while the loop runs on: they must outlive the call.
    const pinned = [argv, envp, attr, actions, keep, shell, pid];
    inFlight.add(pinned);
    spawnBegins();
    try {
      const r = await c.posix_spawn_async(
        new Uint8Array(pid.buffer),
        shell,
        actions,
        attr,
        new Uint8Array(argv.pointers.buffer),
        new Uint8Array(envp.pointers.buffer),
      );
      if (r !== 0) return undefined;
      trackChild(pid[0]);
      return pid[0];
    } finally {
      inFlight.delete(pinned);
      spawnEnds();
    }
  } catch (e) {
    // A file or directory that cannot be opened inside the root (or a C library without
    // posix_spawn_file_actions_addfchdir_np): the helper fails at its step, as systemd.
    if (e instanceof RootFsError || (inRoot && !(e instanceof Deno.errors.NotCapable))) {
      return undefined;
    }
    throw e;
  } finally {
    c.posix_spawn_file_actions_destroy(actions);
    c.posix_spawnattr_destroy(attr);
    for (const fd of scratch) c.close(fd);
  }
}

/**
 * Starts a command: directly (posix_spawn of a shell prologue that execs it) when it
 * needs no setup of the exec helper's, else through the helper. Resolves as soon as
 * the process exists; `execResult()` tells whether the exec itself succeeded.
 */
export async function spawnProcess(spec: SpawnSpec): Promise<Spawned> {
  // A list execve is sure to refuse goes to the helper without its megabytes: the helper
  // runs every step and fails at EXEC with E2BIG, as the exec would.
  const tooLong = exceedsExecLimits(spec);
  if (tooLong) spec = { ...spec, argv: [spec.path], env: {} };
  const direct = !tooLong && canSpawnDirect(spec) ? await launchDirect(spec) : undefined;
  if (direct !== undefined) {
    const script = directScript(spec);
    let exec: Promise<ExecResult> | undefined;
    return ({
      pid: direct,
      startTime: readStat(direct)?.startTime ?? 0,
      status: () => waitChild(direct),
      execResult: () => (exec ??= prologueDone(direct, script)),
      unref: () => unrefChild(direct),
      release: () => releaseChild(direct),
    });
  }
  const request = toRequest(spec, tooLong);
  const { pid, reportFd } = launchHelper(spec, request);
  trackChild(pid);
  const startTime = readStat(pid)?.startTime ?? 0;
  const result = readReport(reportFd).then(parseReport);
  return ({
    pid,
    startTime,
    status: () => waitChild(pid),
    execResult: () => result,
    unref: () => unrefChild(pid),
    release: () => releaseChild(pid),
  });
}

/** Runs a command and waits for it to end (control processes, oneshot commands). */
export async function runAndWait(spec: SpawnSpec): Promise<ExitInfo & { pid: number }> {
  const child = await spawnProcess(spec);
  const exit = await child.status();
  return { pid: child.pid, ...exit };
}

/** The recorded exit of a spawned child, reaping it first if it has ended. */
export function exitOf(pid: number): ExitInfo | undefined {
  return childExit(pid) ?? reapChild(pid);
}
