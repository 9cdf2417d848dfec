/**
 * Timers run by the init instance as PID 1, with time accelerated through the test
 * clock (SYSTEMCTL_TEST_CLOCK), not sleeps: a daily job fires at midnight, day after
 * day, without cron; a timer started by a client inside reaches the init instance.
 */

import * as assert from "node:assert/strict";
import { makeTree } from "../cli/_cli.ts";
import { pid1SkipReason, startPid1, until } from "./_pid1.ts";

const skip = await pid1SkipReason();
if (skip) console.log(`skipping the PID-1 timer tests: ${skip}`);

/**
 * A clock that reads FAKE now and runs RATE times as fast as the real one, and what it reads
 * at a real time (ms), as the init computes it.
 */
function testClock(fake: string, rate: number) {
  const anchorMs = Date.now();
  const fakeUs = Date.parse(fake) * 1000;
  return {
    env: { SYSTEMCTL_TEST_CLOCK: `${fake}@${anchorMs / 1000}x${rate}` },
    at: (realMs: number) => fakeUs + (realMs - anchorMs) * 1000 * rate,
  };
}

const DAY_US = 86_400_000_000;

Deno.test({
  name: "a daily job runs at each midnight through an enabled timer, with no cron",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = makeTree({
      "etc/systemd/system/job.timer":
        "[Unit]\nDescription=Daily job\n[Timer]\nOnCalendar=daily\nPersistent=true\n" +
        "AccuracySec=1h\n[Install]\nWantedBy=timers.target\n",
      "etc/systemd/system/job.service": "[Unit]\nDescription=The daily job\n[Service]\n" +
        `Type=oneshot\nExecStart=/bin/sh -c 'echo "$TRIGGER_UNIT $TRIGGER_TIMER_REALTIME_USEC"` +
        ` >> ROOT/var/job.out'\n`,
      "etc/systemd/system/timers.target.wants/job.timer": "->/etc/systemd/system/job.timer",
      "var/.keep": "",
    });
    const svc = `${root}/etc/systemd/system/job.service`;
    Deno.writeTextFileSync(svc, Deno.readTextFileSync(svc).replace("ROOT", root));
    // 2 fake hours per real second: a day passes in 12 s.
    const clock = testClock("2026-12-05T18:00:00Z", 7200);
    const pid1 = await startPid1(root, [], { env: clock.env });
    try {
      const lines = () => {
        try {
          return Deno.readTextFileSync(`${root}/var/job.out`).trim().split("\n").filter((l) => l);
        } catch {
          return [];
        }
      };
      // When each run's line was first seen, on the test clock: the run fired before that.
      const seen: number[] = [];
      assert.ok(
        await until(() => {
          const n = lines().length;
          while (seen.length < n) seen.push(clock.at(Date.now()));
          return n >= 2;
        }, 120_000),
        `two runs: ${pid1.output()}`,
      );
      const runs = lines().map((l) => l.split(" "));
      const days = new Set<number>();
      runs.slice(0, 2).forEach(([unit, usec], i) => {
        assert.equal(unit, "job.timer");
        const t = Number(usec);
        // Each run fired after a midnight (not at the boot, 18:00) and before its line was
        // seen; how long after the midnight depends on the machine (one real ms is two fake
        // seconds here), so the bound is the first half of the day, and the NEXT column
        // below shows the elapse itself: 00:00:00.
        const midnight = Math.floor(t / DAY_US) * DAY_US;
        const when = new Date(t / 1000).toISOString();
        assert.ok(
          midnight > Date.parse("2026-12-05T18:00:00Z") * 1000,
          `after a midnight: ${when}`,
        );
        assert.ok(t - midnight < DAY_US / 2, `in the morning after it: ${when}`);
        assert.ok(t <= seen[i], `fired before its line was seen: ${when}`);
        days.add(Math.floor(t / DAY_US));
      });
      assert.equal(days.size, 2, "on two different days");
      assert.match(pid1.output(), /Finished The daily job\./);
      // The Persistent= stamp records the last trigger, as systemd keeps it.
      const stamp = Deno.statSync(`${root}/var/lib/systemd/timers/stamp-job.timer`).mtime!;
      assert.ok(stamp.getTime() >= Date.parse("2026-12-06T00:00:00Z"));
      const list = await pid1.systemctl("list-timers");
      assert.equal(list.code, 0);
      const row = list.stdout.split("\n")[1];
      // LAST is when the timer fired: after a midnight, by as much as the machine was slow.
      assert.match(
        row,
        /^\w{3} 2026-12-\d\d 00:00:00 UTC +\S.* left +\w{3} 2026-12-\d\d \d\d:\d\d:\d\d UTC +.* ago +job\.timer +job\.service$/,
      );
      assert.match(list.stdout, /\n1 timers listed\.\n/);
      const status = await pid1.systemctl("status", "job.timer");
      assert.match(status.stdout, /Active: active \(waiting\)/);
      assert.match(status.stdout, /Trigger: \w{3} 2026-12-\d\d 00:00:00 UTC; .* left/);
      assert.match(status.stdout, /Triggers: ● job\.service/);
    } finally {
      pid1.kill();
      await pid1.exited;
    }
  },
});

Deno.test({
  name: "a timer a client starts inside reaches the init instance and fires; stop disarms it",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = makeTree({
      "etc/systemd/system/tick.timer": "[Timer]\nOnActiveSec=1h\nOnUnitActiveSec=1h\n",
      "etc/systemd/system/tick.service":
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo tick >> ROOT/var/tick.out'\n",
      "var/.keep": "",
    });
    const svc = `${root}/etc/systemd/system/tick.service`;
    Deno.writeTextFileSync(svc, Deno.readTextFileSync(svc).replace("ROOT", root));
    // An hour passes in half a second.
    const pid1 = await startPid1(root, [], { env: testClock("2026-12-05T12:00:00Z", 7200).env });
    const count = () => {
      try {
        return Deno.readTextFileSync(`${root}/var/tick.out`).trim().split("\n").length;
      } catch {
        return 0;
      }
    };
    try {
      assert.ok(
        await until(async () =>
          ["running\n", "degraded\n"].includes((await pid1.systemctl("is-system-running")).stdout)
        ),
      );
      assert.equal(count(), 0, "not enabled: nothing fires before the start");
      const start = await pid1.systemctl("start", "tick.timer");
      assert.equal(start.code, 0, start.stderr);
      assert.ok(await until(() => count() >= 2), `fires again: ${pid1.output()}`);
      const show = await pid1.systemctl("show", "tick.timer");
      assert.match(show.stdout, /^TimersMonotonic=\{ OnActiveUSec=1h ; next_elapse=/m);
      assert.match(show.stdout, /^LastTriggerUSec=\w{3} 2026-12-/m);
      assert.equal((await pid1.systemctl("stop", "tick.timer")).code, 0);
      // Once `stop` has recorded the timer inactive, the init fires it no more: only a run
      // already past that check when the stop came can still add its line. Ten fake hours
      // (5 real s, ten periods) later there is at most that one more.
      const stopped = count();
      await new Promise((r) => setTimeout(r, 5000));
      assert.ok(count() <= stopped + 1, `a stopped timer does not fire: ${stopped} -> ${count()}`);
      // The stopped timer is collected (inactive, nothing refers to it): its record goes, as
      // systemd unloads it, and it reads as inactive.
      assert.equal(
        (await pid1.systemctl("is-active", "tick.timer")).stdout,
        "inactive\n",
        pid1.output(),
      );
    } finally {
      pid1.kill();
      await pid1.exited;
    }
  },
});
