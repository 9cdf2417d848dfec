/**
 * What a spawn asks for: `SpawnSpec` from the service layer, and `HelperRequest`, the
 * same request as the exec helper gets it (JSON: limits without Infinity, the passed
 * descriptors as a count). Types only, so the helper's module graph stays small.
 * @module
 */

/** Where a standard stream of a command goes. */
export interface StdioTarget {
  /**
   * `null` (/dev/null), `inherit` (the spawner's descriptor; for stderr: the
   * same as stdout), `file` (open for writing, no truncation; for stdin: read),
   * `append`, `truncate`, or `log` (append to the unit log file at `path`).
   */
  kind: "null" | "inherit" | "file" | "append" | "truncate" | "log" | "fd";
  /** The file for file, append, truncate and log. */
  path?: string;
  /** For `fd`: a descriptor of the command (3 = the first passed descriptor). */
  fd?: number;
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
  /**
   * A host directory (`--root`): the stdio file paths, the failure log and the working
   * directory (unless `rootDirectory` is set) are paths inside it, opened and entered as
   * `chroot` would resolve them, on descriptors (rootfs.ts). Unset: host paths.
   */
  pathRoot?: string;
  /** Working directory (relative to `rootDirectory` when set, else to `pathRoot`); default `/`. */
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

/** What the spawner sends the helper, as one JSON argument: a `SpawnSpec` made serialisable. */
export interface HelperRequest extends Omit<SpawnSpec, "rlimits" | "passFds"> {
  /** Resource limits by name; a null value is RLIM_INFINITY (JSON has no Infinity). */
  rlimits?: Record<string, { soft: number | null; hard: number | null }>;
  /**
   * The spawner found the argument list and environment too large for execve (`argv`
   * and `env` were left out): every step runs, and the exec fails with E2BIG as the
   * kernel would have failed it.
   */
  argumentsTooLong?: boolean;
  /** Descriptors 3..3+passFds-1 are kept open for the command (socket activation). */
  passFds: number;
  /** The report pipe's descriptor (= 3 + passFds). */
  reportFd: number;
}
