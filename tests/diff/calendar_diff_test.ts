/**
 * Calendar expressions against systemd 252 itself: `systemd-analyze calendar
 * --base-time=… --iterations=N` and our parser read the same expressions; the
 * normalized form, each elapse and every refusal must be the same.
 */

import { deepStrictEqual } from "node:assert/strict";
import { formatCalendar, nextElapse, parseCalendar } from "../../src/unit/calendar.ts";
import { formatTimestamp } from "../../src/unit/timespan.ts";
import { EXPRESSIONS } from "./_calendar_expressions.ts";

function skipReason(): string | undefined {
  try {
    const out = new Deno.Command("systemd-analyze", { args: ["--version"], stdout: "piped" })
      .outputSync();
    const first = new TextDecoder().decode(out.stdout).split("\n")[0];
    if (!/^systemd 252\b/.test(first)) return `systemd-analyze is not systemd 252 (${first})`;
  } catch {
    return "systemd-analyze is not installed";
  }
  if (new Intl.DateTimeFormat().resolvedOptions().timeZone.replace("Etc/", "") !== "UTC") {
    return "the test process does not run on UTC";
  }
  return undefined;
}

const reason = skipReason();
if (reason) console.log(`skipping the calendar differential test: ${reason}`);

/** Base times: an ordinary day, the spring and autumn DST changes in Europe, a leap day. */
const BASES = [
  "2026-12-05 12:00:00",
  "2026-03-29 00:30:00",
  "2026-10-25 00:30:00",
  "2028-02-28 23:59:59",
];

function theirs(expr: string, base: string): string[] {
  const out = new Deno.Command("systemd-analyze", {
    args: ["calendar", `--base-time=${base} UTC`, "--iterations=5", expr],
    stdout: "piped",
    stderr: "piped",
    env: { TZ: "UTC", SYSTEMD_LOG_COLOR: "0" },
  }).outputSync();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) return ["refused"];
  return text.split("\n").flatMap((l) => {
    const m = /^\s*(Normalized form|Next elapse|Iter\. #\d+): (.*)$/.exec(l);
    return m ? [m[2]] : [];
  });
}

function ours(expr: string, base: string): string[] {
  let spec;
  try {
    spec = parseCalendar(expr);
  } catch {
    return ["refused"];
  }
  const out = [formatCalendar(spec)];
  let t = Date.parse(base.replace(" ", "T") + "Z") * 1000;
  for (let i = 0; i < 5; i++) {
    const next = nextElapse(spec, t);
    // systemd says `never` only when there is no first elapse.
    if (next === undefined) {
      if (i === 0) out.push("never");
      break;
    }
    out.push(formatTimestamp(next));
    t = next;
  }
  return out;
}

for (const base of BASES) {
  Deno.test({
    name: `calendar expressions normalize and elapse as systemd-analyze calendar says (${base})`,
    ignore: reason !== undefined,
    fn: () => {
      const mismatches: string[] = [];
      for (const expr of EXPRESSIONS) {
        const a = theirs(expr, base);
        const b = ours(expr, base);
        if (JSON.stringify(a) !== JSON.stringify(b)) {
          mismatches.push(`${expr}\n  systemd: ${a.join(" | ")}\n  ours:    ${b.join(" | ")}`);
        }
      }
      deepStrictEqual(mismatches.join("\n"), "");
    },
  });
}
