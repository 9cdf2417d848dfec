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
        .replace(/(start_time|stop_time|next_elapse)=\[(?!n\/a\])[^\]]*\]/g, "$1=[<TIME>]")
        .replace(/\b(Startup finished in )[^\n]*/g, "$1<SPAN>"),
  },
  {
    doc: "times",
    // list-timers: the NEXT/LEFT/LAST/PASSED columns move with the clock; so do their widths.
    when: (cmd) => isVerb("list-timers")(cmd),
    apply: (t) =>
      t.replace(/\b(?:\d+(?:us|ms|s|min|h|d|w|month|y) ?)+ (left|ago)\b/g, "<SPAN> $1")
        .replace(/ {2,}/g, " "),
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
    // status ends each unit's block with a blank line and its last log lines (systemd's from
    // the journal, ours from the unit's log file); they are not compared. Blocks start with
    // the unit's state mark in the first column.
    when: (cmd, stream) => stream === "stdout" && isVerb("status")(cmd),
    apply: (t) => {
      const out: string[] = [];
      let inLog = false;
      for (const l of t.split("\n")) {
        if (/^[●○×↻] /.test(l)) inLog = false;
        else if (l === "") inLog = true;
        if (!inLog) out.push(l);
      }
      return out.join("\n") + (t.endsWith("\n") ? "\n" : "");
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

/** Units of systemd's own that we never run (src/service/manager.ts BOOT_IGNORE, in short). */
const OWN_UNIT =
  /(?:^|[─\s])((?:systemd-[\w@.\\-]*|dbus[\w@.-]*|getty@\S*|serial-getty@\S*|console-getty\.service|kmod\S*|e2scrub\S*|\S+\.mount|\S+\.swap|\S+\.automount|\S+\.device|\S+\.path))$/;

const DEPENDENCY_PROPERTY =
  /^(Requires|Requisite|Wants|BindsTo|PartOf|Upholds|RequiredBy|RequisiteOf|WantedBy|BoundBy|ConsistsOf|UpheldBy|Conflicts|ConflictedBy|Before|After|OnFailure|OnFailureOf|OnSuccess|OnSuccessOf|Triggers|TriggeredBy|PropagatesReloadTo|ReloadPropagatedFrom|PropagatesStopTo|StopPropagatedFrom|JoinsNamespaceOf|Names)=(.*)$/gm;

RULES.push(
  {
    doc: "hash-order",
    // systemd prints dependency sets in the order of its hash tables (seeded per boot).
    apply: (t) =>
      t.replace(
        DEPENDENCY_PROPERTY,
        (_m, k: string, v: string) => `${k}=${v.split(" ").filter((w) => w).sort().join(" ")}`,
      ),
  },
  {
    doc: "hash-order",
    // `status PATTERN` shows the loaded units that match in the manager's hash order.
    when: (cmd, stream) => stream === "stdout" && isVerb("status")(cmd) && /[*?[]/.test(cmd),
    apply: (t) => {
      const blocks: string[][] = [];
      for (const l of t.replace(/\n$/, "").split("\n")) {
        if (/^[●○×↻] /.test(l) || blocks.length === 0) blocks.push([]);
        blocks[blocks.length - 1].push(l);
      }
      return blocks.map((b) => b.join("\n")).sort().join("\n") + (t.endsWith("\n") ? "\n" : "");
    },
  },
  {
    doc: "parallel-jobs",
    // The jobs of several units named at once run in parallel in systemd; their failures are
    // reported as they end. Each report (its first line and the hint lines) is one group.
    when: (cmd, stream) =>
      stream === "stderr" &&
      /^systemctl (start|stop|restart|try-restart|reload|reload-or-restart) \S+ \S+/.test(cmd),
    apply: (t) => {
      const groups: string[][] = [];
      for (const l of t.split("\n").filter((x) => x !== "")) {
        if (/^(See |To force|followed by)/.test(l) && groups.length) groups.at(-1)!.push(l);
        else groups.push([l]);
      }
      return groups.map((g) => g.join("\n") + "\n").sort().join("");
    },
  },
  {
    doc: "own-units",
    when: (cmd, stream) => stream === "stdout" && isVerb("list-dependencies")(cmd),
    apply: (t) => t.split("\n").filter((l) => !OWN_UNIT.test(l)).join("\n"),
  },
  {
    doc: "no-dbus",
    // The images have no D-Bus: systemd's systemctl says so before it falls back to
    // systemd's private socket (poweroff, reboot, halt ask logind first).
    when: (_cmd, stream) => stream === "stderr",
    apply: (t) => t.replace(/^Failed to connect to bus: No such file or directory\n/gm, ""),
  },
);

/** The normalised form of one operation's stdout or stderr. */
export function normalise(text: string, stream: "stdout" | "stderr", cmd: string): string {
  let t = text;
  for (const r of RULES) if (!r.when || r.when(cmd, stream)) t = r.apply(t);
  return t;
}

/** The docs/fidelity.md entries the rules name (a test checks that each exists). */
export const NORMALISATION_DOCS: readonly string[] = [...new Set(RULES.map((r) => r.doc))];
