/** `[Socket]` address forms and settings, against systemd 252's parser and wording. */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { UnitConfig } from "../../src/unit/config.ts";
import {
  connectionInstance,
  connectionSource,
  formatIPv6,
  type ListenAddress,
  parseIPv6,
  parseListen,
  socketSettingProblem,
  socketSettings,
} from "../../src/unit/socket_address.ts";
import { validateAssignments } from "../../src/unit/schema.ts";

function address(key: string, value: string): ListenAddress {
  const r = parseListen(key, value);
  if (!("address" in r)) throw new Error(r.error);
  return r.address;
}

function error(key: string, value: string): string {
  const r = parseListen(key, value);
  return "error" in r ? r.error : "parsed";
}

function config(lines: Array<[string, string]>): UnitConfig {
  return new UnitConfig(
    lines.map(([key, value], i) => ({ section: "Socket", key, value, file: "t", line: i + 1 })),
  );
}

Deno.test("a bare port binds [::] (dual stack) and prints as [::]:PORT", () => {
  const a = address("ListenStream", "22");
  strictEqual(a.family, "inet6");
  strictEqual(a.anyPort, true);
  strictEqual(a.port, 22);
  strictEqual(a.display, "[::]:22");
});

Deno.test("IPv4 addr:port, [v6]:port, unix paths and abstract names parse", () => {
  const v4 = address("ListenDatagram", "127.0.0.1:53");
  deepStrictEqual([v4.family, v4.host, v4.port, v4.type], ["inet", [127, 0, 0, 1], 53, "Datagram"]);
  const v6 = address("ListenStream", "[::1]:8080");
  strictEqual(v6.family, "inet6");
  strictEqual(v6.host?.[15], 1);
  strictEqual(v6.display, "[::1]:8080");
  const unix = address("ListenSequentialPacket", "/run/app/app.sock");
  deepStrictEqual([unix.family, unix.path, unix.abstract], [
    "unix",
    "/run/app/app.sock",
    undefined,
  ]);
  const abs = address("ListenStream", "@app");
  deepStrictEqual([abs.family, abs.path, abs.abstract, abs.display], ["unix", "app", true, "@app"]);
  const fifo = address("ListenFIFO", "/run/app.fifo");
  deepStrictEqual([fifo.family, fifo.display], ["fifo", "/run/app.fifo"]);
});

Deno.test("IPv6 addresses print in inet_ntop's canonical form", () => {
  strictEqual(address("ListenStream", "[0:0:0:0:0:0:0:1]:80").display, "[::1]:80");
  strictEqual(
    address("ListenStream", "[2001:DB8:0:0:1:0:0:1]:80").display,
    "[2001:db8::1:0:0:1]:80",
  );
  strictEqual(formatIPv6(parseIPv6("::ffff:10.0.0.1")!), "::ffff:10.0.0.1");
  strictEqual(formatIPv6(parseIPv6("fe80::1:2")!), "fe80::1:2");
  strictEqual(parseIPv6("1::2::3"), undefined);
  strictEqual(parseIPv6("12345::"), undefined);
});

Deno.test("bad addresses get systemd-analyze verify's wording", () => {
  const msg = (v: string, why: string) =>
    `Failed to parse address value in '${v}', ignoring: ${why}`;
  strictEqual(error("ListenStream", "1.2.3.4.5:80"), msg("1.2.3.4.5:80", "Invalid argument"));
  strictEqual(error("ListenStream", "99999"), msg("99999", "Numerical result out of range"));
  strictEqual(error("ListenStream", "-5"), msg("-5", "Numerical result out of range"));
  strictEqual(error("ListenStream", "0"), msg("0", "Invalid argument"));
  strictEqual(error("ListenDatagram", "[::1:53"), msg("[::1:53", "Invalid argument"));
  strictEqual(error("ListenStream", "foo:80"), msg("foo:80", "Invalid argument"));
  strictEqual(error("ListenStream", "relative/path"), msg("relative/path", "Invalid argument"));
  strictEqual(error("ListenStream", "@"), msg("@", "Invalid argument"));
  strictEqual(error("ListenStream", "127.0.0.1:0"), msg("127.0.0.1:0", "Invalid argument"));
  strictEqual(
    error("ListenDatagram", "[::]:70000"),
    msg("[::]:70000", "Numerical result out of range"),
  );
  strictEqual(error("ListenFIFO", "rel"), "ListenFIFO= path is not absolute, ignoring: rel");
});

Deno.test("the schema reports a bad Listen line with its file and line, and drops it", () => {
  const { kept, diagnostics } = validateAssignments("socket", [
    { section: "Socket", key: "ListenStream", value: "foo:80", file: "/x.socket", line: 2 },
    { section: "Socket", key: "ListenStream", value: "80", file: "/x.socket", line: 3 },
    { section: "Socket", key: "BindIPv6Only", value: "foo", file: "/x.socket", line: 4 },
  ]);
  deepStrictEqual(diagnostics, [
    {
      file: "/x.socket",
      line: 2,
      message: "Failed to parse address value in 'foo:80', ignoring: Invalid argument",
    },
    {
      file: "/x.socket",
      line: 4,
      message: "Failed to parse bind IPv6 only value, ignoring: foo",
    },
  ]);
  strictEqual(kept.length, 1);
});

Deno.test("a socket without a usable Listen line is refused, as systemd does", () => {
  strictEqual(
    socketSettingProblem(config([["Accept", "yes"]])),
    "Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing.",
  );
  strictEqual(socketSettingProblem(config([["ListenStream", "80"]])), undefined);
  strictEqual(
    socketSettingProblem(
      config([["ListenStream", "80"], ["Accept", "yes"], ["Service", "x.service"]]),
    ),
    "Explicit service configuration for accepting socket units not supported. Refusing.",
  );
  strictEqual(
    socketSettingProblem(config([["ListenDatagram", "53"], ["Accept", "yes"]])),
    "Unit configured for accepting sockets, but sockets are non-accepting. Refusing.",
  );
});

Deno.test("socketSettings: defaults, Service=, the template of Accept=yes, modes and names", () => {
  const d = socketSettings("web.socket", config([["ListenStream", "80"]]));
  deepStrictEqual(
    [d.accept, d.service, d.socketMode, d.directoryMode, d.fileDescriptorName, d.bindIPv6Only],
    [false, "web.service", 0o666, 0o755, "web.socket", "default"],
  );
  const s = socketSettings(
    "web.socket",
    config([
      ["ListenStream", "80"],
      ["Service", "app.service"],
      ["SocketMode", "0600"],
      ["DirectoryMode", "0700"],
      ["FileDescriptorName", "http"],
      ["BindIPv6Only", "ipv6-only"],
      ["Backlog", "16"],
      ["ReusePort", "yes"],
      ["RemoveOnStop", "yes"],
    ]),
  );
  deepStrictEqual(
    [s.service, s.socketMode, s.directoryMode, s.fileDescriptorName, s.bindIPv6Only, s.backlog],
    ["app.service", 0o600, 0o700, "http", "ipv6-only", 16],
  );
  deepStrictEqual([s.reusePort, s.removeOnStop], [true, true]);
  strictEqual(
    socketSettings("ssh.socket", config([["ListenStream", "22"], ["Accept", "yes"]])).service,
    "ssh@.service",
  );
});

Deno.test("connection instances are named as systemd names them", () => {
  strictEqual(
    connectionInstance(0, {
      family: "inet",
      local: { host: [127, 0, 0, 1], port: 22 },
      remote: { host: [127, 0, 0, 1], port: 51234 },
    }),
    "0-127.0.0.1:22-127.0.0.1:51234",
  );
  const mapped = (a: number[]) => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, ...a];
  strictEqual(
    connectionInstance(3, {
      family: "inet6",
      local: { host: mapped([10, 0, 0, 1]), port: 80 },
      remote: { host: mapped([10, 0, 0, 2]), port: 4000 },
    }),
    "3-10.0.0.1:80-10.0.0.2:4000",
  );
  const loop = [...new Array(15).fill(0), 1];
  strictEqual(
    connectionInstance(1, {
      family: "inet6",
      local: { host: loop, port: 80 },
      remote: { host: loop, port: 4000 },
    }),
    "1-::1:80-::1:4000",
  );
  strictEqual(connectionInstance(2, { family: "unix", pid: 42, uid: 0 }), "2-42-0");
  strictEqual(connectionInstance(2, { family: "unix" }), "2-unknown");
});

Deno.test("Service= of a socket must name a loadable service, with systemd 252's warnings", () => {
  const file = "/etc/systemd/system/x.socket";
  const at = (value: string, line: number) => ({
    section: "Socket",
    key: "Service",
    value,
    file,
    line,
  });
  const { kept, diagnostics } = validateAssignments("socket", [
    at("a.service", 3),
    at("a b.service", 4),
    at("a@.service", 5),
    at("x.socket", 6),
    at("a@i.service", 7),
  ]);
  deepStrictEqual(kept.map((a) => a.value), ["a.service", "a@i.service"]);
  deepStrictEqual(diagnostics.map((d) => [d.line, d.message]), [
    [4, "Failed to load unit a b.service, ignoring: Unit name a b.service is not valid."],
    [
      5,
      "Failed to load unit a@.service, ignoring: Unit name a@.service is missing the instance name.",
    ],
    [6, "Unit must be of type service, ignoring: x.socket"],
  ]);
});

Deno.test("connectionSource: the remote address without port, IPv4-mapped dotted, none for unix", () => {
  const v4 = { family: "inet" as const, remote: { host: [10, 0, 0, 7] } };
  strictEqual(connectionSource(v4), "10.0.0.7");
  const mapped = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1];
  strictEqual(connectionSource({ family: "inet6", remote: { host: mapped } }), "127.0.0.1");
  const one = [...new Array(15).fill(0), 1];
  strictEqual(connectionSource({ family: "inet6", remote: { host: one } }), "::1");
  strictEqual(connectionSource({ family: "unix" }), undefined);
});

Deno.test("socketSettings: trigger limit and per-source defaults as systemd's", () => {
  const cfg = (text: string) =>
    new UnitConfig(
      text.split("\n").filter((l) => l.includes("=")).map((l, i) => ({
        section: "Socket",
        key: l.slice(0, l.indexOf("=")),
        value: l.slice(l.indexOf("=") + 1),
        file: "x.socket",
        line: i + 1,
      })),
    );
  const no = socketSettings("a.socket", cfg("ListenStream=1"));
  strictEqual(no.triggerLimitBurst, 20);
  strictEqual(no.triggerLimitIntervalUSec, 2_000_000);
  strictEqual(no.maxConnectionsPerSource, 0);
  const yes = socketSettings("b.socket", cfg("ListenStream=1\nAccept=yes"));
  strictEqual(yes.triggerLimitBurst, 200);
  const set = socketSettings(
    "c.socket",
    cfg(
      "ListenStream=1\nTriggerLimitBurst=0\nTriggerLimitIntervalSec=5min\nMaxConnectionsPerSource=3",
    ),
  );
  strictEqual(set.triggerLimitBurst, 0);
  strictEqual(set.triggerLimitIntervalUSec, 300_000_000);
  strictEqual(set.maxConnectionsPerSource, 3);
});
