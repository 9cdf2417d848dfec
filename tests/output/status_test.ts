import { strictEqual } from "node:assert/strict";
import { formatStatus, type StatusExtras, statusGlyph } from "../../src/output/status.ts";
import { NEVER_RAN, type RuntimeView, type UnitView } from "../../src/output/show.ts";
import type { UnitSettings } from "../../src/unit/model.ts";
import { formatRelative, formatTimestamp } from "../../src/unit/timespan.ts";

const NOW = Date.UTC(2024, 4, 7, 9, 18, 6) * 1000;
const T0 = NOW - 184_000_000; // 3min 4s earlier
const TS = `${formatTimestamp(T0, "local")}; ${formatRelative(NOW, T0)}`;

function view(over: {
  id?: string;
  description?: string;
  documentation?: string[];
  loadState?: string;
  loadError?: string;
  fragmentPath?: string;
  sourcePath?: string;
  dropInPaths?: string[];
  unitFileState?: string;
  unitFilePreset?: string;
  runtime?: Partial<RuntimeView>;
} = {}): UnitView {
  const id = over.id ?? "app.service";
  return {
    id,
    names: [id],
    type: id.slice(id.lastIndexOf(".") + 1),
    loadState: over.loadState ?? "loaded",
    loadError: over.loadError,
    fragmentPath: "fragmentPath" in over ? over.fragmentPath : `/etc/systemd/system/${id}`,
    sourcePath: over.sourcePath,
    dropInPaths: over.dropInPaths ?? [],
    unitFileState: over.unitFileState ?? "enabled",
    unitFilePreset: over.unitFilePreset ?? "enabled",
    unit: {
      description: "description" in over ? over.description : "Example app",
      documentation: over.documentation ?? [],
    } as unknown as UnitSettings,
    reverse: {},
    runtime: { ...NEVER_RAN, ...over.runtime },
    canStart: true,
    canStop: true,
    canReload: false,
    canIsolate: false,
    canClean: [],
  };
}

function extras(over: Partial<StatusExtras> = {}): StatusExtras {
  return {
    nowUs: NOW,
    logLines: [],
    members: [],
    controlRuns: [],
    full: true,
    withLog: true,
    ...over,
  };
}

const RUNNING: Partial<RuntimeView> = {
  activeState: "active",
  subState: "running",
  mainPid: 102,
  execMainPid: 102,
  activeEnter: [T0, 1],
  stateChange: [T0, 1],
};

Deno.test("statusGlyph follows the active state as systemd 252 does", () => {
  strictEqual(statusGlyph("active"), "●");
  strictEqual(statusGlyph("activating"), "●");
  strictEqual(statusGlyph("deactivating"), "●");
  strictEqual(statusGlyph("reloading"), "↻");
  strictEqual(statusGlyph("inactive"), "○");
  strictEqual(statusGlyph("maintenance"), "○");
  strictEqual(statusGlyph("failed"), "×");
  strictEqual(statusGlyph("inactive", "not-found"), "○");
});

Deno.test("status prints the full example block of spec 7.3", () => {
  const v = view({
    documentation: ["man:app(8)"],
    dropInPaths: [
      "/etc/systemd/system/app.service.d/10-env.conf",
      "/etc/systemd/system/app.service.d/20-limits.conf",
    ],
    runtime: { ...RUNNING, statusText: "Serving 3 clients" },
  });
  const out = formatStatus(
    v,
    extras({
      mainComm: "app",
      controlRuns: [{
        key: "ExecStartPre",
        argv: ["/usr/bin/app-check"],
        pid: 101,
        code: "exited",
        status: 0,
      }],
      members: [
        { pid: 110, cmdline: "/usr/bin/app --worker", ppid: 102 },
        { pid: 102, cmdline: "/usr/bin/app --serve", ppid: 1 },
      ],
      logLines: ["started", "listening on :80"],
    }),
  );
  strictEqual(
    out,
    [
      "● app.service - Example app",
      "     Loaded: loaded (/etc/systemd/system/app.service; enabled; preset: enabled)",
      "    Drop-In: /etc/systemd/system/app.service.d",
      "             └─10-env.conf, 20-limits.conf",
      `     Active: active (running) since ${TS}`,
      "       Docs: man:app(8)",
      "    Process: 101 ExecStartPre=/usr/bin/app-check (code=exited, status=0/SUCCESS)",
      "   Main PID: 102 (app)",
      '     Status: "Serving 3 clients"',
      "      Tasks: 2",
      "     CGroup: /system.slice/app.service",
      "             ├─102 /usr/bin/app --serve",
      "             └─110 /usr/bin/app --worker",
      "",
      "started",
      "listening on :80",
      "",
    ].join("\n"),
  );
  strictEqual(TS.endsWith("; 3min 4s ago"), true);
});

Deno.test("status of a never-started unit has no since, no Main PID, no CGroup", () => {
  strictEqual(
    formatStatus(view({ unitFileState: "disabled" }), extras()),
    "○ app.service - Example app\n" +
      "     Loaded: loaded (/etc/systemd/system/app.service; disabled; preset: enabled)\n" +
      "     Active: inactive (dead)\n",
  );
});

Deno.test("status without a description prints just the unit name", () => {
  const out = formatStatus(view({ description: undefined }), extras());
  strictEqual(out.split("\n")[0], "○ app.service");
  const same = formatStatus(view({ description: "app.service" }), extras());
  strictEqual(same.split("\n")[0], "○ app.service");
});

Deno.test("Loaded: static, alias, generated and transient omit the preset", () => {
  for (const state of ["static", "alias", "generated", "transient"]) {
    const line = formatStatus(view({ unitFileState: state }), extras()).split("\n")[1];
    strictEqual(line, `     Loaded: loaded (/etc/systemd/system/app.service; ${state})`);
  }
});

Deno.test("Loaded: the preset part is omitted when there is no preset", () => {
  const line = formatStatus(view({ unitFilePreset: "" }), extras()).split("\n")[1];
  strictEqual(line, "     Loaded: loaded (/etc/systemd/system/app.service; enabled)");
});

Deno.test("Loaded: the source path wins over the fragment (SysV)", () => {
  const v = view({
    id: "old.service",
    fragmentPath: undefined,
    sourcePath: "/etc/init.d/old",
    unitFileState: "generated",
  });
  strictEqual(
    formatStatus(v, extras()).split("\n")[1],
    "     Loaded: loaded (/etc/init.d/old; generated)",
  );
});

Deno.test("Loaded: a path without unit-file state, and a built-in without path", () => {
  strictEqual(
    formatStatus(view({ unitFileState: "" }), extras()).split("\n")[1],
    "     Loaded: loaded (/etc/systemd/system/app.service)",
  );
  strictEqual(
    formatStatus(view({ id: "-.slice", fragmentPath: undefined, unitFileState: "" }), extras())
      .split("\n")[1],
    "     Loaded: loaded",
  );
});

Deno.test("Loaded: not-found, masked, bad-setting and error print the reason", () => {
  const cases: Array<[string, string]> = [
    ["not-found", "Unit app.service not found."],
    ["masked", "Unit app.service is masked."],
    ["bad-setting", "Unit app.service has a bad unit file setting."],
    ["error", "Unit app.service failed to load properly, please adjust/correct and reload."],
  ];
  for (const [state, reason] of cases) {
    const out = formatStatus(
      view({ loadState: state, loadError: reason, description: undefined }),
      extras(),
    );
    strictEqual(
      out,
      `○ app.service\n     Loaded: ${state} (Reason: ${reason})\n     Active: inactive (dead)\n`,
    );
  }
});

Deno.test("Drop-In: one directory line per directory, files comma-separated", () => {
  const out = formatStatus(
    view({
      dropInPaths: [
        "/etc/systemd/system/service.d/00-all.conf",
        "/etc/systemd/system/app.service.d/a.conf",
        "/etc/systemd/system/app.service.d/b.conf",
        "/run/systemd/system/app.service.d/c.conf",
      ],
    }),
    extras(),
  );
  strictEqual(
    out.split("\n").slice(2, 8).join("\n"),
    [
      "    Drop-In: /etc/systemd/system/service.d",
      "             └─00-all.conf",
      "             /etc/systemd/system/app.service.d",
      "             └─a.conf, b.conf",
      "             /run/systemd/system/app.service.d",
      "             └─c.conf",
    ].join("\n"),
  );
});

Deno.test("Active: failed prints the result and the inactive-enter time", () => {
  const v = view({
    runtime: {
      activeState: "failed",
      subState: "failed",
      result: "exit-code",
      execMainPid: 102,
      execMainCode: 1,
      execMainStatus: 1,
      inactiveEnter: [T0, 1],
    },
  });
  const out = formatStatus(v, extras());
  strictEqual(
    out,
    "× app.service - Example app\n" +
      "     Loaded: loaded (/etc/systemd/system/app.service; enabled; preset: enabled)\n" +
      `     Active: failed (Result: exit-code) since ${TS}\n` +
      "   Main PID: 102 (code=exited, status=1/FAILURE)\n",
  );
});

Deno.test("Active: inactive (dead) since ... for a unit that ran", () => {
  const v = view({ runtime: { inactiveEnter: [T0, 1] } });
  strictEqual(formatStatus(v, extras()).split("\n")[2], `     Active: inactive (dead) since ${TS}`);
});

Deno.test("Active: auto-restart shows the result and the inactive-exit time", () => {
  const v = view({
    runtime: {
      activeState: "activating",
      subState: "auto-restart",
      result: "signal",
      inactiveExit: [T0, 1],
    },
  });
  strictEqual(
    formatStatus(v, extras()).split("\n")[2],
    `     Active: activating (auto-restart) (Result: signal) since ${TS}`,
  );
});

Deno.test("Active: deactivating uses the active-exit time", () => {
  const v = view({
    runtime: { activeState: "deactivating", subState: "stop-sigterm", activeExit: [T0, 1] },
  });
  strictEqual(
    formatStatus(v, extras()).split("\n")[2],
    `     Active: deactivating (stop-sigterm) since ${TS}`,
  );
});

Deno.test("Active: a sub state equal to the active state is not repeated (targets)", () => {
  const v = view({
    id: "multi-user.target",
    unitFileState: "static",
    runtime: { activeState: "active", subState: "active", activeEnter: [T0, 1] },
  });
  const out = formatStatus(v, extras());
  strictEqual(out.split("\n")[0], "● multi-user.target - Example app");
  strictEqual(out.split("\n")[2], `     Active: active since ${TS}`);
});

Deno.test("Main PID: killed and dumped print the signal name", () => {
  const killed = view({
    runtime: {
      activeState: "failed",
      subState: "failed",
      result: "signal",
      execMainPid: 102,
      execMainCode: 2,
      execMainStatus: 9,
    },
  });
  strictEqual(
    formatStatus(killed, extras()).split("\n")[3],
    "   Main PID: 102 (code=killed, signal=KILL)",
  );
  const dumped = view({
    runtime: { execMainPid: 102, execMainCode: 3, execMainStatus: 11, result: "core-dump" },
  });
  strictEqual(
    formatStatus(dumped, extras()).split("\n")[3],
    "   Main PID: 102 (code=dumped, signal=SEGV)",
  );
});

Deno.test("Main PID: an exit status without a name prints as a bare number", () => {
  const v = view({ runtime: { execMainPid: 7, execMainCode: 1, execMainStatus: 3 } });
  strictEqual(formatStatus(v, extras()).split("\n")[3], "   Main PID: 7 (code=exited, status=3)");
  const named = view({ runtime: { execMainPid: 7, execMainCode: 1, execMainStatus: 203 } });
  strictEqual(
    formatStatus(named, extras()).split("\n")[3],
    "   Main PID: 7 (code=exited, status=203/EXEC)",
  );
});

Deno.test("Main PID: unknown exit (code 0) prints the pid alone", () => {
  const v = view({
    runtime: { activeState: "failed", subState: "failed", result: "exit-code", execMainPid: 55 },
  });
  strictEqual(formatStatus(v, extras()).split("\n")[3], "   Main PID: 55");
});

Deno.test("Main PID: running without a known comm prints the pid alone", () => {
  strictEqual(
    formatStatus(view({ runtime: RUNNING }), extras()).split("\n")[3],
    "   Main PID: 102",
  );
});

Deno.test("Main PID and Control PID share a line; Cntrl PID alone is unindented in 252", () => {
  const both = view({ runtime: { ...RUNNING, activeState: "reloading", controlPid: 120 } });
  strictEqual(
    formatStatus(both, extras({ mainComm: "app", controlComm: "kill" })).split("\n")[3],
    "   Main PID: 102 (app); Control PID: 120 (kill)",
  );
  const control = view({
    runtime: {
      activeState: "activating",
      subState: "start-pre",
      controlPid: 99,
      inactiveExit: [T0, 1],
    },
  });
  strictEqual(
    formatStatus(control, extras({ controlComm: "sh" })).split("\n")[3],
    "Cntrl PID: 99 (sh)",
  );
});

Deno.test("Process: lines for exited, killed and failing runs; Ex keys are skipped", () => {
  const v = view({
    runtime: {
      activeState: "active",
      subState: "exited",
      execMainPid: 12,
      execMainCode: 1,
      activeEnter: [T0, 1],
    },
  });
  const out = formatStatus(
    v,
    extras({
      controlRuns: [
        {
          key: "ExecStartPre",
          argv: ["/bin/mkdir", "-p", "/run/app"],
          pid: 10,
          code: "exited",
          status: 0,
        },
        { key: "ExecStartPre", argv: ["/bin/false"], pid: 11, code: "exited", status: 1 },
        { key: "ExecStartPreEx", argv: ["/bin/false"], pid: 11, code: "exited", status: 1 },
        { key: "ExecStart", argv: ["/bin/true"], pid: 12, code: "exited", status: 0 },
        { key: "ExecStopPost", argv: ["/bin/sleep", "9"], pid: 13, code: "killed", status: 15 },
      ],
    }),
  );
  strictEqual(
    out.split("\n").slice(3).join("\n"),
    [
      "    Process: 10 ExecStartPre=/bin/mkdir -p /run/app (code=exited, status=0/SUCCESS)",
      "    Process: 11 ExecStartPre=/bin/false (code=exited, status=1/FAILURE)",
      "    Process: 12 ExecStart=/bin/true (code=exited, status=0/SUCCESS)",
      "    Process: 13 ExecStopPost=/bin/sleep 9 (code=killed, signal=TERM)",
      "   Main PID: 12 (code=exited, status=0/SUCCESS)",
      "",
    ].join("\n"),
  );
});

Deno.test("a control pid already shown as Process: is not repeated", () => {
  const v = view({ runtime: { controlPid: 10 } });
  const out = formatStatus(
    v,
    extras({
      controlRuns: [{ key: "ExecStop", argv: ["/bin/x"], pid: 10, code: "exited", status: 0 }],
    }),
  );
  strictEqual(out.includes("Cntrl PID"), false);
});

Deno.test("Docs: one per line, continuation indented 13 spaces", () => {
  const out = formatStatus(
    view({ documentation: ["man:app(8)", "https://example.com/"] }),
    extras(),
  );
  strictEqual(
    out.split("\n").slice(3, 5).join("\n"),
    "       Docs: man:app(8)\n             https://example.com/",
  );
});

Deno.test("Condition: failed start condition with the tree line", () => {
  const out = formatStatus(
    view({ runtime: { conditionTimestamp: [T0, 1], conditionResult: false } }),
    extras({
      failedCheck: { kind: "Condition", text: "ConditionPathExists=/x", atUs: T0 },
    }),
  );
  strictEqual(
    out.split("\n").slice(3, 5).join("\n"),
    `  Condition: start condition failed at ${TS}\n` +
      "             └─ ConditionPathExists=/x was not met",
  );
});

Deno.test("Assert: failed assertion without tree glyph", () => {
  const out = formatStatus(
    view(),
    extras({ failedCheck: { kind: "Assert", text: "AssertPathExists=!/y", atUs: T0 } }),
  );
  strictEqual(
    out.split("\n").slice(3, 5).join("\n"),
    `     Assert: start assertion failed at ${TS}\n` +
      "             AssertPathExists=!/y was not met",
  );
});

Deno.test("Status: text is quoted; Error: names the errno", () => {
  const out = formatStatus(
    view({ runtime: { ...RUNNING, statusText: "Ready.", statusErrno: 2 } }),
    extras({ mainComm: "app" }),
  );
  strictEqual(
    out.split("\n").slice(4, 6).join("\n"),
    '     Status: "Ready."\n      Error: 2 (No such file or directory)',
  );
});

Deno.test("CGroup: pids sorted and right-aligned to the widest", () => {
  const out = formatStatus(
    view({ runtime: RUNNING }),
    extras({
      mainComm: "app",
      members: [
        { pid: 12345, cmdline: "/usr/bin/worker", ppid: 102 },
        { pid: 102, cmdline: "/usr/bin/app", ppid: 1 },
        { pid: 102, cmdline: "/usr/bin/app", ppid: 1 },
        { pid: 987, cmdline: "", ppid: 102 },
      ],
    }),
  );
  strictEqual(
    out.split("\n").slice(4).join("\n"),
    [
      "      Tasks: 3",
      "     CGroup: /system.slice/app.service",
      "             ├─  102 /usr/bin/app",
      "             ├─  987 n/a",
      "             └─12345 /usr/bin/worker",
      "",
    ].join("\n"),
  );
});

Deno.test("CGroup: command lines are ellipsized only when not full", () => {
  const long = "/usr/bin/app " + "x".repeat(100);
  const members = [{ pid: 102, cmdline: long, ppid: 1 }];
  const full = formatStatus(view({ runtime: RUNNING }), extras({ members }));
  strictEqual(full.includes(long), true);
  const cut = formatStatus(view({ runtime: RUNNING }), extras({ members, full: false }));
  const line = cut.split("\n").find((l) => l.includes("─102"));
  strictEqual(line?.endsWith("…"), true);
  strictEqual(Array.from(line ?? "").length, 80);
});

Deno.test("CGroup: an explicit path replaces the system slice", () => {
  const out = formatStatus(
    view({ runtime: RUNNING }),
    extras({ members: [{ pid: 5, cmdline: "x", ppid: 1 }], cgroupPath: "/user.slice/app.service" }),
  );
  strictEqual(out.includes("     CGroup: /user.slice/app.service\n             └─5 x\n"), true);
});

Deno.test("log lines follow an empty line; -n 0 and empty logs print nothing", () => {
  const v = view();
  strictEqual(formatStatus(v, extras({ logLines: ["a", "b"] })).endsWith("(dead)\n\na\nb\n"), true);
  strictEqual(
    formatStatus(v, extras({ logLines: ["a"], withLog: false })).endsWith("(dead)\n"),
    true,
  );
  strictEqual(formatStatus(v, extras({ logLines: [] })).endsWith("(dead)\n"), true);
});

Deno.test("timer units print Trigger: and Triggers:", () => {
  const next = NOW + 3600_000_000 * 7;
  const v = view({
    id: "daily.timer",
    description: "Daily job",
    runtime: { activeState: "active", subState: "waiting", activeEnter: [T0, 1] },
  });
  const out = formatStatus(
    v,
    extras({ nextElapseUs: next, triggers: [{ unit: "daily.service", activeState: "inactive" }] }),
  );
  strictEqual(
    out.split("\n").slice(3).join("\n"),
    `    Trigger: ${formatTimestamp(next, "local")}; 7h left\n` +
      "   Triggers: ● daily.service\n",
  );
  const none = formatStatus(v, extras());
  strictEqual(none.split("\n")[3], "    Trigger: n/a");
});

Deno.test("socket units print Triggers: and Listen:; services TriggeredBy:", () => {
  const sock = view({
    id: "app.socket",
    runtime: { activeState: "active", subState: "listening", activeEnter: [T0, 1] },
  });
  const out = formatStatus(
    sock,
    extras({
      triggers: [{ unit: "app.service", activeState: "inactive" }],
      listen: [
        { type: "Stream", address: "/run/app.sock" },
        { type: "Stream", address: "[::]:8080" },
      ],
    }),
  );
  strictEqual(
    out.split("\n").slice(3).join("\n"),
    "   Triggers: ● app.service\n" +
      "     Listen: /run/app.sock (Stream)\n" +
      "             [::]:8080 (Stream)\n",
  );
  const svc = formatStatus(
    view({ runtime: RUNNING }),
    extras({
      triggeredBy: [
        { unit: "app.socket", activeState: "active" },
        { unit: "app.timer", activeState: "inactive" },
      ],
    }),
  );
  strictEqual(
    svc.split("\n").slice(3, 5).join("\n"),
    "TriggeredBy: ● app.socket\n             ○ app.timer",
  );
});
