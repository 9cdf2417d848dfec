/**
 * The verb table: names, aliases, arity, permission class, help, handler.
 * Dispatch and `--help` are generated from it, so they cannot drift.
 * Handlers load lazily so a verb pays only for its own modules.
 * @module
 */

import type { VerbHandler } from "./context.ts";

/**
 * What a verb may do; the program drops every other permission before the
 * handler runs: `read` queries unit files, `inspect` also reads /proc
 * (through libc, since Deno gates /proc behind --allow-all), `write` changes
 * unit files, `run` manages processes.
 */
export type Access = "read" | "inspect" | "write" | "run";

/** One row of the verb table. */
export interface VerbSpec {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** Minimum and maximum number of arguments after the verb. */
  readonly min: number;
  readonly max: number;
  readonly access: Access;
  /** Group heading in `--help`. */
  readonly group: string;
  /** Argument synopsis, e.g. `UNIT...`. */
  readonly usage: string;
  readonly help: string;
  /** Loads the module that holds the handler. */
  readonly load: () => Promise<Record<string, unknown>>;
  /** The handler's export name in that module. */
  readonly fn: string;
}

const unitFiles = () => import("../verbs/enable.ts");
const showCat = () => import("../verbs/show_cat.ts");
const info = () => import("../verbs/info.ts");
const deps = () => import("../verbs/dependencies.ts");
const daemon = () => import("../verbs/daemon.ts");
const environment = () => import("../verbs/environment.ts");
const journal = () => import("../verbs/journal.ts");
const control = () => import("../verbs/start_stop.ts");
const isState = () => import("../verbs/is_state.ts");
const statusVerbs = () => import("../verbs/status.ts");

const INF = Number.POSITIVE_INFINITY;

/** Every verb, in `--help` order. */
export const VERBS: readonly VerbSpec[] = [
  // Unit commands
  {
    name: "list-units",
    min: 0,
    max: INF,
    access: "inspect",
    group: "Unit Commands",
    usage: "[PATTERN...]",
    help: "List units currently in memory",
    load: statusVerbs,
    fn: "listUnits",
  },
  {
    name: "status",
    min: 0,
    max: INF,
    access: "inspect",
    group: "Unit Commands",
    usage: "[PATTERN...|PID...]",
    help: "Show runtime status of one or more units",
    load: statusVerbs,
    fn: "status",
  },
  {
    name: "start",
    min: 1,
    max: INF,
    access: "run",
    group: "Unit Commands",
    usage: "UNIT...",
    help: "Start (activate) one or more units",
    load: control,
    fn: "start",
  },
  {
    name: "stop",
    min: 1,
    max: INF,
    access: "run",
    group: "Unit Commands",
    usage: "UNIT...",
    help: "Stop (deactivate) one or more units",
    load: control,
    fn: "stop",
  },
  {
    name: "reload",
    min: 1,
    max: INF,
    access: "run",
    group: "Unit Commands",
    usage: "UNIT...",
    help: "Reload one or more units",
    load: control,
    fn: "reload",
  },
  {
    name: "restart",
    min: 1,
    max: INF,
    access: "run",
    group: "Unit Commands",
    usage: "UNIT...",
    help: "Start or restart one or more units",
    load: control,
    fn: "restart",
  },
  {
    name: "try-restart",
    aliases: ["condrestart"],
    min: 1,
    max: INF,
    access: "run",
    group: "Unit Commands",
    usage: "UNIT...",
    help: "Restart one or more units if active",
    load: control,
    fn: "tryRestart",
  },
  {
    name: "reload-or-restart",
    min: 1,
    max: INF,
    access: "run",
    group: "Unit Commands",
    usage: "UNIT...",
    help: "Reload one or more units if possible, otherwise start or restart",
    load: control,
    fn: "reloadOrRestart",
  },
  {
    name: "try-reload-or-restart",
    aliases: ["reload-or-try-restart", "force-reload"],
    min: 1,
    max: INF,
    access: "run",
    group: "Unit Commands",
    usage: "UNIT...",
    help: "If active, reload one or more units, if supported, otherwise restart",
    load: control,
    fn: "tryReloadOrRestart",
  },
  {
    name: "isolate",
    min: 1,
    max: 1,
    access: "run",
    group: "Unit Commands",
    usage: "UNIT",
    help: "Start one unit and stop all others",
    load: control,
    fn: "isolate",
  },
  {
    name: "kill",
    min: 1,
    max: INF,
    access: "run",
    group: "Unit Commands",
    usage: "UNIT...",
    help: "Send signal to processes of a unit",
    load: control,
    fn: "kill",
  },
  {
    name: "clean",
    min: 1,
    max: INF,
    access: "run",
    group: "Unit Commands",
    usage: "UNIT...",
    help: "Clean runtime, cache, state, logs or configuration of unit",
    load: control,
    fn: "clean",
  },
  {
    name: "reset-failed",
    min: 0,
    max: INF,
    access: "run",
    group: "Unit Commands",
    usage: "[PATTERN...]",
    help: "Reset failed state for all, one, or more units",
    load: control,
    fn: "resetFailed",
  },
  {
    name: "is-active",
    min: 1,
    max: INF,
    access: "inspect",
    group: "Unit Commands",
    usage: "PATTERN...",
    help: "Check whether units are active",
    load: isState,
    fn: "isActive",
  },
  {
    name: "is-failed",
    min: 1,
    max: INF,
    access: "inspect",
    group: "Unit Commands",
    usage: "PATTERN...",
    help: "Check whether units are failed",
    load: isState,
    fn: "isFailed",
  },
  {
    name: "show",
    min: 0,
    max: INF,
    access: "inspect",
    group: "Unit Commands",
    usage: "[PATTERN...|JOB...]",
    help: "Show properties of one or more units/jobs or the manager",
    load: showCat,
    fn: "show",
  },
  {
    name: "cat",
    min: 1,
    max: INF,
    access: "read",
    group: "Unit Commands",
    usage: "PATTERN...",
    help: "Show files and drop-ins of specified units",
    load: showCat,
    fn: "cat",
  },
  {
    name: "help",
    min: 0,
    max: INF,
    access: "read",
    group: "Unit Commands",
    usage: "[PATTERN...|PID...]",
    help: "Show manual for one or more units",
    load: info,
    fn: "help",
  },
  {
    name: "log",
    aliases: ["logs"],
    min: 1,
    max: INF,
    access: "read",
    group: "Unit Commands",
    usage: "UNIT...",
    help: "Print the log file of units (-n N: last N lines, -f: follow)",
    load: journal,
    fn: "log",
  },
  {
    name: "list-dependencies",
    min: 0,
    max: INF,
    access: "inspect",
    group: "Unit Commands",
    usage: "[UNIT...]",
    help: "Recursively show units which are required or wanted by the units",
    load: deps,
    fn: "listDependencies",
  },
  // Unit file commands
  {
    name: "list-unit-files",
    min: 0,
    max: INF,
    access: "read",
    group: "Unit File Commands",
    usage: "[PATTERN...]",
    help: "List installed unit files",
    load: unitFiles,
    fn: "listUnitFiles",
  },
  {
    name: "enable",
    min: 1,
    max: INF,
    access: "write",
    group: "Unit File Commands",
    usage: "[UNIT...|PATH...]",
    help: "Enable one or more unit files",
    load: unitFiles,
    fn: "enable",
  },
  {
    name: "disable",
    min: 1,
    max: INF,
    access: "write",
    group: "Unit File Commands",
    usage: "UNIT...",
    help: "Disable one or more unit files",
    load: unitFiles,
    fn: "disable",
  },
  {
    name: "reenable",
    min: 1,
    max: INF,
    access: "write",
    group: "Unit File Commands",
    usage: "UNIT...",
    help: "Reenable one or more unit files",
    load: unitFiles,
    fn: "reenable",
  },
  {
    name: "preset",
    min: 1,
    max: INF,
    access: "write",
    group: "Unit File Commands",
    usage: "UNIT...",
    help: "Enable/disable one or more unit files based on preset configuration",
    load: unitFiles,
    fn: "preset",
  },
  {
    name: "preset-all",
    min: 0,
    max: 0,
    access: "write",
    group: "Unit File Commands",
    usage: "",
    help: "Enable/disable all unit files based on preset configuration",
    load: unitFiles,
    fn: "presetAll",
  },
  {
    name: "is-enabled",
    min: 1,
    max: INF,
    access: "read",
    group: "Unit File Commands",
    usage: "UNIT...",
    help: "Check whether unit files are enabled",
    load: unitFiles,
    fn: "isEnabled",
  },
  {
    name: "mask",
    min: 1,
    max: INF,
    access: "write",
    group: "Unit File Commands",
    usage: "UNIT...",
    help: "Mask one or more units",
    load: unitFiles,
    fn: "mask",
  },
  {
    name: "unmask",
    min: 1,
    max: INF,
    access: "write",
    group: "Unit File Commands",
    usage: "UNIT...",
    help: "Unmask one or more units",
    load: unitFiles,
    fn: "unmask",
  },
  {
    name: "link",
    min: 1,
    max: INF,
    access: "write",
    group: "Unit File Commands",
    usage: "PATH...",
    help: "Link one or more units files into the search path",
    load: unitFiles,
    fn: "link",
  },
  {
    name: "get-default",
    min: 0,
    max: 0,
    access: "read",
    group: "Unit File Commands",
    usage: "",
    help: "Get the name of the default target",
    load: unitFiles,
    fn: "getDefault",
  },
  {
    name: "set-default",
    min: 1,
    max: 1,
    access: "write",
    group: "Unit File Commands",
    usage: "TARGET",
    help: "Set the default target",
    load: unitFiles,
    fn: "setDefault",
  },
  {
    name: "revert",
    min: 1,
    max: INF,
    access: "write",
    group: "Unit File Commands",
    usage: "UNIT...",
    help: "Revert one or more unit files to vendor version",
    load: unitFiles,
    fn: "revert",
  },
  {
    name: "add-wants",
    min: 2,
    max: INF,
    access: "write",
    group: "Unit File Commands",
    usage: "TARGET UNIT...",
    help: "Add 'Wants' dependency for the target on specified one or more units",
    load: unitFiles,
    fn: "addWants",
  },
  {
    name: "add-requires",
    min: 2,
    max: INF,
    access: "write",
    group: "Unit File Commands",
    usage: "TARGET UNIT...",
    help: "Add 'Requires' dependency for the target on specified one or more units",
    load: unitFiles,
    fn: "addRequires",
  },
  {
    name: "show-environment",
    min: 0,
    max: 0,
    access: "read",
    group: "Environment Commands",
    usage: "",
    help: "Dump environment",
    load: environment,
    fn: "showEnvironment",
  },
  {
    name: "set-environment",
    min: 1,
    max: INF,
    access: "write",
    group: "Environment Commands",
    usage: "VARIABLE=VALUE...",
    help: "Set one or more environment variables",
    load: environment,
    fn: "setEnvironment",
  },
  {
    name: "unset-environment",
    min: 1,
    max: INF,
    access: "write",
    group: "Environment Commands",
    usage: "VARIABLE...",
    help: "Unset one or more environment variables",
    load: environment,
    fn: "unsetEnvironment",
  },
  {
    name: "import-environment",
    min: 0,
    max: INF,
    access: "write",
    group: "Environment Commands",
    usage: "VARIABLE...",
    help: "Import all or some environment variables",
    load: environment,
    fn: "importEnvironment",
  },
  // Manager state commands
  {
    name: "daemon-reload",
    min: 0,
    max: 0,
    access: "read",
    group: "Manager State Commands",
    usage: "",
    help: "Reload systemd manager configuration",
    load: daemon,
    fn: "daemonReload",
  },
  {
    name: "daemon-reexec",
    min: 0,
    max: 0,
    access: "read",
    group: "Manager State Commands",
    usage: "",
    help: "Reexecute systemd manager",
    load: daemon,
    fn: "daemonReload",
  },
  {
    name: "is-system-running",
    min: 0,
    max: 0,
    access: "read",
    group: "Manager State Commands",
    usage: "",
    help: "Check whether system is fully running",
    load: daemon,
    fn: "isSystemRunning",
  },
  {
    name: "version",
    min: 0,
    max: 0,
    access: "read",
    group: "Manager State Commands",
    usage: "",
    help: "Show the program version (same as --version)",
    load: info,
    fn: "version",
  },
];

const INDEX = new Map<string, VerbSpec>();
for (const v of VERBS) {
  INDEX.set(v.name, v);
  for (const a of v.aliases ?? []) INDEX.set(a, v);
}

/** Finds a verb by name or alias. */
export function findVerb(name: string): VerbSpec | undefined {
  return INDEX.get(name);
}

/** Loads the handler of a verb. */
export async function loadHandler(spec: VerbSpec): Promise<VerbHandler> {
  const mod = await spec.load();
  const fn = mod[spec.fn];
  if (typeof fn !== "function") throw new Error(`verb ${spec.name}: handler ${spec.fn} missing`);
  return fn as VerbHandler;
}
