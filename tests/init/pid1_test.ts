/**
 * The init instance as PID 1 of a PID namespace (§8), against a temporary --root:
 * boot order, supervision (Restart=, exits of client-started services), orphan
 * reaping, notify sockets after start, log relay, degraded state, shutdown order and
 * timeouts, power verbs from clients. And `init UNIT…` as a subreaper.
 */

import assert from "node:assert/strict";
import { makeTree, MOD, parseShow, PERMS } from "../cli/_cli.ts";
import { pid1SkipReason, startPid1, until } from "./_pid1.ts";

const skip = await pid1SkipReason();
if (skip) console.log(`pid1_test: PID-1 tests skipped: ${skip}`);

const NOTIFY_PY = "import socket,os,time\n" +
  "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n" +
  "a=os.environ['NOTIFY_SOCKET']\n" +
  "s.sendto(b'READY=1',a)\n" +
  "time.sleep(0.5)\n" +
  "s.sendto(b'STATUS=serving requests',a)\n" +
  "time.sleep(3600)\n";

const WANTS = "/etc/systemd/system/multi-user.target.wants";

function bootRoot(): string {
  const unit = (name: string, body: string) => ({
    [`/etc/systemd/system/${name}`]: body,
    [`${WANTS}/${name}`]: `->../${name}`,
  });
  const root = makeTree({
    ...unit(
      "web.service",
      "[Unit]\nDescription=Web front\n[Service]\n" +
        `ExecStart=/bin/sh -c 'echo web up; trap "echo web bye; exit 0" TERM; ` +
        `while :; do sleep 0.2; done'\n`,
    ),
    ...unit(
      "app.service",
      "[Unit]\nDescription=App server\nRequires=web.service\nAfter=web.service\n" +
        "[Service]\nType=notify\nExecStart=/usr/bin/python3 ROOT/opt/notify.py\n",
    ),
    ...unit(
      "keeper.service",
      "[Unit]\nDescription=Keeper\n[Service]\nExecStart=/bin/sleep infinity\n" +
        "Restart=always\nRestartSec=200ms\n",
    ),
    ...unit(
      "broken.service",
      "[Unit]\nDescription=Broken\n[Service]\nType=exec\nExecStart=/nonexistent/bin\n",
    ),
    ...unit(
      "stubborn.service",
      "[Unit]\nDescription=Stubborn\n[Service]\nTimeoutStopSec=1\n" +
        `ExecStart=/bin/sh -c 'trap "" TERM; while :; do sleep 0.2; done'\n`,
    ),
    "/etc/systemd/system/late.service":
      "[Unit]\nDescription=Late\n[Service]\nExecStart=/bin/sh -c 'sleep 0.5; exit 0'\n",
  });
  // Exec paths are host paths under --root: the script is named by its place in the root.
  Deno.mkdirSync(`${root}/opt`);
  Deno.writeTextFileSync(`${root}/opt/notify.py`, NOTIFY_PY);
  const app = `${root}/etc/systemd/system/app.service`;
  Deno.writeTextFileSync(app, Deno.readTextFileSync(app).replace("ROOT", root));
  return root;
}

Deno.test({
  name: "as PID 1 the init boots, supervises, reaps, relays logs and shuts down in order",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = bootRoot();
    const pid1 = await startPid1(root);
    try {
      assert.ok(
        await until(async () =>
          ["running\n", "degraded\n"].includes((await pid1.systemctl("is-system-running")).stdout)
        ),
        "the boot finishes",
      );
      const out0 = pid1.output();
      assert.match(out0, /Startup finished in /);
      assert.equal(Deno.readTextFileSync(`/proc/${pid1.hostPid}/comm`).trim(), "systemd");
      assert.ok(Deno.statSync(`${root}/run/systemd/system`).isDirectory, "canary");
      // Ordering: app (After=web) starts once web has started.
      assert.ok(out0.indexOf("Started Web front.") < out0.indexOf("Starting App server..."));
      assert.match(out0, /^web\.service: web up$/m, "service output is relayed with its unit");
      // A unit that failed at boot leaves the system degraded, not stuck.
      const running = await pid1.systemctl("is-system-running");
      assert.equal(running.stdout, "degraded\n");
      assert.equal(running.code, 1);
      assert.match(out0, /Failed to start Broken\./);
      for (const u of ["web", "app", "keeper", "stubborn"]) {
        assert.equal(
          (await pid1.systemctl("is-active", u)).stdout,
          "active\n",
          `${u}: ${pid1.output()}`,
        );
      }
      // Notify sockets stay open after READY=1: a later STATUS= shows.
      assert.ok(
        await until(async () =>
          parseShow((await pid1.systemctl("show", "-p", "StatusText", "app")).stdout)
            .StatusText === "serving requests"
        ),
        "STATUS= after READY=1 is recorded",
      );
      // kill -9 of a Restart=always service: restarted, NRestarts counts it.
      const before = parseShow((await pid1.systemctl("show", "keeper")).stdout);
      await pid1.sh(`kill -9 ${before.MainPID}`);
      assert.ok(
        await until(async () => {
          const now = parseShow((await pid1.systemctl("show", "keeper")).stdout);
          return now.NRestarts === "1" && now.ActiveState === "active" &&
            now.MainPID !== before.MainPID && now.MainPID !== "0";
        }),
        "keeper restarted",
      );
      assert.match(
        pid1.output(),
        /keeper\.service: Main process exited, code=killed, status=9\/KILL/,
      );
      assert.match(
        pid1.output(),
        /keeper\.service: Scheduled restart job, restart counter is at 1\./,
      );
      // A service a client started is supervised too: its clean exit is recorded.
      assert.equal((await pid1.systemctl("start", "late")).code, 0);
      // (Inactive and referenced by nothing, it is then collected: show reads it fresh.)
      assert.ok(
        await until(async () => {
          const st = parseShow((await pid1.systemctl("show", "late")).stdout);
          return st.ActiveState === "inactive" && st.Result === "success" &&
            /late\.service: Main process exited, code=exited, status=0\/SUCCESS/.test(
              pid1.output(),
            ) && /late\.service: Deactivated successfully\./.test(pid1.output());
        }),
        "the exit of a client-started main process is recorded (inactive, success)",
      );
      // 1,000 orphans that exit at once are reaped.
      await pid1.sh("for i in $(seq 1000); do (true &) ; done");
      let zombies = "";
      assert.ok(
        await until(async () =>
          (zombies = (await pid1.sh("ps -eo stat= | grep -c '^Z' || true")).stdout.trim()) === "0"
        ),
        `zombies left: ${zombies}`,
      );
      // A second init instance for the same root is refused.
      const second = await pid1.systemctl("init");
      assert.equal(second.code, 1);
      assert.equal(second.stderr, "An init instance is already running (pid 1).\n");
      // SIGTERM: every unit stops (reverse order, the stubborn one at its timeout), exit 0.
      const t0 = performance.now();
      pid1.signal("SIGTERM");
      const code = await pid1.exited;
      const took = performance.now() - t0;
      const out = pid1.output();
      assert.equal(code, 0, out);
      // A bound, not a speed: well below the default TimeoutStopSec= (90 s), so the stubborn
      // unit's 1 s was the one used.
      assert.ok(took < 60_000, `shutdown took ${Math.round(took)} ms`);
      assert.match(out, /^web\.service: web bye$/m, "output written while stopping is relayed");
      assert.ok(out.indexOf("Stopped App server.") < out.indexOf("Stopping Web front..."));
      assert.match(out, /Stopped Stubborn\./);
      // Each unit's end as systemd logs it, before the job's "Stopped" line.
      const deactivated = out.indexOf("web.service: Deactivated successfully.");
      assert.ok(deactivated >= 0 && deactivated < out.indexOf("Stopped Web front."), out);
      assert.match(out, /^stubborn\.service: Failed with result 'timeout'\.$/m);
      assert.equal(
        JSON.parse(Deno.readTextFileSync(`${root}/run/systemctl/manager.json`)).InitPID,
        undefined,
        "the init record is cleared",
      );
    } finally {
      pid1.kill();
      await pid1.exited.catch(() => {});
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "as PID 1, `systemctl exit 3` from a client stops the units and PID 1 exits 3",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = makeTree({
      "/etc/systemd/system/s.service": "[Service]\nExecStart=/bin/sleep infinity\n",
      [`${WANTS}/s.service`]: "->../s.service",
    });
    const pid1 = await startPid1(root);
    try {
      assert.ok(await until(async () => (await pid1.systemctl("is-active", "s")).code === 0));
      assert.ok(await until(async () => (await pid1.systemctl("is-system-running")).code === 0));
      assert.equal((await pid1.systemctl("exit", "3")).code, 0);
      assert.equal(await pid1.exited, 3);
      assert.match(pid1.output(), /Stopped s\.service\./);
    } finally {
      pid1.kill();
      await pid1.exited.catch(() => {});
      await Deno.remove(root, { recursive: true });
    }
  },
});

async function runInit(root: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...PERMS, MOD, `--root=${root}`, ...args],
    stdin: "null",
    env: { NO_COLOR: "1" },
    // A bound for a loaded machine, not a duration the test relies on.
    signal: AbortSignal.timeout(120_000),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("init UNIT exits with the main process's status when the unit ends", async () => {
  const root = makeTree({
    "/etc/systemd/system/job.service":
      "[Service]\nExecStart=/bin/sh -c 'echo working; sleep 0.3; exit 7'\n",
  });
  try {
    const r = await runInit(root, ["init", "job.service"]);
    assert.equal(r.code, 7, r.stdout + r.stderr);
    assert.match(r.stdout, /^job\.service: working$/m);
    assert.match(
      r.stdout,
      /^job\.service: Main process exited, code=exited, status=7\/NOTRUNNING$/m,
    );
    // As systemd: the result, and no status line of a job that nobody ran.
    assert.match(r.stdout, /^job\.service: Failed with result 'exit-code'\.$/m);
    assert.doesNotMatch(r.stdout, /^Failed job\.service\.$/m);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("init with two units exits 0 once both ended with success; orphans are adopted", async () => {
  const root = makeTree({
    // The daemon double-forks: its grandchild is re-parented to the subreaper and reaped.
    "/etc/systemd/system/a.service":
      "[Service]\nExecStart=/bin/sh -c '(sleep 0.2 &) ; sleep 0.3'\n",
    "/etc/systemd/system/b.service": "[Service]\nExecStart=/bin/sh -c 'sleep 0.4'\n",
  });
  try {
    const r = await runInit(root, ["init", "a", "b"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // systemd's unit_log_success() line for a service that ended well on its own.
    assert.match(r.stdout, /^a\.service: Deactivated successfully\.$/m);
    assert.doesNotMatch(r.stdout, /^Stopped a\.service\.$/m);
    assert.match(r.stdout, /^a\.service: Main process exited, code=exited, status=0\/SUCCESS$/m);
    // Inactive and referenced by nothing: forgotten once the verb is done (systemd's GC).
    assert.throws(() => Deno.statSync(`${root}/run/systemctl/units/a.service.json`));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "a non-root PID 1 runs in user mode: the user's units and the system units of its User=",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = makeTree({
      "/etc/passwd": "root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n",
      "/etc/group": "root:x:0:\nnogroup:x:65534:\n",
      "/etc/systemd/system/nob.service": "[Unit]\nDescription=Runs as nobody\n[Service]\n" +
        "User=nobody\nExecStart=/bin/sh -c 'echo i am $(id -u); sleep 1'\n",
      [`${WANTS}/nob.service`]: "->../nob.service",
      "/etc/systemd/system/rootonly.service": "[Service]\nExecStart=/bin/sleep infinity\n",
      [`${WANTS}/rootonly.service`]: "->../rootonly.service",
      "/etc/systemd/user/mine.service":
        "[Unit]\nDescription=User unit\n[Service]\nExecStart=/bin/sh -c 'echo user unit; sleep 1'\n",
      "/etc/systemd/user/default.target.wants/mine.service": "->../mine.service",
    });
    // The program's sources, where the unprivileged user can read them.
    const code = await Deno.makeTempDir({ prefix: "sysctl-src-" });
    const repo = new URL("../../", import.meta.url).pathname;
    try {
      Deno.mkdirSync(`${root}/tmp`, { mode: 0o1777 });
      Deno.chmodSync(`${root}/tmp`, 0o1777);
      // The user's HOME (the sources' copy) seen inside the root: its parent must let the
      // user make it there (the unit logs go to $HOME/.config/log), wherever TMPDIR points.
      const parent = code.slice(0, code.lastIndexOf("/")) || "/";
      Deno.mkdirSync(`${root}${parent}`, { recursive: true });
      Deno.chmodSync(`${root}${parent}`, 0o1777);
      await new Deno.Command("cp", { args: ["-r", `${repo}/src`, `${repo}/mod.ts`, code] })
        .output();
      await new Deno.Command("chmod", { args: ["-R", "a+rX", code, root] }).output();
      const out = await new Deno.Command("unshare", {
        args: [
          "--pid",
          "--fork",
          "--mount-proc",
          "--kill-child",
          "setpriv",
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          "env",
          `HOME=${code}`,
          `DENO_DIR=${code}/.deno`,
          "sh",
          "-c",
          // exec: the program must be PID 1 (no verb, --exit: leave once the units ended).
          `exec ${Deno.execPath()} run --quiet ${PERMS.join(" ")} ${code}/mod.ts ` +
          `--root=${root} --exit`,
        ],
        stdin: "null",
        // A bound: a fresh DENO_DIR compiles the program first, slowly on a loaded machine.
        signal: AbortSignal.timeout(180_000),
        env: { NO_COLOR: "1" },
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.match(text, /^mine\.service: user unit$/m, text);
      assert.match(text, /^nob\.service: i am 65534$/m, text);
      assert.doesNotMatch(text, /rootonly/);
      assert.equal(out.code, 0, text);
    } finally {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(code, { recursive: true });
    }
  },
});

Deno.test({
  name: "without /proc the init refuses to start in one line",
  ignore: skip !== undefined,
  fn: async () => {
    const root = makeTree({ "/etc/systemd/system/s.service": "[Service]\nExecStart=/bin/true\n" });
    try {
      const out = await new Deno.Command("unshare", {
        args: [
          "--mount",
          "--pid",
          "--fork",
          "sh",
          "-c",
          `umount -l /proc && exec ${Deno.execPath()} run --quiet ${PERMS.join(" ")} ${MOD} ` +
          `--root=${root}`,
        ],
        stdin: "null",
        env: { NO_COLOR: "1" },
      }).output();
      const dec = new TextDecoder();
      assert.equal(out.code, 1);
      assert.equal(dec.decode(out.stdout), "");
      assert.equal(
        dec.decode(out.stderr),
        "Failed to start the init instance: /proc is not mounted.\n",
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "as PID 1, a unit that cannot load and a corrupt state file do not take the init down",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = makeTree({
      "/etc/systemd/system/ok.service": "[Service]\nExecStart=/bin/sleep infinity\n" +
        "Restart=always\nRestartSec=100ms\n",
      [`${WANTS}/ok.service`]: "->../ok.service",
      // A directory where the unit file should be: systemd's load error.
      "/etc/systemd/system/broken.service/x": "",
      [`${WANTS}/broken.service`]: "->../broken.service",
    });
    const pid1 = await startPid1(root);
    try {
      assert.ok(await until(async () => (await pid1.systemctl("is-active", "ok")).code === 0));
      assert.ok(
        await until(async () =>
          (await pid1.systemctl("is-system-running")).stdout !== "starting\n"
        ),
      );
      const main = parseShow((await pid1.systemctl("show", "ok")).stdout).MainPID;
      Deno.writeTextFileSync(`${root}/run/systemctl/units/ok.service.json`, "{not json");
      await pid1.sh(`kill -9 ${main}`);
      // Until the init has reaped it (a zombie keeps its /proc entry): it handled the exit.
      assert.ok(
        await until(async () => (await pid1.sh(`test ! -e /proc/${main}`)).code === 0),
        "the killed main process is reaped",
      );
      // PID 1 is still there and answers; the unit reads as having no state.
      assert.equal(Deno.readTextFileSync(`/proc/${pid1.hostPid}/comm`).trim(), "systemd");
      assert.match((await pid1.systemctl("is-system-running")).stdout, /^(running|degraded)\n$/);
      assert.ok((await pid1.systemctl("start", "ok")).code === 0);
      assert.equal((await pid1.systemctl("is-active", "ok")).stdout, "active\n");
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
  name: "a client's daemon-reload reaches the init: its next restart runs the edited unit",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const unitText = (v: string) =>
      `[Service]\nExecStart=/bin/sh -c 'echo ${v} >> ROOT/log; sleep 0.3; exit 1'\n` +
      "Restart=always\nRestartSec=100ms\n[Unit]\nStartLimitBurst=0\n";
    const root = makeTree({ "/etc/systemd/system/again.service": unitText("v1") });
    const unit = `${root}/etc/systemd/system/again.service`;
    const write = (v: string) => Deno.writeTextFileSync(unit, unitText(v).replace("ROOT", root));
    write("v1");
    const pid1 = await startPid1(root, ["init", "again.service"]);
    const log = () => {
      try {
        return Deno.readTextFileSync(`${root}/log`);
      } catch {
        return "";
      }
    };
    try {
      assert.ok(await until(() => log().includes("v1")), pid1.output());
      write("v2");
      const r = await pid1.systemctl("daemon-reload");
      assert.equal(r.code, 0, r.stderr);
      assert.match(pid1.output(), /^Reloading\.$/m);
      // The init restarts the service from the file as it is now.
      assert.ok(await until(() => log().includes("v2")), log() + pid1.output());
    } finally {
      pid1.kill();
      await pid1.exited.catch(() => {});
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "as PID 1, ends the init reaps are recorded: a clean end is collected, ExecStop='s kill",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = makeTree({});
    const note = `${root}/stopkill.exit`;
    const files: Record<string, string> = {
      // Exits cleanly after its client is gone: the init, its next parent, records the end.
      "/etc/systemd/system/brief.service": "[Service]\nExecStart=/bin/sh -c 'sleep 1; exit 0'\n",
      // ExecStop= ends the main process: the stopping client learns how from the init.
      "/etc/systemd/system/stopkill.service": "[Service]\nExecStart=/bin/sleep 3501\n" +
        "ExecStop=/bin/sh -c 'kill $MAINPID; sleep 0.5'\n" +
        `ExecStopPost=/bin/sh -c 'echo $EXIT_CODE $EXIT_STATUS > ${note}'\n`,
      // Keeps stopkill loaded once stopped (an active unit references it).
      "/etc/systemd/system/holder.target": "[Unit]\nWants=stopkill.service\n",
    };
    Deno.mkdirSync(`${root}/etc/systemd/system`, { recursive: true });
    for (const [path, text] of Object.entries(files)) Deno.writeTextFileSync(root + path, text);
    const pid1 = await startPid1(root);
    try {
      assert.ok(
        await until(async () =>
          (await pid1.systemctl("is-system-running")).stdout !== "starting\n"
        ),
      );
      assert.equal((await pid1.systemctl("start", "brief")).code, 0);
      assert.ok(
        await until(async () => (await pid1.systemctl("is-active", "brief")).code !== 0),
        pid1.output(),
      );
      // Inactive and referenced by nothing: collected, as systemd does; not failed.
      const brief = parseShow((await pid1.systemctl("show", "brief")).stdout);
      assert.deepEqual([brief.ActiveState, brief.Result], ["inactive", "success"], pid1.output());
      assert.equal(
        (await pid1.systemctl("list-units", "--all", "--no-legend", "brief*")).stdout,
        "",
      );
      assert.equal((await pid1.systemctl("start", "holder.target")).code, 0);
      assert.equal((await pid1.systemctl("stop", "stopkill")).code, 0);
      assert.equal(Deno.readTextFileSync(note), "killed TERM\n");
      const sk = parseShow((await pid1.systemctl("show", "stopkill")).stdout);
      assert.deepEqual([sk.ExecMainCode, sk.ExecMainStatus], ["2", "15"]);
      pid1.signal("SIGTERM");
      assert.equal(await pid1.exited, 0, pid1.output());
    } finally {
      pid1.kill();
      await pid1.exited.catch(() => {});
      await Deno.remove(root, { recursive: true });
    }
  },
});
