/**
 * Socket activation in the init instance (spec §4.4, §8.3). The init
 * instance holds the listening descriptors of started socket units and waits
 * for traffic with poll(2) on a worker thread (a nonblocking FFI call, see
 * src/process/sockets.ts), so its event loop stays free and an idle socket
 * costs no CPU.
 *
 * - Accept=no: the first connection or datagram starts the service with every
 *   descriptor (LISTEN_FDS from 3); while it runs the socket is not watched
 *   (`active (running)`), and once it is inactive again the socket listens.
 * - Accept=yes: each connection is accepted and starts its own instance
 *   `NAME@<n>-<local>-<remote>.service` with the connection as descriptor 3
 *   (and stdin/stdout with StandardInput=socket).
 *
 * Clients that start or stop socket units while the init instance runs leave a
 * request in the unit's record; the instance follows the records and answers there.
 * @module
 */

import type { LoadedUnit } from "../units/loader.ts";
import { type SocketSettings, socketSettings } from "../unit/socket_address.ts";
import { connectionInstance, connectionSource } from "../unit/socket_address.ts";
import { readUnitStates, removeUnitState } from "../state/store.ts";
import { unitLockPath } from "../state/lock.ts";
import type { JobOutcome } from "../service/lifecycle.ts";
import { saveUnitState } from "../service/lifecycle.ts";
import { currentBootKey, stateDirHost, type StateEnv, storedState } from "../service/runtime.ts";
import {
  bindAll,
  type BoundSocket,
  recordSocketEnd,
  removeSocketFiles,
  setSocketHost,
  socketControl,
  type SocketHost,
  stopWithCommands,
} from "../service/socket_unit.ts";
import {
  type ActivationFds,
  offerDescriptors,
  setDescriptorSource,
  withdrawDescriptors,
} from "../service/socket_fds.ts";
import { readStat } from "../process/procfs.ts";
import {
  acceptConnection,
  closeSocket,
  connectionPeer,
  ReadinessWaiter,
} from "../process/sockets.ts";
import { type InitPort, locked } from "./port.ts";

/** A socket unit this instance holds. */
interface Held {
  readonly unit: LoadedUnit;
  readonly settings: SocketSettings;
  readonly bound: BoundSocket[];
  /** `listening`: watched; `running`: its Accept=no service has the descriptors. */
  state: "listening" | "running";
  nAccepted: number;
  /** Connections dropped over MaxConnections=. */
  nRefused: number;
  /** Live instances of an Accept=yes socket. */
  readonly connections: Set<string>;
  /** Activations between the first traffic and the end of the start job. */
  starting: number;
  /** When the descriptors went to the service (µs): an older inactive record is not its end. */
  handedAt: number;
  /** Connection instances whose start job runs. */
  readonly serving: Set<string>;
  /** Record writes of this unit, one after the other. */
  writing: Promise<unknown>;
  /** The last client `activate` request served (recorded as Socket.Answer). */
  answer?: string;
  /** Times (ms, monotonic) of the triggers within TriggerLimitIntervalSec=. */
  triggers: number[];
  /** The source address of each open connection instance, and the count per source. */
  readonly sourceOf: Map<string, string>;
  readonly perSource: Map<string, number>;
}

const ACTIVE = new Set(["active", "activating", "reloading", "deactivating"]);
/** State changes come in bursts (several writes per transition): handled together. */
const SETTLE_MS = 30;

/**
 * The recorded state of a unit, as the supervision wrote it: a main process that ended
 * a moment ago counts as running until its end is recorded (and the record changes).
 */
function recorded(lenv: StateEnv, id: string): string {
  return storedState(lenv, id)?.ActiveState ?? "inactive";
}

/** The init instance's socket host. */
export class SocketManager implements SocketHost {
  readonly #init: InitPort;
  readonly #held = new Map<string, Held>();
  /** Socket units whose records changed since requests were last served. */
  readonly #requests = new Set<string>();
  /** Socket starts under way (ExecStartPre=, bind, ExecStartPost=), by unit. */
  readonly #starts = new Map<string, Promise<JobOutcome>>();
  /** Accept=no activations running, by service. */
  readonly #activations = new Map<string, Promise<void>>();
  #waiter?: ReadinessWaiter;
  #loop?: Promise<void>;
  #closed = false;
  #idle?: () => void;
  #unwatch?: () => void;

  constructor(init: InitPort) {
    this.#init = init;
  }

  /** Registers as the socket host and follows the unit records. */
  open(): void {
    setSocketHost(this);
    setDescriptorSource((service) => this.#handOver(service));
    try {
      this.#waiter = new ReadinessWaiter();
    } catch (e) {
      this.#init.fault("Socket activation unavailable", e);
      return;
    }
    this.#loop = this.#run().catch((e) => this.#init.fault("Socket activation", e));
    this.#follow();
  }

  /** Closes every descriptor and ends the wait (after shutdown). */
  async close(): Promise<void> {
    setSocketHost(undefined);
    setDescriptorSource(undefined);
    this.#closed = true;
    this.#unwatch?.();
    this.#idle?.();
    this.#waiter?.wake();
    await this.#loop;
    this.#waiter?.close();
    for (const h of this.#held.values()) for (const b of h.bound) closeSocket(b.fd);
    this.#held.clear();
  }

  start(unit: LoadedUnit): Promise<JobOutcome> {
    if (this.#held.has(unit.id)) return Promise.resolve({ ok: true });
    // A second start while the first runs its commands joins it.
    const running = this.#starts.get(unit.id);
    if (running) return running;
    const job = this.#start(unit).finally(() => this.#starts.delete(unit.id));
    this.#starts.set(unit.id, job);
    return job;
  }

  async #start(unit: LoadedUnit): Promise<JobOutcome> {
    const init = this.#init;
    const pre = await socketControl(init.m.lenv, unit, "ExecStartPre");
    if (pre) return await this.#failStart(unit, pre.message, pre.result);
    const r = bindAll(init.ctx.root, unit);
    if (!r.ok) return await this.#failStart(unit, r.message, "resources", r.message);
    const held: Held = {
      unit,
      settings: socketSettings(unit.id, unit.config),
      bound: r.bound,
      state: "listening",
      nAccepted: 0,
      nRefused: 0,
      connections: new Set(),
      starting: 0,
      handedAt: 0,
      serving: new Set(),
      writing: Promise.resolve(),
      triggers: [],
      sourceOf: new Map(),
      perSource: new Map(),
    };
    const post = await socketControl(init.m.lenv, unit, "ExecStartPost");
    if (post) {
      // As systemd: the stop sequence runs, the descriptors close, the unit fails.
      this.#held.set(unit.id, held);
      await this.stop(unit, post);
      init.say(`Failed to listen on ${init.describe(unit)}.`);
      return { ok: false, result: post.result };
    }
    this.#held.set(unit.id, held);
    await this.#record(held, { ActiveState: "active", Result: "success", StatusText: undefined });
    init.say(`Listening on ${init.describe(unit)}.`);
    this.#rewatch();
    return { ok: true };
  }

  /** A start that failed before the socket listened: systemd's lines, the failed record. */
  async #failStart(
    unit: LoadedUnit,
    message: string,
    result: string,
    statusText?: string,
  ): Promise<JobOutcome> {
    const init = this.#init;
    init.say(message);
    init.say(`${unit.id}: Failed with result '${result}'.`);
    init.say(`Failed to listen on ${init.describe(unit)}.`);
    await recordSocketEnd(init.m.lenv, unit, result, statusText);
    return { ok: false, result, message: statusText };
  }

  /**
   * Stops a socket unit: ExecStopPre=, the descriptors closed, ExecStopPost=. A failed
   * command (or `failure`, a failed ExecStartPost=) leaves the unit failed with its result.
   */
  async stop(
    unit: LoadedUnit,
    failure?: { result: string; message?: string },
  ): Promise<JobOutcome> {
    const init = this.#init;
    const held = this.#held.get(unit.id);
    this.#held.delete(unit.id);
    let failed = failure;
    if (failure?.message) init.say(failure.message);
    if (held) {
      this.#rewatch();
      const commands = await stopWithCommands(init.m.lenv, unit, () => {
        for (const b of held.bound) closeSocket(b.fd);
        removeSocketFiles(init.ctx.root, unit);
      }, (line) => init.say(line));
      failed ??= commands;
      if (!failure) init.say(`Closed ${init.describe(unit)}.`);
    }
    if (failed) init.say(`${unit.id}: Failed with result '${failed.result}'.`);
    await recordSocketEnd(init.m.lenv, unit, failed?.result);
    return { ok: true };
  }

  #record(held: Held, patch: Parameters<typeof saveUnitState>[2] = {}): Promise<unknown> {
    const write = () =>
      saveUnitState(this.#init.m.lenv, held.unit, {
        SubState: held.state,
        ...patch,
        Socket: {
          HolderPID: Deno.pid,
          HolderStartTime: readStat(Deno.pid)?.startTime ?? 0,
          NAccepted: held.nAccepted,
          NConnections: held.connections.size,
          NRefused: held.nRefused,
          Answer: held.answer,
        },
      });
    held.writing = held.writing.catch(() => {}).then(write);
    return held.writing;
  }

  /** The wait must pick up a changed set of descriptors. */
  #rewatch(): void {
    this.#idle?.();
    this.#waiter?.wake();
  }

  async #run(): Promise<void> {
    const waiter = this.#waiter!;
    while (!this.#closed) {
      const byFd = new Map<number, Held>();
      for (const h of this.#held.values()) {
        if (h.state !== "listening") continue;
        for (const b of h.bound) byFd.set(b.fd, h);
      }
      if (byFd.size === 0) {
        // Nothing to watch: no worker thread waits either.
        await new Promise<void>((resolve) => (this.#idle = resolve));
        this.#idle = undefined;
        continue;
      }
      const ready = await waiter.wait([...byFd.keys()]);
      if (this.#closed || this.#init.stopping) continue;
      const fired = new Set<Held>();
      for (const fd of ready) {
        const h = byFd.get(fd);
        // Stopped meanwhile (its descriptor number may be another's now).
        if (!h || this.#held.get(h.unit.id) !== h || h.state !== "listening") continue;
        if (h.settings.accept) this.#acceptAll(h, fd);
        else if (!fired.has(h)) {
          if (this.#triggerAllowed(h)) fired.add(h);
          else this.#triggerLimitHit(h);
        }
      }
      for (const h of fired) this.#launch(h);
    }
  }

  /**
   * systemd's trigger limit: at most TriggerLimitBurst= activations (or accepted
   * connections) per TriggerLimitIntervalSec=; 0 in either turns it off.
   */
  #triggerAllowed(h: Held): boolean {
    const { triggerLimitIntervalUSec: interval, triggerLimitBurst: burst } = h.settings;
    if (interval <= 0 || burst <= 0) return true;
    const now = performance.now();
    const since = now - interval / 1000;
    while (h.triggers.length && h.triggers[0] <= since) h.triggers.shift();
    if (h.triggers.length >= burst) return false;
    h.triggers.push(now);
    return true;
  }

  /** Over the trigger limit: the socket fails (its descriptors close), as in systemd. */
  #triggerLimitHit(h: Held): void {
    if (this.#held.get(h.unit.id) !== h) return;
    h.state = "running"; // out of the wait until the stop has closed it
    this.stop(h.unit, {
      result: "trigger-limit-hit",
      message: `${h.unit.id}: Trigger limit hit, refusing further activation.`,
    }).catch((e) => this.#init.fault(`${h.unit.id}: stop`, e));
  }

  /** Starts an Accept=no activation of a listening socket; one per service at a time. */
  #launch(h: Held): Promise<void> {
    const service = h.settings.service;
    h.state = "running";
    const p: Promise<void> = this.#activate(h)
      .catch((e) => this.#init.fault(`${h.unit.id}: activation`, e))
      .finally(() => {
        if (this.#activations.get(service) === p) this.#activations.delete(service);
      });
    this.#activations.set(service, p);
    return p;
  }

  /** Accept=no: starts the service with the descriptors of every socket that triggers it. */
  async #activate(h: Held): Promise<void> {
    const init = this.#init;
    const service = init.loader.load(h.settings.service);
    if (service.loadState !== "loaded") {
      init.say(
        `${h.unit.id}: Failed to queue service startup job: Unit ${h.settings.service} ${
          service.loadState === "not-found" ? "not found" : `is ${service.loadState}`
        }.`,
      );
      await this.stop(h.unit, { result: "resources" });
      return;
    }
    const siblings = [...this.#held.values()]
      .filter((o) => !o.settings.accept && o.settings.service === h.settings.service)
      .sort((a, b) => (a.unit.id < b.unit.id ? -1 : 1));
    const now = Date.now() * 1000;
    for (const o of siblings) {
      o.state = "running";
      o.starting++;
      o.handedAt = now;
    }
    try {
      await Promise.all(siblings.map((o) => this.#record(o)));
      offerDescriptors(service.id, {
        fds: siblings.flatMap((o) => o.bound.map((b) => b.fd)),
        names: siblings.flatMap((o) => o.bound.map(() => o.settings.fileDescriptorName)),
      });
      await init.startJob(service);
    } finally {
      withdrawDescriptors(service.id);
      for (const o of siblings) o.starting--;
    }
    const rec = storedState(init.m.lenv, service.id);
    if (!ACTIVE.has(rec?.ActiveState ?? "inactive")) {
      if (rec?.StartLimitHit) {
        // As systemd: a service that hit its start limit fails the sockets that trigger it
        // (else every pending connection would start it again at once, forever).
        for (const o of siblings) {
          if (this.#held.get(o.unit.id) === o) {
            await this.stop(o.unit, { result: "service-start-limit-hit" });
          }
        }
        return;
      }
      // A start that did not run (a condition failed): listen again.
      for (const o of siblings) o.handedAt = 0;
    }
    await this.#settle();
  }

  /**
   * A service starts for another reason (the boot, a client): it gets the descriptors of
   * its listening Accept=no sockets, which stop being watched while it runs.
   */
  #handOver(service: string): ActivationFds | undefined {
    const siblings = [...this.#held.values()]
      .filter((o) => !o.settings.accept && o.settings.service === service)
      .sort((a, b) => (a.unit.id < b.unit.id ? -1 : 1));
    if (siblings.length === 0) return undefined;
    const now = Date.now() * 1000;
    for (const o of siblings) {
      o.state = "running";
      o.handedAt = now;
      this.#record(o).catch((e) => this.#init.fault(`${o.unit.id}: record`, e));
    }
    this.#rewatch();
    return {
      fds: siblings.flatMap((o) => o.bound.map((b) => b.fd)),
      names: siblings.flatMap((o) => o.bound.map(() => o.settings.fileDescriptorName)),
    };
  }

  /** Accept=yes: one instance per pending connection. */
  #acceptAll(h: Held, fd: number): void {
    const init = this.#init;
    for (;;) {
      let conn: number | undefined;
      try {
        conn = acceptConnection(fd);
      } catch (e) {
        init.fault(`${h.unit.id}: Failed to accept connection`, e);
        return;
      }
      if (conn === undefined) return;
      if (!this.#triggerAllowed(h)) {
        // No record write here: the stop that follows writes the socket's end.
        closeSocket(conn);
        h.nRefused++;
        this.#triggerLimitHit(h);
        return;
      }
      if (h.connections.size >= h.settings.maxConnections) {
        this.#refuse(h, conn, `Too many incoming connections (${h.connections.size})`);
        continue;
      }
      let name: string, source: string | undefined;
      try {
        const peer = connectionPeer(conn);
        const prefix = h.settings.service.replace(/@\.service$/, "");
        name = `${prefix}@${connectionInstance(h.nAccepted, peer)}.service`;
        source = h.settings.maxConnectionsPerSource > 0 ? connectionSource(peer) : undefined;
      } catch (e) {
        init.fault(`${h.unit.id}: Failed to read the connection's addresses`, e);
        closeSocket(conn);
        continue;
      }
      if (source !== undefined) {
        // This connection included, as systemd counts it.
        const n = (h.perSource.get(source) ?? 0) + 1;
        if (n > h.settings.maxConnectionsPerSource) {
          this.#refuse(h, conn, `Too many incoming connections (${n}) from source ${source}`);
          continue;
        }
        h.perSource.set(source, n);
        h.sourceOf.set(name, source);
      }
      h.nAccepted++;
      h.connections.add(name);
      this.#serve(h, name, conn).catch((e) => init.fault(`${name}: start`, e));
    }
  }

  /**
   * A refused connection: closed unanswered and counted (NRefused=); `why` is systemd's
   * journal line without its `, dropping connection.` end.
   */
  #refuse(h: Held, conn: number, why: string): void {
    this.#init.say(`${h.unit.id}: ${why}, dropping connection.`);
    closeSocket(conn);
    h.nRefused++;
    this.#record(h).catch((e) => this.#init.fault(`${h.unit.id}: record`, e));
  }

  /** A connection instance is over: it no longer counts, in total or for its source. */
  #dropConnection(h: Held, name: string): void {
    h.connections.delete(name);
    const source = h.sourceOf.get(name);
    if (source === undefined) return;
    h.sourceOf.delete(name);
    const n = (h.perSource.get(source) ?? 1) - 1;
    if (n > 0) h.perSource.set(source, n);
    else h.perSource.delete(source);
  }

  async #serve(h: Held, name: string, conn: number): Promise<void> {
    const init = this.#init;
    try {
      const unit = init.loader.load(name);
      if (unit.loadState !== "loaded") {
        init.say(
          `${h.unit.id}: Failed to queue service startup job (Maybe the service file is missing or not a template unit?): Unit ${name} ${
            unit.loadState === "not-found" ? "not found" : `is ${unit.loadState}`
          }.`,
        );
        this.#dropConnection(h, name);
        return;
      }
      h.serving.add(name);
      this.#record(h).catch((e) => init.fault(`${h.unit.id}: record`, e));
      offerDescriptors(name, { fds: [conn], names: ["connection"], connection: true });
      try {
        await init.startJob(unit);
      } finally {
        withdrawDescriptors(name);
        h.serving.delete(name);
      }
    } finally {
      closeSocket(conn);
    }
    await this.#settle();
  }

  /**
   * Follows the unit records: services that ended give their sockets back to the
   * wait, finished connection instances are dropped, and client requests are served.
   */
  #follow(): void {
    this.#unwatch = this.#init.stateWatch.subscribe((changed) => {
      for (const id of changed) if (id.endsWith(".socket")) this.#requests.add(id);
      this.#settle().catch((e) => this.#init.fault("Socket activation", e));
    }, SETTLE_MS);
  }

  async #settle(): Promise<void> {
    if (this.#closed) return;
    const init = this.#init;
    const lenv = init.m.lenv;
    let changed = false;
    for (const h of this.#held.values()) {
      if (h.state === "running" && h.starting === 0) {
        const rec = storedState(lenv, h.settings.service);
        const st = rec?.ActiveState ?? "inactive";
        // Only an end recorded after the hand-over gives the sockets back.
        const ended = (rec?.InactiveEnter?.[0] ?? 0) >= h.handedAt;
        if (!ACTIVE.has(st) && ended) {
          h.state = "listening";
          changed = true;
          await this.#record(h);
        }
      }
      for (const name of [...h.connections]) {
        if (h.serving.has(name)) continue;
        const st = recorded(lenv, name);
        if (ACTIVE.has(st)) continue;
        this.#dropConnection(h, name);
        changed = true;
        // As systemd garbage-collects finished connection instances; failed ones stay.
        if (st === "inactive") await this.#forget(name);
      }
      if (changed) await this.#record(h);
    }
    if (changed) this.#rewatch();
    await this.#serveRequests();
  }

  /** Removes the record of a finished instance, under its lock (its last writes are done). */
  async #forget(name: string): Promise<void> {
    const dir = stateDirHost(this.#init.m.lenv);
    await locked(this.#init, name, async () => {
      if (recorded(this.#init.m.lenv, name) === "inactive") await removeUnitState(dir, name);
    }, { verb: "collect" });
    await Deno.remove(unitLockPath(dir, name)).catch(() => {});
  }

  async #serveRequests(): Promise<void> {
    const init = this.#init;
    if (init.stopping) return;
    if (this.#requests.size === 0) return;
    const ids = [...this.#requests];
    this.#requests.clear();
    const states = await readUnitStates(stateDirHost(init.m.lenv), ids, currentBootKey());
    for (const st of states) {
      const request = st.Socket?.Request;
      if (!request || !st.Id.endsWith(".socket")) continue;
      const unit = init.loader.load(st.Id);
      if (request === "start") {
        if (unit.loadState !== "loaded") continue;
        const outcome = await this.start(unit);
        // A second start of a held socket only clears the request.
        if (outcome.ok && this.#held.has(unit.id)) await this.#record(this.#held.get(unit.id)!);
      } else if (request === "activate") {
        this.#serveActivation(unit, st.Socket?.RequestId ?? "");
      } else await this.stop(unit);
    }
  }

  /**
   * A client starts the service of a held Accept=no socket: the start runs here, where
   * the descriptors are, and the answer names the request once its start job ended.
   * A socket no longer held is answered at once (the client then starts it itself).
   */
  #serveActivation(unit: LoadedUnit, id: string): void {
    const h = this.#held.get(unit.id);
    const answer = async () => {
      const now = this.#held.get(unit.id);
      if (now) {
        now.answer = id;
        await this.#record(now);
      } else {
        const rec = storedState(this.#init.m.lenv, unit.id);
        await saveUnitState(this.#init.m.lenv, unit, {
          Socket: { ...rec?.Socket, Request: undefined, Answer: id },
        });
      }
    };
    let job: Promise<void> | undefined;
    if (h && !h.settings.accept) {
      // Listening: start it now; running: a start job may still be under way.
      job = h.state === "listening" ? this.#launch(h) : this.#activations.get(h.settings.service);
    }
    (job ?? Promise.resolve())
      .then(answer)
      .catch((e) => this.#init.fault(`${unit.id}: activation request`, e));
  }
}
