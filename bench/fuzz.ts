/**
 * Issue 9, fuzzing: mutated copies of real unit files (the host's /lib/systemd/system
 * and /etc/systemd/system, Debian's own) and random command lines, run through the real
 * CLI entry point (`main`) in-process against temporary roots.
 *
 * `deno run --allow-all bench/fuzz.ts [--seed N] [--files N] [--argv N] [--json]`
 *
 * A finding is one of:
 * - crash: an exception that escaped a verb as a JavaScript built-in error (TypeError,
 *   RangeError, ReferenceError, …; our own errors are plain one-line messages), or a
 *   rejected promise out of `main`;
 * - garbage: `undefined`, `NaN`, `[object Object]` or `Infinity` printed where a value was
 *   expected;
 * - escape: a file written outside the temporary root by enable/disable/mask/preset, or
 *   anything changed (created, written, removed, re-owned, re-moded) in the host directories
 *   beside the roots that a third of the roots link to with absolute links (`/run`, `/var`,
 *   `/etc/systemd/system`: inside the root such a link means a place in the root) and that
 *   generated units name with `//`, `/../..`, host paths and those links (PIDFile=,
 *   StandardOutput=/StandardError=, EnvironmentFile=, WorkingDirectory=, *Directory=, a
 *   link a `User=nobody` service plants in a StateDirectory= shared with a `User=daemon`
 *   one), started and stopped in the `paths` phase.
 *
 * Each phase (write, inspect and read verbs, then random command lines) runs in its own
 * process: a verb revokes, for the whole process, what its access class does not need.
 * The run is deterministic for a seed. bench/run.ts prints the counts (BENCH_SKIP=fuzz);
 * tests/units/fuzz_test.ts runs a smaller seeded round and expects no finding.
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { main } from "../src/cli/main.ts";
import type { Io } from "../src/cli/context.ts";

/** What one fuzz round found. */
export interface FuzzResults {
  seed: number;
  unitFiles: number;
  /** Unit files with a long continuation chain, a line near LONG_LINE_MAX or many lines. */
  hostileFiles: number;
  roots: number;
  invocations: number;
  argvCases: number;
  /** Roots with absolute links out of them (/run, /var, /etc/systemd/system). */
  linkedRoots: number;
  /** Roots where the `paths` phase started generated services. */
  pathRoots: number;
  crashes: number;
  garbage: number;
  escapes: number;
  /** Exit codes seen, and how often. */
  exitCodes: Record<string, number>;
  /** Bytes printed on stdout in all. */
  stdoutBytes: number;
  /** The first few findings, for the report. */
  samples: string[];
  seconds: number;
  /** The slowest invocation of the round (machine speed decides it; reported only). */
  slowest: { ms: number; argv: string };
}

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CORPUS_DIRS = ["/lib/systemd/system", "/etc/systemd/system", "/lib/systemd/user"];

/** Real unit files: name → text. */
function corpus(): Map<string, string> {
  const out = new Map<string, string>();
  for (const dir of CORPUS_DIRS) {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      continue;
    }
    for (const e of entries) {
      if (!e.isFile || !/\.(service|socket|timer|target|path|mount)$/.test(e.name)) continue;
      try {
        out.set(e.name, Deno.readTextFileSync(join(dir, e.name)));
      } catch { /* unreadable */ }
    }
  }
  if (out.size === 0) {
    out.set(
      "fallback.service",
      "[Unit]\nDescription=x\nAfter=network.target\n[Service]\nType=forking\n" +
        "ExecStart=/bin/true %i\nPIDFile=/run/x.pid\n[Install]\nWantedBy=multi-user.target\n",
    );
  }
  return out;
}

/** Values that broke parsers before, or might. */
const TRICKY = [
  "",
  " ",
  "infinity",
  "-1",
  "0",
  "18446744073709551615",
  "99999999999999999999999",
  "1e400",
  "5min 3s 2ms -1us",
  "%",
  "%I %i %n %N %p %f %P %u %U %h %t %%",
  "%Z",
  "${",
  "$",
  "${X",
  "$$",
  "\\",
  '"',
  "'",
  '"unterminated',
  "..",
  "/../../../etc/shadow",
  "//etc/shadow",
  "//tmp/x",
  "/.//./run//x",
  "file://tmp/x",
  "append://tmp/x",
  "truncate:/../../tmp/x",
  "a:../../x",
  "file:/../../x",
  "@",
  "-",
  "-+!!@:",
  ";",
  "\\;",
  "\\x00",
  "\\u",
  "[Unit",
  "[",
  "]",
  "\t\t",
  "yes",
  "no",
  "on-failure",
  "exit-code",
  "SIGKILL",
  "SIGRTMIN+40",
  "0777",
  "x".repeat(70000),
  "a b ".repeat(5000),
  "\u{1F600}",
  "\uFFFD\u0000\u0001",
  "/dev/null",
  "/proc/self/fd/0",
  "foo@.service",
  "foo@bar.service",
  "-.mount",
  "../x.service",
  "*",
  "?",
  "!",
  "|",
  "!|",
];

const SECTIONS = [
  "[Unit]",
  "[Service]",
  "[Install]",
  "[Socket]",
  "[Timer]",
  "[X-Own]",
  "[Unit",
  "[",
];

const KEYS = [
  "ExecStart",
  "ExecStartPre",
  "ExecStop",
  "ExecReload",
  "Type",
  "Restart",
  "RestartSec",
  "TimeoutSec",
  "TimeoutStartSec",
  "TimeoutStopSec",
  "Environment",
  "EnvironmentFile",
  "PIDFile",
  "User",
  "Group",
  "WorkingDirectory",
  "RuntimeDirectory",
  "StateDirectory",
  "StandardOutput",
  "StandardError",
  "KillMode",
  "KillSignal",
  "SuccessExitStatus",
  "RestartPreventExitStatus",
  "LimitNOFILE",
  "LimitAS",
  "OOMScoreAdjust",
  "Nice",
  "UMask",
  "Requires",
  "Wants",
  "After",
  "Before",
  "Conflicts",
  "PartOf",
  "BindsTo",
  "ConditionPathExists",
  "AssertArchitecture",
  "ConditionArchitecture",
  "ConditionVirtualization",
  "WantedBy",
  "RequiredBy",
  "Alias",
  "Also",
  "DefaultInstance",
  "ListenStream",
  "OnCalendar",
  "Description",
  "Documentation",
  ".include",
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

/** One random mutation of a unit file's text. */
function mutate(r: () => number, text: string): string {
  const lines = text.split("\n");
  const at = Math.floor(r() * (lines.length + 1));
  switch (Math.floor(r() * 11)) {
    case 0: // delete a line
      lines.splice(at, 1);
      break;
    case 1: // duplicate a line
      if (lines.length) lines.splice(at, 0, lines[Math.min(at, lines.length - 1)]);
      break;
    case 2: { // swap two lines
      const b = Math.floor(r() * lines.length);
      if (lines.length) [lines[at % lines.length], lines[b]] = [lines[b], lines[at % lines.length]];
      break;
    }
    case 3: // truncate at a random byte
      return text.slice(0, Math.floor(r() * text.length));
    case 4: { // random bytes spliced in
      const n = 1 + Math.floor(r() * 8);
      let junk = "";
      for (let i = 0; i < n; i++) junk += String.fromCharCode(Math.floor(r() * 0x100));
      const pos = Math.floor(r() * text.length);
      return text.slice(0, pos) + junk + text.slice(pos);
    }
    case 5: { // a tricky value for an existing key
      const i = lines.findIndex((l, k) => k >= at && l.includes("="));
      if (i >= 0) lines[i] = lines[i].slice(0, lines[i].indexOf("=") + 1) + pick(r, TRICKY);
      break;
    }
    case 6: // a random key with a tricky value
      lines.splice(at, 0, `${pick(r, KEYS)}=${pick(r, TRICKY)}`);
      break;
    case 7: // a section header
      lines.splice(at, 0, pick(r, SECTIONS));
      break;
    case 8: // line continuations and comments
      lines.splice(at, 0, pick(r, ["\\", "# \\", "; x", "Exec\\", "  Description = spaced  "]));
      break;
    case 9: // CR line ends
      return lines.join("\r\n");
    default: // a tricky value appended to an existing line
      if (lines.length) lines[at % lines.length] += pick(r, TRICKY);
  }
  return lines.join("\n");
}

/** systemd's LONG_LINE_MAX, around which the hostile lines are sized. */
const LONG_LINE = 1024 * 1024;

/**
 * One hostile mutation (issue 18 item 9): a long continuation chain (up to 20,000
 * pieces, sometimes past LONG_LINE_MAX in all), a line of about LONG_LINE_MAX bytes (just
 * under, at or over it), or thousands of repeated lines. Huge lines stay rare so that a
 * round of thousands of files keeps its disk and time budget.
 */
function hostile(r: () => number, text: string): string {
  const lines = text.split("\n");
  const at = Math.floor(r() * (lines.length + 1));
  const key = pick(r, KEYS);
  const kind = r();
  if (kind < 0.5) {
    const n = 1000 + Math.floor(r() * 19_000);
    const piece = pick(r, ["x \\", "ab\\", "# comment \\", "\\", "  a b c d e f g h \\"]);
    lines.splice(at, 0, `${key}=\\`, ...Array(n).fill(piece), "end");
  } else if (kind < 0.6) {
    // Past LONG_LINE_MAX in all, from short pieces.
    lines.splice(at, 0, `${key}=\\`, ...Array(110_000).fill("abcdefgh\\"), "end");
  } else if (kind < 0.8) {
    const size = pick(r, [LONG_LINE - 2, LONG_LINE - 1, LONG_LINE, LONG_LINE + 1, 2 * LONG_LINE]);
    lines.splice(at, 0, `${key}=` + "a".repeat(Math.max(0, size - key.length - 1)));
  } else {
    const n = 5000 + Math.floor(r() * 15_000);
    const line = pick(r, [`${key}=x`, "junk", "[Service]", "Environment=A=1 B=2"]);
    lines.splice(at, 0, ...Array(n).fill(line));
  }
  return lines.join("\n");
}

export const BUILTIN_ERROR =
  /^(Uncaught )?(TypeError|RangeError|ReferenceError|EvalError|URIError|InternalError|NotCapable|PermissionDenied)\b|Maximum call stack/m;
export const GARBAGE = /(=|: |\s)(undefined|NaN|\[object Object\])$/m;

function captureIo(): Io & { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    flush() {},
    stdoutIsTty: false,
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
}

/** Lists every path under dir (files and links), for the escape check. */
function listTree(dir: string, acc = new Set<string>()): Set<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return acc;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    acc.add(p);
    if (e.isDirectory) listTree(p, acc);
  }
  return acc;
}

/** One fuzz root. */
interface FuzzRoot {
  dir: string;
  names: string[];
  /** Where its unit files are (inside the root, as a host path). */
  unitDir: string;
  /** The host directory beside it that nothing may change (links point there). */
  outside: string;
  /** Whether it has absolute links out of it. */
  linked: boolean;
}

/** The roots a round made, shared with its phase processes. */
interface Manifest {
  work: string;
  roots: FuzzRoot[];
  unitFiles: number;
  /** How many roots the `paths` phase starts services in. */
  pathRoots: number;
  /** How many of them got a hostile mutation (long chains, huge lines, many lines). */
  hostileFiles: number;
}

type Phase = "write" | "inspect" | "read" | "argv-inspect" | "argv-read" | "paths";
const PHASES: readonly Phase[] = [
  "write",
  "inspect",
  "read",
  "argv-inspect",
  "argv-read",
  "paths",
];

/** What one phase process reports. */
interface PhaseResult {
  invocations: number;
  argvCases: number;
  crashes: number;
  garbage: number;
  exitCodes: Record<string, number>;
  stdoutBytes: number;
  samples: string[];
  /** The slowest invocation (for the report; machine speed decides it, no test does). */
  slowest: { ms: number; argv: string };
}

/**
 * The host directory beside a root: a root-only secret, and the directories the root's
 * absolute links name (on the host they exist too, so following a link out would land).
 */
function makeOutside(outside: string): void {
  for (const d of ["run", "var", "ess", "work"]) {
    Deno.mkdirSync(join(outside, d), { recursive: true });
  }
  Deno.writeTextFileSync(join(outside, "secret"), "HOST_SECRET=1\n");
  Deno.chmodSync(join(outside, "secret"), 0o600);
  Deno.writeTextFileSync(join(outside, "precious"), "1\n");
}

/**
 * A third of the roots get absolute links out of them (to the host directory beside):
 * `/run`, `/var`, `/etc/systemd/system`. Inside the root such a link names a place in the
 * root (`<root><outside>/run`), which is where the files are put.
 */
function linkRoot(r: () => number, dir: string, outside: string): string | undefined {
  if (r() >= 1 / 3) return undefined;
  Deno.mkdirSync(join(dir, "etc/systemd"), { recursive: true });
  const links: Array<[string, string]> = [
    ["run", join(outside, "run")],
    ["var", join(outside, "var")],
    ["etc/systemd/system", join(outside, "ess")],
  ];
  let chosen = links.filter(() => r() < 0.6);
  if (chosen.length === 0) chosen = [pick(r, links)];
  let units = join(dir, "etc/systemd/system");
  for (const [at, target] of chosen) {
    Deno.mkdirSync(join(dir, target), { recursive: true });
    Deno.symlinkSync(target, join(dir, at));
    if (at === "etc/systemd/system") units = join(dir, target);
  }
  return units;
}

/** Builds the mutated roots; writes nothing outside `work`. */
function buildRoots(
  work: string,
  seed: number,
  files: number,
  perRoot: number,
  pathRoots: number,
): Manifest {
  const r = rng(seed);
  const source = [...corpus().entries()];
  const roots: Manifest["roots"] = [];
  let made = 0;
  let hostileFiles = 0;
  while (made < files) {
    const dir = join(work, `root${roots.length}`);
    const outside = join(work, `outside${roots.length}`);
    makeOutside(outside);
    const linked = linkRoot(r, dir, outside);
    const unitDir = linked ?? join(dir, "etc/systemd/system");
    Deno.mkdirSync(unitDir, { recursive: true });
    Deno.mkdirSync(join(dir, "lib/systemd/system"), { recursive: true });
    // Users for User=nobody/daemon, looked up inside the root.
    for (const f of ["passwd", "group"]) Deno.copyFileSync(`/etc/${f}`, join(dir, "etc", f));
    const names: string[] = [];
    for (let i = 0; i < perRoot && made < files; i++, made++) {
      const [name, text] = pick(r, source);
      let body = text;
      const rounds = 1 + Math.floor(r() * 4);
      for (let k = 0; k < rounds; k++) body = mutate(r, body);
      if (r() < HOSTILE_SHARE) {
        body = hostile(r, body);
        hostileFiles++;
      }
      // Some files become templates, some get drop-ins.
      let unitName = name;
      if (r() < 0.15 && !name.includes("@")) unitName = name.replace(/\.(\w+)$/, "@.$1");
      Deno.writeTextFileSync(join(unitDir, unitName), body);
      if (r() < 0.2) {
        const d = join(unitDir, `${unitName}.d`);
        Deno.mkdirSync(d, { recursive: true });
        let dropIn = mutate(r, "[Service]\nEnvironment=A=1\n");
        if (r() < HOSTILE_SHARE) dropIn = hostile(r, dropIn);
        Deno.writeTextFileSync(join(d, "x.conf"), dropIn);
      }
      names.push(
        unitName.includes("@.")
          ? unitName.replace("@.", `@${pick(r, ["a", "x-y", "\\x2d", "", "a b"])}.`)
          : unitName,
      );
    }
    roots.push({ dir, names, unitDir, outside, linked: linked !== undefined });
  }
  return {
    work,
    roots,
    unitFiles: made,
    hostileFiles,
    pathRoots: Math.min(pathRoots, roots.length),
  };
}

/** Path forms that name the host directory beside the root, or lead there through links. */
function pathForms(outside: string): string[] {
  const up = outside.split("/").filter((c) => c).map(() => "..").join("/");
  return [
    `//${outside}`,
    `/${outside}`,
    outside,
    `/../../${up}${outside}`,
    `/./${outside.slice(1)}/.`,
    "/run",
    "/var",
    "/etc/systemd/system",
    `//${outside}/run/..`,
  ];
}

/** Generated units that name host paths every way (the `paths` phase). */
function pathUnits(r: () => number, outside: string, n: number): Record<string, string> {
  const form = () => pick(r, pathForms(outside));
  const lines = [
    () => `PIDFile=${form()}/precious`,
    () => `StandardOutput=${pick(r, ["file:", "append:", "truncate:"])}${form()}/o${n}`,
    () => `StandardError=${pick(r, ["file:", "append:", "truncate:"])}${form()}/e${n}`,
    () => `EnvironmentFile=-${form()}/secret`,
    () => `WorkingDirectory=-${form()}`,
    () => `WorkingDirectory=-${form()}/work`,
    () => `RuntimeDirectory=fz${n}`,
    () => `LogsDirectory=fz${n}`,
    () => `ConditionPathExists=|${form()}/secret`,
    () => `ConditionPathExists=|!${form()}/missing`,
  ];
  const body = (user: string, extra: string[]) => {
    const picked = lines.filter(() => r() < 0.45).map((l) => l());
    return `[Service]\nUser=${user}\n${[...picked, ...extra].join("\n")}\n`;
  };
  // A file touched in the working directory shows one out of the root (without
  // WorkingDirectory= a service under --root runs in the host's /: nothing is touched there).
  const run = "ExecStart=/bin/sh -c 'echo out; echo err >&2; d=$(pwd -P); " +
    '[ "$d" = / ] || touch "$d/touched" 2>/dev/null; exec sleep 30\'';
  return {
    [`fza${n}.service`]: body(pick(r, ["root", "nobody"]), [
      "StateDirectory=fzshared",
      // The item-5 attack: links in a StateDirectory= that another user's start chowns.
      "ExecStartPre=/bin/sh -c 'ln -s " + `${outside}/secret` +
      ' "$STATE_DIRECTORY/x"; ln -s ' + `${outside} "$STATE_DIRECTORY/up"; true'`,
      run,
    ]),
    [`fzb${n}.service`]: body(pick(r, ["daemon", "nobody", "root"]), [
      "StateDirectory=fzshared",
      run,
    ]),
  };
}

/** Owner, mode and contents of everything under a host directory. */
function snapshot(dir: string, acc: string[] = []): string[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return acc;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    try {
      const st = Deno.lstatSync(p);
      const body = st.isFile ? Deno.readTextFileSync(p) : st.isSymlink ? Deno.readLinkSync(p) : "";
      acc.push(`${p} ${st.uid}:${st.gid} ${((st.mode ?? 0) & 0o7777).toString(8)} ${body}`);
      if (st.isDirectory) snapshot(p, acc);
    } catch { /* gone meanwhile */ }
  }
  return acc;
}

/** The share of unit files that get a hostile mutation on top of the others. */
const HOSTILE_SHARE = 0.04;

const FLAG_WORDS = [
  "-p",
  "--property=",
  "-P",
  "--value",
  "--all",
  "-a",
  "-t",
  "--type=",
  "--state=",
  "-o",
  "json",
  "--output=json-pretty",
  "--no-pager",
  "--no-legend",
  "--plain",
  "--full",
  "-l",
  "--no-block",
  "--job-mode=fail",
  "--no-warn",
  "-q",
  "--user",
  "--global",
  "-n",
  "--lines=x",
  "--",
  "-",
  "--what=",
  "--reverse",
  "--recursive",
  "x.service",
  "",
  "@",
  "*.service",
  "a\\x2db.service",
  "foo@.service",
  "-.slice",
  "\u0000",
];

/**
 * One phase, in its own process: each verb revokes, for the whole process, what its
 * access class does not need, so write, inspect and read verbs cannot share a process.
 */
async function runPhase(
  phase: Phase,
  m: Manifest,
  seed: number,
  argvCount: number,
): Promise<PhaseResult> {
  const r = rng(seed + PHASES.indexOf(phase) + 1);
  const res: PhaseResult = {
    invocations: 0,
    argvCases: 0,
    crashes: 0,
    garbage: 0,
    exitCodes: {},
    stdoutBytes: 0,
    samples: [],
    slowest: { ms: 0, argv: "" },
  };
  const note = (kind: string, what: string) => {
    if (res.samples.length < 20) res.samples.push(`${kind}: ${what}`.slice(0, 400));
  };
  const trace = Deno.env.get("FUZZ_TRACE") === "1";
  const run = async (argv: string[]) => {
    const io = captureIo();
    res.invocations++;
    let code: number;
    const t0 = performance.now();
    try {
      code = await main(["--debug", ...argv], io);
    } catch (e) {
      res.crashes++;
      note("crash (rejected)", `${argv.join(" ")}: ${(e as Error)?.stack ?? e}`);
      return;
    }
    const ms = performance.now() - t0;
    if (ms > res.slowest.ms) res.slowest = { ms: Math.round(ms), argv: argv.join(" ") };
    res.exitCodes[code] = (res.exitCodes[code] ?? 0) + 1;
    const err = io.stderr();
    if (trace) console.error(`TRACE ${code} ${argv.slice(1).join(" ")} :: ${err.split("\n")[0]}`);
    if (BUILTIN_ERROR.test(err)) {
      res.crashes++;
      note("crash", `${argv.join(" ")}: ${err.split("\n").slice(0, 3).join(" | ")}`);
    }
    const out = io.stdout();
    res.stdoutBytes += out.length;
    if (GARBAGE.test(out)) {
      res.garbage++;
      const line = out.split("\n").find((l) => GARBAGE.test(l)) ?? "";
      note("garbage", `${argv.join(" ")} (exit ${code}): ${line}`);
    }
  };
  const randomArgv = (verbs: readonly string[]) => {
    for (let i = 0; i < argvCount; i++) {
      const argv = [pick(r, verbs)];
      const n = Math.floor(r() * 6);
      for (let k = 0; k < n; k++) {
        let w = pick(r, FLAG_WORDS);
        if (w.endsWith("=") && r() < 0.7) w += pick(r, TRICKY).slice(0, 40);
        argv.splice(1 + Math.floor(r() * argv.length), 0, w);
      }
      res.argvCases++;
      const root = pick(r, m.roots).dir;
      queue.push([`--root=${root}`, ...argv]);
    }
  };
  const queue: string[][] = [];
  switch (phase) {
    case "write":
      for (const { dir, names } of m.roots) {
        for (const name of names) {
          const verb = pick(r, ["enable", "disable", "reenable", "preset", "mask", "unmask"]);
          queue.push([`--root=${dir}`, "--no-reload", verb, name]);
        }
      }
      break;
    case "inspect":
      for (const { dir, names } of m.roots) {
        queue.push([`--root=${dir}`, "list-units", "--all"]);
        for (const name of names) {
          const verb = pick(r, [
            ["show"],
            ["show", "-p", "ExecStart,Environment,Type,TimeoutStartUSec,Restart,LoadError"],
            ["show", "--all"],
            ["status", "-n0"],
            ["is-active"],
            ["list-dependencies"],
            ["show", "-o", "json"],
          ]);
          queue.push([`--root=${dir}`, ...verb, name]);
        }
      }
      break;
    case "read":
      for (const { dir, names } of m.roots) {
        queue.push([`--root=${dir}`, "list-unit-files"]);
        for (const name of names) {
          const verb = pick(r, [["cat"], ["is-enabled"], ["get-default"], ["list-unit-files"]]);
          queue.push([`--root=${dir}`, ...verb, name]);
        }
      }
      break;
    case "argv-inspect":
      randomArgv(["show", "status", "is-active", "is-failed", "list-units", "list-dependencies"]);
      break;
    case "argv-read":
      randomArgv(["cat", "is-enabled", "list-unit-files", "help", "get-default"]);
      break;
    case "paths":
      m.roots.slice(0, m.pathRoots).forEach(({ dir, unitDir, outside }, n) => {
        const units = pathUnits(r, outside, n);
        for (const [name, text] of Object.entries(units)) {
          Deno.writeTextFileSync(join(unitDir, name), text);
        }
        const [a, b] = Object.keys(units);
        queue.push([`--root=${dir}`, "start", a]);
        queue.push([`--root=${dir}`, "start", b]);
        queue.push([`--root=${dir}`, "stop", a, b]);
      });
      break;
  }
  for (const argv of queue) await run(argv);
  return res;
}

const SELF = fileURLToPath(import.meta.url);

/** Runs one fuzz round: roots are built here, each phase runs in its own process. */
export async function fuzz(
  opts: { seed: number; files: number; argv: number; perRoot?: number; pathRoots?: number },
): Promise<FuzzResults> {
  const t0 = performance.now();
  const work = Deno.makeTempDirSync({ prefix: "sysctl-fuzz-" });
  // Services run as nobody and daemon in the paths phase: they reach their files.
  Deno.chmodSync(work, 0o755);
  try {
    const manifest = buildRoots(
      work,
      opts.seed,
      opts.files,
      opts.perRoot ?? 25,
      opts.pathRoots ?? 40,
    );
    const manifestPath = join(work, "manifest.json");
    Deno.writeTextFileSync(manifestPath, JSON.stringify(manifest));
    const res: FuzzResults = {
      seed: opts.seed,
      unitFiles: manifest.unitFiles,
      hostileFiles: manifest.hostileFiles,
      roots: manifest.roots.length,
      invocations: 0,
      argvCases: 0,
      linkedRoots: manifest.roots.filter((x) => x.linked).length,
      pathRoots: manifest.pathRoots,
      crashes: 0,
      garbage: 0,
      escapes: 0,
      exitCodes: {},
      stdoutBytes: 0,
      samples: [],
      seconds: 0,
      slowest: { ms: 0, argv: "" },
    };
    const before = listTree(work);
    const outsideBefore = manifest.roots.map((x) => snapshot(x.outside).sort().join("\n"));
    for (const phase of PHASES) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          SELF,
          "--phase",
          phase,
          "--manifest",
          manifestPath,
          "--seed",
          String(opts.seed),
          "--argv",
          String(opts.argv),
        ],
        stdin: "null",
        stderr: "inherit",
      }).output();
      const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
      if (out.code !== 0 || !text.startsWith("{")) {
        res.crashes++;
        res.samples.push(`phase ${phase} exited ${out.code}: ${text.slice(0, 300)}`);
        continue;
      }
      const p = JSON.parse(text) as PhaseResult;
      res.invocations += p.invocations;
      res.argvCases += p.argvCases;
      res.crashes += p.crashes;
      res.garbage += p.garbage;
      res.stdoutBytes += p.stdoutBytes;
      for (const [k, v] of Object.entries(p.exitCodes)) {
        res.exitCodes[k] = (res.exitCodes[k] ?? 0) + v;
      }
      res.samples.push(...p.samples.map((s) => `${phase}: ${s}`));
      if (p.slowest.ms > res.slowest.ms) res.slowest = p.slowest;
      if (phase === "write") {
        for (const p of listTree(work)) {
          if (before.has(p) || manifest.roots.some((x) => p.startsWith(x.dir + "/"))) continue;
          if (manifest.roots.some((x) => p.startsWith(x.outside + "/"))) continue; // below
          res.escapes++;
          res.samples.push(`escape: ${p}`);
        }
      }
      manifest.roots.forEach((x, i) => {
        const now = snapshot(x.outside).sort().join("\n");
        if (now === outsideBefore[i]) return;
        const was = new Set(outsideBefore[i].split("\n"));
        const changed = now.split("\n").filter((l) => !was.has(l));
        const gone = [...was].filter((l) => !now.split("\n").includes(l));
        res.escapes += Math.max(1, changed.length + gone.length);
        res.samples.push(
          `escape (${phase}): ${[...changed, ...gone.map((g) => `gone ${g}`)].join("; ")}`,
        );
        outsideBefore[i] = now;
      });
    }
    res.samples = res.samples.slice(0, 20);
    res.seconds = Math.round((performance.now() - t0) / 100) / 10;
    return res;
  } finally {
    Deno.removeSync(work, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seed: { type: "string", default: "1" },
      files: { type: "string", default: "2000" },
      "path-roots": { type: "string", default: "40" },
      argv: { type: "string", default: "2000" },
      json: { type: "boolean", default: false },
      phase: { type: "string" },
      manifest: { type: "string" },
    },
  });
  if (values.phase) {
    const m = JSON.parse(Deno.readTextFileSync(values.manifest!)) as Manifest;
    const res = await runPhase(values.phase as Phase, m, Number(values.seed), Number(values.argv));
    console.log(JSON.stringify(res));
  } else {
    const res = await fuzz({
      seed: Number(values.seed),
      files: Number(values.files),
      argv: Number(values.argv),
      pathRoots: Number(values["path-roots"]),
    });
    if (values.json) console.log(JSON.stringify(res));
    else {
      console.log(
        `${res.unitFiles} mutated unit files (${res.hostileFiles} hostile) in ${res.roots} roots (${res.linkedRoots} with ` +
          `/run, /var or /etc/systemd/system linking out; generated services with host paths ` +
          `started in ${res.pathRoots}), ${res.invocations} ` +
          `invocations (${res.argvCases} random command lines) in ${res.seconds} s: ` +
          `${res.crashes} crashes, ${res.garbage} garbage values, ` +
          `${res.escapes} writes outside the root`,
      );
      console.log(`  exit codes: ${JSON.stringify(res.exitCodes)}; ${res.stdoutBytes} bytes out`);
      console.log(`  slowest invocation: ${res.slowest.ms} ms (${res.slowest.argv.slice(0, 200)})`);
      for (const s of res.samples) console.log(`  ${s}`);
    }
  }
}
