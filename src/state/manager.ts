/**
 * The manager record, `<state>/manager.json`: the environment block that
 * `set-environment` and friends edit (§3.8 step 3), and, while an init
 * instance runs, who it is and what state the system is in (§8). Written
 * atomically under `<state>/manager.lock`.
 * @module
 */

/** The record's format tag. */
export const MANAGER_FORMAT = "systemctl-manager/1";

/** The manager record. Unknown keys written by newer versions are kept. */
export interface ManagerState {
  format: string;
  /** The environment block of set-environment / import-environment. */
  Environment?: Record<string, string>;
  /** The init instance's PID, while one runs. */
  InitPID?: number;
  /** Its start time in clock ticks, so a reused PID is not taken for it. */
  InitStartTime?: number;
  /** The boot key the init instance started under. */
  Boot?: string;
  /** initializing, starting, running, stopping (degraded is derived from failed units). */
  SystemState?: string;
  /** A request for the init instance: `reboot`, or `exit` with `ExitCode`. */
  Request?: { action: string; code?: number };
  /** When the boot finished, µs since the epoch. */
  FinishTimestamp?: number;
  /** How many reloads (SIGHUP, a client's daemon-reload) the init instance has finished. */
  Reloads?: number;
  [key: string]: unknown;
}

/** The path of the manager record. */
export function managerStatePath(stateDirHost: string): string {
  return `${stateDirHost}/manager.json`;
}

/** Reads the manager record; a missing, unreadable or foreign file counts as empty. */
export function readManagerState(stateDirHost: string): ManagerState {
  try {
    const value = JSON.parse(Deno.readTextFileSync(managerStatePath(stateDirHost)));
    if (value?.format === MANAGER_FORMAT) return value as ManagerState;
  } catch {
    // Absent or corrupt: an empty record.
  }
  return { format: MANAGER_FORMAT };
}

/** Changes the manager record under its lock and writes it atomically (temp file + rename). */
export async function updateManagerState(
  stateDirHost: string,
  change: (state: ManagerState) => ManagerState,
): Promise<void> {
  await Deno.mkdir(stateDirHost, { recursive: true, mode: 0o755 });
  const lock = await Deno.open(`${stateDirHost}/manager.lock`, {
    read: true,
    write: true,
    create: true,
    mode: 0o644,
  });
  try {
    await lock.lock(true);
    const next = change(readManagerState(stateDirHost));
    const path = managerStatePath(stateDirHost);
    const tmp = `${path}.tmp.${Deno.pid}`;
    await Deno.writeTextFile(tmp, JSON.stringify(next, null, 1) + "\n", { mode: 0o644 });
    await Deno.rename(tmp, path);
  } finally {
    lock.close();
  }
}
