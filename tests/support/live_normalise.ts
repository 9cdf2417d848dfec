/**
 * The one place where the live harness makes the two sides' outputs
 * comparable. Only what must differ between two runs of the same manager
 * (PIDs, times, invocation ids, counters, the journal) and the differences
 * listed in docs/fidelity.md (with the reason each must stay) are touched;
 * every rule names its entry there.
 * @module
 */

/** A rewrite of one output. */
interface Rule {
  /** The docs/fidelity.md entry that explains it. */
  doc: string;
  /** Whether it applies to this command and stream. */
  when?: (cmd: string, stream: "stdout" | "stderr") => boolean;
  apply: (text: string) => string;
}

const WEEKDAY_TIME =
  /\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [A-Z]+/g;
const isVerb = (verb: string) => (cmd: string) => cmd.split(" ").includes(verb);

const RULES: Rule[] = [
  {
    doc: "times",
    apply: (t) =>
      t.replace(WEEKDAY_TIME, "<TIME>")
        // "since <TIME>; 3s ago", "; 1min 2s left"
        .replace(/; (?:\d+(?:\.\d+)?(?:us|ms|s|min|h|d|w|month|y) ?)+ (ago|left)/g, "; <SPAN> $1")
        .replace(/^(\s*Duration: ).*$/gm, "$1<SPAN>")
        .replace(/^(\w+Monotonic=)\d+$/gm, "$1<MONO>")
        .replace(/(start_time|stop_time|next_elapse)=\[[^\]]*\]/g, "$1=[<TIME>]")
        .replace(/\b(Startup finished in )[^\n]*/g, "$1<SPAN>"),
  },
  {
    doc: "times",
    // list-timers: the NEXT/LEFT/LAST/PASSED columns move with the clock; so do their widths.
    when: (cmd) => isVerb("list-timers")(cmd),
    apply: (t) =>
      t.replace(/\b(?:\d+(?:us|ms|s|min|h|d|w|month|y) ?)+ (left|ago)\b/g, "<SPAN> $1")
        .replace(/ {2,}/g, "  "),
  },
  {
    doc: "pids",
    apply: (t) =>
      t.replace(/^((?:Main|Control|ExecMain|Exec\w*|Status)PID=)[1-9]\d*$/gm, "$1<PID>")
        .replace(/\bpid=[1-9]\d*/g, "pid=<PID>")
        .replace(/((?:Main PID|Process|Main process): )[1-9]\d*/g, "$1<PID>")
        .replace(/^(\s*[└├│ ]*─)[1-9]\d*/gm, "$1<PID>")
        .replace(/\b(PID|process) [1-9]\d*\b/g, "$1 <PID>"),
  },
  {
    doc: "invocation-ids",
    apply: (t) =>
      t.replace(/^(InvocationID=)[0-9a-f]{32}$/gm, "$1<ID>")
        .replace(/\b[0-9a-f]{32}\b/g, "<ID>"),
  },
  {
    doc: "counters",
    apply: (t) =>
      t.replace(
        /^((?:Memory|CPU|Tasks|IP|IO)\w*(?:Current|Peak|NSec|Bytes|Packets|Usage\w*)=).*$/gm,
        "$1<N>",
      ),
  },
  {
    doc: "journal",
    // status ends each unit's block with a blank line and its journal lines; not compared.
    when: (cmd, stream) => stream === "stdout" && isVerb("status")(cmd),
    apply: (t) => {
      const lines = t.split("\n");
      const journal = (l: string | undefined) =>
        l !== undefined && /^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d /.test(l);
      return lines.filter((l, i) => !journal(l) && !(l === "" && journal(lines[i + 1])))
        .join("\n");
    },
  },
  {
    doc: "cgroups",
    // systemd's cgroup paths start at the container's cgroup; ours has none (the path is
    // made up from the slice); the counters need cgroup accounting.
    apply: (t) =>
      t.replace(/\/libpod_parent\/libpod-[0-9a-f]{64}/g, "")
        .replace(/^\s+(?:Tasks|Memory|CPU|IP|IO): .*\n/gm, ""),
  },
];

/** The normalised form of one operation's stdout or stderr. */
export function normalise(text: string, stream: "stdout" | "stderr", cmd: string): string {
  let t = text;
  for (const r of RULES) if (!r.when || r.when(cmd, stream)) t = r.apply(t);
  return t;
}

/** The docs/fidelity.md entries the rules name (a test checks that each exists). */
export const NORMALISATION_DOCS: readonly string[] = [...new Set(RULES.map((r) => r.doc))];
