import assert from "node:assert/strict";
import { runAndWait, spawnProcess } from "../../src/process/spawn.ts";
import { readStat } from "../../src/process/procfs.ts";
import { cstr, libc, O } from "../../src/process/libc.ts";
import { eventually, procStatus, rootTest, specFor } from "./_support.ts";

async function output(argv: string[], extra = {}): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/out`;
    const exit = await runAndWait(
      specFor(argv, { stdout: { kind: "file", path: file }, ...extra }),
    );
    assert.deepEqual({ code: exit.code, status: exit.status }, { code: "exited", status: 0 });
    return await Deno.readTextFile(file);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("spawnProcess reports exec success and the exit status of a good binary", async () => {
  const child = await spawnProcess(specFor(["/bin/true"]));
  assert.ok(child.pid > 0);
  assert.deepEqual(await child.execResult(), { ok: true });
  assert.deepEqual(await child.status(), { code: "exited", status: 0 });
});

Deno.test("a command that exits non-zero reports its exit code", async () => {
  const exit = await runAndWait(specFor(["/bin/sh", "-c", "exit 7"]));
  assert.equal(exit.code, "exited");
  assert.equal(exit.status, 7);
});

Deno.test("a command killed by a signal reports killed and the signal number", async () => {
  const exit = await runAndWait(specFor(["/bin/sh", "-c", "kill -TERM $$"]));
  assert.deepEqual({ code: exit.code, status: exit.status }, { code: "killed", status: 15 });
});

Deno.test("a command that dumps core reports dumped", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const exit = await runAndWait(specFor(["/bin/sh", "-c", "kill -SEGV $$"], {
      cwd: dir,
      rlimits: { CORE: { soft: Infinity, hard: Infinity } },
    }));
    assert.equal(exit.status, 11);
    const pattern = Deno.readTextFileSync("/proc/sys/kernel/core_pattern").trim();
    if (pattern === "core") assert.equal(exit.code, "dumped");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the command gets exactly the given environment plus its own PID variables", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const child = await spawnProcess(specFor(["/usr/bin/env"], {
      env: { A: "1", B: "x y" },
      pidEnv: ["SYSTEMD_EXEC_PID"],
      stdout: { kind: "file", path: `${dir}/out` },
    }));
    await child.status();
    const lines = (await Deno.readTextFile(`${dir}/out`)).trim().split("\n").sort();
    assert.deepEqual(lines, ["A=1", "B=x y", `SYSTEMD_EXEC_PID=${child.pid}`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an environment of more than 128 KiB reaches the command (no E2BIG)", async () => {
  // One argv string may hold at most 128 KiB: the request must not travel as one.
  const env: Record<string, string> = { PATH: "/usr/bin:/bin" };
  for (let i = 0; i < 300; i++) env[`BIG_${i}`] = `${i}:` + "x".repeat(1000);
  const text = await output(["/usr/bin/env"], { env });
  const lines = text.trim().split("\n");
  assert.equal(lines.length, 301);
  assert.ok(lines.includes(`BIG_299=299:${"x".repeat(1000)}`));
});

Deno.test("the command runs in a new session led by itself", async () => {
  const child = await spawnProcess(specFor(["/bin/sleep", "30"]));
  try {
    assert.deepEqual(await child.execResult(), { ok: true });
    const stat = readStat(child.pid)!;
    assert.equal(stat.session, child.pid);
    assert.equal(stat.pgrp, child.pid);
    assert.equal(stat.startTime, child.startTime);
    assert.equal(stat.comm, "sleep");
  } finally {
    Deno.kill(child.pid, "SIGKILL");
    await child.status();
  }
});

Deno.test("only descriptors 0, 1 and 2 stay open, and SIGPIPE starts ignored", async () => {
  const child = await spawnProcess(specFor(["/bin/sleep", "30"]));
  try {
    assert.deepEqual(await child.execResult(), { ok: true });
    // sleep opens and closes its locale file right after exec, so look only
    // once it sleeps in the kernel: a leaked descriptor would still be there.
    const openFds = () => [...Deno.readDirSync(`/proc/${child.pid}/fd`)].map((e) => e.name).sort();
    const sleeping = () => {
      try {
        return Deno.readTextFileSync(`/proc/${child.pid}/wchan`).includes("nanosleep");
      } catch {
        return false;
      }
    };
    assert.ok(await eventually(sleeping), "the child reached its sleep");
    assert.deepEqual(openFds(), ["0", "1", "2"]);
    const ignored = BigInt(`0x${procStatus(child.pid, "SigIgn")}`);
    assert.equal(ignored & (1n << 12n), 1n << 12n);
    assert.equal(BigInt(`0x${procStatus(child.pid, "SigBlk")}`), 0n);
  } finally {
    Deno.kill(child.pid, "SIGKILL");
    await child.status();
  }
});

Deno.test("IgnoreSIGPIPE=no starts the command with every signal at its default", async () => {
  const child = await spawnProcess(specFor(["/bin/sleep", "30"], { ignoreSigpipe: false }));
  try {
    assert.deepEqual(await child.execResult(), { ok: true });
    assert.equal(BigInt(`0x${procStatus(child.pid, "SigIgn")}`), 0n);
  } finally {
    Deno.kill(child.pid, "SIGKILL");
    await child.status();
  }
});

Deno.test("passed descriptors are renumbered from 3", async () => {
  const dir = await Deno.makeTempDir();
  const fd = libc().open(cstr(`${dir}/passed`), O.WRONLY | O.CREAT | O.CLOEXEC, 0o644);
  assert.ok(fd >= 0);
  try {
    const child = await spawnProcess(specFor(["/bin/sleep", "30"], { passFds: [fd] }));
    assert.deepEqual(await child.execResult(), { ok: true });
    assert.equal(Deno.readLinkSync(`/proc/${child.pid}/fd/3`), `${dir}/passed`);
    // sleep itself may briefly hold a locale file open as fd 4; the report
    // pipe (or any other descriptor of ours) must not be there.
    const extra = [...Deno.readDirSync(`/proc/${child.pid}/fd`)]
      .filter((e) => Number(e.name) > 3)
      .map((e) => {
        try {
          return Deno.readLinkSync(`/proc/${child.pid}/fd/${e.name}`);
        } catch {
          return "";
        }
      });
    assert.ok(!extra.some((target) => target.startsWith("pipe:")), extra.join(" "));
    Deno.kill(child.pid, "SIGKILL");
    await child.status();
  } finally {
    libc().close(fd);
    await Deno.remove(dir, { recursive: true });
  }
});

rootTest("User= switches uid, gid and supplementary groups", async () => {
  const child = await spawnProcess(specFor(["/bin/sleep", "30"], {
    user: { uid: 65534, gid: 65534, groups: [65534, 100] },
  }));
  try {
    assert.deepEqual(await child.execResult(), { ok: true });
    assert.equal(procStatus(child.pid, "Uid").split(/\s+/)[0], "65534");
    assert.equal(procStatus(child.pid, "Gid").split(/\s+/)[0], "65534");
    assert.deepEqual(procStatus(child.pid, "Groups").split(/\s+/).sort(), ["100", "65534"]);
  } finally {
    Deno.kill(child.pid, "SIGKILL");
    await child.status();
  }
});

rootTest("supplementary groups apply without changing the user", async () => {
  const text = await output(["/usr/bin/id"], { user: { uid: 0, gid: 0, groups: [0, 100, 4] } });
  assert.match(text, /^uid=0\(root\) gid=0\(root\) groups=0\(root\),4\(\w+\),100\(users\)/);
});

Deno.test("UMask= is applied", async () => {
  assert.equal((await output(["/bin/sh", "-c", "umask"], { umask: 0o027 })).trim(), "0027");
  assert.equal((await output(["/bin/sh", "-c", "umask"])).trim(), "0022");
});

Deno.test("LimitNOFILE= sets the soft and hard limits", async () => {
  const text = await output(["/bin/sh", "-c", "ulimit -Sn; ulimit -Hn"], {
    rlimits: { NOFILE: { soft: 100, hard: 200 } },
  });
  assert.deepEqual(text.trim().split("\n"), ["100", "200"]);
});

Deno.test("a very low LimitNOFILE= still lets the command start", async () => {
  const text = await output(["/bin/sh", "-c", "ulimit -Sn"], {
    rlimits: { NOFILE: { soft: 16, hard: 16 } },
  });
  assert.equal(text.trim(), "16");
});

Deno.test("Nice= and OOMScoreAdjust= are applied", async () => {
  const text = await output(["/bin/sh", "-c", "nice; cat /proc/self/oom_score_adj"], {
    nice: 5,
    oomScoreAdjust: 300,
  });
  assert.deepEqual(text.trim().split("\n"), ["5", "300"]);
});

Deno.test("StandardOutput=append: appends and truncate: truncates", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/out`;
    for (const _ of [1, 2]) {
      await runAndWait(
        specFor(["/bin/echo", "line"], { stdout: { kind: "append", path: file } }),
      );
    }
    assert.equal(await Deno.readTextFile(file), "line\nline\n");
    await runAndWait(specFor(["/bin/echo", "new"], { stdout: { kind: "truncate", path: file } }));
    assert.equal(await Deno.readTextFile(file), "new\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StandardOutput=file: writes from the start without truncating", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/out`;
    await Deno.writeTextFile(file, "XXXXXXXX");
    await runAndWait(specFor(["/bin/printf", "ab"], { stdout: { kind: "file", path: file } }));
    assert.equal(await Deno.readTextFile(file), "abXXXXXX");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stderr inherit follows stdout, and a separate stderr file gets only stderr", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = "echo out; echo err >&2";
    await runAndWait(specFor(["/bin/sh", "-c", script], {
      stdout: { kind: "log", path: `${dir}/log` },
    }));
    assert.equal(await Deno.readTextFile(`${dir}/log`), "out\nerr\n");
    await runAndWait(specFor(["/bin/sh", "-c", script], {
      stdout: { kind: "truncate", path: `${dir}/out` },
      stderr: { kind: "truncate", path: `${dir}/err` },
    }));
    assert.equal(await Deno.readTextFile(`${dir}/out`), "out\n");
    assert.equal(await Deno.readTextFile(`${dir}/err`), "err\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StandardInput=file: feeds the file to the command", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/in`, "hello\n");
    const text = await output(["/bin/cat"], { stdin: { kind: "file", path: `${dir}/in` } });
    assert.equal(text, "hello\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing executable fails with 203/EXEC and a failure line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = `${dir}/unit.log`;
    const child = await spawnProcess(specFor(["/nonexistent/bin"], {
      unitName: "web.service",
      failureLog: log,
    }));
    assert.deepEqual(await child.execResult(), {
      ok: false,
      status: 203,
      step: "EXEC",
      error: "No such file or directory",
    });
    assert.deepEqual(await child.status(), { code: "exited", status: 203 });
    assert.equal(
      await Deno.readTextFile(log),
      "web.service: Failed at step EXEC spawning /nonexistent/bin: No such file or directory\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing working directory fails with 200/CHDIR", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const child = await spawnProcess(specFor(["/bin/true"], {
      cwd: "/nonexistent",
      failureLog: `${dir}/log`,
    }));
    const result = await child.execResult();
    assert.deepEqual(result, {
      ok: false,
      status: 200,
      step: "CHDIR",
      error: "No such file or directory",
    });
    assert.equal((await child.status()).status, 200);
    assert.match(await Deno.readTextFile(`${dir}/log`), /^test\.service: Failed at step CHDIR/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an optional working directory that is missing falls back to /", async () => {
  assert.equal(await output(["/bin/pwd"], { cwd: "/nonexistent", cwdOptional: true }), "/\n");
  assert.equal(await output(["/bin/pwd"], { cwd: "/tmp" }), "/tmp\n");
});

Deno.test("stdio files that cannot be opened fail with 208, 209 and 222", async () => {
  const cases = [
    { stdin: { kind: "file" as const, path: "/nonexistent/in" }, status: 208, step: "STDIN" },
    { stdout: { kind: "append" as const, path: "/nonexistent/out" }, status: 209, step: "STDOUT" },
    { stderr: { kind: "append" as const, path: "/nonexistent/err" }, status: 222, step: "STDERR" },
  ];
  for (const { status, step, ...stdio } of cases) {
    const child = await spawnProcess(specFor(["/bin/true"], stdio));
    const result = await child.execResult();
    assert.deepEqual(result, { ok: false, status, step, error: "No such file or directory" });
    assert.equal((await child.status()).status, status);
  }
});

rootTest("a missing RootDirectory= fails with 210/CHROOT", async () => {
  const child = await spawnProcess(specFor(["/bin/true"], { rootDirectory: "/nonexistent" }));
  const result = await child.execResult();
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.step, "CHROOT");
  assert.equal((await child.status()).status, 210);
});

Deno.test("a main process outlives the client that spawned it", async () => {
  const script = `
    import { spawnProcess } from ${
    JSON.stringify(new URL("../../src/process/spawn.ts", import.meta.url).href)
  };
    const child = await spawnProcess({ path: "/bin/sleep", argv: ["sleep", "30"], env: {},
      stdin: { kind: "null" }, stdout: { kind: "null" }, stderr: { kind: "inherit" }, unitName: "x" });
    child.unref();
    console.log(JSON.stringify({ pid: child.pid, exec: await child.execResult() }));
  `;
  const client = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--unstable-net", script],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.equal(client.code, 0);
  const { pid, exec } = JSON.parse(new TextDecoder().decode(client.stdout));
  assert.deepEqual(exec, { ok: true });
  try {
    const stat = readStat(pid);
    assert.ok(stat, "the spawned process is gone");
    assert.notEqual(stat.state, "Z");
    assert.equal(stat.comm, "sleep");
    assert.equal(stat.session, pid);
  } finally {
    Deno.kill(pid, "SIGKILL");
    await eventually(() => readStat(pid)?.state !== "S");
  }
});
