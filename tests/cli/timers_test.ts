/**
 * Timer units from a client without an init instance: `start` records `active
 * (waiting)` and the next elapse (shown by list-timers, status, show), nothing fires;
 * bad calendar expressions warn with file and line in systemd's words.
 */

import * as assert from "node:assert/strict";
import { makeTree, parseShow, systemctl } from "./_cli.ts";

const env = { SYSTEMCTL_TEST_CLOCK: `2026-12-05T12:00:00Z@${Date.now() / 1000}` };

Deno.test("start of a timer without an init instance records its next elapse; list-timers shows it", async () => {
  const root = makeTree({
    "etc/systemd/system/backup.timer": "[Timer]\nOnCalendar=*-*-* 02:00:00\n",
    "etc/systemd/system/backup.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
    "etc/systemd/system/weekly.timer": "[Timer]\nOnCalendar=weekly\nUnit=backup.service\n",
  });
  const r = (...a: string[]) => systemctl([`--root=${root}`, ...a], { env });
  assert.equal((await r("start", "backup.timer")).code, 0);
  assert.equal((await r("start", "weekly.timer")).code, 0);
  assert.equal((await r("is-active", "backup.timer")).stdout, "active\n");
  const list = await r("list-timers");
  assert.equal(
    list.stdout,
    [
      "NEXT                        LEFT           LAST PASSED UNIT         ACTIVATES",
      "Sun 2026-12-06 02:00:00 UTC 13h left       -    -      backup.timer backup.service",
      "Mon 2026-12-07 00:00:00 UTC 1 day 11h left -    -      weekly.timer backup.service",
      "",
      "2 timers listed.",
      "Pass --all to see loaded but inactive timers, too.",
      "",
    ].join("\n"),
  );
  const show = parseShow((await r("show", "backup.timer")).stdout);
  assert.equal(show.NextElapseUSecRealtime, "Sun 2026-12-06 02:00:00 UTC");
  assert.equal(
    show.TimersCalendar,
    "{ OnCalendar=*-*-* 02:00:00 ; next_elapse=Sun 2026-12-06 02:00:00 UTC }",
  );
  assert.equal(show.Unit, "backup.service");
  const status = await r("status", "backup.timer");
  assert.match(status.stdout, /Active: active \(waiting\)/);
  assert.match(status.stdout, /\n {4}Trigger: Sun 2026-12-06 02:00:00 UTC; 13h left\n/);
  assert.match(status.stdout, /\n {3}Triggers: ● backup\.service\n/);
  // Nothing fires without an init instance: the service never ran.
  assert.equal(
    (await r("show", "backup.service", "-p", "ActiveEnterTimestamp")).stdout,
    "ActiveEnterTimestamp=\n",
  );
  assert.equal((await r("stop", "backup.timer")).code, 0);
  assert.equal((await r("is-active", "backup.timer")).stdout, "inactive\n");
});

Deno.test("a bad calendar expression warns with file and line; a timer with no trigger is refused", async () => {
  const root = makeTree({
    "etc/systemd/system/bad.timer": "[Timer]\nOnCalendar=bogus 1:2\nOnBootSec=soon\n",
    "etc/systemd/system/bad.service": "[Service]\nExecStart=/bin/true\n",
  });
  const reload = await systemctl([`--root=${root}`, "daemon-reload"], { env });
  assert.match(
    reload.stderr,
    /^\/etc\/systemd\/system\/bad\.timer:2: Failed to parse calendar specification, ignoring: bogus 1:2$/m,
  );
  assert.match(
    reload.stderr,
    /^\/etc\/systemd\/system\/bad\.timer:3: Failed to parse timer value, ignoring: soon$/m,
  );
  const start = await systemctl([`--root=${root}`, "start", "bad.timer"], { env });
  assert.equal(start.code, 1);
  assert.match(
    start.stderr,
    /^Failed to start bad\.timer: Unit bad\.timer has a bad unit file setting\.$/m,
  );
});

Deno.test("a timer whose unit runs (SubState=running) is active, and stop stops it", async () => {
  // The init records a timer `active (running)` from its trigger until the unit it started
  // returns. A client's view of the timer then, and its stop, must take it as active: the
  // liveness check of services (a `running` record without live processes is failed) is not
  // for timers, whose record names no process.
  const root = makeTree({
    "etc/systemd/system/tick.timer": "[Timer]\nOnActiveSec=1h\n",
    "etc/systemd/system/tick.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
  });
  const r = (...a: string[]) => systemctl([`--root=${root}`, ...a], { env });
  assert.equal((await r("start", "tick.timer")).code, 0);
  const path = `${root}/run/systemctl/units/tick.timer.json`;
  const record = JSON.parse(Deno.readTextFileSync(path));
  assert.equal(`${record.ActiveState}/${record.SubState}`, "active/waiting");
  Deno.writeTextFileSync(path, JSON.stringify({ ...record, SubState: "running" }));
  const running = await r("is-active", "tick.timer");
  assert.deepEqual([running.code, running.stdout], [0, "active\n"]);
  assert.equal(parseShow((await r("show", "tick.timer")).stdout).SubState, "running");
  assert.equal((await r("stop", "tick.timer")).code, 0);
  const stopped = await r("is-active", "tick.timer");
  assert.deepEqual([stopped.code, stopped.stdout], [3, "inactive\n"]);
});
