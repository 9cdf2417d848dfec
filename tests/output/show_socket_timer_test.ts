/** The socket and timer blocks of `show`: defaults and values from the unit file. Pure. */

import assert from "node:assert/strict";
import { parseUnitText } from "../../src/unit/parse.ts";
import { UnitConfig } from "../../src/unit/config.ts";
import { listenEntries, socketProps, timerProps } from "../../src/output/show_socket_timer.ts";

function config(text: string): UnitConfig {
  return new UnitConfig(parseUnitText(text, "/x").assignments);
}

Deno.test("socket block: defaults, Listen lines and values from [Socket]", () => {
  const c = config(
    "[Socket]\nListenStream=80\nListenDatagram=/run/d.sock\nAccept=yes\nSocketMode=600\n" +
      "KillSignal=SIGINT\n",
  );
  assert.deepEqual(listenEntries(c), [
    { type: "Stream", address: "[::]:80" },
    { type: "Datagram", address: "/run/d.sock" },
  ]);
  const p = new Map<string, string | undefined>();
  const listen: string[] = [];
  for (
    const [k, v] of socketProps({ id: "x.socket", config: c, controlPid: 0, result: "success" })
  ) {
    if (k === "Listen") listen.push(v!);
    else p.set(k, v);
  }
  assert.deepEqual(listen, ["[::]:80 (Stream)", "/run/d.sock (Datagram)"]);
  assert.equal(p.get("Accept"), "yes");
  assert.equal(p.get("SocketMode"), "0600");
  assert.equal(p.get("Backlog"), "2147483647");
  assert.equal(p.get("FileDescriptorName"), "x.socket");
  assert.equal(p.get("KillSignal"), "2");
  assert.equal(p.get("RestartKillSignal"), "2");
  assert.equal(p.get("TriggerLimitIntervalUSec"), "2s");
});

Deno.test("timer block: the triggered unit and the [Timer] switches", () => {
  const p = new Map(
    timerProps({
      id: "t.timer",
      config: config("[Timer]\nOnCalendar=daily\nPersistent=true\nAccuracySec=1s\n"),
      controlPid: 0,
      result: "success",
      triggers: "t.service",
    }),
  );
  assert.equal(p.get("Unit"), "t.service");
  assert.equal(p.get("Persistent"), "yes");
  assert.equal(p.get("AccuracyUSec"), "1s");
  assert.equal(p.get("RemainAfterElapse"), "yes");
});
