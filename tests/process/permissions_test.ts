import assert from "node:assert/strict";
import { PERMISSION_FLAGS, selfCommand } from "../../src/process/self.ts";

Deno.test("selfCommand runs the repository's mod.ts with the explicit permission list", () => {
  const self = selfCommand();
  assert.equal(self.cmd, Deno.execPath());
  assert.deepEqual(self.args.slice(0, 1 + PERMISSION_FLAGS.length), ["run", ...PERMISSION_FLAGS]);
  assert.equal(self.args.at(-1), new URL("../../mod.ts", import.meta.url).pathname);
  assert.ok(!PERMISSION_FLAGS.includes("-A") && !PERMISSION_FLAGS.includes("--allow-all"));
});

Deno.test("procfs reads, spawning and stopping work without --allow-all", async () => {
  const module = (path: string) =>
    JSON.stringify(new URL(`../../src/process/${path}`, import.meta.url).href);
  const script = `
    import { bootKey, isAlive, listPids, readCmdline, readStat } from ${module("procfs.ts")};
    import { spawnProcess } from ${module("spawn.ts")};
    import { stopSequence, unitMembers } from ${module("kill.ts")};
    const child = await spawnProcess({ path: "/bin/sh", argv: ["sh", "-c", "sleep 30 & wait"],
      env: {}, stdin: { kind: "null" }, stdout: { kind: "null" }, stderr: { kind: "inherit" },
      unitName: "x", oomScoreAdjust: 100 });
    const exec = await child.execResult();
    let members = [];
    const deadline = Date.now() + 60_000; // a bound for a loaded machine
    while (members.length < 2 && Date.now() < deadline) {
      members = unitMembers({ mainPid: child.pid });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const stop = await stopSequence({ mainPid: child.pid, timeoutMs: 5000 });
    console.log(JSON.stringify({
      key: bootKey(),
      pids: listPids().includes(Deno.pid),
      stat: readStat(Deno.pid)?.pid === Deno.pid,
      alive: isAlive(Deno.pid),
      cmdline: readCmdline(Deno.pid).length > 0,
      exec,
      members: members.length,
      stop: stop.result,
      status: await child.status(),
    }));
  `;
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/probe.ts`, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSION_FLAGS, `${dir}/probe.ts`],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assert.equal(out.code, 0);
    const result = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.match(result.key, /^[0-9a-f-]{36}:\d+$/);
    assert.deepEqual({ ...result, key: undefined }, {
      key: undefined,
      pids: true,
      stat: true,
      alive: true,
      cmdline: true,
      exec: { ok: true },
      members: 2,
      stop: "success",
      status: { code: "killed", status: 15 },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
