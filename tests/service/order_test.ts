import assert from "node:assert/strict";
import { reverseOrdering, sortByName, sortStable } from "../../src/service/order.ts";

const graph = (edges: Record<string, string[]>) =>
  new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));

Deno.test("the transaction order runs ready units by name and breaks a cycle at its first name", () => {
  const after = graph({ "c.service": ["b.service"], "b.service": ["c.service"], "a.service": [] });
  const victims: string[] = [];
  const order = sortByName(["c.service", "b.service", "a.service"], after, (v) => victims.push(v));
  assert.deepEqual(order, ["a.service", "b.service", "c.service"]);
  assert.deepEqual(victims, ["b.service"]);
  // The ordering handed back is acyclic: the victim's ordering was dropped.
  assert.deepEqual([...after.get("b.service")!], []);
});

Deno.test("named units keep the order given except where After=/Before= says otherwise", () => {
  assert.deepEqual(sortStable(["b", "a", "c"], graph({ b: ["a"] })), ["a", "b", "c"]);
  // A cycle keeps the given order for the units caught in it.
  assert.deepEqual(sortStable(["y", "x"], graph({ x: ["y"], y: ["x"] })), ["y", "x"]);
});

Deno.test("the stop ordering is the start ordering reversed", () => {
  const stop = reverseOrdering(graph({ b: ["a"], c: ["a", "b"] }));
  assert.deepEqual(
    [...stop].map(([k, v]) => [k, [...v].sort()]),
    [["a", ["b", "c"]], ["b", ["c"]]],
  );
});
