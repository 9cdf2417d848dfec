/**
 * Process facts for status: command lines, comm names, and which unit a PID
 * belongs to.
 * @module
 */

import { readCmdline, readComm, readStat } from "../process/procfs.ts";
import type { Manager } from "./manager.ts";
import { liveMembers, unitState } from "./runtime.ts";

/** A process as status shows it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string;
}

/** Reads what status shows of a process; undefined when it is gone. */
export function processInfo(pid: number): ProcessInfo | undefined {
  const st = readStat(pid);
  if (!st) return undefined;
  const argv = readCmdline(pid);
  const cmdline = argv.length
    ? argv.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(" ")
    : `[${st.comm}]`;
  return { pid, ppid: st.ppid, comm: readComm(pid) ?? st.comm, cmdline };
}

/** The unit whose recorded processes include `pid`. */
export function unitOfPid(m: Manager, pid: number): string | undefined {
  for (const name of m.stateNames()) {
    const unit = m.loader.load(name);
    if (liveMembers(unitState(m.lenv, unit)).includes(pid)) return unit.id;
  }
  return undefined;
}
