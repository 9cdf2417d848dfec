/**
 * The rows of the verbs systemctl does not have (most kept from docker-systemctl-replacement,
 * spec §1.5). They never change what a systemctl verb prints.
 * @module
 */

import { EXTENSIONS, INF, type VerbSpec } from "./verb_row.ts";

const info = () => import("../verbs/info.ts");
const journal = () => import("../verbs/journal.ts");
const refVerbs = () => import("../verbs/ref_verbs.ts");

/** The extension verbs, in `--help` order. */
export const EXTENSION_VERBS: readonly VerbSpec[] = [
  {
    name: "init",
    min: 0,
    max: INF,
    access: "run",
    group: EXTENSIONS,
    usage: "[UNIT...]",
    help: "Run as the init instance: boot the default target, or run the units given",
    // The init runs only for a caller that may change units (src/verbs/access.ts).
    load: async () => {
      const [{ initVerb }, { permittedInit }] = await Promise.all([
        import("../init/init.ts"),
        import("../verbs/access.ts"),
      ]);
      return { initVerb: permittedInit(initVerb) };
    },
    fn: "initVerb",
  },
  {
    name: "version",
    min: 0,
    max: 0,
    access: "read",
    group: EXTENSIONS,
    usage: "",
    help: "Show the program version (same as --version)",
    load: info,
    fn: "version",
  },
  {
    name: "log",
    aliases: ["logs"],
    min: 1,
    max: INF,
    access: "read",
    group: EXTENSIONS,
    usage: "UNIT...",
    help: "Print the log file of units (-n N: last N lines, -f: follow)",
    load: journal,
    fn: "log",
  },
  {
    name: "default-services",
    min: 0,
    max: 1,
    access: "read",
    group: EXTENSIONS,
    usage: "[TARGET]",
    help: "List the services a boot of the default target (or TARGET) starts (--all: none skipped)",
    load: refVerbs,
    fn: "defaultServices",
  },
  {
    name: "environment",
    min: 1,
    max: 1,
    access: "inspect", // EnvironmentFile= is read on descriptors inside the root (libc)
    group: EXTENSIONS,
    usage: "UNIT",
    help: "Print the environment a new process of the unit gets",
    load: refVerbs,
    fn: "environment",
  },
  {
    name: "command",
    min: 1,
    max: 1,
    access: "read",
    group: EXTENSIONS,
    usage: "UNIT",
    help: "Print the unit's ExecStart= commands (-p ExecStop...: those)",
    load: refVerbs,
    fn: "command",
  },
  {
    name: "list-start-dependencies",
    min: 1,
    max: INF,
    access: "read",
    group: EXTENSIONS,
    usage: "UNIT...",
    help: "List the units a start pulls in, in start order, with the reason",
    load: refVerbs,
    fn: "listStartDependencies",
  },
  {
    name: "listen",
    min: 1,
    max: INF,
    access: "run",
    group: EXTENSIONS,
    usage: "UNIT...",
    help: "Start socket units and serve them in the foreground until a signal",
    load: () => import("../init/listen.ts"),
    fn: "listenVerb",
  },
  {
    name: "reap-zombies",
    min: 0,
    max: 0,
    access: "inspect",
    group: EXTENSIONS,
    usage: "",
    help: "Reap this process's zombie children once; print the processes left",
    load: refVerbs,
    fn: "reapZombies",
  },
  {
    name: "calendar",
    min: 1,
    max: INF,
    access: "read",
    group: EXTENSIONS,
    usage: "EXPRESSION...",
    help: "Check calendar expressions and show their next elapses (as systemd-analyze)",
    load: () => import("../verbs/calendar.ts"),
    fn: "calendar",
  },
];
