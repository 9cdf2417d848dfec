/**
 * The verbs that need no init instance beyond the service manager's:
 * list-sockets, list-jobs, cancel, get-preset, the power verbs and the
 * verbs a container cannot support.
 */

import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { makeTree, systemctl } from "./_cli.ts";

const SOCKETS = {
  "etc/systemd/system/web.socket": "[Socket]\nListenStream=8080\nListenDatagram=/run/web.dgram\n",
  "etc/systemd/system/web.service": "[Service]\nExecStart=/bin/cat\n",
  "etc/systemd/system/other.socket": "[Socket]\nListenFIFO=/run/other.fifo\nService=web.service\n",
  "etc/systemd/system/tpl@.socket": "[Socket]\nListenStream=/run/tpl.%i\n",
};

Deno.test("list-sockets: inactive sockets only with --all, sorted by address, with types", async () => {
  const root = makeTree(SOCKETS);
  const plain = await systemctl([`--root=${root}`, "list-sockets"]);
  strictEqual(
    plain.stdout,
    "LISTEN UNIT ACTIVATES\n\n0 sockets listed.\nPass --all to see loaded but inactive sockets, too.\n",
  );
  // Socket units nothing loaded refers to are not loaded (systemd lists none of them).
  const none = await systemctl([`--root=${root}`, "list-sockets", "--all", "--no-legend"]);
  strictEqual(none.stdout, "");
  // An active unit that refers to them (After= pulls nothing in) keeps them loaded.
  Deno.writeTextFileSync(
    `${root}/etc/systemd/system/hold.target`,
    "[Unit]\nAfter=web.socket other.socket\n",
  );
  strictEqual((await systemctl([`--root=${root}`, "start", "hold.target"])).code, 0);
  const all = await systemctl([`--root=${root}`, "list-sockets", "--all", "--show-types"]);
  strictEqual(
    all.stdout,
    [
      "LISTEN          TYPE     UNIT         ACTIVATES",
      "/run/other.fifo FIFO     other.socket web.service",
      "/run/web.dgram  Datagram web.socket   web.service",
      "[::]:8080       Stream   web.socket   web.service",
      "",
      "3 sockets listed.",
      "",
    ].join("\n"),
  );
  const one = await systemctl([`--root=${root}`, "list-sockets", "--all", "--no-legend", "o*"]);
  strictEqual(one.stdout, "/run/other.fifo other.socket web.service\n");
});

Deno.test("list-jobs, cancel, get-preset and the refused verbs answer as systemd does", async () => {
  const root = makeTree({
    ...SOCKETS,
    "usr/lib/systemd/system-preset/50-x.preset": "disable web.service\n",
  });
  const jobs = await systemctl([`--root=${root}`, "list-jobs"]);
  deepStrictEqual([jobs.code, jobs.stdout], [0, "No jobs running.\n"]);
  deepStrictEqual((await systemctl([`--root=${root}`, "cancel"])).code, 0);
  const c = await systemctl([`--root=${root}`, "cancel", "7"]);
  deepStrictEqual([c.code, c.stderr], [1, "Failed to cancel job 7: Job 7 does not exist.\n"]);
  const p = await systemctl([`--root=${root}`, "get-preset", "web", "other.socket"]);
  deepStrictEqual([p.code, p.stdout], [0, "disable\nenable\n"]);
  const f = await systemctl([`--root=${root}`, "freeze", "web"]);
  deepStrictEqual([f.code, f.stderr], [
    1,
    "Failed to freeze unit web.service: Operation not supported in this environment.\n",
  ]);
  const s = await systemctl([`--root=${root}`, "hibernate"]);
  deepStrictEqual([s.code, s.stderr], [1, "Operation not supported in a container.\n"]);
});

Deno.test("poweroff without an init instance stops every active unit and says so", async () => {
  const root = makeTree({
    "etc/systemd/system/a.service": "[Service]\nExecStart=/bin/sleep 3311\n",
    "etc/systemd/system/b.service": "[Service]\nExecStart=/bin/sleep 3312\n",
  });
  strictEqual((await systemctl([`--root=${root}`, "start", "a", "b"])).code, 0);
  const r = await systemctl([`--root=${root}`, "poweroff"]);
  strictEqual(r.code, 0);
  match(r.stderr, /^No init instance is running; stopped all units\.$/m);
  const after = await systemctl([`--root=${root}`, "is-active", "a", "b"]);
  strictEqual(after.stdout, "inactive\ninactive\n");
});

Deno.test("list-timers: no timer elapses without an init instance, so times are '-'", async () => {
  const root = makeTree({
    "etc/systemd/system/tick.timer": "[Timer]\nOnCalendar=daily\n",
    "etc/systemd/system/tick.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
    "etc/systemd/system/other.timer": "[Timer]\nOnBootSec=5min\nUnit=tick.service\n",
  });
  const plain = await systemctl([`--root=${root}`, "list-timers"]);
  strictEqual(
    plain.stdout,
    "NEXT LEFT LAST PASSED UNIT ACTIVATES\n\n0 timers listed.\n" +
      "Pass --all to see loaded but inactive timers, too.\n",
  );
  // Loaded only while an active unit refers to them (After= pulls nothing in).
  Deno.writeTextFileSync(
    `${root}/etc/systemd/system/hold.target`,
    "[Unit]\nAfter=tick.timer other.timer\n",
  );
  strictEqual((await systemctl([`--root=${root}`, "start", "hold.target"])).code, 0);
  const all = await systemctl([`--root=${root}`, "list-timers", "--all"]);
  strictEqual(
    all.stdout,
    [
      "NEXT LEFT LAST PASSED UNIT        ACTIVATES",
      "-    -    -    -      other.timer tick.service",
      "-    -    -    -      tick.timer  tick.service",
      "",
      "2 timers listed.",
      "",
    ].join("\n"),
  );
});

Deno.test("default starts what the default target wants; rescue isolates rescue.target", async () => {
  const root = makeTree({
    "etc/systemd/system/a.service":
      "[Service]\nExecStart=/bin/sleep 3313\n[Install]\nWantedBy=multi-user.target\n",
    "etc/systemd/system/multi-user.target.wants/a.service": "->/etc/systemd/system/a.service",
  });
  try {
    strictEqual((await systemctl([`--root=${root}`, "default"])).code, 0);
    strictEqual((await systemctl([`--root=${root}`, "is-active", "a"])).stdout, "active\n");
    strictEqual((await systemctl([`--root=${root}`, "rescue"])).code, 0);
    const after = await systemctl([`--root=${root}`, "is-active", "a", "rescue.target"]);
    strictEqual(after.stdout, "inactive\nactive\n");
    const am = await systemctl([`--root=${root}`, "list-automounts", "--all"]);
    strictEqual(am.stdout, "WHAT WHERE MOUNTED IDLE TIMEOUT UNIT\n\n0 automounts listed.\n");
  } finally {
    await systemctl([`--root=${root}`, "poweroff"]);
  }
});

Deno.test("set-property writes the drop-ins systemd 252 writes (as seen on a live systemd)", async () => {
  const root = makeTree({ "etc/systemd/system/demo.service": "[Service]\nExecStart=/bin/true\n" });
  const ok = await systemctl([
    `--root=${root}`,
    "set-property",
    "demo",
    "CPUQuota=50%",
    "MemoryMax=100M",
  ]);
  deepStrictEqual([ok.code, ok.stderr], [0, ""]);
  strictEqual(
    (await systemctl([`--root=${root}`, "set-property", "--runtime", "demo", "TasksMax=10"])).code,
    0,
  );
  const header = '# This is a drop-in unit file extension, created via "systemctl set-property"\n' +
    "# or an equivalent operation. Do not edit.\n";
  const dir = `${root}/etc/systemd/system.control/demo.service.d`;
  strictEqual(
    Deno.readTextFileSync(`${dir}/50-CPUQuota.conf`),
    `${header}[Service]\nCPUQuota=50%\n`,
  );
  strictEqual(
    Deno.readTextFileSync(`${dir}/50-MemoryMax.conf`),
    `${header}[Service]\nMemoryMax=104857600\n`,
  );
  strictEqual(
    Deno.readTextFileSync(`${root}/run/systemd/system.control/demo.service.d/50-TasksMax.conf`),
    `${header}[Service]\nTasksMax=10\n`,
  );
  const bad = await systemctl([`--root=${root}`, "set-property", "demo", "Foo=bar"]);
  deepStrictEqual([bad.code, bad.stderr], [1, "Unknown assignment: Foo=bar\n"]);
  const noEq = await systemctl([`--root=${root}`, "set-property", "demo", "CPUQuota"]);
  deepStrictEqual([noEq.code, noEq.stderr], [1, "Not an assignment: CPUQuota\n"]);
  const missing = await systemctl([`--root=${root}`, "set-property", "nosuch", "CPUQuota=1%"]);
  deepStrictEqual([missing.code, missing.stderr], [
    1,
    "Failed to set unit properties on nosuch.service: Unit nosuch.service not found.\n",
  ]);
  // The unit loads them as drop-ins, without warnings.
  const show = await systemctl([`--root=${root}`, "show", "demo", "-p", "DropInPaths"]);
  match(show.stdout, /50-CPUQuota\.conf .*50-MemoryMax\.conf .*50-TasksMax\.conf/);
  strictEqual(show.stderr, "");
});
