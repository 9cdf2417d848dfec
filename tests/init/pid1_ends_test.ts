/**
 * How the init as PID 1 records the end of a main process of a unit a client started
 * (systemd 252's service_sigchld_event()): a clean exit leaves the unit inactive (dead) with
 * Result=success and ExecMainCode=1 (CLD_EXITED), ExecMainStatus=0, and nothing of the
 * process left (no zombie); a main process that ExecStop= kills with SIGTERM is recorded as
 * killed by TERM (ExecMainCode=2, ExecMainStatus=15), a clean end for a daemon
 * (Result=success), and ExecStopPost= sees it as `$EXIT_CODE=killed $EXIT_STATUS=TERM`.
 * ExecStop= runs with the unit's environment and `$MAINPID`.
 */

import assert from "node:assert/strict";
import { makeTree, parseShow } from "../cli/_cli.ts";
import { pid1SkipReason, startPid1, until } from "./_pid1.ts";

const skip = await pid1SkipReason();
if (skip) console.log(`pid1_ends_test: PID-1 tests skipped: ${skip}`);

/** A new root with the unit files `files(root)` gives (paths inside the root). */
function rootWith(files: (root: string) => Record<string, string>): string {
  const root = makeTree({});
  Deno.mkdirSync(`${root}/etc/systemd/system`, { recursive: true });
  for (const [path, text] of Object.entries(files(root))) {
    Deno.writeTextFileSync(root + path, text);
  }
  return root;
}

/** The zombies in the namespace, as `pid comm` lines (from /proc/PID/stat). */
const ZOMBIES = "for f in /proc/[0-9]*/stat; do " +
  `read -r pid comm state rest < "$f" 2>/dev/null && [ "$state" = Z ] && echo "$pid $comm"; ` +
  "done; true";

Deno.test({
  name: "as PID 1, a client-started Type=simple unit whose main process exits 0 is " +
    "recorded inactive (dead) with Result=success and leaves no zombie",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = rootWith((root) => ({
      // The main process names itself (`$$$$` is `$$` to the shell): its end may come before
      // a client could ask.
      "/etc/systemd/system/brief.service": "[Service]\nType=simple\n" +
        `ExecStart=/bin/sh -c 'echo $$$$ > ${root}/brief.pid; sleep 1; exit 0'\n`,
      // Keeps brief loaded after its end (an active unit references it), so its record
      // is read back rather than a collected unit's defaults.
      "/etc/systemd/system/holder.target": "[Unit]\nWants=brief.service\n",
    }));
    const pid1 = await startPid1(root);
    try {
      assert.ok(
        await until(async () =>
          (await pid1.systemctl("is-system-running")).stdout !== "starting\n"
        ),
        pid1.output(),
      );
      const started = await pid1.systemctl("start", "holder.target");
      assert.equal(started.code, 0, started.stderr);
      const pidOf = () => {
        try {
          return Number(Deno.readTextFileSync(`${root}/brief.pid`).trim()) || 0;
        } catch {
          return 0;
        }
      };
      assert.ok(await until(() => pidOf() > 1), pid1.output());
      const pid = pidOf();
      // The client that started it is gone: the init, the process's parent now, sees its end.
      assert.ok(
        await until(async () => (await pid1.systemctl("is-active", "brief")).code !== 0),
        pid1.output(),
      );
      const p = "ActiveState,SubState,Result,MainPID,ExecMainPID,ExecMainCode,ExecMainStatus";
      const ended = parseShow((await pid1.systemctl("show", "-p", p, "brief")).stdout);
      assert.deepEqual(ended, {
        ActiveState: "inactive",
        SubState: "dead",
        Result: "success",
        MainPID: "0",
        ExecMainPID: String(pid),
        ExecMainCode: "1",
        ExecMainStatus: "0",
      }, pid1.output());
      // Collected: no zombie in the namespace, the main process's PID is free.
      const zombies = await pid1.sh(ZOMBIES);
      assert.equal(zombies.stdout, "", pid1.output());
      assert.notEqual((await pid1.sh(`test -e /proc/${pid}`)).code, 0);
      pid1.signal("SIGTERM");
      assert.equal(await pid1.exited, 0, pid1.output());
    } finally {
      pid1.kill();
      await pid1.exited.catch(() => {});
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "as PID 1, ExecStop= that kills the main process runs with the unit's environment " +
    "and $MAINPID; the end is recorded as killed by TERM, as ExecStopPost= sees it",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = rootWith((root) => ({
      "/etc/systemd/system/stopkill.service": "[Service]\nEnvironment=GREETING=hello\n" +
        "ExecStart=/bin/sleep 3502\n" +
        `ExecStop=/bin/sh -c 'echo "$MAINPID $GREETING" > ${root}/stop.env; kill -TERM $MAINPID; ` +
        "sleep 0.5'\n" +
        `ExecStopPost=/bin/sh -c 'echo "$EXIT_CODE $EXIT_STATUS $SERVICE_RESULT" > ${root}/stoppost.env'\n`,
      "/etc/systemd/system/holder.target": "[Unit]\nWants=stopkill.service\n",
    }));
    const seen = `${root}/stop.env`;
    const post = `${root}/stoppost.env`;
    const pid1 = await startPid1(root);
    try {
      assert.ok(
        await until(async () =>
          (await pid1.systemctl("is-system-running")).stdout !== "starting\n"
        ),
        pid1.output(),
      );
      const started = await pid1.systemctl("start", "holder.target");
      assert.equal(started.code, 0, started.stderr);
      const running = parseShow((await pid1.systemctl("show", "stopkill")).stdout);
      assert.equal(running.ActiveState, "active", pid1.output());
      const stopped = await pid1.systemctl("stop", "stopkill");
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal(Deno.readTextFileSync(seen), `${running.MainPID} hello\n`);
      assert.equal(Deno.readTextFileSync(post), "killed TERM success\n");
      const p = "ActiveState,SubState,Result,ExecMainPID,ExecMainCode,ExecMainStatus";
      const ended = parseShow((await pid1.systemctl("show", "-p", p, "stopkill")).stdout);
      assert.deepEqual(ended, {
        ActiveState: "inactive",
        SubState: "dead",
        Result: "success",
        ExecMainPID: running.MainPID,
        ExecMainCode: "2",
        ExecMainStatus: "15",
      }, pid1.output());
      assert.equal((await pid1.sh(ZOMBIES)).stdout, "", pid1.output());
      pid1.signal("SIGTERM");
      assert.equal(await pid1.exited, 0, pid1.output());
    } finally {
      pid1.kill();
      await pid1.exited.catch(() => {});
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "as PID 1, ExecStop= that kills the main process with SIGKILL fails the unit with " +
    "Result=signal, as systemd 252 (ExecStopPost= sees `killed KILL signal`)",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // Live systemd 252: the main process's unclean end during ExecStop= is the stop's first
    // failure (service_sigchld_event() sets the Result before the control process ends).
    const root = rootWith((root) => ({
      "/etc/systemd/system/stopkill9.service": "[Service]\nExecStart=/bin/sleep 3504\n" +
        "ExecStop=/bin/sh -c 'kill -KILL $MAINPID; sleep 0.5'\n" +
        `ExecStopPost=/bin/sh -c 'echo "$EXIT_CODE $EXIT_STATUS $SERVICE_RESULT" > ` +
        `${root}/stoppost.env'\n`,
      "/etc/systemd/system/holder.target": "[Unit]\nWants=stopkill9.service\n",
    }));
    const pid1 = await startPid1(root);
    try {
      assert.ok(
        await until(async () =>
          (await pid1.systemctl("is-system-running")).stdout !== "starting\n"
        ),
        pid1.output(),
      );
      const started = await pid1.systemctl("start", "holder.target");
      assert.equal(started.code, 0, started.stderr);
      const stopped = await pid1.systemctl("stop", "stopkill9");
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal(Deno.readTextFileSync(`${root}/stoppost.env`), "killed KILL signal\n");
      const p = "ActiveState,SubState,Result,ExecMainCode,ExecMainStatus";
      const ended = parseShow((await pid1.systemctl("show", "-p", p, "stopkill9")).stdout);
      assert.deepEqual(ended, {
        ActiveState: "failed",
        SubState: "failed",
        Result: "signal",
        ExecMainCode: "2",
        ExecMainStatus: "9",
      }, pid1.output());
      assert.equal((await pid1.systemctl("is-failed", "stopkill9")).code, 0);
      pid1.signal("SIGTERM");
      assert.equal(await pid1.exited, 0, pid1.output());
    } finally {
      pid1.kill();
      await pid1.exited.catch(() => {});
      await Deno.remove(root, { recursive: true });
    }
  },
});
