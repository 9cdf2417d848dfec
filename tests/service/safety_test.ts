/**
 * Issue 9, safety: never touch a process that is not ours, never write outside `--root`,
 * never hand the caller's environment to a service unasked. Each test reproduces a case that
 * once went wrong: a reused PID, a client killed with SIGKILL mid-start, `..` and symlinks
 * leading out of the root, secrets in the caller's environment.
 * @module
 */

import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { alive, eventually, pidsMatching, type Root, rootTest, type Run } from "./_support.ts";

function ok0(r: Run, what = "command"): void {
  strictEqual(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`);
}

function stateFile(root: Root, unit: string): string {
  return join(root.path, "run/systemctl/units", `${unit}.json`);
}

// deno-lint-ignore no-explicit-any
function readState(root: Root, unit: string): any {
  return JSON.parse(Deno.readTextFileSync(stateFile(root, unit)));
}

// deno-lint-ignore no-explicit-any
function writeState(root: Root, unit: string, st: any): void {
  Deno.writeTextFileSync(stateFile(root, unit), JSON.stringify(st));
}

function startTime(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
}

/** A process that is not the unit's: `setsid` makes it a session leader, as a reused PID may be. */
async function stranger(tag: string): Promise<{ pid: number; kill(): Promise<void> }> {
  const child = new Deno.Command("/usr/bin/setsid", {
    args: ["/bin/sleep", tag],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  ok(await eventually(() => alive(child.pid) && startTime(child.pid) > 0));
  await eventually(() => Deno.readTextFileSync(`/proc/${child.pid}/cmdline`).includes(tag));
  return {
    pid: child.pid,
    async kill() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

rootTest(
  "stop never signals a stranger that reused the PID of an exited ExecStartPre",
  async (root) => {
    root.unit(
      "pre.service",
      `[Service]\nExecStartPre=/bin/true\nExecStart=/bin/sleep 3101\n`,
    );
    ok0(await root.run("start", "pre.service"), "start");
    const st = readState(root, "pre.service");
    const prePid: number = st.Exec.ExecStartPre[0].pid;
    ok(st.Sessions.includes(prePid), `Sessions ${st.Sessions} lacks ${prePid}`);
    const s = await stranger("3102");
    try {
      // The ExecStartPre PID now belongs to the stranger, who leads its own session.
      st.Sessions = st.Sessions.map((sid: number) => (sid === prePid ? s.pid : sid));
      if (st.SessionStartTimes) {
        st.SessionStartTimes[s.pid] = st.SessionStartTimes[prePid];
        delete st.SessionStartTimes[prePid];
      }
      writeState(root, "pre.service", st);
      ok0(await root.run("stop", "pre.service"), "stop");
      ok(alive(s.pid), "the stranger was killed by stop");
      deepStrictEqual(pidsMatching("sleep 3101"), []);
    } finally {
      await s.kill();
    }
  },
);

rootTest("stop never signals a MainPID recorded without a start time", async (root) => {
  root.unit("nostart.service", `[Service]\nExecStart=/bin/sleep 3111\n`);
  ok0(await root.run("start", "nostart.service"), "start");
  const st = readState(root, "nostart.service");
  const own: number = st.MainPID;
  const s = await stranger("3112");
  try {
    writeState(root, "nostart.service", {
      ...st,
      MainPID: s.pid,
      MainPIDStartTime: 0,
      Sessions: [],
      SessionStartTimes: {},
      InvocationID: undefined,
    });
    await root.run("stop", "nostart.service");
    ok(alive(s.pid), "the stranger was killed by stop");
    await root.run("kill", "nostart.service");
    ok(alive(s.pid), "the stranger was killed by kill");
  } finally {
    await s.kill();
    try {
      Deno.kill(own, "SIGKILL");
    } catch { /* gone */ }
  }
});

rootTest(
  "a state file without session start times (older format) never counts a stranger's session",
  async (root) => {
    root.unit("old.service", `[Service]\nExecStartPre=/bin/true\nExecStart=/bin/sleep 3121\n`);
    ok0(await root.run("start", "old.service"), "start");
    const st = readState(root, "old.service");
    const s = await stranger("3122");
    try {
      delete st.SessionStartTimes;
      st.Sessions = [...st.Sessions, s.pid];
      writeState(root, "old.service", st);
      const status = await root.run("status", "old.service");
      ok(!status.stdout.includes("3122"), status.stdout);
      ok0(await root.run("stop", "old.service"), "stop");
      ok(alive(s.pid), "the stranger was killed by stop");
      deepStrictEqual(pidsMatching("sleep 3121"), []);
    } finally {
      await s.kill();
    }
  },
);

/** Starts `unit` in a client, waits until `ready` holds, then kills the client with SIGKILL. */
async function killClientWhen(root: Root, unit: string, ready: () => boolean): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--unstable-net",
      "--quiet",
      new URL("../../mod.ts", import.meta.url).pathname,
      `--root=${root.path}`,
      "start",
      unit,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  ok(await eventually(ready), "the service never started");
  child.kill("SIGKILL");
  await child.status;
}

rootTest(
  "a client killed with SIGKILL after spawning leaves a unit that start adopts and stop stops",
  async (root) => {
    root.unit(
      "k9.service",
      `[Service]\nExecStart=/bin/sleep 3131\nExecStartPost=/bin/sleep 3132\n`,
    );
    await killClientWhen(root, "k9.service", () => pidsMatching("sleep 3132").length > 0);
    strictEqual(pidsMatching("sleep 3131").length, 1);
    const show = await root.show("k9.service", "ActiveState", "MainPID");
    strictEqual(show.ActiveState, "active");
    strictEqual(Number(show.MainPID), pidsMatching("sleep 3131")[0]);
    ok0(await root.run("start", "k9.service"), "start");
    strictEqual(pidsMatching("sleep 3131").length, 1, "start launched a duplicate");
    ok0(await root.run("stop", "k9.service"), "stop");
    deepStrictEqual(pidsMatching("sleep 313"), []);
  },
);

rootTest(
  "a simple service's MainPID is on disk as soon as it is spawned",
  async (root) => {
    // The client is killed the moment the main process exists: the record must already name it.
    root.unit("k9s.service", `[Service]\nExecStart=/bin/sleep 3141\n`);
    await killClientWhen(root, "k9s.service", () => pidsMatching("sleep 3141").length > 0);
    const pid = pidsMatching("sleep 3141")[0];
    ok(
      await eventually(async () =>
        Number((await root.show("k9s.service", "MainPID")).MainPID) === pid
      ),
    );
    ok0(await root.run("start", "k9s.service"), "start");
    strictEqual(pidsMatching("sleep 3141").length, 1, "start launched a duplicate");
    ok0(await root.run("stop", "k9s.service"), "stop");
    deepStrictEqual(pidsMatching("sleep 3141"), []);
  },
);

function outside(root: Root): string {
  // A sibling of the root on the host: nothing may be written or removed there.
  const dir = `${root.path}-outside`;
  Deno.mkdirSync(dir, { recursive: true });
  return dir;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

rootTest("PIDFile= with .. is refused and stop removes no host file", async (root) => {
  const out = outside(root);
  const name = out.slice(out.lastIndexOf("/") + 1);
  try {
    Deno.writeTextFileSync(join(out, "victim"), "keep me\n");
    root.unit(
      "pf.service",
      `[Service]\nExecStart=/bin/sleep 3151\nPIDFile=/run/../../${name}/victim\n`,
    );
    const reload = await root.run("daemon-reload");
    match(reload.stderr, /PIDFile= path is not normalized, ignoring: \/run\/\.\.\/\.\.\//);
    ok0(await root.run("start", "pf.service"), "start");
    await root.run("stop", "pf.service");
    ok(exists(join(out, "victim")), "stop removed a file outside the root");
  } finally {
    Deno.removeSync(out, { recursive: true });
  }
});

rootTest(
  "RuntimeDirectory= and StandardOutput=file: with .. are refused and write nothing outside",
  async (root) => {
    const out = outside(root);
    const name = out.slice(out.lastIndexOf("/") + 1);
    try {
      root.unit(
        "rd.service",
        `[Service]\nExecStart=/bin/sh -c 'echo hi; sleep 3161'\n` +
          `RuntimeDirectory=ok a:../../../${name}/rd ../../${name}/rd2\n` +
          `StandardOutput=file:/../../${name}/out\n`,
      );
      const reload = await root.run("daemon-reload");
      match(
        reload.stderr,
        /RuntimeDirectory= path is not normalized, ignoring: \.\.\/\.\.\/\.\.\//,
      );
      match(reload.stderr, /StandardOutput= path is not normalized: \/\.\.\/\.\.\//);
      ok0(await root.run("start", "rd.service"), "start");
      ok(exists(join(root.path, "run/ok")), "the valid RuntimeDirectory was not created");
      deepStrictEqual([...Deno.readDirSync(out)].map((e) => e.name), []);
      ok0(await root.run("stop", "rd.service"), "stop");
    } finally {
      Deno.removeSync(out, { recursive: true });
    }
  },
);

rootTest(
  "enable follows an absolute symlink of etc/systemd/system inside the root, never to the host",
  async (root) => {
    const out = outside(root);
    try {
      Deno.mkdirSync(join(root.path, "lib/systemd/system"), { recursive: true });
      Deno.writeTextFileSync(
        join(root.path, "lib/systemd/system/ln.service"),
        "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
      );
      Deno.removeSync(join(root.path, "etc/systemd/system"), { recursive: true });
      // Inside the root the link means <root><out>; on the host it would be <out>.
      Deno.symlinkSync(out, join(root.path, "etc/systemd/system"));
      const r = await root.run("enable", "ln.service");
      ok0(r, "enable");
      deepStrictEqual([...Deno.readDirSync(out)].map((e) => e.name), []);
      ok(
        exists(join(root.path, out, "multi-user.target.wants/ln.service")),
        `no link inside the root: ${r.stderr}`,
      );
      strictEqual((await root.run("is-enabled", "ln.service")).stdout, "enabled\n");
    } finally {
      Deno.removeSync(out, { recursive: true });
    }
  },
);

rootTest(
  "services get systemd's environment, not the caller's, unless SYSTEMCTL_INHERIT_ENVIRONMENT=yes",
  async (root) => {
    const file = root.file("env");
    root.unit(
      "env.service",
      `[Service]\nType=oneshot\nExecStart=/bin/sh -c 'env > ${file}'\n`,
    );
    ok0(await root.runEnv({ CALLER_SECRET: "hunter2" }, "start", "env.service"), "start");
    const env = Deno.readTextFileSync(file);
    ok(!env.includes("CALLER_SECRET"), env);
    match(env, /^PATH=\/usr\/local\/sbin:/m);
    const shown = await root.runEnv({ CALLER_SECRET: "hunter2" }, "show-environment");
    ok(!shown.stdout.includes("CALLER_SECRET"), shown.stdout);
    ok0(
      await root.runEnv(
        { CALLER_SECRET: "hunter2", SYSTEMCTL_INHERIT_ENVIRONMENT: "yes" },
        "start",
        "env.service",
      ),
      "start",
    );
    match(Deno.readTextFileSync(file), /^CALLER_SECRET=hunter2$/m);
  },
);
