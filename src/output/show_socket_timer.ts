/**
 * The `[Socket]` and `[Timer]` blocks of `show`, in systemd 252's order and
 * with its defaults (checked against a live systemd 252). Pure.
 * @module
 */

import type { UnitConfig } from "../unit/config.ts";
import { formatTimespan, formatTimestamp, parseTimespan } from "../unit/timespan.ts";
import { parseBoolean } from "../unit/values.ts";
import { parseSignal } from "../unit/signals.ts";
import { LIMIT_KEYS, socketExecCommands } from "../unit/model.ts";
import { LISTEN_KEYS, parseListen, SOCKET_EXEC_KEYS } from "../unit/socket_address.ts";
import { type ExecCommand, formatExecShow } from "../unit/exec.ts";

/** A property: name and printed value; `undefined` = empty. */
type Property = readonly [string, string | undefined];

const yn = (b: boolean) => (b ? "yes" : "no");

export type { ExecRunRecord } from "../unit/runtime_view.ts";
export type { TimerView } from "../unit/unit_view.ts";
import type { TimerView } from "../unit/unit_view.ts";
import type { ExecRunRecord } from "../unit/runtime_view.ts";

/**
 * The `show` lines of one Exec list (`ExecStartPre={ path=… ; … }`), each command with its
 * recorded run, if any, as [name, value] pairs.
 */
export function execShowLines(
  name: string,
  cmds: readonly ExecCommand[],
  runs: readonly ExecRunRecord[],
): Property[] {
  return cmds.map((c, i) => {
    const run = runs[i];
    const text = formatExecShow(name, c, {
      tz: "local",
      ...(run
        ? { pid: run.pid, startUs: run.start, exitUs: run.exit, code: run.code, status: run.status }
        : {}),
    });
    return [name, text.slice(name.length + 1)] as const;
  });
}

/** What the socket and timer blocks need beyond the unit file. */
export interface TypeBlockContext {
  readonly id: string;
  readonly config: UnitConfig;
  readonly controlPid: number;
  readonly nAccepted?: number;
  readonly nConnections?: number;
  readonly nRefused?: number;
  /** Recorded runs of the control commands, by Exec key. */
  readonly execRuns?: Readonly<Partial<Record<string, readonly ExecRunRecord[]>>>;
  readonly result: string;
  readonly slice?: string;
  readonly triggers?: string;
  /** Inherited resource limits (rlimit name → soft/hard), printed as `Limit*`. */
  readonly limits?: Readonly<Record<string, { soft: number; hard: number }>>;
  /** Timer units: their values and elapses. */
  readonly timer?: TimerView;
}

function bool(c: UnitConfig, section: string, key: string, dflt: boolean): string {
  const v = c.get(section, key);
  return yn(v === undefined ? dflt : parseBoolean(v) ?? dflt);
}

function span(c: UnitConfig, section: string, key: string, dflt: number): string {
  const v = c.get(section, key);
  const t = v === undefined ? undefined : parseTimespan(v);
  return formatTimespan(t ?? dflt);
}

function octal(c: UnitConfig, section: string, key: string, dflt: string): string {
  const v = c.get(section, key);
  return v && /^[0-7]{1,4}$/.test(v) ? v.padStart(4, "0") : dflt;
}

function sig(c: UnitConfig, section: string, key: string, dflt: number): string {
  const v = c.get(section, key);
  return String((v && parseSignal(v)) ?? dflt);
}

/** `Listen=` values: `ADDRESS (Type)`, a bare port as `[::]:PORT`. */
export function listenEntries(c: UnitConfig): Array<{ type: string; address: string }> {
  const out: Array<{ type: string; address: string }> = [];
  for (const [key, type] of LISTEN_KEYS) {
    for (const v of c.list("Socket", key)) {
      if (!v) continue;
      // systemd prints the address it parsed (`[::]:22` for a bare port); bad ones are dropped.
      const parsed = parseListen(key, v);
      if ("address" in parsed) out.push({ type, address: parsed.address.display });
    }
  }
  return out;
}

/** The `[Socket]` block, then the socket's exec and kill context. */
export function socketProps(x: TypeBlockContext): Property[] {
  const c = x.config;
  const S = "Socket";
  const p: Property[] = [
    ["BindIPv6Only", c.get(S, "BindIPv6Only") ?? "default"],
    ["Backlog", c.get(S, "Backlog") ?? "2147483647"],
    ["TimeoutUSec", span(c, S, "TimeoutSec", 90_000_000)],
    ["SocketMode", octal(c, S, "SocketMode", "0666")],
    ["DirectoryMode", octal(c, S, "DirectoryMode", "0755")],
    ["Accept", bool(c, S, "Accept", false)],
    ["FlushPending", bool(c, S, "FlushPending", false)],
    ["Writable", bool(c, S, "Writable", false)],
    ["KeepAlive", bool(c, S, "KeepAlive", false)],
    ["KeepAliveTimeUSec", span(c, S, "KeepAliveTimeSec", 0)],
    ["KeepAliveIntervalUSec", span(c, S, "KeepAliveIntervalSec", 0)],
    ["KeepAliveProbes", c.get(S, "KeepAliveProbes") ?? "0"],
    ["DeferAcceptUSec", span(c, S, "DeferAcceptSec", 0)],
    ["NoDelay", bool(c, S, "NoDelay", false)],
    ["Priority", c.get(S, "Priority") ?? "-1"],
    ["ReceiveBuffer", c.get(S, "ReceiveBuffer") ?? "0"],
    ["SendBuffer", c.get(S, "SendBuffer") ?? "0"],
    ["PipeSize", c.get(S, "PipeSize") ?? "0"],
    ["FreeBind", bool(c, S, "FreeBind", false)],
    ["Transparent", bool(c, S, "Transparent", false)],
    ["Broadcast", bool(c, S, "Broadcast", false)],
    ["PassCredentials", bool(c, S, "PassCredentials", false)],
    ["PassSecurity", bool(c, S, "PassSecurity", false)],
    ["PassPacketInfo", bool(c, S, "PassPacketInfo", false)],
    ["Timestamping", c.get(S, "Timestamping") ?? "off"],
    ["RemoveOnStop", bool(c, S, "RemoveOnStop", false)],
  ];
  for (const l of listenEntries(c)) p.push(["Listen", `${l.address} (${l.type})`]);
  p.push(
    ["Mark", c.get(S, "Mark") ?? "-1"],
    ["MaxConnections", c.get(S, "MaxConnections") ?? "64"],
    ["MaxConnectionsPerSource", c.get(S, "MaxConnectionsPerSource") ?? "0"],
    ["MessageQueueMaxMessages", c.get(S, "MessageQueueMaxMessages") ?? "0"],
    ["MessageQueueMessageSize", c.get(S, "MessageQueueMessageSize") ?? "0"],
    ["ReusePort", bool(c, S, "ReusePort", false)],
    ["ControlPID", String(x.controlPid)],
    ["Result", x.result],
    ["NConnections", String(x.nConnections ?? 0)],
    ["NAccepted", String(x.nAccepted ?? 0)],
    ["NRefused", String(x.nRefused ?? 0)],
    ["FileDescriptorName", c.get(S, "FileDescriptorName") ?? x.id],
    ["SocketProtocol", "0"],
    ["TriggerLimitIntervalUSec", span(c, S, "TriggerLimitIntervalSec", 2_000_000)],
    // systemd's default: 200 activations per interval for Accept=yes, 20 otherwise.
    [
      "TriggerLimitBurst",
      c.get(S, "TriggerLimitBurst") ?? (parseBoolean(c.get(S, "Accept") ?? "no") ? "200" : "20"),
    ],
    ["UID", "[not set]"],
    ["GID", "[not set]"],
  );
  // The control commands (systemd has no Ex forms for sockets).
  const exec = socketExecCommands(c);
  for (const key of SOCKET_EXEC_KEYS) {
    for (const line of execShowLines(key, exec[key], x.execRuns?.[key] ?? [])) p.push(line);
  }
  p.push(
    ["Slice", x.slice],
    ["Environment", c.list(S, "Environment").filter((e) => e).join(" ") || undefined],
    ["UMask", octal(c, S, "UMask", "0022")],
  );
  for (const [name] of LIMIT_KEYS) {
    const l = x.limits?.[name];
    const text = (n: number) => (n === Infinity ? "infinity" : String(n));
    p.push([`Limit${name}`, l && text(l.hard)], [`Limit${name}Soft`, l && text(l.soft)]);
  }
  p.push(
    ["Nice", c.get(S, "Nice") ?? "0"],
    ["StandardInput", "null"],
    ["StandardOutput", "journal"],
    ["StandardError", "inherit"],
    ["User", c.get(S, "User")],
    ["Group", c.get(S, "Group")],
    ["DynamicUser", "no"],
    ["NoNewPrivileges", "no"],
    ["RuntimeDirectoryPreserve", "no"],
    ["RuntimeDirectoryMode", "0755"],
    ["StateDirectoryMode", "0755"],
    ["CacheDirectoryMode", "0755"],
    ["LogsDirectoryMode", "0755"],
    ["ConfigurationDirectoryMode", "0755"],
    ["KillMode", c.get(S, "KillMode") ?? "control-group"],
    ["KillSignal", sig(c, S, "KillSignal", 15)],
    ["RestartKillSignal", sig(c, S, "RestartKillSignal", Number(sig(c, S, "KillSignal", 15)))],
    ["FinalKillSignal", sig(c, S, "FinalKillSignal", 9)],
    ["SendSIGKILL", bool(c, S, "SendSIGKILL", true)],
    ["SendSIGHUP", bool(c, S, "SendSIGHUP", false)],
    ["WatchdogSignal", sig(c, S, "WatchdogSignal", 6)],
  );
  return p;
}

/** The `[Timer]` block, in systemd 252's order. */
export function timerProps(x: TypeBlockContext): Property[] {
  const c = x.config;
  const T = "Timer";
  const t = x.timer;
  const p: Property[] = [["Unit", x.triggers]];
  for (const m of t?.monotonic ?? []) {
    const name = m.base.replace(/Sec$/, "USec");
    const next = t?.nextMonotonic !== undefined ? formatTimespan(t.nextMonotonic - t.boot) : "0";
    p.push(["TimersMonotonic", `{ ${name}=${formatTimespan(m.usec)} ; next_elapse=${next} }`]);
  }
  for (const cal of t?.calendars ?? []) {
    const next = cal.next !== undefined ? formatTimestamp(cal.next, "local") : "(null)";
    p.push(["TimersCalendar", `{ OnCalendar=${cal.text} ; next_elapse=${next} }`]);
  }
  p.push(
    ["OnClockChange", bool(c, T, "OnClockChange", false)],
    ["OnTimezoneChange", bool(c, T, "OnTimezoneChange", false)],
    [
      "NextElapseUSecRealtime",
      t?.nextRealtime !== undefined ? formatTimestamp(t.nextRealtime, "local") : undefined,
    ],
    [
      "NextElapseUSecMonotonic",
      t?.nextMonotonic !== undefined ? formatTimespan(t.nextMonotonic - t.boot) : "infinity",
    ],
    [
      "LastTriggerUSec",
      t?.lastTrigger !== undefined ? formatTimestamp(t.lastTrigger, "local") : undefined,
    ],
    ["LastTriggerUSecMonotonic", "0"],
    ["Result", x.result],
    ["AccuracyUSec", span(c, T, "AccuracySec", 60_000_000)],
    ["RandomizedDelayUSec", span(c, T, "RandomizedDelaySec", 0)],
    ["FixedRandomDelay", bool(c, T, "FixedRandomDelay", false)],
    ["Persistent", bool(c, T, "Persistent", false)],
    ["WakeSystem", bool(c, T, "WakeSystem", false)],
    ["RemainAfterElapse", bool(c, T, "RemainAfterElapse", true)],
  );
  return p;
}
