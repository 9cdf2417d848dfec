/**
 * Integration tests of behaviours checked against a live systemd 252 (issue 9, fidelity):
 * KillMode=mixed and none, job order of several named units, a missing Requires= unit, a
 * failing ExecStop=, and the resource limits a service gets.
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  alive,
  eventually,
  pidsMatching,
  processes,
  type Root,
  rootTest,
  service,
} from "./_support.ts";

/** Pids whose whole command line is `cmd` (a shell that runs it also mentions it). */
function pidsRunning(cmd: string): number[] {
  return processes().filter((p) => p.cmd === cmd).map((p) => p.pid);
}

function oneshotLogging(log: string, name: string): string {
  return `Type=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'echo ${name} >> ${log}'\n` +
    `ExecStop=/bin/sh -c 'echo stop-${name} >> ${log}'`;
}

async function waitFile(path: string): Promise<string> {
  ok(
    await eventually(() => {
      try {
        return Deno.readTextFileSync(path).endsWith("\n");
      } catch {
        return false;
      }
    }, 5000),
    `${path} was not written`,
  );
  return Deno.readTextFileSync(path);
}

async function state(root: Root, unit: string): Promise<string> {
  const s = await root.show(unit, "ActiveState", "Result");
  return `${s.ActiveState}/${s.Result}`;
}

rootTest("KillMode=mixed with a child process stops inactive with Result=success", async (root) => {
  root.unit(
    "mixed.service",
    service("KillMode=mixed\nExecStart=/bin/sh -c '/bin/sleep 3301 & /bin/sleep 3302; true'"),
  );
  strictEqual((await root.run("start", "mixed")).code, 0);
  ok(await eventually(() => pidsRunning("/bin/sleep 3301").length === 1));
  const r = await root.run("stop", "mixed");
  strictEqual(r.code, 0, r.stderr);
  strictEqual(await state(root, "mixed"), "inactive/success");
  deepStrictEqual([...pidsMatching("/bin/sleep 3301"), ...pidsMatching("/bin/sleep 3302")], []);
});

rootTest("KillMode=none leaves the main process running and unrecorded as exited", async (root) => {
  root.unit("none.service", service("KillMode=none\nExecStart=/bin/sleep 3303"));
  strictEqual((await root.run("start", "none")).code, 0);
  const pid = Number((await root.show("none", "MainPID")).MainPID);
  ok(pid > 0);
  strictEqual((await root.run("stop", "none")).code, 0);
  ok(alive(pid));
  const s = await root.show("none", "ActiveState", "MainPID", "ExecMainPID", "ExecMainCode");
  deepStrictEqual(s, {
    ActiveState: "inactive",
    MainPID: "0",
    ExecMainPID: String(pid),
    ExecMainCode: "0",
  });
  const status = (await root.run("status", "none", "-n0")).stdout;
  Deno.kill(pid, "SIGKILL"); // left running by design: the test ends it
  ok(status.includes(`   Main PID: ${pid}\n`), status);
  ok(!status.includes("code=exited"), status);
});

rootTest("start b a starts a first when b is ordered After=a", async (root) => {
  const log = root.file("order");
  root.unit("a.service", service(oneshotLogging(log, "a")));
  root.unit("b.service", service(oneshotLogging(log, "b"), "After=a.service"));
  strictEqual((await root.run("start", "b", "a")).code, 0);
  strictEqual(Deno.readTextFileSync(log), "a\nb\n");
});

rootTest("stop a b stops b first when b is ordered After=a", async (root) => {
  const log = root.file("order");
  root.unit("a.service", service(oneshotLogging(log, "a")));
  root.unit("b.service", service(oneshotLogging(log, "b"), "After=a.service"));
  strictEqual((await root.run("start", "a")).code, 0);
  strictEqual((await root.run("start", "b")).code, 0);
  strictEqual((await root.run("stop", "a", "b")).code, 0);
  strictEqual(Deno.readTextFileSync(log), "a\nb\nstop-b\nstop-a\n");
});

rootTest("a missing Requires= unit fails the start with exit 5", async (root) => {
  root.unit("req.service", service("ExecStart=/bin/sleep 3304", "Requires=nothere.service"));
  const r = await root.run("start", "req");
  strictEqual(r.code, 5);
  strictEqual(r.stderr, "Failed to start req.service: Unit nothere.service not found.\n");
  strictEqual(await state(root, "req"), "inactive/success");
  deepStrictEqual(pidsMatching("/bin/sleep 3304"), []);
});

rootTest(
  "a failing ExecStop= without - leaves the unit failed with Result=exit-code",
  async (root) => {
    root.unit("sf.service", service("ExecStart=/bin/sleep 3305\nExecStop=/bin/false"));
    root.unit("sfi.service", service("ExecStart=/bin/sleep 3306\nExecStop=-/bin/false"));
    for (const u of ["sf", "sfi"]) strictEqual((await root.run("start", u)).code, 0);
    for (const u of ["sf", "sfi"]) strictEqual((await root.run("stop", u)).code, 0);
    strictEqual(await state(root, "sf"), "failed/exit-code");
    strictEqual(await state(root, "sfi"), "inactive/success");
    deepStrictEqual([...pidsMatching("/bin/sleep 3305"), ...pidsMatching("/bin/sleep 3306")], []);
  },
);

rootTest("LimitAS=1 ends the service by SIGSEGV without a JavaScript trace", async (root) => {
  root.unit("lim.service", service("LimitAS=1\nExecStart=/bin/true"));
  const r = await root.run("start", "lim");
  strictEqual(r.code, 0, r.stderr);
  strictEqual(r.stderr, "");
  ok(await eventually(async () => (await state(root, "lim")) === "failed/signal"));
  strictEqual((await root.show("lim", "ExecMainStatus")).ExecMainStatus, "11");
});

rootTest("an out-of-range OOMScoreAdjust= is ignored with systemd's warning", async (root) => {
  const out = root.file("oom");
  root.unit(
    "oom.service",
    service(
      `Type=oneshot\nOOMScoreAdjust=5000\nExecStart=/bin/sh -c 'cat /proc/self/oom_score_adj > ${out}'`,
    ),
  );
  // Load warnings surface at daemon-reload, as systemd logs them when it loads the unit.
  const reload = await root.run("daemon-reload");
  ok(
    reload.stderr.includes("oom.service:5: OOM score adjust value out of range, ignoring: 5000"),
    reload.stderr,
  );
  const r = await root.run("start", "oom");
  strictEqual(r.code, 0, r.stderr);
  strictEqual(await waitFile(out), "0\n");
});

rootTest(
  "a service gets a soft NOFILE limit of 1024 and the manager's hard limit",
  async (root) => {
    const out = root.file("nofile");
    root.unit(
      "nf.service",
      service(`Type=oneshot\nExecStart=/bin/sh -c 'ulimit -Sn > ${out}; ulimit -Hn >> ${out}'`),
    );
    const hard = Deno.readTextFileSync("/proc/self/limits").split("\n")
      .find((l) => l.startsWith("Max open files"))!.trim().split(/\s+/)[4];
    strictEqual((await root.run("start", "nf")).code, 0);
    strictEqual(await waitFile(out), `1024\n${hard}\n`);
  },
);

/** Copies a host file into the root at the same path, following symlinks. */
function copyIntoRoot(root: Root, path: string): void {
  const target = `${root.path}${path}`;
  Deno.mkdirSync(target.slice(0, target.lastIndexOf("/")), { recursive: true });
  Deno.copyFileSync(Deno.realPathSync(path), target);
  Deno.chmodSync(target, 0o755);
}

rootTest("under --root a SysV script runs chrooted into the root", async (root) => {
  // The script's interpreter must exist inside the root: dash and what it links.
  for (const f of ["/bin/sh", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]) {
    copyIntoRoot(root, f);
  }
  const name = `sysv-chroot-${Deno.pid}`;
  const script = `${root.path}/etc/init.d/${name}`;
  Deno.mkdirSync(`${root.path}/etc/init.d`, { recursive: true });
  Deno.writeTextFileSync(
    script,
    `#!/bin/sh\n### BEGIN INIT INFO\n# Provides: ${name}\n# Default-Start: 2 3 4 5\n` +
      `# Default-Stop: 0 1 6\n# Short-Description: chroot test\n### END INIT INFO\n` +
      `case "$1" in start) echo inside > /${name}.out ;; esac\nexit 0\n`,
  );
  Deno.chmodSync(script, 0o755);
  try {
    const r = await root.run("start", name);
    strictEqual(r.code, 0, r.stderr);
    strictEqual(Deno.readTextFileSync(`${root.path}/${name}.out`), "inside\n");
    strictEqual((await root.run("is-active", name)).stdout, "active\n");
  } finally {
    try {
      Deno.removeSync(`/${name}.out`);
    } catch { /* written inside the root, as it should be */ }
  }
});
