/**
 * The exec helper: this program started in `--exec-helper` mode by
 * `spawnProcess`. It prepares its own process as systemd does for an Exec
 * command (limits, OOM score, nice, umask, stdio, chroot, working directory,
 * credentials, signals, descriptors) and then `execve`s the command, so its
 * PID becomes the service's PID.
 *
 * Its request (`HelperRequest`, JSON) comes on the descriptor named by its
 * one argument, a memfd it reads to the end before anything else.
 * It reports to the spawner through an inherited pipe: `R` just before
 * `execve`, and `E<json>\n` when a step fails. The pipe is close-on-exec, so
 * end-of-file after `R` without `E` means the exec succeeded.
 *
 * Keep the imports to `libc.ts`: every spawn pays for this module graph.
 * @module
 */

import { cstr, cstrArray, Errno, errno, F, libc, O, strerror } from "./libc.ts";
import { chdirIn, openIn, RootFsError } from "./rootfs.ts";
import type { HelperRequest, StdioTarget } from "./exec_request.ts";

/** A failure record sent to the spawner. */
export interface HelperFailure {
  /** systemd exit status of the failed step. */
  status: number;
  /** systemd step name, e.g. EXEC, CHDIR, USER. */
  step: string;
  /** The error text, e.g. "No such file or directory". */
  error: string;
}

/** systemd's exit statuses of the setup steps. */
export const EXIT_STATUS = {
  CHDIR: 200,
  NICE: 201,
  FDS: 202,
  EXEC: 203,
  LIMITS: 205,
  OOM_ADJUST: 206,
  SIGNAL_MASK: 207,
  STDIN: 208,
  STDOUT: 209,
  CHROOT: 210,
  GROUP: 216,
  USER: 217,
  STDERR: 222,
  NO_NEW_PRIVILEGES: 227,
} as const;

type Step = keyof typeof EXIT_STATUS;

/** Resource numbers of setrlimit(2) by systemd's `Limit*` suffix. */
export const RLIMIT: Readonly<Record<string, number>> = {
  CPU: 0,
  FSIZE: 1,
  DATA: 2,
  STACK: 3,
  CORE: 4,
  RSS: 5,
  NPROC: 6,
  NOFILE: 7,
  MEMLOCK: 8,
  AS: 9,
  LOCKS: 10,
  SIGPENDING: 11,
  MSGQUEUE: 12,
  NICE: 13,
  RTPRIO: 14,
  RTTIME: 15,
};

const RLIM_INFINITY = 0xffffffffffffffffn;
/**
 * A lower soft NOFILE limit is applied just before execve: the helper itself
 * needs descriptors (Deno holds a few dozen) to open the stdio files.
 */
const NOFILE_WORKING_MINIMUM = 256n;
/**
 * Memory limits are applied just before execve too: below what V8 already
 * holds (`LimitAS=1`) the helper's next allocation would end in a JavaScript
 * out-of-memory trace instead of the command's own failure at exec.
 */
const MEMORY_RLIMITS = new Set([RLIMIT.AS, RLIMIT.DATA, RLIMIT.STACK]);
const DEFERRED_RLIMITS = MEMORY_RLIMITS;
/** The shell that sets memory limits (`ulimit -v/-d/-s`, in KiB) right before the exec. */
const SHELL = "/bin/sh";
const ULIMIT_FLAG: Record<number, string> = {
  [RLIMIT.AS]: "v",
  [RLIMIT.DATA]: "d",
  [RLIMIT.STACK]: "s",
};

/**
 * `sh -c 'ulimit …; exec "$@"' PATH ARGV…` for the memory limits, or undefined when the
 * shell cannot do it faithfully (no shell, an argv[0] of the command's own, PWD in the
 * environment, which the shell would change). Values are rounded down to KiB; a hard
 * limit the shell may not raise is kept (as systemd's setrlimit_closest).
 */
function shellForLimits(
  request: HelperRequest,
  env: string[],
  deferred: ReadonlyArray<{ resource: number; soft: bigint; hard: bigint }>,
): { argv: string[] } | undefined {
  const memory = deferred.filter((l) => MEMORY_RLIMITS.has(l.resource));
  if (memory.length === 0 || request.argv[0] !== request.path) return undefined;
  if (env.some((e) => e.startsWith("PWD=") || e.startsWith("OLDPWD="))) return undefined;
  try {
    if (!Deno.statSync(SHELL).isFile) return undefined;
  } catch {
    return undefined;
  }
  const kib = (v: bigint) => (v === RLIM_INFINITY ? "unlimited" : String(v / 1024n));
  let script = "";
  for (const l of memory) {
    const f = ULIMIT_FLAG[l.resource];
    const soft = kib(l.soft), hard = kib(l.hard);
    script += `ulimit -S -${f} ${soft} 2>/dev/null; ulimit -H -${f} ${hard} 2>/dev/null; ` +
      `ulimit -S -${f} ${soft} 2>/dev/null || ulimit -S -${f} "$(ulimit -H -${f})" || exit 205; `;
  }
  return { argv: [SHELL, "-c", `${script}unset PWD OLDPWD; exec "$@"`, SHELL, ...request.argv] };
}
const PRIO_PROCESS = 0;
const PR_SET_NO_NEW_PRIVS = 38;
const SIG_SETMASK = 2;
const SIG_DFL = 0n;
const SIG_IGN = 1n;
const SIGKILL = 9;
const SIGPIPE = 13;
const SIGSTOP = 19;
const CLOSE_RANGE_CLOEXEC = 4;

class StepError extends Error {
  constructor(readonly step: Step, readonly detail: string) {
    super(`${step}: ${detail}`);
  }
}

function fail(step: Step, code = errno()): never {
  throw new StepError(step, strerror(code));
}

const encoder = new TextEncoder();

function writeAll(fd: number, text: string): void {
  const bytes = encoder.encode(text);
  let offset = 0;
  while (offset < bytes.length) {
    const written = Number(libc().write(fd, bytes.subarray(offset), BigInt(bytes.length - offset)));
    if (written <= 0) return;
    offset += written;
  }
}

/** Runs the helper: prepares the process and execs; exits with a 2xx status on failure. */
export function execHelperMain(args: string[]): Promise<void> {
  const request = readRequest(Number(args[0]));
  const failureLog = openFailureLog(request);
  try {
    prepareAndExec(request);
  } catch (error) {
    const failure: HelperFailure = error instanceof StepError
      ? { status: EXIT_STATUS[error.step], step: error.step, error: error.detail }
      : { status: EXIT_STATUS.EXEC, step: "EXEC", error: String(error) };
    writeAll(request.reportFd, `E${JSON.stringify(failure)}\n`);
    writeFailureLine(request, failureLog, failure);
    Deno.exit(failure.status);
  }
  return Promise.resolve();
}

/** Reads the request from the descriptor the spawner passed (a memfd), then closes it. */
function readRequest(fd: number): HelperRequest {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(1 << 16);
  for (;;) {
    const n = Number(libc().read(fd, buffer, BigInt(buffer.length)));
    if (n === 0) break;
    if (n < 0) {
      if (errno() === Errno.EINTR) continue;
      throw new Error(`cannot read the exec request: ${strerror(errno())}`);
    }
    chunks.push(buffer.slice(0, n));
  }
  libc().close(fd);
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return JSON.parse(new TextDecoder().decode(bytes)) as HelperRequest;
}

/** open(2) of a path the request names: inside `pathRoot` when set; -1 with errno set. */
function openPath(request: HelperRequest, path: string, flags: number, mode: number): number {
  if (request.pathRoot === undefined) {
    const fd = libc().open(cstr(path), flags | O.CLOEXEC, mode);
    if (fd < 0) failedWith = errno();
    return fd;
  }
  try {
    return openIn(request.pathRoot, path, flags, mode);
  } catch (e) {
    if (!(e instanceof RootFsError)) throw e;
    failedWith = e.code;
    return -1;
  }
}

/** The errno of the last failed {@link openPath}. */
let failedWith = 0;

// Opened before chroot, without O_CREAT: a unit that never fails gets no log file from us.
function openFailureLog(request: HelperRequest): number {
  if (!request.failureLog) return -1;
  return openPath(request, request.failureLog, O.WRONLY | O.APPEND | O.NOCTTY, 0);
}

function writeFailureLine(request: HelperRequest, fd: number, failure: HelperFailure): void {
  if (!request.failureLog) return;
  if (fd < 0) {
    const flags = O.WRONLY | O.APPEND | O.CREAT | O.NOCTTY;
    fd = openPath(request, request.failureLog, flags, 0o644);
    if (fd < 0) return;
  }
  writeAll(
    fd,
    `${request.unitName}: Failed at step ${failure.step} spawning ${request.path}: ${failure.error}\n`,
  );
}

function prepareAndExec(request: HelperRequest): void {
  if (request.failAt && request.failAt.step in EXIT_STATUS) {
    throw new StepError(request.failAt.step as Step, request.failAt.error);
  }
  const deferredLimits = applyRlimits(request);
  applyOomScore(request);
  applyNice(request);
  libc().umask(request.umask ?? 0o022);
  applyStdio(request);
  applyRoot(request);
  applyCwd(request);
  applyCredentials(request);
  if (request.noNewPrivileges && libc().prctl(PR_SET_NO_NEW_PRIVS, 1n, 0n, 0n, 0n) !== 0) {
    fail("NO_NEW_PRIVILEGES");
  }
  const env = environment(request);
  // Memory limits go through a single-threaded shell's `ulimit` when one is there: the
  // helper's runtime threads may allocate at any moment, and under a limit such as
  // LimitAS=1 that ends the helper by SIGABRT before the command's own failure at exec.
  const viaShell = shellForLimits(request, env, deferredLimits);
  const execArgv = viaShell ? viaShell.argv : request.argv;
  const execPath = viaShell ? SHELL : request.path;
  const lateLimits = viaShell
    ? deferredLimits.filter((l) => !MEMORY_RLIMITS.has(l.resource))
    : deferredLimits;
  const argv = cstrArray(execArgv);
  const envp = cstrArray(env);
  const path = cstr(execPath);
  const argvBytes = new Uint8Array(argv.pointers.buffer);
  const envpBytes = new Uint8Array(envp.pointers.buffer);
  // Reported while SIGPIPE is still ignored (as Deno leaves it): a spawner
  // that closed its end of the pipe must not kill us with SIGPIPE.
  writeAll(request.reportFd, "R");
  applySignals(request);
  // Passed sockets are blocking for the service, as systemd's default NonBlocking=no.
  for (let fd = 3; fd < 3 + request.passFds; fd++) {
    const flags = libc().fcntl(fd, F.GETFL, 0);
    if (flags >= 0 && (flags & O.NONBLOCK)) libc().fcntl(fd, F.SETFL, flags & ~O.NONBLOCK);
  }
  markDescriptorsCloseOnExec(3 + request.passFds);
  // Nothing that allocates may run between these limits and execve.
  for (const l of lateLimits) setLimit(l.resource, l.soft, l.hard);
  if (request.argumentsTooLong) fail("EXEC", Errno.E2BIG);
  libc().execve(path, argvBytes, envpBytes);
  fail("EXEC");
}

function limitValue(value: number | null): bigint {
  return value === null ? RLIM_INFINITY : BigInt(Math.trunc(value));
}

// As systemd's setrlimit_closest(): without CAP_SYS_RESOURCE (containers) a hard limit above
// the current one is EPERM; then both values are capped at the current hard limit.
function setLimit(resource: number, soft: bigint, hard: bigint): void {
  const limit = new BigUint64Array([soft, hard]);
  if (libc().setrlimit(resource, new Uint8Array(limit.buffer)) === 0) return;
  const code = errno();
  const highest = new BigUint64Array(2);
  if (code !== Errno.EPERM || libc().getrlimit(resource, new Uint8Array(highest.buffer)) !== 0) {
    fail("LIMITS", code);
  }
  if (highest[1] === RLIM_INFINITY) fail("LIMITS", code);
  const min = (a: bigint, b: bigint) => a < b ? a : b;
  const fixed = new BigUint64Array([min(soft, highest[1]), min(hard, highest[1])]);
  if (libc().setrlimit(resource, new Uint8Array(fixed.buffer)) !== 0) fail("LIMITS");
}

/** Sets the limits that are safe now; returns those to set just before execve. */
function applyRlimits(
  request: HelperRequest,
): Array<{ resource: number; soft: bigint; hard: bigint }> {
  const deferred: Array<{ resource: number; soft: bigint; hard: bigint }> = [];
  for (const [name, value] of Object.entries(request.rlimits ?? {})) {
    const resource = RLIMIT[name.toUpperCase()];
    if (resource === undefined) throw new StepError("LIMITS", `unknown resource limit ${name}`);
    const soft = limitValue(value.soft);
    const hard = limitValue(value.hard);
    if (
      DEFERRED_RLIMITS.has(resource) ||
      (resource === RLIMIT.NOFILE && soft < NOFILE_WORKING_MINIMUM)
    ) {
      deferred.push({ resource, soft, hard });
      continue;
    }
    setLimit(resource, soft, hard);
  }
  return deferred;
}

function applyOomScore(request: HelperRequest): void {
  if (request.oomScoreAdjust === undefined) return;
  // Through libc: Deno demands --allow-all for writes below /proc/self.
  const path = cstr("/proc/self/oom_score_adj");
  // A rare failed open (seen once in ~30 e2e runs of postgresql@, reported as ENOENT and
  // not reproduced since) is tried again before the step fails.
  let fd = -1, openErrno = 0;
  for (let attempt = 0; attempt < 3 && fd < 0; attempt++) {
    fd = libc().open(path, O.WRONLY | O.CLOEXEC, 0);
    if (fd < 0) openErrno = errno();
  }
  if (fd < 0) fail("OOM_ADJUST", openErrno);
  const text = cstr(`${request.oomScoreAdjust}\n`);
  const written = Number(libc().write(fd, text, BigInt(text.length - 1)));
  const code = errno();
  libc().close(fd);
  // As systemd: a privilege error means a container without CAP_SYS_RESOURCE; ignored.
  if (written < 0 && code !== Errno.EPERM && code !== Errno.EACCES) fail("OOM_ADJUST", code);
}

function applyNice(request: HelperRequest): void {
  if (request.nice === undefined) return;
  // Nice is per thread on Linux; this is the thread that will call execve.
  if (libc().setpriority(PRIO_PROCESS, 0, request.nice) !== 0) fail("NICE");
}

/** Opens a stdio target onto `target`; /dev/null is the host's, a file is the request's. */
function openOnto(
  target: number,
  path: string,
  flags: number,
  step: Step,
  request?: HelperRequest,
  mode = 0o666,
): void {
  const fd = request
    ? openPath(request, path, flags | O.NOCTTY, mode)
    : libc().open(cstr(path), flags | O.NOCTTY | O.CLOEXEC, mode);
  if (fd < 0) fail(step, request ? failedWith : errno());
  if (fd === target) {
    libc().fcntl(fd, F.SETFD, 0);
    return;
  }
  if (libc().dup2(fd, target) < 0) fail(step);
  libc().close(fd);
}

/**
 * The unit log is the manager's file, read by status and journalctl, not one the command
 * names: a UMask=0000 of the unit must not make it writable by every local user.
 */
export const LOG_MODE = 0o644;

/** open(2) flags of each output target. */
export const OUTPUT_FLAGS: Record<StdioTarget["kind"], number> = {
  null: O.WRONLY,
  inherit: 0,
  fd: 0,
  file: O.WRONLY | O.CREAT,
  append: O.WRONLY | O.CREAT | O.APPEND,
  log: O.WRONLY | O.CREAT | O.APPEND,
  truncate: O.WRONLY | O.CREAT | O.TRUNC,
};

function dupOnto(target: number, stdio: StdioTarget, step: Step): void {
  if (libc().dup2(stdio.fd ?? -1, target) < 0) fail(step);
}

function openOutput(
  request: HelperRequest,
  target: number,
  stdio: StdioTarget,
  step: Step,
): void {
  if (stdio.kind === "inherit") return;
  if (stdio.kind === "fd") return dupOnto(target, stdio, step);
  const path = stdio.kind === "null" ? "/dev/null" : stdio.path;
  if (!path) throw new StepError(step, `no path for ${stdio.kind}`);
  openOnto(
    target,
    path,
    OUTPUT_FLAGS[stdio.kind],
    step,
    stdio.kind === "null" ? undefined : request,
    stdio.kind === "log" ? LOG_MODE : 0o666,
  );
}

function applyStdio(request: HelperRequest): void {
  const { stdin, stdout, stderr } = request;
  if (stdin.kind === "null") openOnto(0, "/dev/null", O.RDONLY, "STDIN");
  else if (stdin.kind === "fd") dupOnto(0, stdin, "STDIN");
  else if (stdin.kind !== "inherit") {
    if (!stdin.path) throw new StepError("STDIN", `no path for ${stdin.kind}`);
    openOnto(0, stdin.path, O.RDONLY, "STDIN", request);
  }
  openOutput(request, 1, stdout, "STDOUT");
  const sameAsStdout = stderr.kind === "inherit" ||
    (stderr.kind === stdout.kind && stderr.path === stdout.path && stderr.fd === stdout.fd);
  if (sameAsStdout) {
    if (libc().dup2(1, 2) < 0) fail("STDERR");
  } else openOutput(request, 2, stderr, "STDERR");
}

function applyRoot(request: HelperRequest): void {
  if (!request.rootDirectory) return;
  if (libc().chroot(cstr(request.rootDirectory)) !== 0) fail("CHROOT");
}

function applyCwd(request: HelperRequest): void {
  // Under --root (no RootDirectory=): entered inside the root, on descriptors.
  if (request.pathRoot !== undefined && !request.rootDirectory && request.cwd !== undefined) {
    try {
      chdirIn(request.pathRoot, request.cwd);
      return;
    } catch (e) {
      if (!(e instanceof RootFsError)) throw e;
      if (!request.cwdOptional) fail("CHDIR", e.code);
      try {
        chdirIn(request.pathRoot, "/");
        return;
      } catch {
        fail("CHDIR", e.code);
      }
    }
  }
  if (libc().chdir(cstr(request.cwd ?? "/")) === 0) return;
  const code = errno();
  if (!request.cwdOptional || libc().chdir(cstr("/")) !== 0) fail("CHDIR", code);
}

function applyCredentials(request: HelperRequest): void {
  const user = request.user;
  if (!user) return;
  const groups = new Uint32Array(user.groups.length || 1);
  groups.set(user.groups);
  if (libc().setgroups(BigInt(user.groups.length), new Uint8Array(groups.buffer)) !== 0) {
    fail("GROUP");
  }
  if (libc().setgid(user.gid) !== 0) fail("GROUP");
  if (libc().setuid(user.uid) !== 0) fail("USER");
}

function applySignals(request: HelperRequest): void {
  // Handlers are reset by execve anyway; ignored signals (Deno ignores
  // SIGPIPE) are not, so every disposition is set explicitly.
  for (let signal = 1; signal <= 64; signal++) {
    if (signal === SIGKILL || signal === SIGSTOP || signal === 32 || signal === 33) continue;
    libc().signal(
      signal,
      signal === SIGPIPE && request.ignoreSigpipe !== false ? SIG_IGN : SIG_DFL,
    );
  }
  const empty = new Uint8Array(128);
  if (libc().sigprocmask(SIG_SETMASK, empty, null) !== 0) fail("SIGNAL_MASK");
}

function environment(request: HelperRequest): string[] {
  const env = { ...request.env };
  const pid = String(libc().getpid());
  for (const name of request.pidEnv ?? []) env[name] = pid;
  return Object.entries(env).map(([name, value]) => `${name}=${value}`);
}

function markDescriptorsCloseOnExec(first: number): void {
  if (libc().close_range(first, 0xffffffff, CLOSE_RANGE_CLOEXEC) === 0) return;
  // Kernels before 5.11: mark them one by one (Deno holds well below this bound).
  for (let fd = first; fd < 4096; fd++) libc().fcntl(fd, F.SETFD, F.FD_CLOEXEC);
}
