/**
 * Differential tests against a live systemd 252 (booted as PID 1 of its own
 * namespaces in a bookworm rootfs, see tests/support/live_systemd.ts).
 * The same unit files, the same verbs: systemd inside, ours with `--root` on
 * the same root; exit codes, `is-*` words, `show` properties and `status`
 * blocks must agree once PIDs, times and durations are masked. Needs root;
 * skips with the reason printed elsewhere.
 */

import assert from "node:assert/strict";
import { bootSystemd, ensureSystemdRootfs, type RunResult } from "../support/live_systemd.ts";
import { isRoot, rootfsSkipReason } from "../support/rootfs.ts";
import { PERMS } from "../cli/_cli.ts";
import { RELATIVE, relativeAgree } from "../support/relative_time.ts";

const MOD = new URL("../../mod.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

const SKIP = isRoot() ? await rootfsSkipReason() : "booting systemd in namespaces needs root";
if (SKIP) console.log(`skipping live systemd differential tests: ${SKIP}`);

const UNITS: Record<string, string> = {
  "demo.service": `[Unit]
Description=Demo service
Documentation=man:sleep(1) https://example.org/demo
After=network.target
Wants=network.target

[Service]
Type=simple
ExecStart=/bin/sleep 1000
Environment=FOO=bar "BAZ=qu ux"
User=nobody
Restart=on-failure
TimeoutStopSec=7

[Install]
WantedBy=multi-user.target
Alias=demo-alias.service
`,
  "fail.service": `[Unit]
Description=Failing

[Service]
Type=oneshot
ExecStartPre=/bin/true
ExecStart=/bin/sh -c "sleep 0.2; exit 3"
ExecStopPost=/bin/true

[Install]
WantedBy=multi-user.target
`,
  "once.service": `[Unit]
Description=One shot

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
ExecStart=/bin/echo second

[Install]
WantedBy=multi-user.target
`,
  "missing.service": `[Unit]
Description=Missing binary

[Service]
ExecStart=/nonexistent/bin --flag

[Install]
WantedBy=multi-user.target
`,
  "notif.service": `[Unit]
Description=Notify service

[Service]
Type=notify
ExecStart=/bin/sh -c 'systemd-notify --ready --status="Serving"; exec sleep 1000'
ExecReload=/bin/true
NotifyAccess=all

[Install]
WantedBy=multi-user.target
`,
  "dropped.service": `[Unit]
Description=With a drop-in

[Service]
ExecStart=/bin/sleep 1000

[Install]
WantedBy=multi-user.target
`,
  "dropped.service.d/10-env.conf": `[Service]
Environment=FROM_DROPIN=1
KillMode=mixed
`,
  "cond.service": `[Unit]
Description=Condition fails
ConditionPathExists=/nonexistent/path

[Service]
ExecStart=/bin/sleep 1000

[Install]
WantedBy=multi-user.target
`,
  "bad.service": `[Unit]
Description=Bad setting

[Service]
ExecStart=relative/path
`,
  "static.service": `[Unit]
Description=No install section

[Service]
Type=oneshot
ExecStart=/bin/true
`,
  "masked.service": "->/dev/null",
  "sock.socket": `[Socket]
ListenStream=127.0.0.1:19999
ExecStartPre=/bin/true sock

[Install]
WantedBy=sockets.target
`,
  "acc.socket": `[Socket]
ListenStream=127.0.0.1:19998
Accept=yes
`,
  "acc@.service": `[Service]
ExecStart=/bin/cat
StandardInput=socket
`,
  "sock.service": `[Service]
ExecStart=/bin/cat
StandardInput=socket
`,
  "tick.timer": `[Timer]
OnCalendar=daily

[Install]
WantedBy=timers.target
`,
  "tick.service": `[Service]
Type=oneshot
ExecStart=/bin/true
`,
  "inst@.service": `[Unit]
Description=Instance %i

[Service]
ExecStart=/bin/sleep 100%i
WatchdogSec=30
`,
  "env.service": `[Service]
ExecStart=/bin/sleep 1000
EnvironmentFile=-/etc/default/nothere
Nice=5
UMask=0077
KillSignal=SIGINT
TimeoutSec=15
Restart=always
RestartSec=2
SuccessExitStatus=42 SIGUSR1
RuntimeDirectory=envdir
`,
  "nouser.service": `[Unit]
Description=Unknown user

[Service]
ExecStart=/bin/sleep 1000
User=nosuchuser

[Install]
WantedBy=multi-user.target
`,
  "execmiss.service": `[Unit]
Description=Type=exec, missing binary

[Service]
Type=exec
ExecStart=/nonexistent/exec

[Install]
WantedBy=multi-user.target
`,
  "grp.target": `[Unit]
Description=A group
Wants=demo.service
`,
};

/** The scenario: what both managers do, in order. */
const ACTIONS: string[][] = [
  // Enabled units stay referenced, so systemd keeps their runtime data after they stop
  // (an unreferenced inactive unit is garbage-collected and shows no history).
  [
    "enable",
    "demo",
    "fail",
    "once",
    "missing",
    "notif",
    "dropped",
    "cond",
    "sock.socket",
    "nouser",
    "execmiss",
  ],
  ["start", "demo"],
  ["start", "fail"],
  ["start", "once"],
  ["start", "missing"],
  ["start", "notif"],
  ["start", "dropped"],
  ["start", "cond"],
  ["start", "bad"],
  ["start", "masked"],
  ["start", "nosuch"],
  ["start", "nouser"],
  ["start", "execmiss"],
  ["reload", "notif"],
  ["reload", "demo"],
  ["reload", "cond"],
  ["isolate", "demo"],
  ["isolate", "nosuch.target"],
  ["restart", "dropped"],
  ["try-restart", "cond"],
];

const QUERIED = [
  "demo.service",
  "fail.service",
  "once.service",
  "missing.service",
  "notif.service",
  "dropped.service",
  "cond.service",
  "bad.service",
  "static.service",
  "masked.service",
  "nosuch.service",
  "nouser.service",
  "execmiss.service",
  "sock.socket",
  // Accept=yes: its own TriggerLimitBurst= default (200).
  "acc.socket",
  "tick.timer",
  "inst@x.service",
  // A bare template: systemd's manager refuses the name (show, status, is-active, is-failed).
  "inst@.service",
];

/** The `show` command lines of Chef, Puppet and Ansible's service_facts (UNIT: the unit). */
const CLIENT_SHOWS = [
  ["--system", "show", "-p", "UnitFileState", "-p", "ActiveState", "UNIT"],
  ["show", "UNIT", "--property", "LoadState", "--property", "UnitFileState", "--no-pager"],
  ["show", "UNIT", "--property=ActiveState"],
  ["show", "--property=NeedDaemonReload", "--", "UNIT"],
];

/** Debian's own unit files, where this machine has the packages (CI installs them). */
const SHIPPED = [
  "nginx.service",
  "redis-server.service",
  "memcached.service",
  "ssh.service",
  "ssh.socket",
  "apache2.service",
  "apache-htcacheclean.service",
  "mariadb.service",
  "postgresql.service",
  "postgresql@.service",
].filter((n) => {
  try {
    return Deno.statSync(`/lib/systemd/system/${n}`).isFile;
  } catch {
    return false;
  }
});

if (!SKIP && SHIPPED.length < 10) {
  console.log(
    "live systemd diff: shipped units compared only where installed: " + SHIPPED.join(" "),
  );
}

/** Units whose whole default `show` is compared. */
const SHOWN = [
  ...QUERIED,
  "grp.target",
  "env.service",
  ...SHIPPED.filter((n) => !n.includes("@.")),
  ...(SHIPPED.includes("postgresql@.service") ? ["postgresql@15-main.service"] : []),
];

/**
 * What systemd prints and we do not model (cgroup accounting, resource limits
 * we do not set, scheduling, sandboxing, logging knobs; the [Socket] and [Timer]
 * blocks are compared in full): listed so that any other missing property fails the test.
 */
const NOT_MODELLED = new RegExp(
  "^(ControlGroupId|Memory\\w*|DefaultMemory\\w*|CPU\\w*|StartupCPU\\w*|IO\\w*|StartupIO\\w*|" +
    "BlockIO\\w*|StartupBlockIO\\w*|IP\\w*|Tasks\\w*|Delegate|DevicePolicy|ManagedOOM\\w*|" +
    "OOMScoreAdjust|CoredumpFilter|CPUScheduling\\w*|CPUAffinityFromNUMA|NUMAPolicy|" +
    "TimerSlackNSec|NonBlocking|TTY\\w*|Syslog\\w*|LogLevelMax|LogRateLimit\\w*|SecureBits|" +
    "CapabilityBoundingSet|RemoveIPC|Private\\w*|Protect\\w*|Restrict\\w*|SameProcessGroup|" +
    "UtmpMode|IgnoreSIGPIPE|SystemCallErrorNumber|LockPersonality|TimeoutCleanUSec|" +
    "MountAPIVFS|KeyringMode|ProcSubset|" +
    // sandboxing we do not apply (systemd expands SystemCallFilter= groups into syscall lists)
    "DeviceAllow|ReadWritePaths|ReadOnlyPaths|InaccessiblePaths|ExecPaths|NoExecPaths|" +
    "SystemCallFilter|SystemCallArchitectures|AmbientCapabilities)$",
);

/** Values that may differ: cgroup readings, a random ID, the freezer we do not offer. */
const UNCOMPARED = new Set(["MemoryCurrent", "TasksCurrent", "InvocationID", "CanFreeze"]);

/**
 * Limits a unit does not set are inherited: systemd's from its own defaults, ours from the
 * process that starts the service. Both print them; the values differ by design.
 */
const INHERITED = /^Limit[A-Z]+(Soft)?$/;

function showMap(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of showComparable(text).split("\n")) {
    const i = line.indexOf("=");
    if (i <= 0) continue;
    const key = line.slice(0, i);
    // Exec properties repeat; keep them all, in order.
    out.set(out.has(key) ? `${key}#${out.size}` : key, line.slice(i + 1));
  }
  return out;
}

/** Properties compared in `show`; values are masked where they are PIDs or times. */
const PROPS = [
  "Type",
  "Restart",
  "NotifyAccess",
  "RestartUSec",
  "TimeoutStartUSec",
  "TimeoutStopUSec",
  "RemainAfterExit",
  "GuessMainPID",
  "MainPID",
  "ControlPID",
  "StatusText",
  "StatusErrno",
  "Result",
  "ReloadResult",
  "NRestarts",
  "ExecMainPID",
  "ExecMainCode",
  "ExecMainStatus",
  "ExecMainStartTimestamp",
  "ExecMainExitTimestamp",
  "ExecStartPre",
  "ExecStart",
  "ExecStopPost",
  "ExecReload",
  "Environment",
  "UMask",
  "User",
  "KillMode",
  "KillSignal",
  "SendSIGKILL",
  "Id",
  "Names",
  "Wants",
  "WantedBy",
  "Conflicts",
  "Before",
  "Documentation",
  "Description",
  "LoadState",
  "ActiveState",
  "SubState",
  "FragmentPath",
  "DropInPaths",
  "UnitFileState",
  "UnitFilePreset",
  "ActiveEnterTimestamp",
  "InactiveEnterTimestamp",
  "CanStart",
  "CanStop",
  "CanReload",
  "CanIsolate",
  "StopWhenUnneeded",
  "RefuseManualStart",
  "AllowIsolate",
  "DefaultDependencies",
  "ConditionResult",
  "AssertResult",
  "LoadError",
  "Transient",
  "StartLimitBurst",
  "StartLimitIntervalUSec",
];

/** A relative time after a timestamp (`since …; 1min 0s ago`), in any of systemd's forms. */
const AFTER_TIME = new RegExp(`; (${RELATIVE.source})`, "g");

/** The relative times of a text, in order (see {@link AFTER_TIME}). */
function relativeTimes(text: string): string[] {
  return [...text.matchAll(AFTER_TIME)].map((m) => m[1]);
}

/** Masks what legitimately differs: PIDs, wall-clock times, durations. */
function mask(text: string): string {
  return text
    .replace(/[A-Z][a-z]{2} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z]+/g, "<TIME>")
    .replace(AFTER_TIME, "; <REL>")
    .replace(/(Duration: ).*/g, "$1<D>")
    .replace(/\bpid=\d+/g, "pid=<PID>")
    .replace(/^((?:Main|Exec)?\w*PID=)[1-9]\d*$/gm, "$1<PID>")
    .replace(/((?:Main PID|Process): )\d+/g, "$1<PID>")
    .replace(/^(\w+Monotonic=)[1-9]\d*$/gm, "$1<MONO>");
}

const DEPENDENCY_LISTS =
  /^(Requires|Requisite|Wants|BindsTo|PartOf|Upholds|RequiredBy|RequisiteOf|WantedBy|BoundBy|ConsistsOf|Conflicts|ConflictedBy|Before|After|OnFailure|OnSuccess|Triggers|TriggeredBy|RequiresMountsFor)=(.*)$/gm;

/** `show` output masked, with dependency lists sorted (systemd prints them in hash order). */
function showComparable(text: string): string {
  return mask(text).replace(
    DEPENDENCY_LISTS,
    (_m, k: string, v: string) => `${k}=${v.split(" ").filter((w) => w).sort().join(" ")}`,
  );
}

/** Drops the status lines that need cgroup accounting we do not have. */
function statusComparable(text: string): string {
  return mask(text).split("\n").filter((l) =>
    !/^\s+(Tasks|Memory|CPU|CGroup|IP|IO):/.test(l) && !/^\s+[└├│]/.test(l) &&
    // systemd's cgroup reading, which fails now and then inside the namespace
    !/^Failed to dump process list for /.test(l)
  ).join("\n");
}

function ours(root: string, ...args: string[]): RunResult {
  const out = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...PERMS, MOD, `--root=${root}`, ...args],
    env: { NO_COLOR: "1", SYSTEMD_COLORS: "0" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/**
 * Polls until `done` holds, for at most a minute (a bound for a loaded machine; when it
 * runs out, the comparisons that follow say what differs).
 */
async function settle(done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await done()) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

function writeUnits(root: string): void {
  for (const n of SHIPPED) {
    Deno.copyFileSync(`/lib/systemd/system/${n}`, `${root}/lib/systemd/system/${n}`);
  }
  const dir = `${root}/etc/systemd/system`;
  for (const [name, text] of Object.entries(UNITS)) {
    const path = `${dir}/${name}`;
    Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    if (text.startsWith("->")) Deno.symlinkSync(text.slice(2), path);
    else Deno.writeTextFileSync(path, text);
  }
}

Deno.test({
  name: "a live systemd 252 and we agree on start, is-*, show and status of the same units",
  ignore: SKIP !== undefined,
  sanitizeResources: false,
  async fn() {
    const cached = await ensureSystemdRootfs();
    if (!cached.ok) throw new Error(`no systemd rootfs: ${cached.reason}`);
    // Every relative time either side prints is of an event of this test, read during it:
    // both sides' values may differ by at most how long the test has run so far.
    const t0 = Date.now();
    const live = await bootSystemd(cached.dir, writeUnits);
    const root = live.root;
    const problems: string[] = [];
    const sameTimes = (what: string, a: string, b: string) => {
      const [ta, tb] = [relativeTimes(a), relativeTimes(b)];
      const tolerance = (Date.now() - t0) * 1000;
      ta.forEach((v, i) => {
        if (i < tb.length && !relativeAgree(v, tb[i], tolerance)) {
          problems.push(
            `${what}: "${v}" (systemd) and "${tb[i]}" (ours) differ by more than ${
              Math.round(tolerance / 1000)
            } ms`,
          );
        }
      });
    };
    const same = (what: string, a: string, b: string) => {
      if (a === b) return;
      const al = a.split("\n");
      const bl = b.split("\n");
      const onlyA = al.filter((l) => !bl.includes(l)).map((l) => `- ${l}`);
      const onlyB = bl.filter((l) => !al.includes(l)).map((l) => `+ ${l}`);
      const lines = onlyA.length + onlyB.length > 0 ? [...onlyA, ...onlyB] : ["(line order)"];
      problems.push(`${what} (- systemd, + ours)\n${lines.join("\n")}`);
    };
    try {
      for (const action of ACTIONS) {
        const real = await live.systemctl(...action);
        const mine = ours(root, ...action);
        same(`exit code of ${action.join(" ")}`, String(real.code), String(mine.code));
        if (action[0] !== "enable") {
          same(`stderr of ${action.join(" ")}`, mask(real.stderr), mask(mine.stderr));
        }
      }
      // Type=simple units whose exec fails are failed a moment after `start` returned, on
      // both sides: wait for that (a bound, not a duration the test relies on).
      await settle(async () => {
        for (const unit of ["missing.service", "nouser.service"]) {
          if ((await live.systemctl("is-failed", unit)).stdout.trim() !== "failed") return false;
          if (ours(root, "is-failed", unit).stdout.trim() !== "failed") return false;
        }
        return true;
      });
      // Listings restricted to the test's units (systemd lists only what it has loaded).
      // (bad.service is left out: systemd drops a unit with a bad setting once its start fails.)
      const OWN = ["demo*", "fail*", "once*", "missing*", "notif*", "dropped*", "cond*"];
      const listings: string[][] = [
        ["list-units", "--all", ...OWN],
        ["list-units", ...OWN],
        // Restricted to ours: systemd's own gettys may fail in the namespace.
        ["list-units", "--failed", ...OWN],
        [
          "list-unit-files",
          ...OWN,
          "bad*",
          "static*",
          "masked*",
          "sock*",
          "tick*",
          "inst*",
          "grp*",
        ],
        ["list-dependencies", "grp.target"],
        ["cat", "dropped", "demo"],
        ["list-sockets", "--all", "sock*"],
        ["list-jobs"],
        // The listings configuration-management tools parse (tests/clients/): Ansible's
        // service_facts, Puppet's instances, Salt's get_running and get_enabled.
        ["list-units", "--type", "service", "--all", ...OWN, "inst*"],
        ["list-units", "--type", "service", "--all", "--plain", ...OWN, "inst*"],
        ["list-unit-files", "--type", "service", "--all", ...OWN, "static*", "masked*", "inst*"],
        ["list-unit-files", "--type", "service", "--full", "--all", ...OWN, "static*", "masked*"],
        ["--full", "--no-legend", "list-units", ...OWN],
        ["--full", "--no-legend", "list-unit-files", ...OWN, "static*", "masked*", "inst*"],
      ];
      for (const cmd of listings) {
        const real = await live.systemctl(...cmd, "--no-pager");
        const mine = ours(root, ...cmd, "--no-pager");
        same(
          `${cmd.join(" ")} (exit ${real.code}/${mine.code})`,
          real.stdout + real.stderr,
          mine.stdout + mine.stderr,
        );
      }
      for (const unit of QUERIED) {
        for (const verb of ["is-active", "is-enabled", "is-failed"]) {
          const real = await live.systemctl(verb, unit);
          const mine = ours(root, verb, unit);
          same(`${verb} ${unit}`, `${real.code} ${real.stdout}`, `${mine.code} ${mine.stdout}`);
        }
        const real = await live.systemctl("show", unit, "-p", PROPS.join(","));
        const mine = ours(root, "show", unit, "-p", PROPS.join(","));
        same(`show ${unit}`, showComparable(real.stdout), showComparable(mine.stdout));
        for (const form of CLIENT_SHOWS) {
          const args = form.map((a) => a === "UNIT" ? unit : a);
          const real = await live.systemctl(...args);
          const mine = ours(root, ...args);
          same(`${args.join(" ")}`, `${real.code} ${real.stdout}`, `${mine.code} ${mine.stdout}`);
        }
        const rs = await live.systemctl("status", unit, "-n0", "--no-pager");
        const os = ours(root, "status", unit, "-n0", "--no-pager");
        sameTimes(`status ${unit}`, rs.stdout, os.stdout);
        same(
          `status ${unit} (exit ${rs.code}/${os.code})`,
          statusComparable(rs.stdout + rs.stderr),
          statusComparable(os.stdout + os.stderr),
        );
      }
      // What Ansible's systemd_service and Chef ask about an enabled unit, by name and by alias.
      const clientCalls: string[][] = [
        ["is-enabled", "demo", "-l"],
        ["is-enabled", "--full", "demo-alias.service", "static", "masked", "once"],
        ["show", "demo-alias.service", "-p", "Id,Names,UnitFileState,UnitFilePreset"],
        ["status", "demo-alias.service", "-n0", "--no-pager"],
        ["condreload", "notif"],
      ];
      for (const cmd of clientCalls) {
        const real = await live.systemctl(...cmd);
        const mine = ours(root, ...cmd);
        sameTimes(cmd.join(" "), real.stdout, mine.stdout);
        same(
          `${cmd.join(" ")} (exit ${real.code}/${mine.code})`,
          statusComparable(real.stdout + real.stderr),
          statusComparable(mine.stdout + mine.stderr),
        );
      }
      for (const unit of SHOWN) {
        const real = showMap((await live.systemctl("show", unit)).stdout);
        const mine = showMap(ours(root, "show", unit).stdout);
        const lines: string[] = [];
        for (const [k, v] of real) {
          if (!mine.has(k)) {
            if (!NOT_MODELLED.test(k.replace(/#\d+$/, ""))) lines.push(`- ${k}=${v}`);
          } else if (!UNCOMPARED.has(k) && !INHERITED.test(k) && mine.get(k) !== v) {
            lines.push(`- ${k}=${v}`, `+ ${k}=${mine.get(k)}`);
          }
        }
        for (const [k, v] of mine) if (!real.has(k)) lines.push(`+ ${k}=${v}`);
        if (lines.length) {
          problems.push(`full show ${unit} (- systemd, + ours)\n${lines.join("\n")}`);
        }
      }
      const after: string[][] = [
        ["stop", "demo"],
        ["stop", "notif"],
        ["kill", "dropped"],
        ["reset-failed", "fail"],
      ];
      for (const action of after) {
        const real = await live.systemctl(...action);
        const mine = ours(root, ...action);
        same(`exit code of ${action.join(" ")}`, String(real.code), String(mine.code));
      }
      // The killed main process needs a moment to go: until neither side says active.
      await settle(async () =>
        !["active", "deactivating"].includes(
          (await live.systemctl("is-active", "dropped.service")).stdout.trim(),
        ) &&
        !["active", "deactivating"].includes(
          ours(root, "is-active", "dropped.service").stdout.trim(),
        )
      );
      for (const unit of ["demo.service", "notif.service", "fail.service", "dropped.service"]) {
        for (const verb of ["is-active", "is-failed"]) {
          const real = await live.systemctl(verb, unit);
          const mine = ours(root, verb, unit);
          same(
            `${verb} ${unit} at the end`,
            `${real.code} ${real.stdout}`,
            `${mine.code} ${mine.stdout}`,
          );
        }
        const real = await live.systemctl("show", unit, "-p", PROPS.join(","));
        const mine = ours(root, "show", unit, "-p", PROPS.join(","));
        same(`show ${unit} after stop`, showComparable(real.stdout), showComparable(mine.stdout));
      }
    } finally {
      ours(root, "stop", ...QUERIED);
      await live.close();
    }
    assert.deepEqual(problems, [], problems.join("\n\n"));
  },
});
