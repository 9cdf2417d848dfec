/**
 * Issue 18.3: NotifyAccess= is enforced with the sender's credentials (SCM_CREDENTIALS), as
 * systemd 252 does, and a MAINPID= from an unprivileged sender names only a process of the
 * service's own.
 */

import { match, ok, strictEqual } from "node:assert/strict";
import { alive, pidsMatching, rootTest, service } from "./_support.ts";

/** A nobody service whose READY=1 comes from a child (systemd-notify), not the main process. */
function childNotifies(access: string, tag: string): string {
  return service(
    `Type=notify\n${access ? `NotifyAccess=${access}\n` : ""}User=nobody\nTimeoutStartSec=2\n` +
      `TimeoutStopSec=2\nExecStart=/bin/sh -c 'systemd-notify --ready; exec sleep ${tag}'`,
  );
}

rootTest(
  "NotifyAccess=main (the default of Type=notify, and what none means there) refuses a child's READY=1",
  async (root) => {
    for (const [name, access] of [["m", "main"], ["d", ""], ["z", "none"]]) {
      root.unit(`${name}.service`, childNotifies(access, "4301"));
      const r = await root.run("start", `${name}.service`);
      strictEqual(r.code, 1, `${name}: ${r.stderr}`);
      match(
        r.stderr,
        new RegExp(
          `^${name}\\.service: Got notification message from PID \\d+, but reception only ` +
            `permitted for main PID \\d+\\n`,
        ),
      );
      strictEqual((await root.show(`${name}.service`, "Result")).Result, "timeout");
      strictEqual((await root.show(`${name}.service`, "NotifyAccess")).NotifyAccess, "main");
    }
    strictEqual(pidsMatching("sleep 4301").length, 0);
  },
);

rootTest("NotifyAccess=all takes READY=1 from a process of the service", async (root) => {
  root.unit("a.service", childNotifies("all", "4302"));
  const r = await root.run("start", "a.service");
  strictEqual(r.code, 0, r.stderr);
  strictEqual(r.stderr, "");
  strictEqual((await root.run("stop", "a.service")).code, 0);
});

rootTest(
  "MAINPID= from a nobody main process naming a root process is refused; stop leaves it alone",
  async (root) => {
    const stranger = new Deno.Command("/usr/bin/setsid", {
      args: ["/bin/sleep", "4303"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      root.unit(
        "mp.service",
        service(
          `Type=notify\nUser=nobody\nTimeoutStartSec=10\nExecStart=/usr/bin/python3 -c "` +
            `import os,socket,time; s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); ` +
            `s.sendto(b'MAINPID=${stranger.pid}\\\\nREADY=1',os.environ['NOTIFY_SOCKET']); ` +
            `time.sleep(4304)"`,
        ),
      );
      const r = await root.run("start", "mp.service");
      strictEqual(r.code, 0, r.stderr);
      strictEqual(
        r.stderr,
        `mp.service: New main PID ${stranger.pid} does not belong to service, refusing.\n`,
      );
      const main = Number((await root.show("mp.service", "MainPID")).MainPID);
      ok(main > 0 && main !== stranger.pid);
      strictEqual((await root.run("stop", "mp.service")).code, 0);
      ok(alive(stranger.pid), "stop signalled the root process named by MAINPID=");
      ok(!alive(main));
    } finally {
      try {
        stranger.kill("SIGKILL");
      } catch { /* gone */ }
      await stranger.status;
    }
  },
);
