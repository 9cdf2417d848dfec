/**
 * The per-unit run state (spec §5.2): one JSON file per unit, written
 * atomically (temporary file, rename) so readers never see a partial
 * file and need no lock.
 * @module
 */

import { inDir } from "./dirs.ts";

/** The value of the `format` key. */
export const STATE_FORMAT = "systemctl-state/1";

/** A `[realtime µs, monotonic µs]` timestamp pair. */
export type Timestamp = [number, number];

/** One run of an Exec command. */
export interface ExecRecord {
  /** PID of the process. */
  pid: number;
  /** Start time, µs since the epoch. */
  start?: number;
  /** Exit time, µs since the epoch. */
  exit?: number;
  /** How it ended. */
  code?: "exited" | "killed" | "dumped";
  /** Exit code or signal number. */
  status?: number;
}

/** The run state of one unit; keys follow the systemd property names. */
export interface UnitState {
  /** Always {@linkcode STATE_FORMAT}. */
  format: string;
  /** Unit name. */
  Id: string;
  /** Boot key of the writer's boot. */
  Boot: string;
  /** 32 hex digits, new per activation. */
  InvocationID?: string;
  /** ActiveState. */
  ActiveState: string;
  /** SubState. */
  SubState: string;
  /** Result. */
  Result: string;
  /** ReloadResult. */
  ReloadResult?: string;
  /** CleanResult. */
  CleanResult?: string;
  /** MainPID (0 = none). */
  MainPID?: number;
  /** Start time of MainPID in clock ticks. */
  MainPIDStartTime?: number;
  /** ControlPID (0 = none). */
  ControlPID?: number;
  /** Start time of ControlPID in clock ticks. */
  ControlPIDStartTime?: number;
  /** ExecMainPID. */
  ExecMainPID?: number;
  /** ExecMainCode: 0 none/running, 1 exited, 2 killed, 3 dumped. */
  ExecMainCode?: number;
  /** ExecMainStatus. */
  ExecMainStatus?: number;
  /** ExecMainStartTimestamp. */
  ExecMainStartTimestamp?: Timestamp;
  /** ExecMainExitTimestamp. */
  ExecMainExitTimestamp?: Timestamp;
  /** Runs per Exec list, e.g. `ExecStartPre`. */
  Exec?: Record<string, ExecRecord[]>;
  /** StateChangeTimestamp. */
  StateChange?: Timestamp;
  /** InactiveExitTimestamp. */
  InactiveExit?: Timestamp;
  /** ActiveEnterTimestamp. */
  ActiveEnter?: Timestamp;
  /** ActiveExitTimestamp. */
  ActiveExit?: Timestamp;
  /** InactiveEnterTimestamp. */
  InactiveEnter?: Timestamp;
  /** ConditionTimestamp. */
  Condition?: Timestamp;
  /** AssertTimestamp. */
  Assert?: Timestamp;
  /** WatchdogTimestamp. */
  Watchdog?: Timestamp;
  /** ConditionResult. */
  ConditionResult?: boolean;
  /** AssertResult. */
  AssertResult?: boolean;
  /** The condition that failed, e.g. `ConditionPathExists=/x`. */
  FailedCondition?: string;
  /** StatusText (from STATUS=). */
  StatusText?: string;
  /** StatusErrno (from ERRNO=). */
  StatusErrno?: number;
  /** NRestarts. */
  NRestarts?: number;
  /** Monotonic µs of recent starts (start rate limiting). */
  StartHistory?: number[];
  /**
   * The unit's files (fragment, drop-ins) and their mtimes (µs) when the manager loaded it:
   * at its first record, again at each daemon-reload (NeedDaemonReload=).
   */
  LoadedFiles?: Record<string, number>;
  /** The last start was refused by the start limit (the Result may name an earlier failure). */
  StartLimitHit?: boolean;
  /** When a pending automatic restart is due (monotonic µs). */
  RestartAt?: number;
  /** The notify socket path. */
  NotifySocket?: string;
  /** The PID file path. */
  PIDFile?: string;
  /** Runtime directories created for the unit. */
  RuntimeDirectories?: string[];
  /** `-e` extras of the starting invocation. */
  ExtraEnvironment?: Record<string, string>;
  /** Timer bookkeeping. */
  Timer?: { NextElapseRealtime?: number; NextElapseMonotonic?: number; LastTrigger?: number };
  /**
   * Socket units: the process holding the listening descriptors (the init instance; none
   * after an eager start), connection counters, and a start/stop request that a client
   * leaves for the init instance (`activate`: start the
   * service with the descriptors, answered in `Answer`).
   */
  Socket?: {
    HolderPID?: number;
    HolderStartTime?: number;
    NAccepted?: number;
    NConnections?: number;
    NRefused?: number;
    Request?: "start" | "stop" | "activate";
    /** Names an `activate` request (a client's start of the service the socket triggers). */
    RequestId?: string;
    /** The last `activate` request the holder has finished (its start job ended). */
    Answer?: string;
  };
  /** The last writer. */
  Writer?: { pid: number; time: number };
  /** Session ids of the activation's processes (membership, §4.5). */
  Sessions?: number[];
  /**
   * Start times of the session leaders by session id, so that a session id whose PID was
   * reused by another session leader never counts (absent in older state files).
   */
  SessionStartTimes?: Record<string, number>;
  /** RemainAfterExit= of the activation (readers decide active/exited with it). */
  RemainAfterExit?: boolean;
  /** Service Type= of the activation. */
  Type?: string;
  /** The last signal `kill` sent to the main process (to explain its later death). */
  KilledMain?: { pid: number; startTime: number; signal: number; at: number };
  /** Credentials the processes run with. */
  UID?: number;
  GID?: number;
  /** Further keys written by newer versions are kept. */
  [key: string]: unknown;
}

/** The result of reading a state file. */
export interface ReadResult {
  /** The state, when present, readable and of this boot. */
  state?: UnitState;
  /** One-line warning for a corrupt file. */
  warning?: string;
}

/** `<stateDir>/units/<unit>.json`. */
export function unitStatePath(stateDirHost: string, unit: string): string {
  return `${stateDirHost}/units/${unit}.json`;
}

function validate(text: string): UnitState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`invalid JSON (${error instanceof Error ? error.message : error})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("not a JSON object");
  }
  const format = (value as { format?: unknown }).format;
  if (format !== STATE_FORMAT) throw new Error(`unknown format ${JSON.stringify(format)}`);
  return value as UnitState;
}

function quarantine(path: string, reason: string): ReadResult {
  try {
    Deno.renameSync(path, `${path}.corrupt`);
  } catch {
    // A read-only state directory: the warning is all we can do.
  }
  return { warning: `Ignoring unreadable state file ${path}: ${reason}.` };
}

/** A boot key, or how to get it (read only when a record exists to compare it with). */
export type BootKey = string | (() => string);

function interpret(path: string, text: string | undefined, bootKey: BootKey): ReadResult {
  if (text === undefined) return {};
  let state: UnitState;
  try {
    state = validate(text);
  } catch (error) {
    return quarantine(path, error instanceof Error ? error.message : String(error));
  }
  if (state.Boot !== (typeof bootKey === "string" ? bootKey : bootKey())) return {};
  return { state };
}

function readOrUndefined(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Reads a unit's state. A missing or stale (other boot) file gives no state;
 * a corrupt one gives a warning and is renamed to `<file>.corrupt`. The read is
 * synchronous underneath (a small file from the page cache).
 */
export function readUnitState(
  stateDirHost: string,
  unit: string,
  bootKey: string,
): Promise<ReadResult> {
  try {
    return Promise.resolve(readUnitStateSync(stateDirHost, unit, bootKey));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Synchronous {@linkcode readUnitState}. */
export function readUnitStateSync(
  stateDirHost: string,
  unit: string,
  bootKey: BootKey,
): ReadResult {
  const path = unitStatePath(stateDirHost, unit);
  return interpret(path, readOrUndefined(path), bootKey);
}

/**
 * Writes a unit's state atomically: `<file>.tmp.<pid>`, then rename, so readers never
 * see a partial record. No fsync: every record carries the boot key, so after a crash
 * of the machine all of them are stale and ignored, and durability would buy nothing.
 * Synchronous calls: a small write to the page cache and a rename do not block, and
 * they cost a fraction of the runtime's asynchronous file operations, which matters
 * to an init that writes hundreds of records at boot and shutdown. Creates the
 * directories (0755) on demand. Sets `format` and `Writer`.
 */
export function writeUnitState(stateDirHost: string, state: UnitState): Promise<void> {
  try {
    const path = unitStatePath(stateDirHost, state.Id);
    const record: UnitState = {
      ...state,
      format: STATE_FORMAT,
      Writer: { pid: Deno.pid, time: Date.now() * 1000 },
    };
    const temporary = `${path}.tmp.${Deno.pid}`;
    const bytes = encoder.encode(`${JSON.stringify(record, null, 1)}\n`);
    inDir(`${stateDirHost}/units`, () => Deno.writeFileSync(temporary, bytes, { mode: 0o644 }));
    try {
      Deno.renameSync(temporary, path);
    } catch (error) {
      try {
        Deno.removeSync(temporary);
      } catch { /* already gone */ }
      throw error;
    }
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error);
  }
}

const encoder = new TextEncoder();

/** Removes a unit's state file (no error when it is missing). */
export async function removeUnitState(stateDirHost: string, unit: string): Promise<void> {
  await Deno.remove(unitStatePath(stateDirHost, unit)).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  // An exit note nobody took goes with the record.
  await Deno.remove(`${stateDirHost}/units/${unit}.exit`).catch(() => {});
}

/**
 * The states of this boot of the named units (missing or stale records are left out;
 * corrupt ones are quarantined and skipped).
 */
export async function readUnitStates(
  stateDirHost: string,
  units: readonly string[],
  bootKey: string,
  onWarning?: (warning: string) => void,
): Promise<UnitState[]> {
  const states: UnitState[] = [];
  for (const unit of [...units].sort()) {
    const { state, warning } = await readUnitState(stateDirHost, unit, bootKey);
    if (warning) onWarning?.(warning);
    if (state) states.push(state);
  }
  return states;
}

/** The states of all units of this boot; corrupt files are quarantined and skipped. */
export async function listUnitStates(
  stateDirHost: string,
  bootKey: string,
  onWarning?: (warning: string) => void,
): Promise<UnitState[]> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(`${stateDirHost}/units`));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const names = entries.filter((e) => e.isFile && e.name.endsWith(".json")).map((e) =>
    e.name.slice(0, -".json".length)
  );
  return await readUnitStates(stateDirHost, names, bootKey, onWarning);
}

/** How a unit's main process ended, as the init instance reaped it (see writeExitNote). */
export interface ExitNote {
  pid: number;
  /** Its start time in clock ticks (0 when unknown). */
  startTime: number;
  code: "exited" | "killed" | "dumped";
  status: number;
}

/**
 * Notes the end of a unit's main process that the init instance reaped while a client was
 * stopping the unit (the client, not its parent, cannot learn the exit status otherwise):
 * `<stateDir>/units/<unit>.exit`, replaced atomically.
 */
export function writeExitNote(stateDirHost: string, unit: string, note: ExitNote): void {
  const path = `${stateDirHost}/units/${unit}.exit`;
  const temporary = `${path}.tmp.${Deno.pid}`;
  inDir(
    `${stateDirHost}/units`,
    () => Deno.writeTextFileSync(temporary, JSON.stringify(note), { mode: 0o644 }),
  );
  Deno.renameSync(temporary, path);
}

/** Reads and removes the exit note of `pid` for a unit; undefined when there is none (yet). */
export function takeExitNote(
  stateDirHost: string,
  unit: string,
  pid: number,
): ExitNote | undefined {
  const path = `${stateDirHost}/units/${unit}.exit`;
  let note: ExitNote;
  try {
    note = JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return undefined;
  }
  if (note?.pid !== pid || !["exited", "killed", "dumped"].includes(note.code)) return undefined;
  try {
    Deno.removeSync(path);
  } catch { /* another reader took it */ }
  return note;
}
