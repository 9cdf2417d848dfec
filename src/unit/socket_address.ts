/**
 * `[Socket]` settings (spec §4.4): the `Listen*=` address forms as systemd 252
 * parses them, their printed form (`Listen=` of show/status/list-sockets) and
 * the settings the socket layer needs. Pure.
 * @module
 */

import { UnitConfig } from "./config.ts";
import type { Assignment } from "./parse.ts";
import { parseBoolean } from "./values.ts";
import { parseUnitName } from "./names.ts";
import { parseTimespan } from "./timespan.ts";

/** The socket type of a `Listen*=` line, as systemd names it in `Listen=`. */
export type ListenType =
  | "Stream"
  | "Datagram"
  | "SequentialPacket"
  | "FIFO"
  | "Special"
  | "Netlink"
  | "MessageQueue"
  | "USBFunction";

/** One parsed `Listen*=` value. */
export interface ListenAddress {
  readonly type: ListenType;
  /** `inet`/`inet6` (host and port), `unix` (path or abstract name), `fifo`, `other`. */
  readonly family: "inet" | "inet6" | "unix" | "fifo" | "other";
  /** 4 (inet) or 16 (inet6) address bytes. */
  readonly host?: readonly number[];
  /** IPv6 scope: an interface name or number (`[fe80::1%eth0]:80`). */
  readonly scope?: string;
  readonly port?: number;
  /** The file system path (unix, fifo) or the abstract name without `@`. */
  readonly path?: string;
  readonly abstract?: boolean;
  /** A bare port: bound on `[::]` (dual stack unless BindIPv6Only=ipv6-only). */
  readonly anyPort?: boolean;
  /** The printed form: `[::]:22`, `127.0.0.1:80`, `/run/x.sock`, `@name`. */
  readonly display: string;
}

const KEYS: ReadonlyArray<[string, ListenType]> = [
  ["ListenStream", "Stream"],
  ["ListenDatagram", "Datagram"],
  ["ListenSequentialPacket", "SequentialPacket"],
  ["ListenFIFO", "FIFO"],
  ["ListenSpecial", "Special"],
  ["ListenNetlink", "Netlink"],
  ["ListenMessageQueue", "MessageQueue"],
  ["ListenUSBFunction", "USBFunction"],
];

/** The `Listen*=` keys in systemd's order, with their types. */
export const LISTEN_KEYS: ReadonlyArray<readonly [string, ListenType]> = KEYS;

const NET_TYPES = new Set<ListenType>(["Stream", "Datagram", "SequentialPacket"]);

/** IPv4 dotted quad → 4 bytes (strict: four decimal parts, no leading `+`). */
export function parseIPv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out.push(Number(p));
  }
  return out;
}

/** IPv6 text (with `::` and an optional embedded IPv4 tail) → 16 bytes. */
export function parseIPv6(text: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const items = s.split(":");
    for (const [i, item] of items.entries()) {
      if (item.includes(".")) {
        if (i !== items.length - 1) return undefined;
        const v4 = parseIPv4(item);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(item)) return undefined;
        out.push(parseInt(item, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 1 && head.length !== 8) return undefined;
  if (halves.length === 2 && head.length + tail.length > 7) return undefined;
  const words = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** The canonical IPv6 text of 16 bytes (RFC 5952, as inet_ntop prints it). */
export function formatIPv6(bytes: readonly number[]): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i] << 8) | bytes[i + 1]);
  // IPv4-mapped addresses print their tail dotted, as glibc does.
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${bytes.slice(12).join(".")}`;
  }
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

/** A parsed port, or the errno text systemd reports for it. */
function parsePort(text: string): number | string {
  if (/^-\d+$/.test(text)) return "Numerical result out of range";
  if (!/^\d+$/.test(text)) return "Invalid argument";
  const n = Number(text);
  if (n > 65535) return "Numerical result out of range";
  if (n === 0) return "Invalid argument";
  return n;
}

/**
 * Parses one `Listen*=` value. An error is the complete systemd warning, e.g.
 * `Failed to parse address value in 'x:80', ignoring: Invalid argument`.
 */
export function parseListen(
  key: string,
  value: string,
): { address: ListenAddress } | { error: string } {
  const type = KEYS.find(([k]) => k === key)?.[1];
  if (!type) return { error: `Unknown listen setting ${key}` };
  const bad = (why: string) => ({
    error: `Failed to parse address value in '${value}', ignoring: ${why}`,
  });
  if (type === "FIFO" || type === "Special" || type === "USBFunction") {
    if (!value.startsWith("/")) {
      return { error: `${key}= path is not absolute, ignoring: ${value}` };
    }
    return {
      address: { type, family: type === "FIFO" ? "fifo" : "other", path: value, display: value },
    };
  }
  if (type === "Netlink" || type === "MessageQueue") {
    return { address: { type, family: "other", display: value } };
  }
  if (!NET_TYPES.has(type)) return bad("Invalid argument");
  if (value.startsWith("/")) {
    if (value.length > 107) return bad("Invalid argument");
    return { address: { type, family: "unix", path: value, display: value } };
  }
  if (value.startsWith("@")) {
    if (value.length < 2 || value.length > 108) return bad("Invalid argument");
    return {
      address: { type, family: "unix", path: value.slice(1), abstract: true, display: value },
    };
  }
  if (value.startsWith("vsock:")) return { address: { type, family: "other", display: value } };
  if (/^-?\d+$/.test(value)) {
    const port = parsePort(value);
    if (typeof port === "string") return bad(port);
    return {
      address: {
        type,
        family: "inet6",
        host: new Array(16).fill(0),
        port,
        anyPort: true,
        display: `[::]:${port}`,
      },
    };
  }
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(value);
  if (v6) {
    const [addr, scope] = v6[1].split("%", 2);
    const host = parseIPv6(addr);
    if (!host || (scope !== undefined && !/^[A-Za-z0-9_.:-]{1,15}$/.test(scope))) {
      return bad("Invalid argument");
    }
    const port = parsePort(v6[2]);
    if (typeof port === "string") return bad(port);
    return {
      address: {
        type,
        family: "inet6",
        host,
        scope,
        port,
        display: `[${formatIPv6(host)}${scope !== undefined ? `%${scope}` : ""}]:${port}`,
      },
    };
  }
  const colon = value.lastIndexOf(":");
  if (colon > 0) {
    const host = parseIPv4(value.slice(0, colon));
    if (!host) return bad("Invalid argument");
    const port = parsePort(value.slice(colon + 1));
    if (typeof port === "string") return bad(port);
    return { address: { type, family: "inet", host, port, display: `${host.join(".")}:${port}` } };
  }
  return bad("Invalid argument");
}

/** Every `Listen*=` line of a unit, parsed; unparsable lines are dropped (warned at load). */
export function listenAddresses(config: UnitConfig): ListenAddress[] {
  const out: ListenAddress[] = [];
  for (const [key] of KEYS) {
    for (const v of config.list("Socket", key)) {
      if (!v) continue;
      const r = parseListen(key, v);
      if ("address" in r) out.push(r.address);
    }
  }
  return out;
}

/** The settings of a socket unit that binding and activation use. */
export interface SocketSettings {
  readonly listen: ListenAddress[];
  readonly accept: boolean;
  /** The service activated (Accept=no), or the template (Accept=yes). */
  readonly service: string;
  readonly backlog: number;
  readonly bindIPv6Only: "default" | "both" | "ipv6-only";
  readonly reusePort: boolean;
  readonly freeBind: boolean;
  readonly socketUser?: string;
  readonly socketGroup?: string;
  readonly socketMode: number;
  readonly directoryMode: number;
  readonly fileDescriptorName: string;
  readonly removeOnStop: boolean;
  readonly maxConnections: number;
  /** MaxConnectionsPerSource= (Accept=yes); 0: no limit per source. */
  readonly maxConnectionsPerSource: number;
  /** TriggerLimitIntervalSec= (µs) and TriggerLimitBurst=; 0 in either turns the limit off. */
  readonly triggerLimitIntervalUSec: number;
  readonly triggerLimitBurst: number;
}

function mode(v: string | undefined, dflt: number): number {
  return v && /^[0-7]{1,4}$/.test(v) ? parseInt(v, 8) : dflt;
}

/** The socket settings of a loaded `.socket` unit. */
export function socketSettings(id: string, config: UnitConfig): SocketSettings {
  const S = "Socket";
  const bool = (key: string, dflt: boolean) => {
    const v = config.get(S, key);
    return v === undefined ? dflt : parseBoolean(v) ?? dflt;
  };
  const accept = bool("Accept", false);
  const prefix = id.replace(/\.socket$/, "");
  const named = parseUnitName(id);
  const service = accept
    ? `${named?.prefix ?? prefix}@.service`
    : config.get(S, "Service") ?? `${prefix}.service`;
  const backlog = Number(config.get(S, "Backlog") ?? "4096");
  const only = config.get(S, "BindIPv6Only");
  const maxConn = Number(config.get(S, "MaxConnections") ?? "64");
  const perSource = Number(config.get(S, "MaxConnectionsPerSource") ?? "0");
  const interval = config.get(S, "TriggerLimitIntervalSec");
  const burst = config.get(S, "TriggerLimitBurst");
  return {
    listen: listenAddresses(config),
    accept,
    service,
    backlog: Number.isFinite(backlog) && backlog >= 0 ? Math.min(backlog, 2 ** 31 - 1) : 4096,
    bindIPv6Only: only === "both" || only === "ipv6-only" ? only : "default",
    reusePort: bool("ReusePort", false),
    freeBind: bool("FreeBind", false),
    socketUser: config.get(S, "SocketUser") || undefined,
    socketGroup: config.get(S, "SocketGroup") || undefined,
    socketMode: mode(config.get(S, "SocketMode"), 0o666),
    directoryMode: mode(config.get(S, "DirectoryMode"), 0o755),
    fileDescriptorName: config.get(S, "FileDescriptorName") || id,
    removeOnStop: bool("RemoveOnStop", false),
    maxConnections: Number.isFinite(maxConn) && maxConn > 0 ? maxConn : 64,
    maxConnectionsPerSource: Number.isInteger(perSource) && perSource > 0 ? perSource : 0,
    triggerLimitIntervalUSec: (interval === undefined ? undefined : parseTimespan(interval)) ??
      2_000_000,
    // As systemd: 200 activations per interval for Accept=yes, 20 otherwise.
    triggerLimitBurst: burst !== undefined && /^\d+$/.test(burst)
      ? Number(burst)
      : accept
      ? 200
      : 20,
  };
}

/** The problem that refuses a socket unit at load (bad-setting), or undefined. */
export function socketSettingProblem(config: UnitConfig): string | undefined {
  if (listenAddresses(config).length === 0) {
    return `Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing.`;
  }
  const accept = parseBoolean(config.get("Socket", "Accept") ?? "no") ?? false;
  const listen = listenAddresses(config);
  if (accept && listen.some((a) => a.type !== "Stream" && a.type !== "SequentialPacket")) {
    return "Unit configured for accepting sockets, but sockets are non-accepting. Refusing.";
  }
  if (accept && config.get("Socket", "Service")) {
    return `Explicit service configuration for accepting socket units not supported. Refusing.`;
  }
  return undefined;
}

/**
 * The instance name systemd gives the service of an accepted connection (Accept=yes):
 * `<n>-<local addr>:<port>-<remote addr>:<port>`, IPv4-mapped IPv6 addresses shown
 * dotted; for AF_UNIX `<n>-<peer pid>-<peer uid>`, or `<n>-unknown`.
 */
export function connectionInstance(
  n: number,
  peer:
    | {
      family: "inet" | "inet6";
      local: { host: number[]; port: number };
      remote: { host: number[]; port: number };
    }
    | { family: "unix"; pid?: number; uid?: number },
): string {
  if (peer.family === "unix") {
    return peer.pid !== undefined ? `${n}-${peer.pid}-${peer.uid ?? 0}` : `${n}-unknown`;
  }
  const mapped = (h: number[]) =>
    h.length === 16 && h.slice(0, 10).every((b) => b === 0) && h[10] === 0xff && h[11] === 0xff;
  const show = (h: number[]) =>
    h.length === 4
      ? h.join(".")
      : mapped(peer.local.host) && mapped(peer.remote.host)
      ? h.slice(12).join(".")
      : formatIPv6(h);
  return `${n}-${show(peer.local.host)}:${peer.local.port}-${
    show(peer.remote.host)
  }:${peer.remote.port}`;
}

/**
 * The source a connection counts against for MaxConnectionsPerSource=: the remote address
 * without its port, IPv4-mapped IPv6 shown dotted (systemd's sockaddr_pretty). Undefined for
 * AF_UNIX peers, which systemd 252 does not limit per source.
 */
export function connectionSource(
  peer:
    | { family: "inet" | "inet6"; remote: { host: number[] } }
    | { family: "unix" },
): string | undefined {
  if (peer.family === "unix") return undefined;
  const h = peer.remote.host;
  if (h.length === 4) return h.join(".");
  const mapped = h.slice(0, 10).every((b) => b === 0) && h[10] === 0xff && h[11] === 0xff;
  return mapped ? h.slice(12).join(".") : formatIPv6(h);
}

/** A socket unit's control command lists. */
export type SocketExecKey = "ExecStartPre" | "ExecStartPost" | "ExecStopPre" | "ExecStopPost";

/** The SubState (and journal word) of each socket control phase. */
export const SOCKET_PHASES: Readonly<Record<SocketExecKey, string>> = {
  ExecStartPre: "start-pre",
  ExecStartPost: "start-post",
  ExecStopPre: "stop-pre",
  ExecStopPost: "stop-post",
};

/** The socket control phases, in systemd's order. */
export const SOCKET_EXEC_KEYS = Object.keys(SOCKET_PHASES) as SocketExecKey[];

/**
 * The service Exec slot a socket's list is presented in (socketExecConfig): a service
 * has no ExecStopPre=, so that one takes ExecStop='s.
 */
export function socketExecSlot(
  key: SocketExecKey,
): "ExecStartPre" | "ExecStartPost" | "ExecStop" | "ExecStopPost" {
  return key === "ExecStopPre" ? "ExecStop" : key;
}

/**
 * Whether a socket unit has control commands, for one phase or any (with any, it has an
 * exec context's dependencies, as in systemd).
 */
export function socketHasExec(config: UnitConfig, key?: SocketExecKey): boolean {
  return (key ? [key] : SOCKET_EXEC_KEYS).some((k) =>
    config.list("Socket", k).some((v) => v !== "")
  );
}

/**
 * The [Socket] section presented as a service's, so that the socket's control commands run
 * in its exec context (User=, Group=, Environment=, WorkingDirectory=, TimeoutSec=, ...).
 * ExecStopPre= takes the service's ExecStop= slot; the type keeps systemd's 90 s default
 * timeout for sockets.
 */
export function socketExecConfig(config: UnitConfig): UnitConfig {
  const out: Assignment[] = [
    { section: "Service", key: "Type", value: "simple", file: "", line: 0 },
  ];
  for (const key of config.keys("Socket")) {
    if (key === "Type" || key === "ExecStart" || key === "ExecStop") continue;
    const as = key === "ExecStopPre" ? socketExecSlot(key) : key;
    for (const a of config.raw("Socket", key)) out.push({ ...a, section: "Service", key: as });
  }
  return new UnitConfig(out);
}
