import assert from "node:assert/strict";
import { reapOrphans, reapZombies } from "../../src/process/reaper.ts";
import {
  type ExitInfo,
  holdBackReap,
  onReapReleased,
  spawnBegins,
  spawnEnds,
  trackChild,
  unrefChild,
} from "../../src/process/_children.ts";
import { readStat } from "../../src/process/procfs.ts";
import { spawnProcess } from "../../src/process/spawn.ts";
import { eventually, specFor } from "./_support.ts";

Deno.test("reapOrphans reaps a zombie child and its status() resolves", async () => {
  const child = await spawnProcess(specFor(["/bin/sh", "-c", "exit 3"]));
  assert.ok(await eventually(() => readStat(child.pid)?.state === "Z"));
  const reaped = reapOrphans(new Set());
  assert.deepEqual(reaped.find((r) => r.pid === child.pid)?.exit, { code: "exited", status: 3 });
  assert.equal(readStat(child.pid), undefined);
  assert.deepEqual(await child.status(), { code: "exited", status: 3 });
});

Deno.test("reapOrphans leaves excluded children alone", async () => {
  const child = await spawnProcess(specFor(["/bin/true"]));
  assert.ok(await eventually(() => readStat(child.pid)?.state === "Z"));
  assert.equal(reapOrphans(new Set([child.pid])).length, 0);
  assert.equal(readStat(child.pid)?.state, "Z");
  assert.deepEqual(await child.status(), { code: "exited", status: 0 });
});

Deno.test("a subreaper adopts and reaps orphaned grandchildren, and can rename itself", async () => {
  const modules = (name: string) =>
    JSON.stringify(new URL(`../../src/process/${name}`, import.meta.url).href);
  const script = `
    import { reapZombies, setChildSubreaper, setProcessName } from ${modules("reaper.ts")};
    import { spawnProcess } from ${modules("spawn.ts")};
    setChildSubreaper();
    setProcessName("reaper-test");
    const comm = Deno.readTextFileSync("/proc/self/comm").trim();
    const child = await spawnProcess({ path: "/bin/sh", argv: ["sh", "-c", "(sleep 0.2; exit 4) & echo $! > ${"$"}{OUT}"],
      env: { OUT: Deno.args[0] }, stdin: { kind: "null" }, stdout: { kind: "null" }, stderr: { kind: "inherit" },
      unitName: "x" });
    await child.status();
    const orphan = Number(Deno.readTextFileSync(Deno.args[0]));
    let reaped = [];
    const deadline = Date.now() + 60_000; // a bound for a loaded machine
    while (reaped.length === 0 && Date.now() < deadline) {
      reaped = reapZombies();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    console.log(JSON.stringify({ comm, orphan, reaped }));
  `;
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--unstable-net", script, `${dir}/pid`],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assert.equal(out.code, 0);
    const { comm, orphan, reaped } = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(comm, "reaper-test");
    assert.equal(reaped.length, 1);
    assert.equal(reaped[0].pid, orphan);
    assert.deepEqual(reaped[0].exit, { code: "exited", status: 4 });
    assert.ok(reaped[0].startTime > 0, "the start time is read before the zombie is reaped");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a reaper running while spawns are in flight never takes a status before its spawn tracks the child", async () => {
  // The direct spawn returns on a runtime thread; a command that ends at once is a zombie
  // before its PID is known. A reap pass in between must leave it to its spawn.
  let passes = 0;
  const reaper = setInterval(() => {
    passes++;
    reapZombies();
  }, 0);
  try {
    for (let round = 0; round < 5; round++) {
      const children = await Promise.all(
        Array.from({ length: 20 }, () => spawnProcess(specFor(["/bin/sh", "-c", "exit 7"]))),
      );
      const statuses = await Promise.race([
        Promise.all(children.map((c) => c.status())),
        // A bound for a loaded machine, not an expected duration.
        new Promise<"lost">((resolve) => setTimeout(() => resolve("lost"), 60_000)),
      ]);
      assert.notEqual(statuses, "lost", "a status was taken by the reaper");
      for (const status of statuses as ExitInfo[]) {
        assert.deepEqual(status, { code: "exited", status: 7 });
      }
    }
  } finally {
    clearInterval(reaper);
  }
  assert.ok(passes > 0);
});

Deno.test("a reap held back for an in-flight spawn runs once the spawn is over", () => {
  let released = 0;
  onReapReleased(() => released++);
  try {
    assert.equal(holdBackReap(999_999_999), false, "no spawn in flight: nothing is held back");
    spawnBegins();
    spawnBegins();
    assert.equal(holdBackReap(999_999_999), true, "an untracked zombie may be the spawn's child");
    trackChild(999_999_998);
    assert.equal(holdBackReap(999_999_998), false, "a tracked child is reaped as usual");
    spawnEnds();
    assert.equal(released, 0, "one spawn is still in flight");
    spawnEnds();
    assert.equal(released, 1);
    spawnBegins();
    spawnEnds();
    assert.equal(released, 1, "nothing was held back this time");
  } finally {
    onReapReleased(undefined);
    unrefChild(999_999_998);
  }
});
