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
  return {
    pid,
    ppid: st.ppid,
    comm: escapeNonPrintable(readComm(pid) ?? st.comm),
    cmdline: escapeNonPrintable(cmdline),
  };
}

const encoder = new TextEncoder();
// deno-lint-ignore no-control-regex -- the control characters are what is replaced
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * systemd's `utf8_escape_non_printable()` (and `cellescape()` for comm): a control character
 * (C0 but tab and newline, DEL, C1) becomes `\xHH` per byte. A process sets its own argv and
 * comm: a service must not drive the terminal of the administrator who runs `status`.
 */
export function escapeNonPrintable(s: string): string {
  return s.replace(
    CONTROL,
    (c) => Array.from(encoder.encode(c), (b) => `\\x${b.toString(16).padStart(2, "0")}`).join(""),
  );
}

/** The unit whose recorded processes include `pid`. */
export function unitOfPid(m: Manager, pid: number): string | undefined {
  for (const name of m.stateNames()) {
    const unit = m.loader.load(name);
    if (liveMembers(unitState(m.lenv, unit)).includes(pid)) return unit.id;
  }
  return undefined;
}
