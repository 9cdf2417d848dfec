/**
 * Every verb of the registry, run by a caller who may not change the tree: `nobody` against a
 * root-owned image, `nobody` and root against a read-only bind mount of it. Whatever a verb
 * answers, it answers in words: no `(os error N)`, no stack trace or JavaScript error name, no
 * silent failure, no unit on stderr that the command line did not name (or, for `poweroff` and
 * friends, the target the verb starts), and the tree is left exactly as it was.
 */

import assert from "node:assert/strict";
import { VERBS } from "../../src/cli/registry.ts";
import { makeTree } from "./_cli.ts";
import type { CliRun } from "./_cli.ts";
import {
  copyProgram,
  nobodySkipReason,
  type ProgramCopy,
  readableByAll,
  runAs,
} from "./_nobody.ts";
import type { RunAs } from "./_nobody.ts";

const SKIP = nobodySkipReason();
if (SKIP) console.log(`skipping the non-root sweep: ${SKIP}`);

const LSB = "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: legacy\n" +
  "# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n### END INIT INFO\nexit 0\n";

/** An image with something for every verb to touch: state, links, drop-ins, a SysV script. */
function image(): string {
  const oneshot = "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n";
  const root = makeTree({
    "etc/systemd/system/web.service": "[Unit]\nDescription=web\nWants=net.service " +
      "network-online.target\nAfter=net.service network-online.target\n" + oneshot +
      "[Install]\nWantedBy=multi-user.target\n",
    "etc/systemd/system/web.service.d/override.conf": "[Service]\nEnvironment=A=1\n",
    "etc/systemd/system/net.service": oneshot,
    "lib/systemd/system/vend.service": oneshot + "[Install]\nWantedBy=multi-user.target\n",
    "etc/systemd/system/vend.service.d/local.conf": "[Unit]\nDescription=local\n",
    "etc/systemd/system/multi-user.target.wants/vend.service": "->/lib/systemd/system/vend.service",
    "etc/systemd/system/masked.service": "->/dev/null",
    "lib/systemd/system/legacy.service": oneshot + "[Install]\nWantedBy=multi-user.target\n",
    "etc/init.d/legacy": LSB,
    "etc/rc2.d/S01legacy": "->../init.d/legacy",
    "etc/rc3.d/S01legacy": "->../init.d/legacy",
    "etc/rc4.d/S01legacy": "->../init.d/legacy",
    "etc/rc5.d/S01legacy": "->../init.d/legacy",
    "etc/systemd/system/tick.timer": "[Timer]\nOnCalendar=daily\n",
    "etc/systemd/system/tick.service": oneshot,
    "etc/systemd/system/sock.socket": "[Socket]\nListenStream=/run/sock.sock\n",
    "etc/systemd/system/sock.service": oneshot,
    "opt/ext.service": oneshot + "[Install]\nWantedBy=multi-user.target\n",
  });
  Deno.chmodSync(root, 0o755);
  return root;
}

/** The command lines of each verb (a verb missing here fails the test: the sweep cannot drift). */
const ARGS: Record<string, string[][]> = {
  "list-units": [[]],
  status: [["web"]],
  start: [["web"]],
  stop: [["web"]],
  reload: [["web"]],
  restart: [["web"]],
  "try-restart": [["web"]],
  "reload-or-restart": [["web"]],
  "try-reload-or-restart": [["web"]],
  isolate: [["multi-user.target"]],
  kill: [["web"]],
  clean: [["web"]],
  "reset-failed": [["web"], []],
  "is-active": [["web"]],
  "is-failed": [["web"]],
  show: [["web"]],
  cat: [["web"]],
  help: [["web"]],
  log: [["web"]],
  "list-dependencies": [["web"]],
  "list-unit-files": [[]],
  enable: [["web"], ["--now", "web"]],
  disable: [["vend"], ["legacy"], ["--now", "vend"], ["--now", "web"]],
  reenable: [["vend"]],
  preset: [["web"]],
  "preset-all": [[]],
  "is-enabled": [["web"], ["legacy"]],
  mask: [["vend"]],
  unmask: [["masked"]],
  link: [["/opt/ext.service"]],
  "get-default": [[]],
  "set-default": [["multi-user.target"]],
  revert: [["vend"]],
  "add-wants": [["multi-user.target", "web"]],
  "add-requires": [["multi-user.target", "web"]],
  "show-environment": [[]],
  "set-environment": [["A=b"]],
  "unset-environment": [["PATH"]],
  "import-environment": [["PATH"]],
  "daemon-reload": [[]],
  "daemon-reexec": [[]],
  "is-system-running": [[]],
  version: [[]],
  "list-sockets": [[]],
  "set-property": [["web", "CPUWeight=5"]],
  "list-timers": [[]],
  calendar: [["daily"]],
  "list-automounts": [[]],
  freeze: [["web"]],
  thaw: [["web"]],
  bind: [["web", "/a", "/b"]],
  "mount-image": [["web", "/img", "/mnt"]],
  "service-log-level": [["web", "debug"]],
  "service-log-target": [["web", "journal"]],
  "get-preset": [["web"]],
  "list-jobs": [[]],
  cancel: [["1"]],
  poweroff: [[]],
  reboot: [[]],
  exit: [[]],
  init: [["web"], []],
  default: [[]],
  rescue: [[]],
  emergency: [[]],
  suspend: [[]],
  "default-services": [[]],
  environment: [["web"]],
  command: [["web"]],
  "list-start-dependencies": [["web"]],
  listen: [["web.socket"]],
  "reap-zombies": [[]],
};

/** The unit a verb acts on without naming it. */
const IMPLIED: Record<string, string> = {
  poweroff: "poweroff.target",
  reboot: "reboot.target",
  exit: "exit.target",
  default: "default.target",
  rescue: "rescue.target",
  emergency: "emergency.target",
  init: "default.target",
};

const UNIT_NAME =
  /(?<![\w.@\\-])[\w:@\\-][\w:.@\\-]*\.(?:service|socket|target|timer|path|mount|slice|scope|device|swap|automount)(?![\w.-])/g;

/** Unit names a line of stderr mentions outside of file paths. */
function unitsIn(stderr: string): string[] {
  return [...stderr.replaceAll(/\/[^\s"':,]*/g, "").matchAll(UNIT_NAME)].map((m) => m[0]);
}

function allowed(verb: string, args: string[]): Set<string> {
  const names = new Set<string>();
  if (IMPLIED[verb]) names.add(IMPLIED[verb]);
  for (const a of args) {
    if (a.startsWith("-") || a.startsWith("/") || a.includes("=")) continue;
    names.add(a);
    if (!a.includes(".")) names.add(`${a}.${verb === "isolate" ? "target" : "service"}`);
  }
  return names;
}

/** What must hold for every answer, whatever the verb. */
function check(verb: string, args: string[], how: string, r: CliRun): void {
  const what = `${how}: systemctl ${verb} ${args.join(" ")}\n--- stdout\n${r.stdout}--- stderr\n` +
    `${r.stderr}--- exit ${r.code}`;
  const all = r.stdout + r.stderr;
  assert.doesNotMatch(all, /\(os error \d+\)/, what);
  assert.doesNotMatch(all, /^\s+at .+:\d+:\d+\)?$/m, `a stack trace: ${what}`);
  assert.doesNotMatch(
    all,
    /\b(?:TypeError|RangeError|ReferenceError|NotCapable|PermissionDenied|AlreadyExists|Uncaught)\b/,
    `a JavaScript error name: ${what}`,
  );
  if (r.code !== 0) assert.notEqual(all.trim(), "", `a silent failure: ${what}`);
  const named = allowed(verb, args);
  for (const unit of unitsIn(r.stderr)) {
    assert.ok(named.has(unit), `${unit} was not named: ${what}`);
  }
}

/** Every path of the tree with its type, mode, size and modification time. */
function snapshot(root: string): string {
  const out = new Deno.Command("find", {
    args: [root, "-printf", "%P %y %m %s %T@ %l\n"],
    stdout: "piped",
  }).outputSync();
  return new TextDecoder().decode(out.stdout).split("\n").sort().join("\n");
}

/**
 * Runs every command line of every verb (a few at a time) and checks each answer. `changing`
 * keeps only the verbs that may write (access class `write` or `run`): the runtime revokes
 * write permission from the others, so a read-only root cannot change what they answer.
 */
async function sweep(
  prog: ProgramCopy,
  root: string,
  how: RunAs,
  changing = false,
): Promise<void> {
  const jobs: Array<[string, string[]]> = [];
  for (const v of VERBS) {
    assert.ok(ARGS[v.name], `the sweep has no command line for the verb ${v.name}`);
    if (changing && v.access !== "write" && v.access !== "run") continue;
    for (const args of ARGS[v.name]) jobs.push([v.name, args]);
  }
  const label = `${how.user ?? "nobody"}${how.readOnly ? " on a read-only root" : ""}`;
  const next = async (): Promise<void> => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      const [verb, args] = job;
      try {
        check(verb, args, label, await runAs(prog, [`--root=${root}`, verb, ...args], how));
      } catch (e) {
        jobs.length = 0; // the others stop too, before the tree is removed
        throw e;
      }
    }
  };
  const done = await Promise.allSettled([next(), next(), next()]);
  for (const d of done) if (d.status === "rejected") throw d.reason;
}

/** A fresh image with run state (web started by root), the program copy, and the cleanup. */
async function withImage(fn: (prog: ProgramCopy, root: string) => Promise<void>): Promise<void> {
  const root = image();
  const prog = copyProgram();
  try {
    const started = await runAs(prog, [`--root=${root}`, "start", "web"], { user: "root" });
    assert.equal(started.code, 0, started.stderr);
    readableByAll(root);
    const before = snapshot(root);
    await fn(prog, root);
    assert.equal(snapshot(root), before, "the tree changed");
  } finally {
    await runAs(prog, [`--root=${root}`, "stop", "web"], { user: "root" }).catch(() => {});
    prog.close();
    Deno.removeSync(root, { recursive: true });
  }
}

Deno.test({
  name: "every verb run by nobody against a root-owned tree answers in words and changes nothing",
  ignore: SKIP !== undefined,
  fn: () => withImage((prog, root) => sweep(prog, root, {})),
});

Deno.test({
  name: "every verb that may write, run against a read-only root, answers in words (nobody, root)",
  ignore: SKIP !== undefined,
  fn: () =>
    withImage(async (prog, root) => {
      await sweep(prog, root, { readOnly: root }, true);
      await sweep(prog, root, { readOnly: root, user: "root" }, true);
    }),
});
