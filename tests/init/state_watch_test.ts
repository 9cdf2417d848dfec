import assert from "node:assert/strict";
import { StateWatch } from "../../src/init/state_watch.ts";

Deno.test("the state watch tells each subscriber which unit records changed since its last call", async () => {
  const dir = await Deno.makeTempDir();
  const faults: string[] = [];
  const watch = new StateWatch(dir, (what) => faults.push(what));
  const calls: string[][] = [];
  watch.subscribe((changed) => calls.push([...changed].sort()), 30);
  // Every unit named in calls from the `from`-th on, once all of `want` were (bounded wait).
  const named = async (from: number, want: string[]) => {
    const deadline = Date.now() + 60_000;
    const seen = () => new Set(calls.slice(from).flat());
    while (!want.every((u) => seen().has(u)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return [...seen()].sort();
  };
  try {
    // A record written as the store writes it: a temporary file renamed over the record.
    Deno.writeTextFileSync(`${dir}/a.service.json.tmp.1`, "{}");
    Deno.renameSync(`${dir}/a.service.json.tmp.1`, `${dir}/a.service.json`);
    Deno.writeTextFileSync(`${dir}/b.socket.json`, "{}");
    Deno.writeTextFileSync(`${dir}/c.service.lock`, "");
    // One call for the burst on a quick machine; a slow one may split it: what counts is
    // that both records are named and nothing else (not the lock, not the temporary file).
    assert.deepEqual(await named(0, ["a.service", "b.socket"]), ["a.service", "b.socket"]);
    const before = calls.length;
    Deno.removeSync(`${dir}/b.socket.json`);
    assert.deepEqual(
      await named(before, ["b.socket"]),
      ["b.socket"],
      "a removed record counts as changed, and only it",
    );
    assert.deepEqual(faults, []);
  } finally {
    watch.close();
    await Deno.remove(dir, { recursive: true });
  }
});
