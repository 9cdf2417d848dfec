/**
 * Start and stop of socket units (spec §4.4). In the init instance a socket
 * host (src/init/sockets.ts) holds the descriptors and activates services on
 * traffic. A client hands its start/stop to a live init instance through the
 * unit's record; without one it activates eagerly: bind, hand the descriptors
 * to the service it starts, close its own copies.
 * @module
 */

import type { LoadedUnit } from "../units/loader.ts";
import {
  SOCKET_PHASES,
  socketExecConfig,
  type SocketExecKey,
  socketHasExec,
  type SocketSettings,
  socketSettings,
} from "../unit/socket_address.ts";
import { type BindOptions, closeSocket, openListener } from "../process/sockets.ts";
import { isAlive } from "../process/procfs.ts";
import { unlinkIn } from "../process/rootfs.ts";
import { lookupGroup, lookupUser } from "../units/host_info.ts";
import type { RootMap } from "../units/paths.ts";
import { type JobOutcome, type LifecycleEnv, runSocketExec, saveUnitState } from "./lifecycle.ts";
import { liveInit, pollInit } from "./init_link.ts";
import { effectiveState, storedState } from "./runtime.ts";
import { offerDescriptors, withdrawDescriptors } from "./socket_fds.ts";

/** What the init instance offers for socket units. */
export interface SocketHost {
  start(unit: LoadedUnit): Promise<JobOutcome>;
  stop(unit: LoadedUnit): Promise<JobOutcome>;
}

let host: SocketHost | undefined;

/** Registers the init instance's socket host (this process then holds the sockets). */
export function setSocketHost(h: SocketHost | undefined): void {
  host = h;
}

/** The bind options of a socket unit, owners resolved inside the root. */
export function bindOptions(root: RootMap, s: SocketSettings): BindOptions {
  const uid = s.socketUser === undefined
    ? null
    : /^\d+$/.test(s.socketUser)
    ? Number(s.socketUser)
    : lookupUser(root, s.socketUser)?.uid ?? null;
  const gid = s.socketGroup === undefined
    ? null
    : /^\d+$/.test(s.socketGroup)
    ? Number(s.socketGroup)
    : lookupGroup(root, s.socketGroup)?.gid ?? null;
  if (s.socketUser !== undefined && uid === null) {
    throw new Error(`Failed to resolve user ${s.socketUser}: No such process`);
  }
  if (s.socketGroup !== undefined && gid === null) {
    throw new Error(`Failed to resolve group ${s.socketGroup}: No such process`);
  }
  return {
    backlog: s.backlog,
    bindIPv6Only: s.bindIPv6Only,
    reusePort: s.reusePort,
    freeBind: s.freeBind,
    socketMode: s.socketMode,
    directoryMode: s.directoryMode,
    owner: uid !== null || gid !== null ? { uid, gid } : undefined,
  };
}

/** Bound descriptors of a socket unit, one per Listen line. */
export interface BoundSocket {
  readonly fd: number;
  readonly display: string;
}

/**
 * Binds every Listen line of a unit (paths mapped into the root). On a failure the
 * ones already bound are closed and the error is systemd's journal line:
 * `x.socket: Failed to create listening socket ([::]:22): Address already in use`.
 */
export function bindAll(
  root: RootMap,
  unit: LoadedUnit,
): { ok: true; bound: BoundSocket[] } | { ok: false; message: string } {
  const s = socketSettings(unit.id, unit.config);
  const bound: BoundSocket[] = [];
  let opts: BindOptions;
  try {
    opts = bindOptions(root, s);
  } catch (e) {
    return { ok: false, message: `${unit.id}: ${(e as Error).message}` };
  }
  for (const a of s.listen) {
    try {
      // bind(2) takes the path resolved inside the root; the directory, a stale socket,
      // mode and owner are handled on descriptors inside the root (process/rootfs.ts).
      const mapped = a.path && !a.abstract
        ? {
          ...a,
          path: root.resolve(a.path, false),
          at: { root: root.root, path: root.inner(a.path) },
        }
        : a;
      bound.push({ fd: openListener(mapped, opts), display: a.display });
    } catch (e) {
      for (const b of bound) closeSocket(b.fd);
      const what = a.type === "FIFO" ? "FIFO" : "listening socket";
      return {
        ok: false,
        message: `${unit.id}: Failed to create ${what} (${a.display}): ${(e as Error).message}`,
      };
    }
  }
  return { ok: true, bound };
}

/**
 * Runs a socket unit's control commands for one phase (ExecStartPre=, ExecStartPost=,
 * ExecStopPre=, ExecStopPost=), recording the phase's SubState while they run. Undefined
 * when all succeeded or there are none; else the Result and systemd's journal line.
 */
export async function socketControl(
  se: LifecycleEnv,
  unit: LoadedUnit,
  key: SocketExecKey,
): Promise<ControlFailure | undefined> {
  if (!socketHasExec(unit.config, key)) return undefined;
  const starting = key === "ExecStartPre" || key === "ExecStartPost";
  await saveUnitState(se, unit, {
    ActiveState: starting ? "activating" : "deactivating",
    SubState: SOCKET_PHASES[key],
  });
  return await runSocketExec(se, unit, socketExecConfig(unit.config), key);
}

/** A failed control command: the unit's Result and systemd's journal line. */
export interface ControlFailure {
  readonly result: string;
  readonly message: string;
}

/**
 * A socket unit's stop sequence: ExecStopPre=, `close` (the descriptors, RemoveOnStop=
 * files), ExecStopPost=. Each failure's journal line goes to `say`; returns the first.
 */
export async function stopWithCommands(
  se: LifecycleEnv,
  unit: LoadedUnit,
  close: () => void,
  say: (line: string) => void,
): Promise<ControlFailure | undefined> {
  const pre = await socketControl(se, unit, "ExecStopPre");
  if (pre) say(pre.message);
  close();
  const post = await socketControl(se, unit, "ExecStopPost");
  if (post) say(post.message);
  return pre ?? post;
}

/** A socket unit's record at its end: failed with `result`, else inactive. */
export function recordSocketEnd(
  se: LifecycleEnv,
  unit: LoadedUnit,
  result?: string,
  statusText?: string,
): Promise<unknown> {
  return saveUnitState(
    se,
    unit,
    result
      ? {
        ActiveState: "failed",
        SubState: "failed",
        Result: result,
        StatusText: statusText,
        Socket: {},
      }
      : { ActiveState: "inactive", SubState: "dead", Socket: {} },
  );
}

/** Removes the socket files and FIFOs of a unit (RemoveOnStop=yes). */
export function removeSocketFiles(root: RootMap, unit: LoadedUnit): void {
  const s = socketSettings(unit.id, unit.config);
  if (!s.removeOnStop) return;
  for (const a of s.listen) {
    if (!a.path || a.abstract) continue;
    try {
      unlinkIn(root.root, root.inner(a.path));
    } catch { /* gone already */ }
  }
}

/**
 * systemd refuses to start a socket whose service (or, for Accept=yes, template) is not
 * loaded: `x.socket: Socket service x.service not loaded, refusing.`
 */
export function socketServiceProblem(
  unit: LoadedUnit,
  loadState: (id: string) => string,
): string | undefined {
  const s = socketSettings(unit.id, unit.config);
  if (loadState(s.service) === "loaded") return undefined;
  return `${unit.id}: Socket service ${s.service} not loaded, refusing.`;
}

/**
 * How long a client waits for the init instance to take up its request; once the init
 * runs the unit's control commands (it wrote the record, activating or deactivating),
 * the client waits for as long as that init lives.
 */
const REQUEST_WAIT_MS = 10_000;

async function waitForInit(
  se: LifecycleEnv,
  unit: LoadedUnit,
  done: (st: ReturnType<typeof effectiveState>) => boolean,
): Promise<ReturnType<typeof effectiveState> | undefined> {
  const until = Date.now() + REQUEST_WAIT_MS;
  let init = liveInit(se), checked = Date.now();
  const outcome = await pollInit(() => {
    const st = effectiveState(storedState(se, unit.id), unit.id);
    if (done(st)) return { st };
    const now = Date.now();
    if (now < until) return undefined;
    if (now - checked >= 1000) {
      init = liveInit(se);
      checked = now;
    }
    const working = init !== undefined && st.Writer?.pid === init.pid &&
      (st.ActiveState === "activating" || st.ActiveState === "deactivating");
    return working ? undefined : { st: undefined };
  });
  return outcome.st;
}

/**
 * Starts a socket unit. `startService` runs the start job (with its transaction) of
 * the service an eager activation starts, returning whether it started.
 */
export async function startSocket(
  se: LifecycleEnv,
  unit: LoadedUnit,
  startService: (id: string) => Promise<boolean>,
): Promise<JobOutcome> {
  if (host) return await host.start(unit);
  const current = effectiveState(storedState(se, unit.id), unit.id);
  const holder = current.Socket?.HolderPID;
  if (
    current.ActiveState === "active" &&
    (!holder || isAlive(holder, current.Socket?.HolderStartTime || undefined))
  ) return { ok: true };
  const init = liveInit(se);
  if (init && init.pid !== Deno.pid) {
    // The init instance follows the records: it binds and answers in the record.
    await saveUnitState(se, unit, {
      ActiveState: "activating",
      SubState: "start-pre",
      Socket: { Request: "start" },
    });
    const st = await waitForInit(se, unit, (s) => s.Socket?.Request === undefined);
    if (!st) {
      return { ok: false, refusal: { kind: "init-silent", verb: "start", id: unit.id } };
    }
    if (st.ActiveState === "active") return { ok: true };
    // The manager's reason went to its log; systemctl says only that the job failed.
    return { ok: false, result: st.Result ?? "resources" };
  }
  const pre = await socketControl(se, unit, "ExecStartPre");
  if (pre) return await controlFailed(se, unit, pre);
  const r = bindAll(se.root, unit);
  if (!r.ok) {
    await saveUnitState(se, unit, {
      ActiveState: "failed",
      SubState: "failed",
      Result: "resources",
    });
    return { ok: false, result: "resources", message: r.message };
  }
  const post = await socketControl(se, unit, "ExecStartPost");
  if (post) {
    // As systemd: the stop sequence runs, the descriptors close, the unit fails.
    await stopWithCommands(se, unit, () => {
      for (const b of r.bound) closeSocket(b.fd);
      removeSocketFiles(se.root, unit);
    }, (line) => se.debug(line));
    return await controlFailed(se, unit, post);
  }
  const s = socketSettings(unit.id, unit.config);
  await saveUnitState(se, unit, {
    ActiveState: "active",
    SubState: "listening",
    Result: "success",
    Socket: {},
  });
  try {
    if (s.accept) {
      se.warn(
        `${unit.id}: Accept=yes: connections are accepted only while an init instance runs.`,
      );
      return { ok: true };
    }
    // Eager activation: the service gets the descriptors now (no init to wait for traffic).
    offerDescriptors(s.service, {
      fds: r.bound.map((b) => b.fd),
      names: r.bound.map(() => s.fileDescriptorName),
    });
    if (!await startService(s.service)) se.debug(`${unit.id}: ${s.service} did not start.`);
    return { ok: true };
  } finally {
    withdrawDescriptors(s.service);
    for (const b of r.bound) closeSocket(b.fd);
  }
}

const ACTIVE = new Set(["active", "activating", "reloading"]);

/**
 * A client's start of a service whose Accept=no sockets a live init instance holds: the
 * descriptors live in the init, so the init runs the start (as under systemd, where the
 * manager passes them to every start of the service). The client leaves an `activate`
 * request in the record of one of those sockets and waits for the init's answer; the
 * outcome is the service's record then. Undefined when no init holds such a socket, or
 * the init went away before it answered: the caller starts the service itself.
 * `sockets` lists the socket units that have records.
 */
export async function startThroughHolder(
  se: LifecycleEnv,
  unit: LoadedUnit,
  sockets: () => LoadedUnit[],
): Promise<JobOutcome | undefined> {
  if (host) return undefined;
  const before = effectiveState(storedState(se, unit.id), unit.id);
  if (ACTIVE.has(before.ActiveState) && before.SubState !== "auto-restart") return undefined;
  const init = liveInit(se);
  if (!init || init.pid === Deno.pid) return undefined;
  const holder = sockets().find((sock) => {
    if (sock.loadState !== "loaded") return false;
    const rec = storedState(se, sock.id);
    if (rec?.ActiveState !== "active" || rec.Socket?.HolderPID !== init.pid) return false;
    const s = socketSettings(sock.id, sock.config);
    return !s.accept && s.service === unit.id;
  });
  if (!holder) return undefined;
  const id = `${Deno.pid}-${crypto.randomUUID()}`;
  const askedUs = Date.now() * 1000;
  const ask = async () => {
    const rec = storedState(se, holder.id);
    await saveUnitState(se, holder, {
      Socket: { ...rec?.Socket, Request: "activate", RequestId: id },
    });
  };
  await ask();
  let asked = Date.now(), checked = Date.now();
  const answered = await pollInit(async () => {
    const rec = storedState(se, holder.id);
    if (rec?.Socket?.Answer === id) return true;
    const now = Date.now();
    if (now - checked > 1000) {
      checked = now;
      const still = liveInit(se);
      if (!still || still.pid !== init.pid) return false;
    }
    // The holder rewrote the record before it saw the request (a counter, a state change).
    if (rec?.Socket?.RequestId !== id && now - asked > 500) {
      await ask();
      asked = now;
    }
    return undefined;
  });
  if (!answered) return undefined;
  const after = effectiveState(storedState(se, unit.id), unit.id);
  if (ACTIVE.has(after.ActiveState)) return { ok: true };
  if (after.ActiveState === "failed") {
    return { ok: false, result: after.Result === "success" ? undefined : after.Result };
  }
  if (after.ConditionResult === false && (after.Condition?.[0] ?? 0) >= askedUs) {
    return { ok: true, skipped: true };
  }
  return undefined;
}

/** Stops a socket unit: the init instance closes what it holds; files go with RemoveOnStop. */
export async function stopSocket(se: LifecycleEnv, unit: LoadedUnit): Promise<JobOutcome> {
  if (host) return await host.stop(unit);
  const current = effectiveState(storedState(se, unit.id), unit.id);
  if (current.ActiveState === "inactive") return { ok: true };
  const holder = current.Socket?.HolderPID;
  const init = liveInit(se);
  if (init && holder === init.pid && init.pid !== Deno.pid) {
    await saveUnitState(se, unit, { Socket: { ...current.Socket, Request: "stop" } });
    const st = await waitForInit(se, unit, (s) => s.Socket?.Request === undefined);
    return st
      ? { ok: true }
      : { ok: false, refusal: { kind: "init-silent", verb: "stop", id: unit.id } };
  }
  const failed = await stopWithCommands(
    se,
    unit,
    () => removeSocketFiles(se.root, unit),
    (line) => se.debug(line),
  );
  await recordSocketEnd(se, unit, failed?.result);
  return { ok: true };
}

/** A control command failed the start: the unit is failed with its result. */
async function controlFailed(
  se: LifecycleEnv,
  unit: LoadedUnit,
  f: ControlFailure,
): Promise<JobOutcome> {
  se.debug(f.message);
  await recordSocketEnd(se, unit, f.result);
  return { ok: false, result: f.result };
}
