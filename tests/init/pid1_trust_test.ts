/**
 * Issue 18 (items 3 and 4) in the init instance, PID 1 of its own namespace: a User=nobody
 * service cannot make the init take a root process for its main process, neither through
 * its PID file (forking) nor through MAINPID= (notify, sent by the service or injected onto
 * its socket by an unrelated nobody process after the start), so stopping the service never
 * signals that process. A forking daemon that cleared its environment is still the
 * service's own: it was seen below ExecStart=.
 */

import assert from "node:assert/strict";
import { makeTree, parseShow } from "../cli/_cli.ts";
import { pid1SkipReason, startPid1, until } from "./_pid1.ts";

const skip = await pid1SkipReason();
if (skip) console.log(`pid1_trust_test: PID-1 tests skipped: ${skip}`);

const WANTS = "/etc/systemd/system/multi-user.target.wants";

/** Sends one datagram: `python3 - MESSAGE SOCKET`. */
const SEND_PY = "import socket,sys\n" +
  "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n" +
  "s.sendto(sys.argv[1].encode(),sys.argv[2])\n";

/** The notify service: names the victim in MAINPID= with READY=1, then stays. */
const NOTIFIER_PY = "import os,socket,subprocess,time\n" +
  "victim=subprocess.run(['pgrep','-xf','/bin/sleep 4102'],capture_output=True,text=True)" +
  ".stdout.split()[0]\n" +
  "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\n" +
  "s.sendto(('MAINPID='+victim+'\\nREADY=1').encode(),os.environ['NOTIFY_SOCKET'])\n" +
  "time.sleep(4104)\n";

function bootRoot(): string {
  const unit = (name: string, body: string) => ({
    [`/etc/systemd/system/${name}`]: body,
    [`${WANTS}/${name}`]: `->../${name}`,
  });
  const root = makeTree({
    ...unit("victim.service", "[Service]\nExecStart=/bin/sleep 4102\n"),
    ...unit(
      "evil.service",
      "[Unit]\nAfter=victim.service\n[Service]\nType=forking\nUser=nobody\n" +
        "RuntimeDirectory=evil\nPIDFile=/run/evil/pid\nTimeoutStartSec=2\n" +
        `ExecStart=/bin/sh -c '/bin/sleep 4103 & pgrep -xf "/bin/sleep 4102" ` +
        `> "$RUNTIME_DIRECTORY/pid"'\n`,
    ),
    ...unit(
      "own.service",
      "[Service]\nType=forking\nUser=nobody\nRuntimeDirectory=own\nPIDFile=/run/own/pid\n" +
        "ExecStart=ROOT/opt/own.sh\n",
    ),
    ...unit(
      "notifier.service",
      "[Unit]\nAfter=victim.service\n[Service]\nType=notify\nNotifyAccess=all\nUser=nobody\n" +
        "ExecStart=/usr/bin/python3 ROOT/opt/notifier.py\n",
    ),
  });
  Deno.chmodSync(root, 0o755);
  for (const f of ["passwd", "group"]) Deno.copyFileSync(`/etc/${f}`, `${root}/etc/${f}`);
  Deno.mkdirSync(`${root}/opt`);
  Deno.writeTextFileSync(`${root}/opt/notifier.py`, NOTIFIER_PY);
  Deno.writeTextFileSync(`${root}/opt/send.py`, SEND_PY);
  // The daemon runs with an empty environment (no INVOCATION_ID), as pg_ctlcluster's does.
  Deno.writeTextFileSync(
    `${root}/opt/own.sh`,
    `#!/bin/sh\nenv -i /bin/sh -c '/bin/sleep 4105 & echo $! > "$1"; sleep 0.5' sh ` +
      `"$RUNTIME_DIRECTORY/pid"\n`,
  );
  Deno.chmodSync(`${root}/opt/own.sh`, 0o755);
  for (const name of ["notifier", "own"]) {
    const path = `${root}/etc/systemd/system/${name}.service`;
    Deno.writeTextFileSync(path, Deno.readTextFileSync(path).replace("ROOT", root));
  }
  return root;
}

Deno.test({
  name: "as PID 1, a nobody service's PID file or MAINPID= never makes a root process its main",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = bootRoot();
    const pid1 = await startPid1(root);
    const show = async (unit: string) => parseShow((await pid1.systemctl("show", unit)).stdout);
    try {
      assert.ok(
        await until(
          async () =>
            ["running\n", "degraded\n"].includes(
              (await pid1.systemctl("is-system-running")).stdout,
            ),
          30_000,
        ),
        `the boot finishes: ${pid1.output()}`,
      );
      const victim = await show("victim");
      assert.equal(victim.ActiveState, "active", pid1.output());
      const out = pid1.output();
      assert.match(
        out,
        new RegExp(
          `evil\\.service: New main PID ${victim.MainPID} does not belong to service, ` +
            `and PID file is not owned by root\\. Refusing\\.`,
        ),
      );
      assert.match(
        out,
        new RegExp(`notifier\\.service: New main PID ${victim.MainPID} does not belong to service`),
      );
      const evil = await show("evil");
      assert.notEqual(evil.MainPID, victim.MainPID);
      const notifier = await show("notifier");
      assert.equal(notifier.ActiveState, "active", out);
      assert.notEqual(notifier.MainPID, victim.MainPID);
      // The daemon with an empty environment is the forking service's main process.
      const own = await show("own");
      const daemon = (await pid1.sh("pgrep -xf '/bin/sleep 4105'")).stdout.trim();
      assert.equal(own.MainPID, daemon, out);

      // After the start the init keeps the socket: an unrelated nobody process injects.
      const record = JSON.parse(
        Deno.readTextFileSync(`${root}/run/systemctl/units/notifier.service.json`),
      );
      const sent = await pid1.sh(
        `setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 ` +
          `${root}/opt/send.py "MAINPID=${victim.MainPID}" ${record.NotifySocket}`,
      );
      assert.equal(sent.code, 0, sent.stderr);
      assert.ok(
        await until(() =>
          /Cannot find unit for notify message of PID \d+, ignoring\./.test(
            pid1.output(),
          )
        ),
        pid1.output(),
      );
      assert.equal((await show("notifier")).MainPID, notifier.MainPID);

      for (const u of ["evil", "notifier", "own"]) {
        assert.equal((await pid1.systemctl("stop", u)).code, 0);
      }
      const after = await show("victim");
      assert.equal(after.ActiveState, "active", pid1.output());
      assert.equal(after.MainPID, victim.MainPID);
      assert.equal((await pid1.sh(`kill -0 ${victim.MainPID}`)).code, 0, "the victim lives");
      assert.equal((await pid1.sh("pgrep -f 'sleep 410[345]'")).stdout, "");
    } finally {
      pid1.kill();
      await pid1.exited;
      Deno.removeSync(root, { recursive: true });
    }
  },
});
