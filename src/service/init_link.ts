/**
 * How clients find and address the init instance of a root (§8.1, §8.5, §8.6):
 * it is named in `manager.json` with its PID and start time, so a reused PID
 * is never taken for it, and it is only ever signalled after that check.
 * @module
 */

import { listUnitStates } from "../state/store.ts";
import { readManagerState, updateManagerState } from "../state/manager.ts";
import { isAlive } from "../process/procfs.ts";
import { signalProcess } from "../process/kill.ts";
import { outliveShutdownBroadcast } from "../process/held_signals.ts";
import { currentBootKey, stateDirHost, type StateEnv } from "./runtime.ts";

/** A live init instance. */
export interface InitInstance {
  readonly pid: number;
  readonly startTime: number;
  /** The state it recorded: initializing, starting, running, stopping. */
  readonly state: string;
}

/** The init instance of this root and scope, when one is alive. */
export function liveInit(se: Pick<StateEnv, "root" | "scope" | "env">): InitInstance | undefined {
  const record = readManagerState(stateDirHost(se));
  const pid = record.InitPID;
  if (!pid) return undefined;
  if (record.Boot && record.Boot !== currentBootKey()) return undefined;
  if (!isAlive(pid, record.InitStartTime || undefined)) return undefined;
  return { pid, startTime: record.InitStartTime ?? 0, state: record.SystemState ?? "running" };
}

/** `is-system-running`'s word: offline without an init instance; degraded when a unit failed. */
export async function systemState(se: StateEnv): Promise<string> {
  const init = liveInit(se);
  if (!init) return "offline";
  if (init.state !== "running") return init.state;
  const states = await listUnitStates(stateDirHost(se), currentBootKey());
  return states.some((s) => s.ActiveState === "failed") ? "degraded" : "running";
}

const SIGHUP = 1;
const SIGTERM = 15;

/**
 * A client's wait on the init instance: `probe` again after 2 ms, the pause doubling to
 * 50 ms, until it returns a value (undefined: not yet).
 */
export async function pollInit<T>(
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  for (let delay = 2;; delay = Math.min(delay * 2, 50)) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * `daemon-reload` while an init instance runs: as systemd's manager reloads on the bus
 * call, the init re-reads the unit files (its restarts, timers and socket activations then
 * use them). SIGHUP asks; the client waits until the init has counted one more reload.
 * False when no init runs for this root (or it did not answer within 10 s).
 */
export async function reloadInit(se: Pick<StateEnv, "root" | "scope" | "env">): Promise<boolean> {
  const init = liveInit(se);
  if (!init || init.pid === Deno.pid) return false;
  const dir = stateDirHost(se);
  const before = readManagerState(dir).Reloads ?? 0;
  if (!signalProcess(init.pid, SIGHUP)) return false;
  const until = Date.now() + 10_000;
  return await pollInit(() =>
    (readManagerState(dir).Reloads ?? 0) > before ? true : Date.now() >= until ? false : undefined
  );
}

/**
 * Asks the init instance to shut down (`poweroff`, `halt`), shut down and exit
 * with a code (`exit`), or shut down and boot again (`reboot`). Returns false
 * when no init instance runs for this root.
 */
export async function requestShutdown(
  se: Pick<StateEnv, "root" | "scope" | "env">,
  action: "poweroff" | "reboot" | "exit",
  code = 0,
): Promise<boolean> {
  const init = liveInit(se);
  if (!init) return false;
  // Inside the init's namespace this client would get the init's final SIGTERM too.
  outliveShutdownBroadcast();
  if (action === "poweroff") return signalProcess(init.pid, SIGTERM);
  await updateManagerState(stateDirHost(se), (m) => ({ ...m, Request: { action, code } }));
  // Checked again: the record names the same live process.
  const again = liveInit(se);
  if (!again || again.pid !== init.pid || again.startTime !== init.startTime) return false;
  return signalProcess(init.pid, SIGHUP);
}
