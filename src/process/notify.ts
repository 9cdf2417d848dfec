/**
 * The NOTIFY_SOCKET listener (spec §5.6): an AF_UNIX datagram socket that
 * receives `KEY=VALUE` lines from `sd_notify` senders.
 * @module
 */

import { sha256Hex } from "./_sha256.ts";

/** The longest path that fits in `sockaddr_un.sun_path` with its NUL. */
const MAX_SOCKET_PATH = 107;
/** Larger messages are dropped, as systemd does. */
const MAX_MESSAGE = 4096;

/** A bound notify socket. */
export interface NotifyListener extends AsyncIterable<Record<string, string>> {
  /** The socket path (the NOTIFY_SOCKET value). */
  readonly path: string;
  /**
   * The next message, parsed; undefined after `timeoutMs` without one
   * (`Infinity` waits forever) or once the listener is closed.
   */
  next(timeoutMs: number): Promise<Record<string, string> | undefined>;
  /**
   * Returns the messages that arrive until none has come for `quietMs`.
   * Call it before `close()` after READY=1: `systemd-notify --ready` sends a
   * BARRIER=1 right after, and fails if the socket is gone by then.
   */
  drain(quietMs: number): Promise<Record<string, string>[]>;
  /**
   * Closes the socket and removes its path, unless `unlink` is false (the path
   * may already belong to a newer listener).
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

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * The notify socket path of a unit: `<stateDir>/notify/<unit>`; when that is
 * too long for a socket address, the first 16 hex digits of sha256(unit)
 * replace the name, and if still too long, `/tmp/systemctl-<uid>/<hash>`.
 */
export function notifySocketPath(stateDir: string, unit: string): string {
  const plain = `${stateDir}/notify/${unit}`;
  if (byteLength(plain) <= MAX_SOCKET_PATH) return plain;
  const hash = sha256Hex(unit).slice(0, 16);
  const hashed = `${stateDir}/notify/${hash}`;
  if (byteLength(hashed) <= MAX_SOCKET_PATH) return hashed;
  return `/tmp/systemctl-${Deno.uid() ?? 0}/${hash}`;
}

/**
 * Binds a notify socket at `path` (mode 0777), removing a stale socket first
 * and creating the parent directory (0755) when missing.
 */
export async function openNotifySocket(path: string): Promise<NotifyListener> {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
  await Deno.remove(path).catch(() => {});
  const conn = Deno.listenDatagram({ transport: "unixpacket", path });
  await Deno.chmod(path, 0o777);
  return new Listener(path, conn);
}

class Listener implements NotifyListener {
  #conn: Deno.DatagramConn;
  #pending: Promise<Uint8Array | undefined> | undefined;
  #closed = false;

  constructor(readonly path: string, conn: Deno.DatagramConn) {
    this.#conn = conn;
  }

  #receive(): Promise<Uint8Array | undefined> {
    this.#pending ??= this.#conn.receive(new Uint8Array(MAX_MESSAGE + 1)).then(
      ([data]) => data,
      () => undefined,
    );
    return this.#pending;
  }

  async next(timeoutMs: number): Promise<Record<string, string> | undefined> {
    const deadline = performance.now() + timeoutMs;
    while (!this.#closed) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const remaining = deadline - performance.now();
      if (remaining <= 0) return undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        if (Number.isFinite(remaining)) timer = setTimeout(() => resolve("timeout"), remaining);
      });
      const data = await Promise.race([this.#receive(), timeout]);
      clearTimeout(timer);
      if (data === "timeout") return undefined;
      this.#pending = undefined;
      if (data === undefined) return undefined;
      if (data.length > MAX_MESSAGE) continue;
      const message = parseNotifyMessage(new TextDecoder().decode(data));
      // A barrier is answered by receiving it (its descriptor is dropped); it carries nothing.
      if (Object.keys(message).length === 1 && message.BARRIER === "1") continue;
      return message;
    }
    return undefined;
  }

  async drain(quietMs: number): Promise<Record<string, string>[]> {
    const messages: Record<string, string>[] = [];
    while (true) {
      const message = await this.next(quietMs);
      if (message === undefined) return messages;
      messages.push(message);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Record<string, string>> {
    while (!this.#closed) {
      const message = await this.next(Infinity);
      if (message === undefined) return;
      yield message;
    }
  }

  close(unlink = true): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    if (!unlink) return;
    try {
      Deno.removeSync(this.path);
    } catch {
      // Already removed, or taken over by another listener.
    }
  }
}
