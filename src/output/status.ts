/**
 * `status`: the human-readable block systemd 252's `print_status_info()` prints when stdout
 * is not a terminal (no colours). Pure: callers gather the {@link UnitView} and the
 * {@link StatusExtras} (log lines, processes, finished Exec runs).
 * @module
 */

import { cgroupPath, type Stamp, type UnitView } from "./show.ts";
import { formatRelative, formatTimespan, formatTimestamp } from "../unit/timespan.ts";
import { exitStatusName } from "../unit/values.ts";
import { signalName } from "../unit/signals.ts";

/** A unit named on a `TriggeredBy:`/`Triggers:` line, with its active state for the glyph. */
export interface TriggerRef {
  unit: string;
  activeState: string;
}

/** What `status` prints beyond the {@link UnitView}. */
export interface StatusExtras {
  /** Wall clock in µs since the epoch, for the relative times. */
  nowUs: number;
  /** The last `-n` lines of the unit log (already selected). */
  logLines: string[];
  /**
   * The unit's processes for `Tasks:` and `CGroup:`. systemd lists a cgroup's processes as
   * one flat list sorted by PID (not nested by parent), so `ppid` does not change the
   * output. `cmdline` is printed as given (systemd quotes arguments with spaces).
   */
  members: Array<{ pid: number; cmdline: string; ppid: number }>;
  /** The comm of the running main process, for `Main PID: 102 (app)`. */
  mainComm?: string;
  /** The comm of the running control process, for `; Control PID: 103 (sh)`. */
  controlComm?: string;
  /**
   * Finished Exec runs of the current activation in property order (ExecCondition,
   * ExecStartPre, ExecStart, ExecStartPost, ...), for the `Process:` lines. A finished
   * ExecStart run is listed too: systemd prints it both as `Process:` and `Main PID:`.
   */
  controlRuns: Array<{
    key: string;
    argv: string[];
    pid: number;
    code: "exited" | "killed" | "dumped";
    status: number;
  }>;
  /** The check that failed, for the `Condition:`/`Assert:` lines (`text`: `ConditionPathExists=/x`). */
  failedCheck?: { kind: "Condition" | "Assert"; text: string; atUs: number };
  /**
   * False only when stdout is a terminal and `--full` was not given: then process command
   * lines are ellipsized to 80 columns, as systemd does on a terminal.
   */
  full: boolean;
  /** False for `-n 0`. */
  withLog: boolean;
  /** Units that trigger this one (`TriggeredBy: ● x.socket`). */
  triggeredBy?: TriggerRef[];
  /** Units this one triggers (`Triggers: ● x.service`). */
  triggers?: TriggerRef[];
  /** Timer units: the next elapse in µs since the epoch (0 or unset: `n/a`). */
  nextElapseUs?: number;
  /** Socket units: listening addresses, `type` as systemd names it (`Stream`, `FIFO`, ...). */
  listen?: Array<{ type: string; address: string }>;
  /** Accept=yes sockets: connections accepted so far and open now. */
  accepted?: { accepted: number; connected: number; refused?: number };
  /** The `CGroup:` path; default `/system.slice/<unit>`. */
  cgroupPath?: string;
}

const INDENT = " ".repeat(13);
const TREE_BRANCH = "├─";
const TREE_RIGHT = "└─";
const TERMINAL_COLUMNS = 80;

/**
 * The state glyph of the header line (`unit_active_state_to_glyph`): `●` active,
 * activating, deactivating (and unknown states); `↻` reloading; `○` inactive, maintenance;
 * `×` failed. systemd 252 derives it from the active state alone, so `loadState` does not
 * change it (a not-found unit is `○`); it is accepted for callers that have it at hand.
 */
export function statusGlyph(activeState: string, _loadState?: string): string {
  switch (activeState) {
    case "reloading":
      return "↻";
    case "inactive":
    case "maintenance":
      return "○";
    case "failed":
      return "×";
    default:
      return "●";
  }
}

const STATES_WITHOUT_PRESET = new Set(["alias", "static", "generated", "transient"]);

function loadedLine(v: UnitView): string {
  const path = v.sourcePath || v.fragmentPath;
  if (v.loadError) return `     Loaded: ${v.loadState} (Reason: ${v.loadError})`;
  if (path && v.unitFileState) {
    const preset = v.unitFilePreset && !STATES_WITHOUT_PRESET.has(v.unitFileState)
      ? `; preset: ${v.unitFilePreset}`
      : "";
    return `     Loaded: ${v.loadState} (${path}; ${v.unitFileState}${preset})`;
  }
  if (path) return `     Loaded: ${v.loadState} (${path})`;
  return `     Loaded: ${v.loadState}`;
}

function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : p.slice(0, i);
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

/** Drop-ins grouped as systemd does: a directory line, then `└─a.conf, b.conf`. */
function dropInLines(paths: readonly string[]): string[] {
  const out: string[] = [];
  let dir: string | undefined;
  let last = false;
  let line = "";
  paths.forEach((p, i) => {
    if (dir === undefined || last) {
      const label = dir === undefined ? "    Drop-In: " : INDENT;
      dir = dirname(p);
      out.push(label + dir);
      line = INDENT + TREE_RIGHT;
    }
    const next = paths[i + 1];
    // systemd compares by plain prefix, so /a/x.d and /a/x.d2 share a line.
    last = !(next !== undefined && next.startsWith(dir));
    line += basename(p);
    if (last) out.push(line);
    else line += ", ";
  });
  return out;
}

function sinceStamp(v: UnitView): Stamp {
  const r = v.runtime;
  switch (r.activeState) {
    case "active":
    case "reloading":
      return r.activeEnter;
    case "inactive":
    case "failed":
      return r.inactiveEnter;
    case "activating":
      return r.inactiveExit;
    default:
      return r.activeExit;
  }
}

function at(us: number, nowUs: number): string {
  return `${formatTimestamp(us, "local")}; ${formatRelative(nowUs, us)}`;
}

function activeLine(v: UnitView, nowUs: number): string {
  const r = v.runtime;
  let s = `     Active: ${r.activeState}`;
  if (r.subState && r.subState !== r.activeState) s += ` (${r.subState})`;
  if (r.result && r.result !== "success") s += ` (Result: ${r.result})`;
  const t = sinceStamp(v)[0];
  if (t > 0 && Number.isFinite(t)) s += ` since ${at(t, nowUs)}`;
  return s;
}

/** `Duration:` of the last run, for a unit that went inactive or failed after being active. */
function durationLine(v: UnitView): string | undefined {
  const r = v.runtime;
  if (r.activeState !== "inactive" && r.activeState !== "failed") return undefined;
  const enter = r.activeEnter[0];
  const exit = r.activeExit[0];
  if (!(enter > 0) || !(exit > 0) || exit < enter) return undefined;
  return `   Duration: ${formatTimespan(exit - enter, 1000)}`;
}

function triggerLines(label: string, refs: readonly TriggerRef[], fixedGlyph: boolean): string[] {
  return refs.map((t, i) =>
    `${i === 0 ? label : " ".repeat(12)} ${fixedGlyph ? "●" : statusGlyph(t.activeState)} ${t.unit}`
  );
}

function checkLines(c: NonNullable<StatusExtras["failedCheck"]>, nowUs: number): string[] {
  if (c.kind === "Condition") {
    return [
      `  Condition: start condition failed at ${at(c.atUs, nowUs)}`,
      `${INDENT}${TREE_RIGHT} ${c.text} was not met`,
    ];
  }
  return [
    `     Assert: start assertion failed at ${at(c.atUs, nowUs)}`,
    `${INDENT}${c.text} was not met`,
  ];
}

/** `(code=exited, status=1/FAILURE)` / `(code=killed, signal=TERM)`. */
function exitText(code: string, status: number): string {
  if (code === "exited") {
    const name = exitStatusName(status);
    return `(code=exited, status=${status}${name ? `/${name}` : ""})`;
  }
  return `(code=${code}, signal=${signalName(status) ?? status})`;
}

const SIGCHLD_CODES: Record<number, string> = { 1: "exited", 2: "killed", 3: "dumped" };

function pidLine(v: UnitView, x: StatusExtras, shownPids: ReadonlySet<number>): string | undefined {
  const r = v.runtime;
  const running = r.mainPid > 0;
  const mainPid = running ? r.mainPid : r.execMainPid;
  const controlPid = shownPids.has(r.controlPid) ? 0 : r.controlPid;
  if (mainPid <= 0 && controlPid <= 0) return undefined;
  let s = "";
  if (mainPid > 0) {
    s = `   Main PID: ${mainPid}`;
    if (running) {
      if (x.mainComm) s += ` (${x.mainComm})`;
    } else if (SIGCHLD_CODES[r.execMainCode]) {
      s += ` ${exitText(SIGCHLD_CODES[r.execMainCode], r.execMainStatus)}`;
    }
  }
  if (controlPid > 0) {
    // systemd 252 prints "Cntrl PID:" unindented when there is no main PID (fixed in 255).
    s += mainPid > 0 ? "; Control PID: " : "Cntrl PID: ";
    s += String(controlPid);
    if (x.controlComm) s += ` (${x.controlComm})`;
  }
  return s;
}

const ERRNO_TEXT: Record<number, string> = {
  1: "Operation not permitted",
  2: "No such file or directory",
  3: "No such process",
  4: "Interrupted system call",
  5: "Input/output error",
  9: "Bad file descriptor",
  11: "Resource temporarily unavailable",
  12: "Cannot allocate memory",
  13: "Permission denied",
  16: "Device or resource busy",
  17: "File exists",
  20: "Not a directory",
  21: "Is a directory",
  22: "Invalid argument",
  24: "Too many open files",
  28: "No space left on device",
  32: "Broken pipe",
  98: "Address already in use",
  99: "Cannot assign requested address",
  104: "Connection reset by peer",
  110: "Connection timed out",
  111: "Connection refused",
};

/** Cuts `s` to `k` columns with a trailing `…`, like systemd's `ellipsize(s, k, 100)`. */
function ellipsize(s: string, k: number): string {
  const chars = Array.from(s);
  if (chars.length <= k) return s;
  return chars.slice(0, Math.max(k - 1, 0)).join("") + "…";
}

/** The `CGroup:` process list: flat, sorted by PID, PIDs right-aligned to the widest. */
function memberLines(members: StatusExtras["members"], full: boolean): string[] {
  const byPid = new Map<number, string>();
  for (const m of members) if (!byPid.has(m.pid)) byPid.set(m.pid, m.cmdline);
  const pids = [...byPid.keys()].sort((a, b) => a - b);
  if (pids.length === 0) return [];
  const width = String(pids[pids.length - 1]).length;
  const room = Math.max(TERMINAL_COLUMNS - INDENT.length - (2 + width + 1), 20);
  return pids.map((pid, i) => {
    const cmd = byPid.get(pid) || "n/a";
    const glyph = i < pids.length - 1 ? TREE_BRANCH : TREE_RIGHT;
    return `${INDENT}${glyph}${String(pid).padStart(width)} ${full ? cmd : ellipsize(cmd, room)}`;
  });
}

/**
 * Formats one unit's status block, ending with a newline: header, `Loaded:`, `Drop-In:`,
 * `Active:`, triggers, failed checks, `Docs:`, `Listen:`, `Process:`, `Main PID:`,
 * `Status:`, `Tasks:`, `CGroup:`, then an empty line and the log lines.
 */
export function formatStatus(view: UnitView, extras: StatusExtras): string {
  const v = view;
  const r = v.runtime;
  const lines: string[] = [];
  const description = v.unit.description;
  lines.push(
    `${statusGlyph(r.activeState, v.loadState)} ${v.id}` +
      (description && description !== v.id ? ` - ${description}` : ""),
  );
  lines.push(loadedLine(v));
  for (const line of dropInLines(v.dropInPaths)) lines.push(line);
  lines.push(activeLine(v, extras.nowUs));
  const duration = durationLine(v);
  if (duration) lines.push(duration);
  for (const l of triggerLines("TriggeredBy:", extras.triggeredBy ?? [], false)) lines.push(l);
  if (v.id.endsWith(".timer")) {
    const next = extras.nextElapseUs ?? 0;
    lines.push(`    Trigger: ${next > 0 ? at(next, extras.nowUs) : "n/a"}`);
  }
  for (const l of triggerLines("   Triggers:", extras.triggers ?? [], true)) lines.push(l);
  if (extras.failedCheck) lines.push(...checkLines(extras.failedCheck, extras.nowUs));
  v.unit.documentation.forEach((d, i) =>
    lines.push(`${i === 0 ? "       Docs:" : INDENT.slice(1)} ${d}`)
  );
  (extras.listen ?? []).forEach((l, i) =>
    lines.push(`${i === 0 ? "     Listen:" : INDENT.slice(1)} ${l.address} (${l.type})`)
  );
  if (extras.accepted) {
    // systemd adds the refused count only when there is one.
    const { accepted, connected, refused } = extras.accepted;
    lines.push(
      `   Accepted: ${accepted}; Connected: ${connected};` +
        (refused ? `   Refused: ${refused}` : ""),
    );
  }
  const shownPids = new Set<number>();
  for (const p of extras.controlRuns) {
    if (p.key.endsWith("Ex")) continue;
    lines.push(`    Process: ${p.pid} ${p.key}=${p.argv.join(" ")} ${exitText(p.code, p.status)}`);
    shownPids.add(p.pid);
  }
  const pid = pidLine(v, extras, shownPids);
  if (pid !== undefined) lines.push(pid);
  if (r.statusText) lines.push(`     Status: "${r.statusText}"`);
  if (r.statusErrno > 0) {
    lines.push(
      `      Error: ${r.statusErrno} (${
        ERRNO_TEXT[r.statusErrno] ?? `Unknown error ${r.statusErrno}`
      })`,
    );
  }
  if (extras.members.length > 0) {
    lines.push(`      Tasks: ${new Set(extras.members.map((m) => m.pid)).size}`);
    lines.push(`     CGroup: ${extras.cgroupPath ?? cgroupPath(v.slice, v.id)}`);
    lines.push(...memberLines(extras.members, extras.full));
  } else if (v.type === "socket" && r.activeState === "active" && v.slice) {
    // systemd realizes an active socket's (empty) cgroup, and shows its path.
    lines.push(`     CGroup: ${extras.cgroupPath ?? cgroupPath(v.slice, v.id)}`);
  }
  if (extras.withLog && extras.logLines.length > 0) lines.push("", ...extras.logLines);
  return lines.join("\n") + "\n";
}
