import assert from "node:assert/strict";
import { reverseOrdering, runOrdered } from "../../src/init/jobs.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("runOrdered starts a job only after the jobs it is ordered after have finished", async () => {
  const log: string[] = [];
  const after = new Map([["b", new Set(["a"])], ["c", new Set(["b"])]]);
  await runOrdered(["c", "b", "a"], after, async (id) => {
    log.push(`start ${id}`);
    await tick(5);
    log.push(`end ${id}`);
  });
  assert.deepEqual(log, ["start a", "end a", "start b", "end b", "start c", "end c"]);
});

Deno.test("runOrdered runs independent jobs at the same time, up to the limit", async () => {
  let running = 0;
  let peak = 0;
  const ids = Array.from({ length: 10 }, (_, i) => `u${i}`);
  await runOrdered(ids, new Map(), async () => {
    running++;
    peak = Math.max(peak, running);
    await tick(10);
    running--;
  }, 4);
  assert.equal(peak, 4);
});

Deno.test("runOrdered ignores ordering on units outside the set and survives a cycle", async () => {
  const done: string[] = [];
  const after = new Map([["a", new Set(["b", "zzz"])], ["b", new Set(["a"])]]);
  await runOrdered(["a", "b"], after, (id) => {
    done.push(id);
    return Promise.resolve();
  });
  assert.deepEqual(done.sort(), ["a", "b"]);
});

Deno.test("reverseOrdering makes a unit that started later stop first", () => {
  const stop = reverseOrdering(new Map([["web", new Set(["db"])], ["db", new Set()]]));
  assert.deepEqual([...(stop.get("db") ?? [])], ["web"]);
  assert.equal(stop.get("web"), undefined);
});
