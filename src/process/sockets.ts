/**
 * Listening sockets for socket units (spec §4.4), made with the C library
 * (socket, setsockopt, bind, listen; mkfifo for FIFOs) so that they are
 * plain descriptors a child can inherit as LISTEN_FDS. Readiness is watched
 * with poll(2) run as a nonblocking FFI call: it waits on a worker thread,
 * so Deno's event loop goes on, and a pipe in the set wakes it when the set
 * changes.
 * @module
 */

import { cstr, Errno, errno, F, libc, O, strerror } from "./libc.ts";
import {
  chmodIn,
  chownIn,
  mkdirIn,
  mkfifoIn,
  openIn,
  RootFsError,
  statIn,
  unlinkIn,
} from "./rootfs.ts";

/** What to bind: the parsed `Listen*=` address (structurally `ListenAddress`). */
export interface ListenRequest {
  readonly type: string;
  readonly family: string;
  readonly host?: readonly number[];
  readonly scope?: string;
  readonly port?: number;
  /** The host path bound (resolved inside the root by the caller). */
  readonly path?: string;
  /**
   * The same path inside a root ("" = the host's own): its directory is made, a stale
   * socket removed and mode and owner set there on descriptors, never through a link.
   */
  readonly at?: { readonly root: string; readonly path: string };
  readonly abstract?: boolean;
  readonly display: string;
}

/** How to bind it. */
export interface BindOptions {
  readonly backlog: number;
  readonly bindIPv6Only: "default" | "both" | "ipv6-only";
  readonly reusePort: boolean;
  readonly freeBind: boolean;
  readonly socketMode: number;
  readonly directoryMode: number;
  /** Owner of a socket file or FIFO (SocketUser=/SocketGroup=). */
  readonly owner?: { uid: number | null; gid: number | null };
}

/** A failed bind, with the C library's text (e.g. `Address already in use`). */
export class SocketError extends Error {
  readonly code: number;
  constructor(code: number) {
    super(strerror(code));
    this.code = code;
  }
}

/** Address families, socket types and flags, options (linux/socket.h, linux/in.h, in6.h). */
export const AF = { UNIX: 1, INET: 2, INET6: 10 } as const;
export const SOCK = { STREAM: 1, DGRAM: 2, SEQPACKET: 5, NONBLOCK: 0o4000, CLOEXEC: 0o2000000 };
export const SOL_SOCKET = 1;
const SO = { REUSEADDR: 2, REUSEPORT: 15, PEERCRED: 17 } as const;
const IPPROTO = { IP: 0, IPV6: 41 } as const;
const IP_FREEBIND = 15;
const IPV6_V6ONLY = 26;
const POLLIN = 1;

function fail(): never {
  throw new SocketError(errno());
}

function setInt(fd: number, level: number, name: number, value: number): void {
  const v = new Int32Array([value]);
  if (libc().setsockopt(fd, level, name, new Uint8Array(v.buffer), 4) !== 0) fail();
}

/** The sockaddr bytes and length for an address. */
function sockaddr(a: ListenRequest): { bytes: Uint8Array<ArrayBuffer>; length: number } {
  const bytes = new Uint8Array(128);
  const view = new DataView(bytes.buffer);
  if (a.family === "inet") {
    view.setUint16(0, AF.INET, true);
    view.setUint16(2, a.port ?? 0, false);
    bytes.set(a.host ?? [0, 0, 0, 0], 4);
    return { bytes, length: 16 };
  }
  if (a.family === "inet6") {
    view.setUint16(0, AF.INET6, true);
    view.setUint16(2, a.port ?? 0, false);
    bytes.set(a.host ?? new Array(16).fill(0), 8);
    if (a.scope) {
      const index = /^\d+$/.test(a.scope) ? Number(a.scope) : libc().if_nametoindex(cstr(a.scope));
      if (!index) throw new SocketError(19); // ENODEV
      view.setUint32(24, index, true);
    }
    return { bytes, length: 28 };
  }
  view.setUint16(0, AF.UNIX, true);
  const name = new TextEncoder().encode(a.path ?? "");
  if (a.abstract) {
    bytes.set(name, 3);
    return { bytes, length: 3 + name.length };
  }
  bytes.set(name, 2);
  return { bytes, length: 2 + name.length + 1 };
}

function socketType(type: string): number {
  return type === "Datagram"
    ? SOCK.DGRAM
    : type === "SequentialPacket"
    ? SOCK.SEQPACKET
    : SOCK.STREAM;
}

function placeOf(a: ListenRequest): { root: string; path: string } {
  return a.at ?? { root: "", path: a.path! };
}

function parentOf(path: string): string {
  return path.replace(/\/+[^/]*\/*$/, "") || "/";
}

function prepareUnixPath(a: ListenRequest, directoryMode: number): void {
  const at = placeOf(a);
  mkdirIn(at.root, parentOf(at.path), directoryMode, false, directoryMode);
  // A socket file left by an earlier run would make bind fail: systemd removes it too.
  if (statIn(at.root, at.path)?.kind === "socket") unlinkIn(at.root, at.path);
}

function applyOwnerAndMode(a: ListenRequest, opts: BindOptions): void {
  const at = placeOf(a);
  chmodIn(at.root, at.path, opts.socketMode);
  if (opts.owner && (opts.owner.uid !== null || opts.owner.gid !== null)) {
    chownIn(at.root, at.path, opts.owner.uid ?? -1, opts.owner.gid ?? -1);
  }
}

/**
 * Creates, binds and (for stream and sequential-packet sockets) listens; a FIFO is
 * made and opened read-write. Returns a nonblocking, close-on-exec descriptor.
 * Throws `SocketError` (the errno's text) or a file-system error.
 */
export function openListener(a: ListenRequest, opts: BindOptions): number {
  const c = libc();
  if (a.family === "fifo") return openFifo(a, opts);
  if (a.family !== "inet" && a.family !== "inet6" && a.family !== "unix") {
    throw new SocketError(97); // EAFNOSUPPORT
  }
  const family = a.family === "inet" ? AF.INET : a.family === "inet6" ? AF.INET6 : AF.UNIX;
  const type = socketType(a.type);
  if (a.family === "unix" && !a.abstract) prepareUnixPath(a, opts.directoryMode);
  const fd = c.socket(family, type | SOCK.NONBLOCK | SOCK.CLOEXEC, 0);
  if (fd < 0) fail();
  try {
    if (a.family !== "unix") {
      setInt(fd, SOL_SOCKET, SO.REUSEADDR, 1);
      if (opts.reusePort) setInt(fd, SOL_SOCKET, SO.REUSEPORT, 1);
      if (opts.freeBind) setInt(fd, IPPROTO.IP, IP_FREEBIND, 1);
      if (family === AF.INET6 && opts.bindIPv6Only !== "default") {
        setInt(fd, IPPROTO.IPV6, IPV6_V6ONLY, opts.bindIPv6Only === "ipv6-only" ? 1 : 0);
      }
    }
    const addr = sockaddr(a);
    if (c.bind(fd, addr.bytes, addr.length) !== 0) fail();
    if (type !== SOCK.DGRAM && c.listen(fd, opts.backlog) !== 0) fail();
    if (a.family === "unix" && !a.abstract) applyOwnerAndMode(a, opts);
    return fd;
  } catch (e) {
    c.close(fd);
    throw e;
  }
}

function openFifo(a: ListenRequest, opts: BindOptions): number {
  const c = libc();
  const at = placeOf(a);
  mkdirIn(at.root, parentOf(at.path), opts.directoryMode, false, opts.directoryMode);
  try {
    mkfifoIn(at.root, at.path, opts.socketMode);
  } catch (e) {
    if (!(e instanceof RootFsError)) throw e;
    // EEXIST: an existing FIFO is reused, anything else refused.
    if (e.code !== 17 || statIn(at.root, at.path)?.kind !== "fifo") throw new SocketError(e.code);
  }
  let fd: number;
  try {
    fd = openIn(at.root, at.path, O.RDWR | O.NONBLOCK, 0, { follow: false });
  } catch (e) {
    if (e instanceof RootFsError) throw new SocketError(e.code);
    throw e;
  }
  try {
    applyOwnerAndMode(a, opts);
  } catch (e) {
    c.close(fd);
    throw e;
  }
  return fd;
}

/** Closes a descriptor this module opened. */
export function closeSocket(fd: number): void {
  libc().close(fd);
}

/**
 * Accepts one pending connection (close-on-exec, blocking, as a service expects
 * its connection on stdin); undefined when none is pending.
 */
export function acceptConnection(fd: number): number | undefined {
  for (;;) {
    const conn = libc().accept4(fd, null, null, SOCK.CLOEXEC);
    if (conn >= 0) return conn;
    const code = errno();
    if (code === Errno.EINTR) continue;
    if (code === Errno.EAGAIN) return undefined;
    throw new SocketError(code);
  }
}

/** An inet address: 4 or 16 bytes and a port. */
export interface InetEnd {
  host: number[];
  port: number;
}

/** Both ends of an accepted connection, as systemd names its instance after them. */
export type ConnectionPeer =
  | { family: "inet" | "inet6"; local: InetEnd; remote: InetEnd }
  | { family: "unix"; pid?: number; uid?: number };

function readName(fd: number, peer: boolean): { family: number; end?: InetEnd } {
  const buf = new Uint8Array(128);
  const len = new Uint32Array([128]);
  const call = peer ? libc().getpeername : libc().getsockname;
  if (call(fd, buf, new Uint8Array(len.buffer)) !== 0) fail();
  const view = new DataView(buf.buffer);
  const family = view.getUint16(0, true);
  const port = view.getUint16(2, false);
  if (family === AF.INET) return { family, end: { host: [...buf.slice(4, 8)], port } };
  if (family === AF.INET6) return { family, end: { host: [...buf.slice(8, 24)], port } };
  return { family };
}

/** The local and remote addresses (inet) or the peer's credentials (unix) of a connection. */
export function connectionPeer(fd: number): ConnectionPeer {
  const local = readName(fd, false);
  if (local.family === AF.UNIX) {
    const cred = new Int32Array(3);
    const len = new Uint32Array([12]);
    const ok = libc().getsockopt(
      fd,
      SOL_SOCKET,
      SO.PEERCRED,
      new Uint8Array(cred.buffer),
      new Uint8Array(len.buffer),
    ) === 0;
    // A peer in another PID namespace shows as pid 0: systemd names it "unknown".
    return ok && cred[0] > 0 ? { family: "unix", pid: cred[0], uid: cred[1] >>> 0 } : {
      family: "unix",
    };
  }
  const remote = readName(fd, true);
  return {
    family: local.family === AF.INET ? "inet" : "inet6",
    local: local.end!,
    remote: remote.end!,
  };
}

/** Whether a descriptor has input now (poll with no wait). */
export function isReadable(fd: number): boolean {
  const set = new Uint8Array(256);
  const view = new DataView(set.buffer);
  view.setInt32(0, fd, true);
  view.setInt16(4, POLLIN, true);
  return libc().poll(set, 1n, 0) > 0 && view.getInt16(6, true) !== 0;
}

/**
 * Waits for input on a set of descriptors without blocking the event loop. One
 * poll(2) at a time runs on a worker thread; `wake()` ends it early (through a
 * pipe in the set), so the caller can change the set.
 */
export class ReadinessWaiter {
  readonly #pipe = new Int32Array(2);
  #open = false;

  constructor() {
    if (libc().pipe2(new Uint8Array(this.#pipe.buffer), O.CLOEXEC | O.NONBLOCK) !== 0) fail();
    this.#open = true;
  }

  /** Ends a running wait (it returns no descriptors). */
  wake(): void {
    if (this.#open) libc().write(this.#pipe[1], new Uint8Array(1), 1n);
  }

  /** The descriptors of `fds` that have input (or an error), after waiting for one. */
  async wait(fds: readonly number[]): Promise<number[]> {
    // Large enough to live outside V8's moving heap while the worker thread reads it.
    const set = new Uint8Array(Math.max(256, 8 * (fds.length + 1)));
    const view = new DataView(set.buffer);
    const all = [this.#pipe[0], ...fds];
    all.forEach((fd, i) => {
      view.setInt32(8 * i, fd, true);
      view.setInt16(8 * i + 4, POLLIN, true);
    });
    const n = await libc().pollAsync(set, BigInt(all.length), -1);
    if (n <= 0) return []; // EINTR (a signal on the worker thread): the caller waits again
    const ready: number[] = [];
    all.forEach((fd, i) => {
      if (view.getInt16(8 * i + 6, true) !== 0 && i > 0) ready.push(fd);
    });
    if (view.getInt16(6, true) !== 0) this.#drain();
    return ready;
  }

  #drain(): void {
    const buf = new Uint8Array(64);
    while (Number(libc().read(this.#pipe[0], buf, 64n)) > 0) { /* emptied */ }
  }

  /** Closes the wake pipe (after the last wait has returned). */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    libc().close(this.#pipe[0]);
    libc().close(this.#pipe[1]);
  }
}

/** Clears O_NONBLOCK (a service gets blocking descriptors, as systemd's NonBlocking=no). */
export function setBlocking(fd: number): void {
  const flags = libc().fcntl(fd, F.GETFL, 0);
  if (flags >= 0) libc().fcntl(fd, F.SETFL, flags & ~O.NONBLOCK);
}
