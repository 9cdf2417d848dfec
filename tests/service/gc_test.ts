/**
 * Loading and garbage collection of units as systemd's manager does it (issue 25 (a)):
 * a unit that is inactive and referenced by no loaded unit is forgotten, a failed one
 * stays until reset-failed (CollectMode=inactive) or goes at once
 * (CollectMode=inactive-or-failed), and `list-units --all` lists the loaded units only,
 * referenced ones without a file included. Also result precedence (issue 25 (c)).
 */

import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { rootTest, type Run, service } from "./_support.ts";

function ok0(r: Run, what = "command"): void {
  strictEqual(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`);
}

const listed = (r: Run) =>
  r.stdout.split("\n").filter((l) => /\.(service|target)\s/.test(l)).map((l) =>
    l.replace(/^[●\s]+/, "").split(/\s+/).slice(0, 4).join(" ")
  );

rootTest("a unit that was never loaded is not in list-units --all", async (root) => {
  root.unit("idle.service", service(`ExecStart=/bin/sleep 3201`));
  const all = await root.run("list-units", "--all", "idle*");
  ok0(all);
  deepStrictEqual(listed(all), []);
  match(all.stdout, /^0 loaded units listed\.$/m);
  strictEqual((await root.run("status", "idle")).code, 3);
});

rootTest("a stopped unit nothing references is collected: show reads it fresh", async (root) => {
  root.unit("gc.service", service(`ExecStart=/bin/sleep 3202`));
  ok0(await root.run("start", "gc"));
  deepStrictEqual(listed(await root.run("list-units", "--all", "gc*")), [
    "gc.service loaded active running",
  ]);
  ok0(await root.run("stop", "gc"));
  deepStrictEqual(listed(await root.run("list-units", "--all", "gc*")), []);
  const s = await root.show(
    "gc",
    "ActiveState",
    "Result",
    "ExecMainStatus",
    "ExecMainCode",
    "InactiveEnterTimestamp",
    "InvocationID",
  );
  deepStrictEqual(s, {
    ActiveState: "inactive",
    Result: "success",
    ExecMainStatus: "0",
    ExecMainCode: "0",
    InactiveEnterTimestamp: "",
    InvocationID: "",
  });
  const st = await root.run("status", "gc");
  ok(!st.stdout.includes("Main PID:"), st.stdout);
  match(st.stdout, /Active: inactive \(dead\)\n/);
});

rootTest("a failed unit stays loaded until reset-failed, then goes", async (root) => {
  root.unit("f.service", service(`Type=oneshot\nExecStart=/bin/sh -c 'exit 3'`));
  strictEqual((await root.run("start", "f")).code, 1);
  deepStrictEqual(listed(await root.run("list-units", "--all", "f*")), [
    "f.service loaded failed failed",
  ]);
  strictEqual((await root.show("f", "ExecMainStatus")).ExecMainStatus, "3");
  ok0(await root.run("reset-failed", "f"));
  deepStrictEqual(listed(await root.run("list-units", "--all", "f*")), []);
  strictEqual((await root.show("f", "ExecMainStatus")).ExecMainStatus, "0");
});

rootTest("CollectMode=inactive-or-failed collects a failed unit at once", async (root) => {
  root.unit(
    "cf.service",
    service(`Type=oneshot\nExecStart=/bin/false`, "CollectMode=inactive-or-failed"),
  );
  strictEqual((await root.run("start", "cf")).code, 1);
  deepStrictEqual(listed(await root.run("list-units", "--all", "cf*")), []);
  deepStrictEqual(await root.show("cf", "ActiveState", "Result"), {
    ActiveState: "inactive",
    Result: "success",
  });
});

rootTest("what a loaded unit references stays loaded, a missing one as not-found", async (root) => {
  root.unit("grp.target", "[Unit]\nWants=member.service ghost.service\n");
  root.unit("member.service", service(`ExecStart=/bin/sleep 3203`));
  ok0(await root.run("start", "grp.target"));
  ok0(await root.run("stop", "member"));
  deepStrictEqual(listed(await root.run("list-units", "--all", "grp*", "member*", "ghost*")), [
    "ghost.service not-found inactive dead",
    "member.service loaded inactive dead",
    "grp.target loaded active active",
  ]);
  // Still loaded: the stop's results are kept.
  strictEqual((await root.show("member", "ExecMainCode")).ExecMainCode, "2");
  const ghost = await root.run("status", "ghost");
  strictEqual(ghost.code, 3, ghost.stderr);
  match(ghost.stdout, /Loaded: not-found/);
  ok0(await root.run("stop", "grp.target"));
  deepStrictEqual(listed(await root.run("list-units", "--all", "grp*", "member*", "ghost*")), []);
  const gone = await root.run("status", "ghost");
  strictEqual(gone.stderr, "Unit ghost.service could not be found.\n");
  strictEqual(gone.code, 4);
});

rootTest(
  "a unit that failed into its start limit keeps its first failure as Result",
  async (root) => {
    root.unit(
      "lim.service",
      service(`Type=oneshot\nExecStart=/bin/sh -c 'exit 4'`, "StartLimitBurst=2"),
    );
    for (let i = 0; i < 2; i++) strictEqual((await root.run("start", "lim")).code, 1);
    const r = await root.run("start", "lim");
    strictEqual(r.code, 1);
    strictEqual(
      r.stderr,
      "Job for lim.service failed because the control process exited with error code.\n" +
        'See "systemctl status lim.service" and "journalctl -xeu lim.service" for details.\n',
    );
    deepStrictEqual(await root.show("lim", "ActiveState", "Result", "ExecMainStatus"), {
      ActiveState: "failed",
      Result: "exit-code",
      ExecMainStatus: "4",
    });
  },
);

rootTest("a unit whose runs succeeded hits its start limit with start-limit-hit", async (root) => {
  root.unit(
    "ok.service",
    service(`Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true`, "StartLimitBurst=1"),
  );
  ok0(await root.run("start", "ok"));
  ok0(await root.run("stop", "ok"));
  // Collected: its start history went with it, as with systemd.
  ok0(await root.run("start", "ok"));
  const r = await root.run("restart", "ok");
  strictEqual(r.code, 1);
  strictEqual(
    r.stderr,
    "Job for ok.service failed because start of the service was attempted too often.\n" +
      'See "systemctl status ok.service" and "journalctl -xeu ok.service" for details.\n' +
      'To force a start use "systemctl reset-failed ok.service"\n' +
      'followed by "systemctl start ok.service" again.\n',
  );
  strictEqual((await root.show("ok", "Result")).Result, "start-limit-hit");
});

rootTest(
  "a failed reload says only that the job failed (the Result stays success)",
  async (root) => {
    root.unit("rl.service", service(`ExecStart=/bin/sleep 3204\nExecReload=/bin/false`));
    ok0(await root.run("start", "rl"));
    const r = await root.run("reload", "rl");
    strictEqual(r.code, 1);
    strictEqual(
      r.stderr,
      "Job for rl.service failed.\n" +
        'See "systemctl status rl.service" and "journalctl -xeu rl.service" for details.\n',
    );
    ok0(await root.run("stop", "rl"));
  },
);
