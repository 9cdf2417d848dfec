import assert from "node:assert/strict";
import { StateWatch } from "../../src/init/state_watch.ts";

Deno.test("the state watch tells each subscriber which unit records changed since its last call", async () => {
  const dir = await Deno.makeTempDir();
  const faults: string[] = [];
  const watch = new StateWatch(dir, (what) => faults.push(what));
  const calls: string[][] = [];
  let wake: (() => void) | undefined;
  watch.subscribe((changed) => {
    calls.push([...changed].sort());
    wake?.();
  }, 30);
  const called = () => new Promise<void>((resolve) => (wake = resolve));
  try {
    await new Promise((resolve) => setTimeout(resolve, 50));
    let next = called();
    // A record written as the store writes it: a temporary file renamed over the record.
    Deno.writeTextFileSync(`${dir}/a.service.json.tmp.1`, "{}");
    Deno.renameSync(`${dir}/a.service.json.tmp.1`, `${dir}/a.service.json`);
    Deno.writeTextFileSync(`${dir}/b.socket.json`, "{}");
    Deno.writeTextFileSync(`${dir}/c.service.lock`, "");
    await next;
    assert.deepEqual(calls, [["a.service", "b.socket"]]);
    next = called();
    Deno.removeSync(`${dir}/b.socket.json`);
    await next;
    assert.deepEqual(calls[1], ["b.socket"], "a removed record counts as changed, and only it");
    assert.deepEqual(faults, []);
  } finally {
    watch.close();
    await Deno.remove(dir, { recursive: true });
  }
});
