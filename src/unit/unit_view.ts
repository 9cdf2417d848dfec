/**
 * What `show` and `status` print about a unit, as service/ gathers it and output/ formats
 * it: the loaded unit's facts, its settings and its run-time view.
 * @module
 */

import type { UnitConfig } from "./config.ts";
import type { ServiceSettings, UnitSettings } from "./model.ts";
import type { RuntimeView } from "./runtime_view.ts";

/** Everything `show` prints about one unit. */
export interface UnitView {
  readonly id: string;
  readonly names: readonly string[];
  readonly type: string;
  readonly loadState: string;
  readonly loadError?: string;
  /** A bad-setting unit whose Type= and defaults were derived before it was refused. */
  readonly settingsDerived?: boolean;
  readonly fragmentPath?: string;
  readonly sourcePath?: string;
  readonly dropInPaths: readonly string[];
  readonly unitFileState: string;
  readonly unitFilePreset: string;
  readonly unit: UnitSettings;
  readonly service?: ServiceSettings;
  /** Reverse dependencies (RequiredBy, WantedBy, ...) by property name. */
  readonly reverse: Readonly<Record<string, readonly string[]>>;
  readonly runtime: RuntimeView;
  readonly canStart: boolean;
  readonly canStop: boolean;
  readonly canReload: boolean;
  readonly canIsolate: boolean;
  readonly canClean: readonly string[];
  readonly journalPath?: string;
  /** The slice of a unit that runs processes (`Slice=`). */
  readonly slice?: string;
  /** The parsed unit file, for the socket and timer blocks. */
  readonly config?: UnitConfig;
  /** Resource limits a service gets where its unit sets none (rlimit name → soft/hard). */
  readonly inheritedLimits?: Readonly<Record<string, { soft: number; hard: number }>>;
  /** Timer units: their values and elapses. */
  readonly timer?: TimerView;
  /** A file the unit was loaded from changed since (NeedDaemonReload=). */
  readonly needDaemonReload?: boolean;
}

/** A property: name and printed value; `undefined` = empty (omitted unless asked for). */
export type Property = readonly [string, string | undefined];

/** What `show` and `status` print about a timer's schedule (µs on the timer clock). */
export interface TimerView {
  /** Normalized OnCalendar= values with their next elapses. */
  readonly calendars: ReadonlyArray<{ readonly text: string; readonly next?: number }>;
  /** Monotonic values (`OnBootSec` …) in µs, with their next elapses after `boot`. */
  readonly monotonic: ReadonlyArray<{ readonly base: string; readonly usec: number }>;
  readonly nextRealtime?: number;
  readonly nextMonotonic?: number;
  readonly lastTrigger?: number;
  /** Where the monotonic elapses count from (the init instance's start). */
  readonly boot: number;
}
