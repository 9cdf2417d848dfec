import assert from "node:assert/strict";
import {
  isUnitMember,
  signalProcess,
  stopSequence,
  unitMembers,
  waitGone,
} from "../../src/process/kill.ts";
import { listStats, readStat } from "../../src/process/procfs.ts";
import { type Spawned, spawnProcess } from "../../src/process/spawn.ts";
import { eventually, specFor } from "./_support.ts";

async function startShell(script: string): Promise<Spawned> {
  const child = await spawnProcess(specFor(["/bin/sh", "-c", script]));
  assert.deepEqual(await child.execResult(), { ok: true });
  return child;
}

/**
 * Waits until the session led by `sid` has `count` members. (Timeouts in this file are bounds
 * for a loaded machine where the processes end on their first signal, not durations.)
 */
async function settle(sid: number, count: number): Promise<number[]> {
  let members: number[] = [];
  const ok = await eventually(() => (members = unitMembers({ mainPid: sid })).length >= count);
  assert.ok(ok, `expected ${count} members in session ${sid}, found ${members}`);
  return members;
}

function cleanup(pids: number[]): void {
  for (const pid of pids) signalProcess(pid, 9);
}

Deno.test("signalProcess returns false for a process that is gone", async () => {
  const child = await spawnProcess(specFor(["/bin/true"]));
  await child.status();
  assert.equal(signalProcess(child.pid, 0), false);
  assert.equal(signalProcess(Deno.pid, 0), true);
});

Deno.test("unitMembers finds the session's processes and their descendants", async () => {
  const child = await startShell("sleep 30 & sleep 31 & wait");
  const members = await settle(child.pid, 3);
  try {
    assert.equal(members.length, 3);
    assert.ok(members.includes(child.pid));
    for (const pid of members) assert.equal(readStat(pid)?.session, child.pid);
    assert.ok(!members.includes(Deno.pid));
  } finally {
    cleanup(members);
    await child.status();
  }
});

Deno.test("unitMembers ignores a main PID whose start time differs", async () => {
  const child = await startShell("sleep 30");
  try {
    const members = unitMembers({
      mainPid: child.pid,
      startTimes: { [child.pid]: child.startTime + 1 },
    });
    assert.deepEqual(members, []);
  } finally {
    cleanup([child.pid]);
    await child.status();
  }
});

Deno.test("stopSequence returns as soon as a normal process has exited", async () => {
  const child = await startShell("sleep 30 & wait");
  await settle(child.pid, 2);
  // A timeout far beyond any machine's delay: returning before it means it did not wait.
  const timeoutMs = 300_000;
  const phases: string[] = [];
  const started = performance.now();
  const outcome = await stopSequence({
    mainPid: child.pid,
    timeoutMs,
    onPhase: (phase) => phases.push(phase),
  });
  const elapsed = performance.now() - started;
  assert.equal(outcome.result, "success");
  assert.equal(outcome.signaled.length, 2);
  assert.deepEqual(outcome.finalSignaled, []);
  assert.deepEqual(phases, ["sigterm"], "no SIGKILL phase: the processes ended on SIGTERM");
  assert.ok(elapsed < timeoutMs, `stop took ${elapsed} ms`);
  assert.deepEqual(await child.status(), { code: "killed", status: 15 });
});

Deno.test("stopSequence kills a process that ignores SIGTERM after the timeout", async () => {
  const child = await startShell('trap "" TERM; sleep 30 & wait; sleep 30');
  await settle(child.pid, 2);
  const phases: string[] = [];
  const started = performance.now();
  const outcome = await stopSequence({
    mainPid: child.pid,
    timeoutMs: 300,
    onPhase: (phase) => phases.push(phase),
  });
  const elapsed = performance.now() - started;
  assert.deepEqual(phases, ["sigterm", "sigkill"]);
  assert.equal(outcome.result, "success");
  assert.ok(outcome.finalSignaled.includes(child.pid));
  assert.ok(elapsed >= 290, `stop took only ${elapsed} ms`);
  assert.deepEqual(await child.status(), { code: "killed", status: 9 });
});

Deno.test("SendSIGKILL=no leaves the survivors and reports a timeout", async () => {
  const child = await startShell('trap "" TERM; sleep 30');
  await settle(child.pid, 2);
  try {
    const outcome = await stopSequence({ mainPid: child.pid, timeoutMs: 100, sendSIGKILL: false });
    assert.equal(outcome.result, "timeout");
    assert.ok(outcome.remaining.includes(child.pid));
  } finally {
    cleanup(unitMembers({ mainPid: child.pid }));
    await child.status();
  }
});

Deno.test("KillMode=process signals only the main process", async () => {
  const child = await startShell("sleep 30 & wait");
  const members = await settle(child.pid, 2);
  try {
    const outcome = await stopSequence({
      mainPid: child.pid,
      killMode: "process",
      timeoutMs: 60_000,
    });
    assert.deepEqual(outcome.signaled, [child.pid]);
    assert.equal(outcome.result, "success");
    const rest = members.filter((pid) => pid !== child.pid);
    assert.equal(rest.length, 1);
    assert.notEqual(readStat(rest[0])?.state ?? "Z", "Z", "the other process was signalled");
  } finally {
    cleanup(members);
    await child.status();
  }
});

Deno.test("KillMode=mixed sends the final signal to the rest once the main process is gone", async () => {
  const child = await startShell("sleep 30 & wait");
  const members = await settle(child.pid, 2);
  const [helper] = members.filter((pid) => pid !== child.pid);
  const outcome = await stopSequence({ mainPid: child.pid, killMode: "mixed", timeoutMs: 60_000 });
  assert.deepEqual(outcome.signaled, [child.pid]);
  assert.deepEqual(outcome.finalSignaled, [helper]);
  assert.equal(outcome.result, "success");
  assert.equal(await waitGone([helper], 60_000), true);
  await child.status();
});

Deno.test("KillMode=none signals nobody", async () => {
  const child = await startShell("sleep 30");
  try {
    const outcome = await stopSequence({ mainPid: child.pid, killMode: "none", timeoutMs: 100 });
    assert.deepEqual(outcome.signaled, []);
    assert.notEqual(readStat(child.pid)?.state, "Z");
  } finally {
    cleanup(unitMembers({ mainPid: child.pid }));
    await child.status();
  }
});

Deno.test("SendSIGHUP=yes sends SIGHUP after the kill signal", async () => {
  const child = await startShell('trap "" TERM; sleep 30');
  await settle(child.pid, 2);
  const outcome = await stopSequence({ mainPid: child.pid, sendSIGHUP: true, timeoutMs: 60_000 });
  assert.deepEqual(outcome.finalSignaled, []);
  assert.deepEqual(await child.status(), { code: "killed", status: 1 });
});

Deno.test("waitGone times out for a live process and reaps our own zombie child", async () => {
  const child = await startShell("sleep 30");
  assert.equal(await waitGone([child.pid], 50), false);
  signalProcess(child.pid, 9);
  assert.equal(await waitGone([child.pid], 60_000), true);
  assert.equal(readStat(child.pid), undefined);
  assert.deepEqual(await child.status(), { code: "killed", status: 9 });
});

Deno.test("stopSequence also stops processes forked while it waits", async () => {
  // On SIGTERM the shell leaves a new sleep behind in its session and exits. Once the shell
  // is gone its session id proves nothing: the sleep is found by the unit's INVOCATION_ID,
  // which every process of a unit carries.
  const invocationId = "0123456789abcdef0123456789abcdef";
  const child = await spawnProcess(
    specFor(["/bin/sh", "-c", "trap 'sleep 31 & exit 0' TERM; sleep 30 & wait"], {
      env: { PATH: "/usr/bin:/bin", INVOCATION_ID: invocationId },
    }),
  );
  assert.deepEqual(await child.execResult(), { ok: true });
  await settle(child.pid, 2);
  const outcome = await stopSequence({ mainPid: child.pid, invocationId, timeoutMs: 2_000 });
  // The shell and its first sleep get SIGTERM; the sleep it forks in its trap is found by the
  // re-scan. That fork can catch SIGTERM before dash has reset the inherited trap, so it may
  // instead need the final SIGKILL: either way nothing of the session is left.
  assert.equal(outcome.signaled.length + outcome.finalSignaled.length >= 3, true);
  assert.deepEqual(outcome.remaining, []);
  assert.deepEqual(listStats().filter((p) => p.session === child.pid && p.state !== "Z"), []);
  const shell = await child.status();
  assert.ok(shell.code === "exited" || shell.status === 9, JSON.stringify(shell));
});

Deno.test("unitMembers does not treat a non-leader main PID's PID as a session", async () => {
  const child = await startShell("sleep 30 & wait");
  const members = await settle(child.pid, 2);
  try {
    const [worker] = members.filter((pid) => pid !== child.pid);
    assert.deepEqual(unitMembers({ mainPid: worker }), [worker]);
  } finally {
    cleanup(members);
    await child.status();
  }
});

Deno.test("a recorded session whose leader is gone is not the unit's by its id alone", async () => {
  // The leader exits and leaves a sleep in its session: from the session id alone this
  // cannot be told from a stranger who leads a session under the reused id (issue 18.2).
  const child = await startShell("sleep 30 & exit 0");
  const leftover = await eventually(() =>
    listStats().some((p) => p.session === child.pid && p.pid !== child.pid && p.state !== "Z")
  );
  assert.ok(leftover, "the shell left no sleep behind");
  const start = child.startTime;
  await child.status();
  const sleeper = listStats().find((p) => p.session === child.pid && p.state !== "Z")!;
  try {
    const members = unitMembers({
      sessionIds: [child.pid],
      sessionStartTimes: { [child.pid]: start },
    });
    assert.deepEqual(members, []);
    // A member still counts while something verifiable ties it to the unit: its descent
    // is gone with its parent, its INVOCATION_ID (none here) would do.
    assert.deepEqual(unitMembers({ sessionId: child.pid }), []);
  } finally {
    cleanup([sleeper.pid]);
  }
});

Deno.test("isUnitMember tells one process's membership as unitMembers finds it", async () => {
  const invocationId = "fedcba9876543210fedcba9876543210";
  const child = await spawnProcess(
    specFor(["/bin/sh", "-c", "sleep 30 & (setsid sleep 31 &) ; env -i sleep 32 & wait"], {
      env: { PATH: "/usr/bin:/bin", INVOCATION_ID: invocationId },
    }),
  );
  assert.deepEqual(await child.execResult(), { ok: true });
  const stranger = await startShell("sleep 33");
  const query = {
    mainPid: child.pid,
    startTimes: { [child.pid]: child.startTime },
    invocationId,
  };
  let members: number[] = [];
  // The four that stay: the shell and its three sleeps. The subshell and `setsid` live only
  // for a moment, and on a busy machine a scan can still see them: wait until it does not.
  const argv = (pid: number) => {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter(Boolean).join(" ");
    } catch {
      return "";
    }
  };
  const settled = () =>
    members.map(argv).filter((a) => !a.startsWith("/bin/sh")).sort().join(",") ===
      "sleep 30,sleep 31,sleep 32" && members.length === 4;
  assert.ok(await eventually(() => (members = unitMembers(query), settled())), `${members}`);
  try {
    // The shell, its sleeps, the setsid'd one (INVOCATION_ID) and the one with no
    // environment (a child of the shell).
    for (const pid of members) assert.equal(isUnitMember(query, pid), true, `${pid}`);
    for (const pid of [stranger.pid, Deno.pid, 1]) assert.equal(isUnitMember(query, pid), false);
    assert.equal(
      isUnitMember({ ...query, invocationId: undefined, mainPid: 0 }, members[1]),
      false,
    );
  } finally {
    cleanup([...members, stranger.pid]);
    await child.status();
    await stranger.status();
  }
});

Deno.test("a process first read without an environment is found by its INVOCATION_ID once it has one", async () => {
  // Inside an execve a process shows no environment for a moment. Here the same process
  // (pid and start time) runs first with none (`env -i`), then execs into one that holds
  // the id; an empty read must not stay cached (a stop would never find it again).
  const invocationId = "00112233445566778899aabbccddeeff";
  const go = Deno.makeTempFileSync({ prefix: "kill-go-" });
  Deno.removeSync(go);
  const child = await spawnProcess(
    specFor([
      "/usr/bin/env",
      "-i",
      "/bin/sh",
      "-c",
      `while [ ! -e '${go}' ]; do sleep 0.05; done; exec /usr/bin/env INVOCATION_ID=${invocationId} /bin/sleep 30`,
    ]),
  );
  try {
    assert.deepEqual(await child.execResult(), { ok: true });
    const query = { invocationId };
    // Running without an environment: not a member (read, and not remembered).
    assert.ok(await eventually(() => readStat(child.pid)?.state !== undefined));
    assert.equal(unitMembers(query).includes(child.pid), false);
    assert.equal(isUnitMember(query, child.pid), false);
    Deno.writeTextFileSync(go, "");
    assert.ok(
      await eventually(() => unitMembers(query).includes(child.pid)),
      "found by its INVOCATION_ID after the exec",
    );
    assert.equal(isUnitMember(query, child.pid), true);
  } finally {
    cleanup([child.pid]);
    await child.status();
    try {
      Deno.removeSync(go);
    } catch { /* not made */ }
  }
});
