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
  trackChild,
  unrefChild,
  waitChild,
} from "./_children.ts";
import type { HelperFailure, HelperRequest } from "./exec_helper.ts";
import { cstr, cstrArray, errno, F, libc, O, strerror } from "./libc.ts";
import { readStat } from "./procfs.ts";
import { selfCommand } from "./self.ts";

export type { ExitInfo } from "./_children.ts";
export { childExit, reapChild } from "./_children.ts";

/** Where a standard stream of a command goes. */
export interface StdioTarget {
  /**
   * `null` (/dev/null), `inherit` (the spawner's descriptor; for stderr: the
   * same as stdout), `file` (open for writing, no truncation; for stdin: read),
   * `append`, `truncate`, or `log` (append to the unit log file at `path`).
   */
  kind: "null" | "inherit" | "file" | "append" | "truncate" | "log";
  /** The file for file, append, truncate and log. */
  path?: string;
}

/** Everything needed to start one Exec command. */
export interface SpawnSpec {
  /** Absolute executable path (resolved by the caller). */
  path: string;
  /** Argument vector, argv[0] included. */
  argv: string[];
  /** The complete environment (nothing is inherited). */
  env: Record<string, string>;
  /** Variables to set to the command's own PID, e.g. `SYSTEMD_EXEC_PID`, `LISTEN_PID`. */
  pidEnv?: string[];
  /** Working directory (relative to `rootDirectory` when set); default `/`. */
  cwd?: string;
  /** `-` prefix: a missing working directory falls back to `/`. */
  cwdOptional?: boolean;
  /** Credentials, resolved by the caller: setgroups, setgid, setuid in that order. */
  user?: { uid: number; gid: number; groups: number[] };
  /** File mode creation mask; default 0o022. */
  umask?: number;
  /** Nice level. */
  nice?: number;
  /** OOM score adjustment. */
  oomScoreAdjust?: number;
  /** Resource limits keyed like `NOFILE`, `NPROC`, `CORE`; `Infinity` = RLIM_INFINITY. */
  rlimits?: Record<string, { soft: number; hard: number }>;
  /** chroot before the working directory is entered. */
  rootDirectory?: string;
  /** Standard input. */
  stdin: StdioTarget;
  /** Standard output. */
  stdout: StdioTarget;
  /** Standard error (`inherit` = same as stdout). */
  stderr: StdioTarget;
  /** Start with SIGPIPE ignored; default true. */
  ignoreSigpipe?: boolean;
  /** Set no_new_privs before exec. */
  noNewPrivileges?: boolean;
  /** Descriptors of this process passed as 3, 4, ... (socket activation). */
  passFds?: number[];
  /** Unit name for the failure line. */
  unitName: string;
  /** File that gets `<unit>: Failed at step <STEP> spawning <path>: <error>` on a setup failure. */
  failureLog?: string;
  /** Make the helper fail at this step with this error, as a forked child would. */
  failAt?: { step: string; error: string };
}

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

function toRequest(spec: SpawnSpec): HelperRequest {
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
    passFds,
    reportFd: 3 + passFds,
  };
}

function check(result: number, what: string): void {
  if (result !== 0) throw new Error(`${what}: ${strerror(result)}`);
}

function dupHigh(fd: number): number {
  const copy = libc().fcntl(fd, F.DUPFD_CLOEXEC, HIGH_FD);
  if (copy < 0) throw new Error(`cannot duplicate descriptor ${fd}: ${strerror(errno())}`);
  return copy;
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
  const envp = cstrArray(helperEnvironment());
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
    check(c.posix_spawnattr_init(attr), "posix_spawnattr_init");
    check(c.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
    const everySignal = new Uint8Array(128).fill(0xff, 0, 8);
    check(c.posix_spawnattr_setsigdefault(attr, everySignal), "posix_spawnattr_setsigdefault");
    check(c.posix_spawnattr_setsigmask(attr, new Uint8Array(128)), "posix_spawnattr_setsigmask");
    const flags = POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    check(c.posix_spawnattr_setflags(attr, flags), "posix_spawnattr_setflags");
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
 * Starts a command through the exec helper. Resolves as soon as the process
 * exists; `execResult()` tells whether the exec itself succeeded.
 */
export function spawnProcess(spec: SpawnSpec): Promise<Spawned> {
  const request = toRequest(spec);
  const { pid, reportFd } = launchHelper(spec, request);
  trackChild(pid);
  const startTime = readStat(pid)?.startTime ?? 0;
  const result = readReport(reportFd).then(parseReport);
  return Promise.resolve({
    pid,
    startTime,
    status: () => waitChild(pid),
    execResult: () => result,
    unref: () => unrefChild(pid),
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
