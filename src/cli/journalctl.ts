/**
 * The `journalctl` companion (`mod.ts --journalctl ...`): prints and follows the plain unit
 * log files of spec §5.5 with journalctl's options.
 *
 * Limitations, because the files hold raw lines without per-line metadata:
 * - `-o short` (and the other `short-*`, `verbose`, `export`, `cat` modes) print the raw
 *   line: there is no timestamp, host or PID to prefix. `-o with-unit` prefixes
 *   `<unit>: `, and so does every mode when no unit is selected (everything is shown).
 *   `-o json*` prints one `{"_SYSTEMD_UNIT", "MESSAGE"}` object per line.
 * - `--since` drops whole files last modified before that time (they cannot hold a newer
 *   line); lines inside a file are not filtered. `--until` is validated and ignored.
 * - Several files cannot be interleaved by time: they are concatenated, least recently
 *   modified first, and `-n` counts lines over the concatenation.
 * - Only the current boot exists: `-b`, `-b 0` and `-b all` are accepted, other boots
 *   are not available. `-x` and `--no-pager` have no effect.
 * - `-f` follows the selected files (a named unit's file is waited for until it appears);
 *   without `-u` it follows the files that exist at start, and exits at once if none do.
 * @module
 */

import { parseArgs } from "node:util";
import { type Io, refuse } from "./context.ts";
import { pathArgumentError, RootMap } from "../units/paths.ts";
import { parseTimespan } from "../unit/timespan.ts";
import { type JournalQuery, printJournal } from "../verbs/journal.ts";
import { versionText } from "../version.ts";
import { dropPermissions } from "./permissions.ts";
import { OUTPUT_MODES } from "./args.ts";

const PROG = "journalctl";

const OPTIONS = {
  unit: { type: "string", short: "u", multiple: true },
  "user-unit": { type: "string", multiple: true },
  lines: { type: "string", short: "n" },
  follow: { type: "boolean", short: "f" },
  "no-tail": { type: "boolean" },
  "pager-end": { type: "boolean", short: "e" },
  reverse: { type: "boolean", short: "r" },
  output: { type: "string", short: "o" },
  since: { type: "string", short: "S" },
  until: { type: "string", short: "U" },
  quiet: { type: "boolean", short: "q" },
  boot: { type: "string", short: "b" },
  catalog: { type: "boolean", short: "x" },
  "no-pager": { type: "boolean" },
  "no-hostname": { type: "boolean" },
  full: { type: "boolean", short: "l" },
  "no-full": { type: "boolean" },
  all: { type: "boolean", short: "a" },
  utc: { type: "boolean" },
  merge: { type: "boolean", short: "m" },
  root: { type: "string" },
  user: { type: "boolean" },
  system: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

const USAGE = `${PROG} [OPTIONS...] [MATCHES...]

Query the unit log files written by systemctl (plain text, one file per unit).

Options:
  -u --unit=UNIT           Show logs of the specified unit (repeatable, globs allowed)
     --user-unit=UNIT      Show logs of the specified user unit
  -n --lines[=INTEGER]     Number of lines to show (default with -n: 10; +N: first N)
  -f --follow              Follow the log (survives truncation and replacement)
     --no-tail             Show all lines, even in follow mode
  -e --pager-end           Jump to the end (implies -n1000)
  -r --reverse             Show the newest lines first
  -a --all                 Show lines with control characters as they are
  -o --output=STRING       short (raw lines), cat, with-unit (prefix "UNIT: "), json, ...
  -S --since=DATE          Skip log files last written before this date
  -U --until=DATE          Accepted; lines carry no time stamps, so nothing is dropped
  -b --boot[=ID]           Current boot only (the only one there is)
  -q --quiet               Do not print "-- No entries --"
  -x --catalog             Accepted, no effect
     --no-pager            Accepted, no effect
     --root=DIR            Operate on files below a root directory
     --user                Show the current user's unit logs
     --system              Show the system unit logs (default)
  -h --help                Show this help
     --version             Show package version
`;

/** What the command line asked for. */
interface JournalArgs extends JournalQuery {
  root: string | undefined;
  help: boolean;
  version: boolean;
}

const OPTIONAL_VALUE: Record<string, RegExp> = {
  "-n": /^(\+?\d+|all)$/,
  "--lines": /^(\+?\d+|all)$/,
  "-b": /^([+-]?\d+|all|[0-9a-fA-F]{32}([+-]\d+)?)$/,
  "--boot": /^([+-]?\d+|all|[0-9a-fA-F]{32}([+-]\d+)?)$/,
};

/** journalctl's `-n`/`-b` take an optional value as the next word when it looks like one. */
function joinOptionalValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const re = OPTIONAL_VALUE[a];
    if (re === undefined) {
      out.push(a);
      continue;
    }
    const long = a === "-n" || a === "--lines" ? "--lines" : "--boot";
    const next = argv[i + 1];
    if (next !== undefined && re.test(next)) {
      out.push(`${long}=${next}`);
      i++;
    } else out.push(`${long}=`);
  }
  return out;
}

/** Parses a `--since`/`--until` value into µs since the epoch (local time), or undefined. */
export function parseJournalTime(s: string, nowUs: number): number | undefined {
  const t = s.trim();
  const midnight = (offsetDays: number) => {
    const d = new Date(nowUs / 1000);
    d.setHours(0, 0, 0, 0);
    d.setDate(d.getDate() + offsetDays);
    return d.getTime() * 1000;
  };
  if (t === "now") return nowUs;
  if (t === "today") return midnight(0);
  if (t === "yesterday") return midnight(-1);
  if (t === "tomorrow") return midnight(1);
  if (/^@\d+(\.\d+)?$/.test(t)) return Math.round(Number(t.slice(1)) * 1e6);
  const rel = /^([+-])\s*(.+)$/.exec(t) ?? /^(.+?)\s+(ago|left)$/.exec(t);
  if (rel) {
    const [sign, span] = rel[1] === "+" || rel[1] === "-" ? [rel[1], rel[2]] : [
      rel[2] === "ago" ? "-" : "+",
      rel[1],
    ];
    const us = parseTimespan(span);
    if (us === undefined || !Number.isFinite(us)) return undefined;
    return sign === "-" ? nowUs - us : nowUs + us;
  }
  const m = /^(?:(\d{4})-(\d{2})-(\d{2}))?(?:[ T]?(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (!m || (m[1] === undefined && m[4] === undefined)) return undefined;
  const base = new Date(nowUs / 1000);
  const d = m[1] !== undefined
    ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
    : new Date(base.getFullYear(), base.getMonth(), base.getDate());
  if (m[4] !== undefined) d.setHours(Number(m[4]), Number(m[5]), Number(m[6] ?? 0), 0);
  return Number.isNaN(d.getTime()) ? undefined : d.getTime() * 1000;
}

function parseJournalArgs(
  argv: readonly string[],
  nowUs: number,
): { ok: true; args: JournalArgs } | { ok: false; error: string } {
  const { values, positionals, tokens } = parseArgs({
    args: joinOptionalValues(argv),
    options: OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const tok of tokens) {
    if (tok.kind !== "option") continue;
    const spec = (OPTIONS as Record<string, { type: string }>)[tok.name];
    if (spec === undefined) {
      return {
        ok: false,
        error: tok.rawName.startsWith("--")
          ? `${PROG}: unrecognized option '${tok.rawName}'`
          : `${PROG}: invalid option -- '${tok.rawName.slice(1)}'`,
      };
    }
    if (spec.type === "string" && tok.value === undefined) {
      return {
        ok: false,
        error: tok.rawName.startsWith("--")
          ? `${PROG}: option '${tok.rawName}' requires an argument`
          : `${PROG}: option requires an argument -- '${tok.rawName.slice(1)}'`,
      };
    }
    if (spec.type === "boolean" && tok.value !== undefined) {
      return { ok: false, error: `${PROG}: option '${tok.rawName}' doesn't allow an argument` };
    }
  }
  const str = (k: string) => values[k] as string | undefined;
  const units = [...((values.unit as string[] | undefined) ?? [])];
  for (const p of positionals) {
    const m = /^(_SYSTEMD_UNIT|UNIT|_SYSTEMD_USER_UNIT|USER_UNIT)=(.+)$/.exec(p);
    if (!m) return { ok: false, error: `Failed to add match '${p}': Invalid argument` };
    units.push(m[2]);
  }
  let lines: JournalArgs["lines"];
  const linesRaw = str("lines");
  if (linesRaw !== undefined) {
    if (linesRaw === "") lines = { from: "tail", n: 10 };
    else if (linesRaw === "all") lines = { from: "tail", n: Infinity };
    else if (/^\+\d+$/.test(linesRaw)) lines = { from: "head", n: Number(linesRaw.slice(1)) };
    else if (/^\d+$/.test(linesRaw)) lines = { from: "tail", n: Number(linesRaw) };
    else return { ok: false, error: `Failed to parse lines '${linesRaw}'` };
  }
  const output = str("output") ?? "short";
  if (!OUTPUT_MODES.includes(output)) {
    return { ok: false, error: `Unknown output format '${output}'.` };
  }
  const boot = str("boot");
  if (boot !== undefined && !["", "0", "-0", "+0", "all"].includes(boot)) {
    return {
      ok: false,
      error: `Data from the specified boot (${boot}) is not available: No such boot ID in journal`,
    };
  }
  let sinceUs: number | undefined;
  for (const key of ["since", "until"]) {
    const v = str(key);
    if (v === undefined) continue;
    const us = parseJournalTime(v, nowUs);
    if (us === undefined) return { ok: false, error: `Failed to parse timestamp: ${v}` };
    if (key === "since") sinceUs = us;
  }
  const userUnits = (values["user-unit"] as string[] | undefined) ?? [];
  return {
    ok: true,
    args: {
      units,
      userUnits,
      lines,
      follow: values.follow === true,
      noTail: values["no-tail"] === true,
      pagerEnd: values["pager-end"] === true,
      reverse: values.reverse === true,
      output,
      sinceUs,
      quiet: values.quiet === true,
      all: values.all === true,
      root: str("root"),
      scope: values.user === true || (userUnits.length > 0 && values.system !== true)
        ? "user"
        : "system",
      help: values.help === true,
      version: values.version === true,
    },
  };
}

function defaultIo(): Io {
  const enc = new TextEncoder();
  const write = (f: typeof Deno.stdout | typeof Deno.stderr, t: string) => {
    const b = enc.encode(t);
    let off = 0;
    try {
      while (off < b.length) off += f.writeSync(b.subarray(off));
    } catch { /* closed (EPIPE) */ }
  };
  let buf: string[] = [];
  const io: Io = {
    out(text) {
      buf.push(text);
      if (buf.length > 512) io.flush();
    },
    err(text) {
      io.flush();
      write(Deno.stderr, text);
    },
    flush() {
      if (buf.length === 0) return;
      const t = buf.join("");
      buf = [];
      write(Deno.stdout, t);
    },
    stdoutIsTty: Deno.stdout.isTerminal(),
  };
  return io;
}

/** Runs `journalctl` with `argv` (without the program name); returns the exit code. */
export async function journalctlMain(argv: string[], io: Io = defaultIo()): Promise<number> {
  const nowUs = Date.now() * 1000;
  const parsed = parseJournalArgs(argv, nowUs);
  if (!parsed.ok) return refuse(io, parsed.error);
  const a = parsed.args;
  try {
    // It only reads: everything else goes before a file is opened, as for systemctl's queries.
    await dropPermissions("read");
    if (a.help || a.version) {
      io.out(a.help ? USAGE : versionText());
      return 0;
    }
    const rootError = pathArgumentError(a.root);
    if (rootError) return refuse(io, rootError);
    const env = Deno.env.toObject();
    const root = new RootMap(a.root);
    return await printJournal(a, root, env, io);
  } catch (e) {
    io.err(`${PROG}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    io.flush();
  }
}
