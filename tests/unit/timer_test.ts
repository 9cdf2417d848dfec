import { deepStrictEqual } from "node:assert/strict";
import { UnitConfig } from "../../src/unit/config.ts";
import { parseUnitText } from "../../src/unit/parse.ts";
import { hasTriggers, nextTimerElapse, timerSettings } from "../../src/unit/timer.ts";
import { clockFrom } from "../../src/unit/clock.ts";

function settings(text: string) {
  return timerSettings(new UnitConfig(parseUnitText(text, "t.timer").assignments));
}

const at = (iso: string) => Date.parse(iso) * 1000;
const H = 3_600_000_000;

Deno.test("a daily timer elapses at the next midnight after its start", () => {
  const t = settings("[Timer]\nOnCalendar=daily\n");
  const now = at("2026-12-05T12:00:00Z");
  deepStrictEqual(
    nextTimerElapse(t, { now, activated: now, boot: now }).next,
    at("2026-12-06T00:00:00Z"),
  );
});

Deno.test("a Persistent= timer whose last trigger is days old is due at once (at boot)", () => {
  const t = settings("[Timer]\nOnCalendar=daily\nPersistent=yes\n");
  const boot = at("2026-12-05T12:00:00Z");
  const e = nextTimerElapse(t, {
    now: boot,
    activated: boot,
    boot,
    lastTrigger: at("2026-12-02T00:00:00Z"),
  });
  deepStrictEqual(e.next, boot);
});

Deno.test("OnBootSec fires once; OnUnitActiveSec repeats from the last trigger", () => {
  const boot = at("2026-12-05T12:00:00Z");
  const once = settings("[Timer]\nOnBootSec=1h\n");
  deepStrictEqual(nextTimerElapse(once, { now: boot, activated: boot, boot }).next, boot + H);
  deepStrictEqual(
    nextTimerElapse(once, { now: boot + H, activated: boot, boot, lastTrigger: boot + H }).next,
    undefined,
  );
  const rep = settings("[Timer]\nOnBootSec=1h\nOnUnitActiveSec=2h\n");
  deepStrictEqual(
    nextTimerElapse(rep, { now: boot + H, activated: boot, boot, lastTrigger: boot + H }).next,
    boot + 3 * H,
  );
});

Deno.test("a timer without any trigger value has nothing to wait for", () => {
  deepStrictEqual(hasTriggers(settings("[Timer]\nPersistent=yes\n")), false);
  deepStrictEqual(hasTriggers(settings("[Timer]\nOnStartupSec=5\n")), true);
});

Deno.test("the test clock reads FAKE at ANCHOR and runs RATE times as fast", () => {
  let real = 1_000_000_000_000;
  const c = clockFrom({ SYSTEMCTL_TEST_CLOCK: "2026-12-05T00:00:00Z@1000000x3600" }, () => real);
  deepStrictEqual(c.now(), at("2026-12-05T00:00:00Z"));
  real += 1_000_000;
  deepStrictEqual(c.now(), at("2026-12-05T01:00:00Z"));
  deepStrictEqual(c.realDelayMs(H), 1000);
  deepStrictEqual(clockFrom({}, () => 5).now(), 5);
  deepStrictEqual(clockFrom({ SYSTEMCTL_TEST_CLOCK: "garbage" }, () => 5).simulated, false);
});
