import assert from "node:assert/strict";
import {
  bootId,
  descendants,
  isAlive,
  listPids,
  ownLimits,
  parseLimits,
  parseStat,
  pid1StartTime,
  processGroupMembers,
  readCmdline,
  readComm,
  readStat,
  sessionMembers,
} from "../../src/process/procfs.ts";

Deno.test("parseStat copes with spaces and parentheses in the command name", () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  const text = `42 (a) (b c)) S 7 8 9 ${fields.slice(4).join(" ")}`;
  const stat = parseStat(text)!;
  assert.equal(stat.pid, 42);
  assert.equal(stat.comm, "a) (b c)");
  assert.equal(stat.state, "S");
  assert.deepEqual([stat.ppid, stat.pgrp, stat.session], [7, 8, 9]);
  assert.equal(stat.startTime, 22);
});

Deno.test("readStat describes this process and isAlive checks the start time", () => {
  const stat = readStat(Deno.pid)!;
  assert.equal(stat.pid, Deno.pid);
  assert.ok(stat.startTime > 0);
  assert.equal(isAlive(Deno.pid), true);
  assert.equal(isAlive(Deno.pid, stat.startTime), true);
  assert.equal(isAlive(Deno.pid, stat.startTime + 1), false);
  assert.equal(readStat(0x3fffffff), undefined);
  assert.equal(isAlive(0x3fffffff), false);
  assert.equal(isAlive(0), false);
});

Deno.test("listPids, readCmdline and readComm see this process", () => {
  assert.ok(listPids().includes(Deno.pid));
  assert.ok(readCmdline(Deno.pid).includes("test"));
  assert.equal(typeof readComm(Deno.pid), "string");
  assert.deepEqual(readCmdline(0x3fffffff), []);
});

Deno.test("descendants follows the parent chain", async () => {
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", "sleep 30 & wait"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    let found: number[] = [];
    const deadline = Date.now() + 60_000; // a bound for a loaded machine
    while (found.length === 0 && Date.now() < deadline) {
      found = descendants([child.pid]);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(found.length, 1);
    assert.equal(readStat(found[0])?.ppid, child.pid);
    assert.ok(descendants([Deno.pid]).includes(found[0]));
    Deno.kill(found[0], "SIGKILL");
  } finally {
    await child.status;
  }
});

Deno.test("sessionMembers and processGroupMembers list a new session's leader", async () => {
  // Our own session may be 0 (its leader outside this PID namespace, as under CI), so the test
  // makes a session of its own: setsid(1) execs sleep as the leader of a new session and group.
  const child = new Deno.Command("setsid", {
    args: ["sleep", "30"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    let leader = 0;
    const deadline = Date.now() + 60_000; // a bound for a loaded machine
    while (leader === 0 && Date.now() < deadline) {
      const pids = [child.pid, ...descendants([child.pid])];
      leader = pids.find((pid) => {
        const st = readStat(pid);
        return st !== undefined && st.session === pid && st.comm === "sleep";
      }) ?? 0;
      if (leader === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(leader > 0, "setsid sleep became a session leader");
    assert.deepEqual(sessionMembers(leader), [leader]);
    assert.deepEqual(processGroupMembers(leader), [leader]);
    assert.ok(!sessionMembers(readStat(Deno.pid)!.session).includes(leader));
    assert.deepEqual(sessionMembers(0), []);
    assert.deepEqual(processGroupMembers(0), []);
    Deno.kill(leader, "SIGKILL");
  } finally {
    await child.status;
  }
});

Deno.test("bootId is a UUID and pid1StartTime a tick count", () => {
  assert.match(bootId(), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.ok(Number.isInteger(pid1StartTime()) && pid1StartTime() >= 0);
});

Deno.test("parseLimits reads /proc/<pid>/limits rows by rlimit name", () => {
  const text = [
    "Limit                     Soft Limit           Hard Limit           Units     ",
    "Max cpu time              unlimited            unlimited            seconds   ",
    "Max open files            1024                 524288               files     ",
    "Max nice priority         0                    0                    ",
    "Max realtime timeout      unlimited            unlimited            us        ",
  ].join("\n");
  assert.deepEqual(parseLimits(text), {
    CPU: { soft: Infinity, hard: Infinity },
    NOFILE: { soft: 1024, hard: 524288 },
    NICE: { soft: 0, hard: 0 },
    RTTIME: { soft: Infinity, hard: Infinity },
  });
  const own = ownLimits();
  assert.ok(own.NOFILE && own.NOFILE.soft <= own.NOFILE.hard);
});
