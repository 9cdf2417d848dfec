import { strictEqual } from "node:assert/strict";
import { parseSignal, signalName, SIGNALS } from "../../src/unit/signals.ts";

Deno.test("parseSignal reads names with and without SIG and numbers", () => {
  strictEqual(parseSignal("SIGTERM"), 15);
  strictEqual(parseSignal("TERM"), 15);
  strictEqual(parseSignal("15"), 15);
  strictEqual(parseSignal("SIGKILL"), 9);
  strictEqual(parseSignal("HUP"), 1);
  strictEqual(parseSignal("SIGCHLD"), 17);
});

Deno.test("parseSignal reads real-time signals", () => {
  strictEqual(parseSignal("RTMIN"), 34);
  strictEqual(parseSignal("SIGRTMIN+2"), 36);
  strictEqual(parseSignal("RTMAX"), 64);
  strictEqual(parseSignal("RTMAX-1"), 63);
  strictEqual(parseSignal("RTMIN+31"), undefined);
});

Deno.test("parseSignal refuses unknown names and out-of-range numbers", () => {
  strictEqual(parseSignal("SIGFOO"), undefined);
  strictEqual(parseSignal("0"), undefined);
  strictEqual(parseSignal("65"), undefined);
  strictEqual(parseSignal("term"), undefined);
  strictEqual(parseSignal(""), undefined);
});

Deno.test("signalName prints names without SIG", () => {
  strictEqual(signalName(15), "TERM");
  strictEqual(signalName(9), "KILL");
  strictEqual(signalName(6), "ABRT");
  strictEqual(signalName(36), "RTMIN+2");
  strictEqual(signalName(0), undefined);
});

Deno.test("SIGNALS lists the 31 classic signals in numeric order", () => {
  strictEqual(SIGNALS.length, 31);
  SIGNALS.forEach(([, n], i) => strictEqual(n, i + 1));
});
