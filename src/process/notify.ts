/**
 * The NOTIFY_SOCKET listener (spec §5.6): an AF_UNIX datagram socket that
 * receives `KEY=VALUE` lines from `sd_notify` senders. The socket is made with
 * the C library so that it can carry SO_PASSCRED: every datagram comes with the
 * sender's PID, UID and GID as the kernel saw them (SCM_CREDENTIALS), which is
 * what NotifyAccess= and the MAINPID= rules judge (spec §12). Descriptors sent
 * along (SCM_RIGHTS, e.g. a barrier's pipe) are closed on receipt.
 *
 * The socket lives in a directory that only its owner (root, for the system
 * manager) can write: the directory is opened without following a symlink and
 * checked, the socket is bound through that descriptor and its mode set without
 * following a symlink, so nobody can redirect the bind or the chmod. A path too
 * long for a socket address is refused: there is no fallback to a shared
 * directory such as /tmp.
 * @module
 */

import { sha256Hex } from "./_sha256.ts";
import {
  chmodAtNoFollow,
  closeFd,
  type FileStat,
  fileType,
  FsError,
  openAt,
  S,
  statFd,
  unlinkAt,
} from "./fsat.ts";
import { Errno, errno, libc, O, strerror } from "./libc.ts";
import { AF, ReadinessWaiter, SOCK, SOL_SOCKET } from "./sockets.ts";
import { setLongTimeout } from "./timer.ts";

/** Who sent a datagram, from SCM_CREDENTIALS (PID 0: not visible in our PID namespace). */
export interface NotifySender {
  pid: number;
  uid: number;
  gid: number;
}

/** One notify datagram: its fields and its sender. */
export interface NotifyMessage {
  fields: Record<string, string>;
  sender: NotifySender;
}

/**
 * Decides, the moment a datagram is received (its sender may exit right after,
 * as `systemd-notify` does once its barrier is answered), whether it is taken.
 * A refused message is dropped; the authorizer says why where it should.
 */
export type NotifyAuthorizer = (sender: NotifySender, fields: Record<string, string>) => boolean;

/** A bound notify socket. */
export interface NotifyListener extends AsyncIterable<NotifyMessage> {
  /** The socket path (the NOTIFY_SOCKET value). */
  readonly path: string;
  /** Replaces the authorizer (the init instance judges by the unit's record once it takes over). */
  setAuthorizer(authorize: NotifyAuthorizer | undefined): void;
  /**
   * The next message taken, parsed; undefined after `timeoutMs` without one
   * (`Infinity` waits forever) or once the listener is closed.
   */
  next(timeoutMs: number): Promise<NotifyMessage | undefined>;
  /**
   * Returns the messages that arrive until none has come for `quietMs`.
   * Call it before `close()` after READY=1: `systemd-notify --ready` sends a
   * BARRIER=1 right after, and fails if the socket is gone by then.
   */
  drain(quietMs: number): Promise<NotifyMessage[]>;
  /**
   * Closes the socket and removes its path, unless `unlink` is false or the path
   * already names another socket (a newer listener's).
   */
  close(unlink?: boolean): void;
}

/** Parses a notify datagram: newline-separated KEY=VALUE lines (later keys win). */
export function parseNotifyMessage(text: string): Record<string, string> {
  const message: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) message[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return message;
}

/** The longest path that fits in `sockaddr_un.sun_path` with its NUL. */
const MAX_SOCKET_PATH = 107;

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * The notify socket path of a unit: `<stateDir>/notify/<unit>`; when that is
 * too long for a socket address, the first 16 hex digits of sha256(unit)
 * replace the name. A path still too long is refused by {@link openNotifySocket}.
 */
export function notifySocketPath(stateDir: string, unit: string): string {
  const plain = `${stateDir}/notify/${unit}`;
  if (byteLength(plain) <= MAX_SOCKET_PATH) return plain;
  return `${stateDir}/notify/${sha256Hex(unit).slice(0, 16)}`;
}

/** Larger messages are dropped, as systemd does (NOTIFY_BUFFER_MAX). */
const MAX_MESSAGE = 4096;
const SO_PASSCRED = 16;
/** Control message types and recvmsg flags (linux/socket.h). */
const SCM = { RIGHTS: 1, CREDENTIALS: 2 } as const;
const MSG = { DONTWAIT: 0x40, TRUNC: 0x20, CMSG_CLOEXEC: 0x40000000 } as const;

function socketAddress(path: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(128);
  new DataView(bytes.buffer).setUint16(0, AF.UNIX, true);
  bytes.set(new TextEncoder().encode(path), 2);
  return bytes;
}

/**
 * Opens the socket's directory, creating it (0755) when missing, and checks that
 * only we can write it: a directory (not a symlink), owned by our UID, no write
 * bit for group or others. Returns an O_PATH descriptor of it.
 */
function openOwnDirectory(dir: string): number {
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  }
  const fd = openAt(-100, dir, O.PATH | O.DIRECTORY | O.NOFOLLOW);
  if (fd < 0) throw new Error(`${dir}: ${strerror(-fd)}`);
  let st: FileStat;
  try {
    st = statFd(fd);
  } catch (e) {
    closeFd(fd);
    throw e;
  }
  const uid = Deno.uid() ?? 0;
  if (fileType(st.mode) !== S.IFDIR || st.uid !== uid || (st.mode & 0o022) !== 0) {
    closeFd(fd);
    throw new Error(
      `refusing ${dir}: not a directory that only uid ${uid} can write ` +
        `(owner ${st.uid}, mode ${(st.mode & 0o7777).toString(8).padStart(4, "0")})`,
    );
  }
  return fd;
}

/**
 * Binds a notify socket at `path` (mode 0777, so that services running as other
 * users can send), replacing whatever the name held in its directory. The
 * directory is created (0755) when missing and must be ours alone (see
 * {@link openOwnDirectory}). Throws a one-line Error on failure.
 */
export function openNotifySocket(
  path: string,
  authorize?: NotifyAuthorizer,
): Promise<NotifyListener> {
  try {
    return Promise.resolve(bindNotifySocket(path, authorize));
  } catch (e) {
    return Promise.reject(e);
  }
}

function bindNotifySocket(path: string, authorize?: NotifyAuthorizer): NotifyListener {
  const length = byteLength(path);
  if (length > MAX_SOCKET_PATH) {
    throw new Error(
      `path too long for a socket address (${length} bytes, at most ${MAX_SOCKET_PATH}): ${path}`,
    );
  }
  const cut = path.lastIndexOf("/");
  const dir = path.slice(0, cut) || "/";
  const name = path.slice(cut + 1);
  if (!path.startsWith("/") || name === "" || name === "." || name === "..") {
    throw new Error(`not an absolute socket path: ${path}`);
  }
  const dirFd = openOwnDirectory(dir);
  const c = libc();
  const fd = c.socket(AF.UNIX, SOCK.DGRAM | SOCK.NONBLOCK | SOCK.CLOEXEC, 0);
  if (fd < 0) {
    closeFd(dirFd);
    throw new Error(`socket: ${strerror(errno())}`);
  }
  try {
    const on = new Int32Array([1]);
    if (c.setsockopt(fd, SOL_SOCKET, SO_PASSCRED, new Uint8Array(on.buffer), 4) !== 0) {
      throw new Error(`SO_PASSCRED: ${strerror(errno())}`);
    }
    unlinkAt(dirFd, name);
    // Bound through the checked directory's descriptor: a directory swapped in the
    // path meanwhile is never where the socket lands. Without /proc, the path itself.
    const viaFd = `/proc/self/fd/${dirFd}/${name}`;
    const bound = byteLength(viaFd) <= MAX_SOCKET_PATH &&
      c.bind(fd, socketAddress(viaFd), 110) === 0;
    if (!bound && c.bind(fd, socketAddress(path), 110) !== 0) {
      throw new Error(`bind ${path}: ${strerror(errno())}`);
    }
    chmodAtNoFollow(dirFd, name, 0o777);
    const node = openAt(dirFd, name, O.PATH | O.NOFOLLOW);
    if (node < 0) throw new Error(`${path}: ${strerror(-node)}`);
    let st: FileStat;
    try {
      st = statFd(node);
    } finally {
      closeFd(node);
    }
    const listener = new Listener(path, fd, dirFd, name, st, authorize);
    hub.add(listener);
    return listener;
  } catch (e) {
    closeFd(fd);
    closeFd(dirFd);
    if (e instanceof FsError) throw new Error(`${path}: ${e.message}`);
    throw e;
  }
}

/** Buffers for recvmsg, shared: every receive is synchronous and copies out. */
const rx = {
  data: new Uint8Array(MAX_MESSAGE + 1),
  control: new Uint8Array(4096),
  iov: new Uint8Array(256),
  header: new Uint8Array(256),
};

function pointer(buffer: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
}

{
  const iov = new DataView(rx.iov.buffer);
  iov.setBigUint64(0, pointer(rx.data), true);
  iov.setBigUint64(8, BigInt(MAX_MESSAGE + 1), true);
}

interface Datagram {
  bytes: Uint8Array;
  sender?: NotifySender;
  truncated: boolean;
}

/** One datagram, or undefined when none is pending. Passed descriptors are closed. */
function receive(fd: number): Datagram | undefined {
  const header = new DataView(rx.header.buffer);
  header.setBigUint64(0, 0n, true); // msg_name
  header.setUint32(8, 0, true); // msg_namelen
  header.setBigUint64(16, pointer(rx.iov), true);
  header.setBigUint64(24, 1n, true);
  header.setBigUint64(32, pointer(rx.control), true);
  header.setBigUint64(40, BigInt(rx.control.length), true);
  header.setInt32(48, 0, true);
  for (;;) {
    const n = Number(libc().recvmsg(fd, rx.header, MSG.DONTWAIT | MSG.CMSG_CLOEXEC));
    if (n >= 0) return parseDatagram(n, header);
    if (errno() !== Errno.EINTR) return undefined;
  }
}

function parseDatagram(n: number, header: DataView): Datagram {
  const controlLength = Number(header.getBigUint64(40, true));
  const flags = header.getInt32(48, true);
  const control = new DataView(rx.control.buffer);
  let sender: NotifySender | undefined;
  for (let at = 0; at + 16 <= controlLength;) {
    const length = Number(control.getBigUint64(at, true));
    if (length < 16 || at + length > controlLength) break;
    const level = control.getInt32(at + 8, true);
    const type = control.getInt32(at + 12, true);
    if (level === SOL_SOCKET && type === SCM.RIGHTS) {
      for (let p = at + 16; p + 4 <= at + length; p += 4) closeFd(control.getInt32(p, true));
    } else if (level === SOL_SOCKET && type === SCM.CREDENTIALS && length >= 28) {
      sender = {
        pid: control.getInt32(at + 16, true),
        uid: control.getUint32(at + 20, true),
        gid: control.getUint32(at + 24, true),
      };
    }
    at += (length + 7) & ~7;
  }
  return {
    bytes: rx.data.slice(0, Math.min(n, MAX_MESSAGE + 1)),
    sender,
    truncated: n > MAX_MESSAGE || (flags & MSG.TRUNC) !== 0,
  };
}

/**
 * Watches every open notify socket of this process with one poll(2) on a worker
 * thread (an init instance keeps one per notify service), and hands the datagrams
 * to their listeners.
 */
class NotifyHub {
  readonly #listeners = new Map<number, Listener>();
  #waiter?: ReadinessWaiter;
  #running = false;
  /** Descriptors to close once the poll in flight has returned. */
  #closing: number[] = [];

  add(listener: Listener): void {
    this.#listeners.set(listener.fd, listener);
    if (this.#running) this.#waiter!.wake();
    else this.#run();
  }

  remove(listener: Listener, fds: number[]): void {
    this.#listeners.delete(listener.fd);
    if (this.#running) {
      this.#closing.push(...fds);
      this.#waiter!.wake();
    } else {
      for (const fd of fds) closeFd(fd);
    }
  }

  async #run(): Promise<void> {
    this.#running = true;
    this.#waiter ??= new ReadinessWaiter();
    try {
      while (this.#listeners.size > 0) {
        const ready = await this.#waiter.wait([...this.#listeners.keys()]);
        this.#closePending();
        for (const fd of ready) this.#listeners.get(fd)?.receiveAll();
      }
    } finally {
      this.#running = false;
      this.#closePending();
    }
  }

  #closePending(): void {
    for (const fd of this.#closing.splice(0)) closeFd(fd);
  }
}

const hub = new NotifyHub();

class Listener implements NotifyListener {
  readonly #queue: NotifyMessage[] = [];
  #waiting?: (message: NotifyMessage | undefined) => void;
  #closed = false;
  #authorize?: NotifyAuthorizer;

  constructor(
    readonly path: string,
    readonly fd: number,
    readonly dirFd: number,
    readonly name: string,
    readonly node: FileStat,
    authorize?: NotifyAuthorizer,
  ) {
    this.#authorize = authorize;
  }

  setAuthorizer(authorize: NotifyAuthorizer | undefined): void {
    this.#authorize = authorize;
  }

  /** Takes every pending datagram (called by the hub when the socket is readable). */
  receiveAll(): void {
    for (let taken = 0; !this.#closed && taken < 1000; taken++) {
      const datagram = receive(this.fd);
      if (!datagram) return;
      if (datagram.truncated) continue;
      const bytes = datagram.bytes;
      // As systemd: one trailing NUL is allowed, an embedded one drops the message.
      const end = bytes.length > 0 && bytes[bytes.length - 1] === 0
        ? bytes.length - 1
        : bytes.length;
      if (bytes.subarray(0, end).includes(0)) continue;
      const fields = parseNotifyMessage(new TextDecoder().decode(bytes.subarray(0, end)));
      // A barrier is answered by receiving it (its descriptor was closed); it carries nothing.
      if (Object.keys(fields).length === 1 && fields.BARRIER === "1") continue;
      const sender = datagram.sender ?? { pid: 0, uid: 0xffffffff, gid: 0xffffffff };
      if (this.#authorize && !this.#authorize(sender, fields)) continue;
      const message = { fields, sender };
      const waiting = this.#waiting;
      if (waiting) {
        this.#waiting = undefined;
        waiting(message);
      } else {
        this.#queue.push(message);
      }
    }
  }

  next(timeoutMs: number): Promise<NotifyMessage | undefined> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#closed || timeoutMs <= 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let cancel: (() => void) | undefined;
      const done = (message: NotifyMessage | undefined) => {
        cancel?.();
        resolve(message);
      };
      this.#waiting = done;
      if (timeoutMs !== Infinity) {
        cancel = setLongTimeout(() => {
          if (this.#waiting === done) this.#waiting = undefined;
          resolve(undefined);
        }, timeoutMs);
      }
    });
  }

  async drain(quietMs: number): Promise<NotifyMessage[]> {
    const messages: NotifyMessage[] = [];
    while (true) {
      const message = await this.next(quietMs);
      if (message === undefined) return messages;
      messages.push(message);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<NotifyMessage> {
    while (!this.#closed) {
      const message = await this.next(Infinity);
      if (message === undefined) return;
      yield message;
    }
  }

  close(unlink = true): void {
    if (this.#closed) return;
    this.#closed = true;
    if (unlink) {
      try {
        // Only the socket this listener bound: a newer listener may own the name now.
        const node = openAt(this.dirFd, this.name, O.PATH | O.NOFOLLOW);
        if (node >= 0) {
          let same = false;
          try {
            const st = statFd(node);
            same = st.ino === this.node.ino && st.dev === this.node.dev;
          } finally {
            closeFd(node);
          }
          if (same) unlinkAt(this.dirFd, this.name);
        }
      } catch {
        // Already removed.
      }
    }
    hub.remove(this, [this.fd, this.dirFd]);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.(undefined);
  }
}
