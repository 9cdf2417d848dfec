import assert from "node:assert/strict";
import { reapOrphans } from "../../src/process/reaper.ts";
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
    for (let i = 0; i < 400 && reaped.length === 0; i++) {
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
