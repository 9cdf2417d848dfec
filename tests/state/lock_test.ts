import assert from "node:assert/strict";
import {
  LockTimeoutError,
  unitLockPath,
  withFilesLock,
  withUnitLock,
} from "../../src/state/lock.ts";

const LOCK_MODULE = JSON.stringify(new URL("../../src/state/lock.ts", import.meta.url).href);

/** A deno process that takes the unit lock, appends begin/end markers around a pause. */
function contender(dir: string, name: string, holdMs: number): Deno.ChildProcess {
  const script = `
    import { withUnitLock } from ${LOCK_MODULE};
    const [dir, name, hold] = Deno.args;
    await withUnitLock(dir, "web.service", { verb: "start" }, async () => {
      Deno.writeTextFileSync(dir + "/trace", "begin " + name + "\\n", { append: true });
      await new Promise((resolve) => setTimeout(resolve, Number(hold)));
      Deno.writeTextFileSync(dir + "/trace", "end " + name + "\\n", { append: true });
    });
  `;
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", script, dir, name, String(holdMs)],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
}

Deno.test("two processes contending for a unit lock run one after the other", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = contender(dir, "a", 300);
    const b = contender(dir, "b", 300);
    assert.equal((await a.status).code, 0);
    assert.equal((await b.status).code, 0);
    const lines = (await Deno.readTextFile(`${dir}/trace`)).trim().split("\n");
    assert.equal(lines.length, 4);
    const names = lines.map((l) => l.split(" ")[1]);
    assert.equal(names[0], names[1]);
    assert.equal(names[2], names[3]);
    assert.notEqual(names[0], names[2]);
    assert.deepEqual(lines.map((l) => l.split(" ")[0]), ["begin", "end", "begin", "end"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a waiter gives up naming the holder's pid and verb", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const holding = new Promise<void>((resolve) => (entered = resolve));
    const holder = withUnitLock(dir, "db.service", { verb: "stop" }, async () => {
      entered();
      await released;
    });
    await holding;
    const info = JSON.parse(await Deno.readTextFile(unitLockPath(dir, "db.service")));
    assert.equal(info.pid, Deno.pid);
    assert.equal(info.verb, "stop");
    await assert.rejects(
      withUnitLock(dir, "db.service", { verb: "start" }, () => Promise.resolve(), {
        timeoutMs: 50,
      }),
      (error: unknown) => {
        assert.ok(error instanceof LockTimeoutError);
        assert.equal(error.message, `unit is locked by another operation (pid ${Deno.pid}, stop).`);
        return true;
      },
    );
    release();
    await holder;
    assert.equal(
      await withUnitLock(dir, "db.service", { verb: "start" }, () => Promise.resolve(7), {
        timeoutMs: 50,
      }),
      7,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lock is released when its holder dies", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const holder = contender(dir, "a", 60_000);
    const trace = `${dir}/trace`;
    while (!(await Deno.stat(trace).catch(() => undefined))) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    holder.kill("SIGKILL");
    await holder.status;
    const value = await withUnitLock(
      dir,
      "web.service",
      { verb: "start" },
      () => Promise.resolve("got it"),
      { timeoutMs: 5000 },
    );
    assert.equal(value, "got it");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the files lock serialises unit-file changes and returns the result", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const order: string[] = [];
    await Promise.all([
      withFilesLock(dir, { verb: "enable" }, async () => {
        order.push("a1");
        await new Promise((resolve) => setTimeout(resolve, 50));
        order.push("a2");
      }),
      withFilesLock(dir, { verb: "disable" }, () => {
        order.push("b");
        return Promise.resolve();
      }),
    ]);
    assert.ok(order.join() === "a1,a2,b" || order.join() === "b,a1,a2", order.join());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
