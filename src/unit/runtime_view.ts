/**
 * What the manager knows of a unit at run time, as the formatters read it: its states,
 * results, processes, timestamps and the runs of its commands. Gathered by service/ from
 * the unit's record; printed by output/.
 * @module
 */

import type { ServiceExecKey } from "./model.ts";

/** One recorded run of a command (from the unit's record). */
export interface ExecRunRecord {
  readonly pid: number;
  readonly start: number;
  readonly exit: number;
  readonly code: "exited" | "killed" | "dumped" | undefined;
  readonly status: number;
}

/** A [realtime µs, monotonic µs] pair; 0 when unset. */
export type Stamp = readonly [number, number];

/** One recorded run of an Exec command. */
export type ExecRun = ExecRunRecord;

/** Runtime facts of a unit (from the state file and /proc). */
export interface RuntimeView {
  readonly activeState: string;
  readonly subState: string;
  readonly result: string;
  readonly reloadResult: string;
  readonly cleanResult: string;
  readonly mainPid: number;
  readonly controlPid: number;
  readonly execMainPid: number;
  readonly execMainCode: number;
  readonly execMainStatus: number;
  readonly execMainStart: Stamp;
  readonly execMainExit: Stamp;
  readonly stateChange: Stamp;
  readonly inactiveExit: Stamp;
  readonly activeEnter: Stamp;
  readonly activeExit: Stamp;
  readonly inactiveEnter: Stamp;
  readonly conditionTimestamp: Stamp;
  readonly assertTimestamp: Stamp;
  readonly conditionResult: boolean | undefined;
  readonly assertResult: boolean | undefined;
  readonly nRestarts: number;
  readonly statusText: string;
  readonly statusErrno: number;
  readonly invocationId: string;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  readonly execRuns: Readonly<Partial<Record<ServiceExecKey, readonly ExecRun[]>>>;
  /** Socket units: connections accepted so far and open now (Accept=yes). */
  readonly nAccepted: number;
  readonly nConnections: number;
  /** Connections dropped over MaxConnections= (Accept=yes). */
  readonly nRefused: number;
}

/** A runtime view for a unit that never ran. */
export const NEVER_RAN: RuntimeView = {
  activeState: "inactive",
  subState: "dead",
  result: "success",
  reloadResult: "success",
  cleanResult: "success",
  mainPid: 0,
  controlPid: 0,
  execMainPid: 0,
  execMainCode: 0,
  execMainStatus: 0,
  execMainStart: [0, 0],
  execMainExit: [0, 0],
  stateChange: [0, 0],
  inactiveExit: [0, 0],
  activeEnter: [0, 0],
  activeExit: [0, 0],
  inactiveEnter: [0, 0],
  conditionTimestamp: [0, 0],
  assertTimestamp: [0, 0],
  conditionResult: undefined,
  assertResult: undefined,
  nRestarts: 0,
  statusText: "",
  statusErrno: 0,
  invocationId: "",
  uid: undefined,
  gid: undefined,
  execRuns: {},
  nAccepted: 0,
  nConnections: 0,
  nRefused: 0,
};
