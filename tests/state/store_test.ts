import assert from "node:assert/strict";
import {
  listUnitStates,
  readUnitState,
  readUnitStateSync,
  removeUnitState,
  STATE_FORMAT,
  type UnitState,
  unitStatePath,
  writeUnitState,
} from "../../src/state/store.ts";

const BOOT = "11111111-2222-3333-4444-555555555555:42";

function stateOf(unit: string, extra: Partial<UnitState> = {}): UnitState {
  return {
    format: STATE_FORMAT,
    Id: unit,
    Boot: BOOT,
    ActiveState: "active",
    SubState: "running",
    Result: "success",
    ...extra,
  };
}

async function withStateDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(`${dir}/run/systemctl`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a written state reads back and leaves no temporary file", async () => {
  await withStateDir(async (dir) => {
    await writeUnitState(
      dir,
      stateOf("web.service", { MainPID: 12, Exec: { ExecStart: [{ pid: 12 }] } }),
    );
    assert.equal(unitStatePath(dir, "web.service"), `${dir}/units/web.service.json`);
    const { state, warning } = await readUnitState(dir, "web.service", BOOT);
    assert.equal(warning, undefined);
    assert.equal(state?.MainPID, 12);
    assert.deepEqual(state?.Exec, { ExecStart: [{ pid: 12 }] });
    assert.equal(state?.Writer?.pid, Deno.pid);
    assert.equal((await Deno.stat(`${dir}/units`)).mode! & 0o777, 0o755);
    assert.deepEqual([...Deno.readDirSync(`${dir}/units`)].map((e) => e.name), [
      "web.service.json",
    ]);
    assert.equal(readUnitStateSync(dir, "web.service", BOOT).state?.MainPID, 12);
  });
});

Deno.test("a missing state file means no state and no warning", async () => {
  await withStateDir(async (dir) => {
    assert.deepEqual(await readUnitState(dir, "none.service", BOOT), {});
    assert.deepEqual(await listUnitStates(dir, BOOT), []);
  });
});

Deno.test("a state file from another boot is stale and ignored", async () => {
  await withStateDir(async (dir) => {
    await writeUnitState(dir, stateOf("web.service", { Boot: "other:1" }));
    assert.deepEqual(await readUnitState(dir, "web.service", BOOT), {});
    assert.ok(Deno.statSync(unitStatePath(dir, "web.service")).isFile);
  });
});

Deno.test("a corrupt state file gives a warning and is renamed to .corrupt", async () => {
  await withStateDir(async (dir) => {
    await writeUnitState(dir, stateOf("ok.service"));
    const path = unitStatePath(dir, "bad.service");
    await Deno.writeTextFile(path, '{"format": "systemctl-state/1", "Id": ');
    const { state, warning } = await readUnitState(dir, "bad.service", BOOT);
    assert.equal(state, undefined);
    assert.match(
      warning!,
      new RegExp(`^Ignoring unreadable state file ${path}: invalid JSON .*\\.$`),
    );
    assert.ok(Deno.statSync(`${path}.corrupt`).isFile);
    assert.deepEqual(await readUnitState(dir, "bad.service", BOOT), {});
    assert.equal((await readUnitState(dir, "ok.service", BOOT)).state?.Id, "ok.service");
  });
});

Deno.test("an unknown format is reported as unreadable", async () => {
  await withStateDir(async (dir) => {
    await writeUnitState(dir, stateOf("a.service"));
    const path = unitStatePath(dir, "b.service");
    await Deno.writeTextFile(path, JSON.stringify({ ...stateOf("b.service"), format: "v9" }));
    const warnings: string[] = [];
    const states = await listUnitStates(dir, BOOT, (w) => warnings.push(w));
    assert.deepEqual(states.map((s) => s.Id), ["a.service"]);
    assert.deepEqual(warnings, [`Ignoring unreadable state file ${path}: unknown format "v9".`]);
  });
});

Deno.test("listUnitStates returns this boot's units sorted by name", async () => {
  await withStateDir(async (dir) => {
    await writeUnitState(dir, stateOf("b.service"));
    await writeUnitState(dir, stateOf("a.service"));
    await writeUnitState(dir, stateOf("old.service", { Boot: "x:1" }));
    await Deno.writeTextFile(`${dir}/units/a.service.lock`, "");
    assert.deepEqual((await listUnitStates(dir, BOOT)).map((s) => s.Id), [
      "a.service",
      "b.service",
    ]);
    await removeUnitState(dir, "a.service");
    await removeUnitState(dir, "a.service");
    assert.deepEqual((await listUnitStates(dir, BOOT)).map((s) => s.Id), ["b.service"]);
  });
});

Deno.test("readers never see a partial state while another process rewrites it", async () => {
  await withStateDir(async (dir) => {
    await writeUnitState(dir, stateOf("busy.service"));
    const writer = `
      import { writeUnitState } from ${
      JSON.stringify(new URL("../../src/state/store.ts", import.meta.url).href)
    };
      for (let i = 0; i < 200; i++) {
        await writeUnitState(Deno.args[0], { format: "systemctl-state/1", Id: "busy.service",
          Boot: ${
      JSON.stringify(BOOT)
    }, ActiveState: "active", SubState: "running", Result: "success",
          StatusText: "x".repeat(1000 + i * 100), NRestarts: i });
      }
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", writer, dir],
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    let reads = 0;
    let done = false;
    const finished = child.status.then((status) => {
      done = true;
      return status;
    });
    while (!done) {
      const { state, warning } = readUnitStateSync(dir, "busy.service", BOOT);
      assert.equal(warning, undefined);
      assert.equal(state?.Id, "busy.service");
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    assert.equal((await finished).code, 0);
    assert.ok(reads > 0);
    assert.equal((await readUnitState(dir, "busy.service", BOOT)).state?.NRestarts, 199);
  });
});
