/**
 * The option table (GNU style, systemctl's names) and the parsed Options.
 * Pure: no Deno.* here.
 * @module
 */

/** How an option takes its value. */
export type OptionKind = "boolean" | "count" | "string" | "list";

/** One row of the option table. */
export interface OptionSpec {
  readonly long: string;
  readonly short?: string;
  readonly kind: OptionKind;
  readonly help: string;
  readonly arg?: string;
  /** Accepted with no effect (documented as such in --help). */
  readonly noEffect?: boolean;
  /** Why an option of the older tool is ignored: given, it draws a warning saying so. */
  readonly ignoredBecause?: string;
}

/** Every option systemctl accepts, in the order `--help` lists them. */
// Rows repeat by shape on purpose: the table is the definition, one row per option.
export const OPTION_TABLE: readonly OptionSpec[] = [
  { long: "help", short: "h", kind: "boolean", help: "Show this help" },
  { long: "version", kind: "boolean", help: "Show package version" },
  { long: "system", kind: "boolean", help: "Connect to system manager" },
  { long: "user", kind: "boolean", help: "Connect to user service manager" },
  { long: "global", kind: "boolean", help: "Edit/enable/disable/mask default user unit files" },
  { long: "runtime", kind: "boolean", help: "Edit/enable/disable/mask unit files temporarily" },
  { long: "root", kind: "string", arg: "PATH", help: "Operate on an alternate filesystem root" },
  { long: "type", short: "t", kind: "list", arg: "TYPE", help: "List units of a particular type" },
  { long: "state", kind: "list", arg: "STATE", help: "List units with particular LOAD/SUB/ACTIVE" },
  { long: "failed", kind: "boolean", help: "Shortcut for --state=failed" },
  { long: "property", short: "p", kind: "list", arg: "NAME", help: "Show only this property" },
  {
    long: "P",
    short: "P",
    kind: "list",
    arg: "NAME",
    help: "Equivalent to --value --property=NAME",
  },
  { long: "value", kind: "boolean", help: "When showing properties, only print the value" },
  { long: "all", short: "a", kind: "count", help: "Show all properties/all units" },
  { long: "full", short: "l", kind: "boolean", help: "Don't ellipsize unit names on output" },
  { long: "recursive", short: "r", kind: "boolean", help: "Show unit list of host and local" },
  { long: "reverse", kind: "boolean", help: "Show reverse dependencies" },
  { long: "after", kind: "boolean", help: "Show units ordered after" },
  { long: "before", kind: "boolean", help: "Show units ordered before" },
  { long: "with-dependencies", kind: "boolean", help: "Show unit dependencies too" },
  { long: "show-types", kind: "boolean", help: "When showing sockets, show socket type" },
  { long: "quiet", short: "q", kind: "boolean", help: "Suppress output" },
  { long: "no-legend", kind: "boolean", help: "Do not print a legend" },
  { long: "legend", kind: "string", arg: "BOOL", help: "Enable/disable the legend" },
  { long: "plain", kind: "boolean", help: "Print unit dependencies as a list, not a tree" },
  { long: "no-pager", kind: "boolean", help: "Do not pipe output into a pager", noEffect: true },
  { long: "no-block", kind: "boolean", help: "Do not wait until operation finished" },
  { long: "wait", kind: "boolean", help: "Wait until started units have stopped again" },
  { long: "no-reload", kind: "boolean", help: "Don't reload daemon after enable/disable" },
  { long: "no-ask-password", kind: "boolean", help: "Do not ask for password", noEffect: true },
  { long: "no-warn", kind: "boolean", help: "Suppress several warnings" },
  { long: "no-wall", kind: "boolean", help: "Don't send wall message", noEffect: true },
  { long: "now", kind: "boolean", help: "Start or stop unit after enabling or disabling it" },
  { long: "force", short: "f", kind: "count", help: "When enabling, override existing links" },
  { long: "job-mode", kind: "string", arg: "MODE", help: "Specify how to deal with queued jobs" },
  { long: "fail", kind: "boolean", help: "Same as --job-mode=fail" },
  { long: "show-transaction", short: "T", kind: "boolean", help: "Show enqueued jobs" },
  { long: "signal", short: "s", kind: "string", arg: "SIGNAL", help: "Which signal to send" },
  { long: "kill-whom", kind: "string", arg: "WHOM", help: "Whom to send signal to" },
  { long: "kill-who", kind: "string", arg: "WHOM", help: "Same as --kill-whom" },
  { long: "what", kind: "list", arg: "RESOURCES", help: "Which types of resources to remove" },
  {
    long: "preset-mode",
    kind: "string",
    arg: "MODE",
    help: "Apply only enable, only disable, or all",
  },
  { long: "lines", short: "n", kind: "string", arg: "INTEGER", help: "Number of journal entries" },
  { long: "iterations", kind: "string", arg: "N", help: "Elapses the calendar verb shows" },
  {
    long: "base-time",
    kind: "string",
    arg: "TIMESTAMP",
    help: "Calculate calendar times relative to the specified time",
  },
  { long: "output", short: "o", kind: "string", arg: "STRING", help: "Output mode (json, ...)" },
  { long: "timestamp", kind: "string", arg: "FORMAT", help: "Change format of printed timestamps" },
  { long: "dry-run", kind: "boolean", help: "Only print what would be done" },
  {
    long: "init",
    short: "1",
    kind: "boolean",
    help: "Extension: run start/default (or no verb) as the init instance",
  },
  {
    long: "exit",
    short: "0",
    kind: "boolean",
    help: "Extension: leave init mode when no unit is active any more",
  },
  {
    long: "extra-vars",
    short: "e",
    kind: "list",
    arg: "NAME=VAL",
    help: "Extension: extra environment (Environment= syntax, or @FILE) for started units",
  },
  { long: "environment", kind: "list", arg: "NAME=VAL", help: "Extension: same as -e" },
  {
    long: "maxtimeout",
    kind: "string",
    arg: "SEC",
    help: "Extension: cap for every start/stop/lock timeout",
  },
  { long: "verbose", short: "v", kind: "count", help: "Raise diagnostic verbosity" },
  { long: "debug", kind: "boolean", help: "Show internal errors with stack traces" },
  { long: "host", short: "H", kind: "string", arg: "HOST", help: "Not supported" },
  { long: "machine", short: "M", kind: "string", arg: "NAME", help: "Not supported" },
  { long: "image", kind: "string", arg: "PATH", help: "Not supported" },
  { long: "ignore-inhibitors", short: "i", kind: "boolean", help: "Accepted", noEffect: true },
  { long: "check-inhibitors", kind: "string", arg: "MODE", help: "Accepted", noEffect: true },
  { long: "message", kind: "string", arg: "MESSAGE", help: "Accepted", noEffect: true },
  { long: "firmware-setup", kind: "boolean", help: "Accepted", noEffect: true },
  { long: "boot-loader-menu", kind: "string", arg: "TIME", help: "Accepted", noEffect: true },
  { long: "boot-loader-entry", kind: "string", arg: "NAME", help: "Accepted", noEffect: true },
  { long: "reboot-argument", kind: "string", arg: "ARG", help: "Accepted", noEffect: true },
  { long: "marked", kind: "boolean", help: "Accepted; selects nothing" },
  { long: "mkdir", kind: "boolean", help: "Accepted", noEffect: true },
  { long: "read-only", kind: "boolean", help: "Accepted", noEffect: true },
  {
    long: "ipv4",
    short: "4",
    kind: "boolean",
    help: "Extension, ignored: the older tool rewrote /etc/hosts; we leave it alone",
    noEffect: true,
    ignoredBecause: "this program never rewrites /etc/hosts (the container runtime owns it)",
  },
  {
    long: "ipv6",
    short: "6",
    kind: "boolean",
    help: "Extension, ignored: the older tool rewrote /etc/hosts; we leave it alone",
    noEffect: true,
    ignoredBecause: "this program never rewrites /etc/hosts (the container runtime owns it)",
  },
  {
    long: "config",
    short: "c",
    kind: "list",
    arg: "NAME=VAL",
    help: "Extension, ignored: the older tool's internal tunables do not exist here",
    noEffect: true,
    ignoredBecause: "the older tool's tunables (InitLoopSleep, …) do not exist here",
  },
];

/** Parsed options; list options are split at commas and accumulated. */
export interface Options {
  readonly help: boolean;
  readonly version: boolean;
  readonly scope: "system" | "user";
  readonly global: boolean;
  readonly runtime: boolean;
  readonly root: string | undefined;
  readonly types: readonly string[];
  readonly states: readonly string[];
  readonly properties: readonly string[];
  readonly value: boolean;
  readonly all: number;
  readonly full: boolean;
  readonly recursive: boolean;
  readonly reverse: boolean;
  readonly after: boolean;
  readonly before: boolean;
  readonly showTypes: boolean;
  readonly quiet: boolean;
  readonly legend: boolean;
  readonly plain: boolean;
  readonly noBlock: boolean;
  readonly wait: boolean;
  readonly noReload: boolean;
  readonly noWarn: boolean;
  readonly now: boolean;
  readonly force: number;
  readonly jobMode: string | undefined;
  readonly showTransaction: boolean;
  readonly signal: string | undefined;
  readonly killWhom: string | undefined;
  readonly what: readonly string[];
  readonly presetMode: "full" | "enable-only" | "disable-only";
  readonly lines: number;
  /** `calendar`: how many elapses to print (systemd-analyze's --iterations). */
  readonly iterations: number;
  /** `calendar`: every --base-time= value given, in order (parsed by the verb). */
  readonly baseTimes: readonly string[];
  readonly output: string | undefined;
  readonly timestamp: string | undefined;
  readonly dryRun: boolean;
  readonly init: boolean;
  readonly exitWhenIdle: boolean;
  readonly extraVars: readonly string[];
  readonly maxTimeout: number | undefined;
  readonly verbose: number;
  readonly debug: boolean;
  /** Options of the older tool that were given and have no effect (`-4`, `-c`, …). */
  readonly ignored: readonly string[];
}
