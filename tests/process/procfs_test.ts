import assert from "node:assert/strict";
import {
  bootId,
  descendants,
  isAlive,
  listPids,
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
    for (let i = 0; i < 1000 && found.length === 0; i++) {
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

Deno.test("sessionMembers and processGroupMembers list this process's session and group", () => {
  const stat = readStat(Deno.pid)!;
  assert.ok(sessionMembers(stat.session).includes(Deno.pid));
  assert.ok(processGroupMembers(stat.pgrp).includes(Deno.pid));
  assert.deepEqual(sessionMembers(0), []);
});

Deno.test("bootId is a UUID and pid1StartTime a tick count", () => {
  assert.match(bootId(), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.ok(Number.isInteger(pid1StartTime()) && pid1StartTime() >= 0);
});
