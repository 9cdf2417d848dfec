/**
 * Reads of `/proc`: process status lines, listings and the boot identity.
 * A process is identified by its PID plus its start time, so a reused PID is
 * never mistaken for the recorded one. Reads go through `procread.ts`, since
 * Deno refuses /proc paths without `--allow-all`.
 * @module
 */

import { readProcDir, readProcText } from "./procread.ts";

function procText(path: string): string {
  const t = readProcText(path);
  if (t === undefined) throw new Error(`cannot read ${path}`);
  return t;
}

/** The fields of `/proc/PID/stat` the manager uses. */
export interface ProcStat {
  /** Process id. */
  pid: number;
  /** Command name (at most 15 bytes, as the kernel keeps it). */
  comm: string;
  /** State letter: R, S, D, Z, T, t, X, I... */
  state: string;
  /** Parent process id. */
  ppid: number;
  /** Process group id. */
  pgrp: number;
  /** Session id. */
  session: number;
  /** Start time after boot, in clock ticks (field 22). */
  startTime: number;
}

/** Options shared by the listing functions. */
export interface ProcOptions {
  /** Where procfs is mounted; default `/proc`. */
  procRoot?: string;
}

/** Parses the text of a `/proc/PID/stat` file; undefined when malformed. */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf(" (");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const fields = text.slice(close + 2).split(" ");
  if (fields.length < 20) return undefined;
  return {
    pid: Number(text.slice(0, open)),
    comm: text.slice(open + 2, close),
    state: fields[0],
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    session: Number(fields[3]),
    startTime: Number(fields[19]),
  };
}

/** The status line of a process, or undefined when it does not exist. */
export function readStat(pid: number, procRoot = "/proc"): ProcStat | undefined {
  try {
    return parseStat(procText(`${procRoot}/${pid}/stat`));
  } catch {
    return undefined;
  }
}

/** The PIDs of all processes visible in procfs. */
export function listPids(opts: ProcOptions = {}): number[] {
  const pids: number[] = [];
  for (const name of readProcDir(opts.procRoot ?? "/proc")) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0) pids.push(pid);
  }
  return pids;
}

/** The status lines of all processes (those that vanish while reading are skipped). */
export function listStats(opts: ProcOptions = {}): ProcStat[] {
  const procRoot = opts.procRoot ?? "/proc";
  const stats: ProcStat[] = [];
  for (const pid of listPids(opts)) {
    const stat = readStat(pid, procRoot);
    if (stat) stats.push(stat);
  }
  return stats;
}

/** The argument vector of a process; empty for kernel threads, zombies and gone processes. */
export function readCmdline(pid: number, procRoot = "/proc"): string[] {
  try {
    const text = procText(`${procRoot}/${pid}/cmdline`);
    if (text === "") return [];
    return (text.endsWith("\0") ? text.slice(0, -1) : text).split("\0");
  } catch {
    return [];
  }
}

/** The command name of a process, or undefined when it is gone. */
export function readComm(pid: number, procRoot = "/proc"): string | undefined {
  try {
    return procText(`${procRoot}/${pid}/comm`).replace(/\n$/, "");
  } catch {
    return undefined;
  }
}

/** The environment of a process as NAME=VALUE strings; empty when unreadable. */
export function readEnviron(pid: number, procRoot = "/proc"): string[] {
  try {
    return procText(`${procRoot}/${pid}/environ`).split("\0").filter((s) => s);
  } catch {
    return [];
  }
}

/**
 * Whether a process lives: its stat exists, it is not a zombie, and, when
 * `startTime` is given, it started at that tick (so a reused PID does not count).
 */
export function isAlive(pid: number, startTime?: number, procRoot = "/proc"): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const stat = readStat(pid, procRoot);
  if (!stat || stat.state === "Z" || stat.state === "X") return false;
  return startTime === undefined || stat.startTime === startTime;
}

/** All processes descending from `pids` through the PPid chain (the roots excluded). */
export function descendants(pids: number[], opts: ProcOptions = {}): number[] {
  return descendantsIn(listStats(opts), pids);
}

/** Like {@link descendants}, over an already read process list. */
export function descendantsIn(stats: readonly ProcStat[], roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const stat of stats) {
    const list = children.get(stat.ppid);
    if (list) list.push(stat.pid);
    else children.set(stat.ppid, [stat.pid]);
  }
  const seen = new Set(roots);
  const found: number[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** The live (non-zombie) processes of session `sid`. */
export function sessionMembers(sid: number, opts: ProcOptions = {}): number[] {
  if (sid <= 0) return [];
  return listStats(opts).filter((s) => s.session === sid && s.state !== "Z").map((s) => s.pid);
}

/** The live (non-zombie) processes of process group `pgid`. */
export function processGroupMembers(pgid: number, opts: ProcOptions = {}): number[] {
  if (pgid <= 0) return [];
  return listStats(opts).filter((s) => s.pgrp === pgid && s.state !== "Z").map((s) => s.pid);
}

/** The kernel's boot id (a UUID, new at every boot). */
export function bootId(procRoot = "/proc"): string {
  return procText(`${procRoot}/sys/kernel/random/boot_id`).trim();
}

/** The start time of PID 1 (in this PID namespace), in clock ticks. */
export function pid1StartTime(procRoot = "/proc"): number {
  const stat = readStat(1, procRoot);
  if (!stat) throw new Error(`cannot read ${procRoot}/1/stat`);
  return stat.startTime;
}

/** The boot key `<boot_id>:<PID 1 start time>` (spec §5.3), readable without `--allow-all`. */
export function bootKey(procRoot = "/proc"): string {
  return `${bootId(procRoot)}:${pid1StartTime(procRoot)}`;
}

/** `/proc/<pid>/limits` row names by rlimit (systemd's `Limit*` suffix). */
const LIMIT_ROWS: Record<string, string> = {
  "Max cpu time": "CPU",
  "Max file size": "FSIZE",
  "Max data size": "DATA",
  "Max stack size": "STACK",
  "Max core file size": "CORE",
  "Max resident set": "RSS",
  "Max processes": "NPROC",
  "Max open files": "NOFILE",
  "Max locked memory": "MEMLOCK",
  "Max address space": "AS",
  "Max file locks": "LOCKS",
  "Max pending signals": "SIGPENDING",
  "Max msgqueue size": "MSGQUEUE",
  "Max nice priority": "NICE",
  "Max realtime priority": "RTPRIO",
  "Max realtime timeout": "RTTIME",
};

/** Parses a `/proc/<pid>/limits` text: rlimit name → soft and hard (`Infinity` = unlimited). Pure. */
export function parseLimits(text: string): Record<string, { soft: number; hard: number }> {
  const out: Record<string, { soft: number; hard: number }> = {};
  const value = (s: string) => (s === "unlimited" ? Infinity : Number(s));
  for (const line of text.split("\n")) {
    const m = /^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    const key = m && LIMIT_ROWS[m[1]];
    if (key) out[key] = { soft: value(m[2]), hard: value(m[3]) };
  }
  return out;
}

let ownLimitsCache: Record<string, { soft: number; hard: number }> | undefined;

/** The resource limits of this process (read once): what a service started from it inherits. */
export function ownLimits(): Record<string, { soft: number; hard: number }> {
  if (ownLimitsCache) return ownLimitsCache;
  try {
    ownLimitsCache = parseLimits(procText("/proc/self/limits"));
  } catch {
    ownLimitsCache = {};
  }
  return ownLimitsCache;
}
