/**
 * The live differential harness: one scenario script runs in a container whose
 * PID 1 is real systemd 252 and in one whose PID 1 is our program; every
 * operation's exit code, stdout and stderr are compared, after the one
 * normalisation of tests/support/live_normalise.ts.
 *
 * A scenario is a shell script (tests/fixtures/live/*.sh). The harness puts a
 * prelude before it with these helpers:
 * - `unit NAME <<'EOF' … EOF`: writes /etc/systemd/system/NAME (a drop-in too:
 *   `unit x.service.d/10-a.conf`); `unit_link NAME TARGET` makes it a symlink;
 * - `op CMD ARGS…`: runs one compared operation (stdin /dev/null);
 * - `settle UNIT STATE [SECONDS]`: waits (uncompared, default 30 s) until
 *   `systemctl show -p ActiveState --value UNIT` prints STATE;
 * - `booted`: waits until the boot has finished (uncompared);
 * - `jobs_done`: waits until the manager has no jobs (systemd's `start` returns when the
 *   named unit's job is done, while jobs it pulled in may still run);
 * - `wait_file PATH [SECONDS]`: waits until PATH exists.
 * A line that is exactly `boot` splits the script: what comes before runs in
 * the image's root before PID 1 starts (chrooted, /proc mounted; for unit
 * files that the boot must see), the rest after the boot has finished.
 * `boot --no-wait` starts the rest as soon as the manager answers. A script
 * without a `boot` line runs entirely after the boot.
 * @module
 */

import type { Ran, Side } from "./live_podman.ts";
import { LiveContainer } from "./live_podman.ts";
import { normalise } from "./live_normalise.ts";

/** One compared operation as one side ran it. */
export interface Op {
  n: number;
  cmd: string;
  rc: number;
  stdout: string;
  stderr: string;
}

/** What one side did with a script. */
export interface SideRun {
  side: Side;
  ops: Op[];
  /** Harness-level trouble (the container died, the script failed outside `op`). */
  problems: string[];
}

const PRELUDE = String.raw`
set -u
export SYSTEMD_COLORS=0 SYSTEMD_PAGER= SYSTEMD_LESS= LC_ALL=C.UTF-8
LIVE_N=${"$"}{LIVE_N:-0}
unit() {
  f=/etc/systemd/system/$1
  mkdir -p "$(dirname "$f")"
  cat >"$f"
}
unit_link() {
  f=/etc/systemd/system/$1
  mkdir -p "$(dirname "$f")"
  rm -f "$f"
  ln -s "$2" "$f"
}
op() {
  LIVE_N=$((LIVE_N + 1))
  "$@" >/tmp/.live-out 2>/tmp/.live-err </dev/null
  live_rc=$?
  printf '\036op %s %s\n' "$LIVE_N" "$*"
  printf '\036rc %s\n' "$live_rc"
  printf '\036out %s\n' "$(wc -c </tmp/.live-out)"
  cat /tmp/.live-out
  printf '\036err %s\n' "$(wc -c </tmp/.live-err)"
  cat /tmp/.live-err
}
settle() {
  live_i=0
  while [ "$(systemctl show -p ActiveState --value "$1" 2>/dev/null)" != "$2" ]; do
    live_i=$((live_i + 1))
    [ "$live_i" -ge $((${"$"}{3:-30} * 10)) ] && { echo "settle $1 $2: timed out" >&2; return 1; }
    sleep 0.1
  done
}
jobs_done() {
  live_i=0
  while [ -n "$(systemctl list-jobs --no-legend 2>/dev/null)" ]; do
    live_i=$((live_i + 1))
    [ "$live_i" -ge 600 ] && { echo "jobs_done: timed out" >&2; return 1; }
    sleep 0.1
  done
}
wait_file() {
  live_i=0
  while [ ! -e "$1" ]; do
    live_i=$((live_i + 1))
    [ "$live_i" -ge $((${"$"}{2:-30} * 10)) ] && { echo "wait_file $1: timed out" >&2; return 1; }
    sleep 0.1
  done
}
booted() {
  live_i=0
  while :; do
    case $(systemctl is-system-running 2>/dev/null) in
    initializing | starting | offline | "") ;;
    *) return 0 ;;
    esac
    live_i=$((live_i + 1))
    [ "$live_i" -ge 1200 ] && { echo "booted: timed out" >&2; return 1; }
    sleep 0.1
  done
}
`;

/** The script split at its `boot` line. */
export interface Scenario {
  preBoot?: string;
  main: string;
  waitBoot: boolean;
}

/** Splits a scenario script at its `boot` line. */
export function parseScenario(text: string): Scenario {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => /^boot(\s+--no-wait)?\s*$/.test(l));
  if (i < 0) return { main: text, waitBoot: true };
  return {
    preBoot: lines.slice(0, i).join("\n") + "\n",
    main: lines.slice(i + 1).join("\n"),
    waitBoot: !lines[i].includes("--no-wait"),
  };
}

const RS = 0x1e;

/** Parses the records `op` writes (anything else on stdout is skipped). */
export function parseOps(bytes: Uint8Array): Op[] {
  const dec = new TextDecoder();
  const ops: Op[] = [];
  let at = 0;
  const line = (): string => {
    const end = bytes.indexOf(0x0a, at);
    const stop = end < 0 ? bytes.length : end;
    const text = dec.decode(bytes.subarray(at, stop));
    at = stop + 1;
    return text;
  };
  const chunk = (n: number): string => {
    const text = dec.decode(bytes.subarray(at, Math.min(bytes.length, at + n)));
    at += n;
    return text;
  };
  while (at < bytes.length) {
    const start = bytes.indexOf(RS, at);
    if (start < 0) break;
    at = start + 1;
    const head = line();
    const m = /^op (\d+) (.*)$/.exec(head);
    if (!m) continue;
    const rc = /^rc (\d+)$/.exec(line().slice(1));
    const outLen = Number(/^out (\d+)$/.exec(line().slice(1))?.[1] ?? 0);
    const stdout = chunk(outLen);
    const errLen = Number(/^err (\d+)$/.exec(line().slice(1))?.[1] ?? 0);
    const stderr = chunk(errLen);
    ops.push({ n: Number(m[1]), cmd: m[2], rc: Number(rc?.[1] ?? -1), stdout, stderr });
  }
  return ops;
}

async function runBytes(c: LiveContainer, script: string, env: Record<string, string>) {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  const child = new Deno.Command("timeout", {
    args: ["-k", "10", "900", "podman", "exec", "-i", ...envArgs, c.name, "/bin/sh", "-s"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(script)).catch(() => {});
  await w.close().catch(() => {});
  return await child.output();
}

/** Podman's own warnings (cgroup set-up of conmon) removed from a stderr. */
function podmanNoise(text: string): string {
  return text.split("\n").filter((l) => !/^time="[^"]*" level=warning /.test(l)).join("\n").trim();
}

/** Runs a scenario on one side: a fresh container, removed at the end. */
export async function runSide(image: string, side: Side, scenario: Scenario): Promise<SideRun> {
  const problems: string[] = [];
  const ops: Op[] = [];
  // The pre-boot part writes its records to a file in the root; the main part prints them.
  const pre = scenario.preBoot !== undefined
    ? "exec >/var/tmp/.live-preboot 2>/var/tmp/.live-preboot-err\n" + PRELUDE + scenario.preBoot
    : undefined;
  let c: LiveContainer | undefined;
  try {
    c = await LiveContainer.start(image, side, pre);
    if (!(await c.waitManager())) {
      problems.push(`${side}: the manager never answered (${(await c.logs()).slice(-500)})`);
      return { side, ops, problems };
    }
    if (pre !== undefined) {
      const r = await runBytes(
        c,
        "cat /var/tmp/.live-preboot; cat /var/tmp/.live-preboot-err >&2",
        {},
      );
      ops.push(...parseOps(r.stdout));
      const err = podmanNoise(new TextDecoder().decode(r.stderr));
      if (err) problems.push(`${side}: pre-boot stderr: ${err}`);
    }
    const wait = scenario.waitBoot ? "booted\n" : "";
    const r = await runBytes(c, PRELUDE + wait + scenario.main, { LIVE_N: String(ops.length) });
    ops.push(...parseOps(r.stdout));
    const err = podmanNoise(new TextDecoder().decode(r.stderr));
    if (r.code !== 0 && !(await c.running())) {
      // A script that shuts the system down ends with its container.
    } else if (r.code !== 0 || err) {
      problems.push(`${side}: the script outside op: exit ${r.code}${err ? `: ${err}` : ""}`);
    }
  } catch (e) {
    problems.push(`${side}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await c?.remove().catch((e) => problems.push(`${side}: ${e.message}`));
  }
  return { side, ops, problems };
}

/** Both sides of one scenario, run at the same time. */
export async function runScenario(
  images: { systemd: string; ours: string },
  text: string,
): Promise<{ systemd: SideRun; ours: SideRun }> {
  const scenario = parseScenario(text);
  const [systemd, ours] = await Promise.all([
    runSide(images.systemd, "systemd", scenario),
    runSide(images.ours, "ours", scenario),
  ]);
  return { systemd, ours };
}

/** A line-level diff (LCS): lines only in a (`-`) and only in b (`+`), in order. */
export function diffLines(a: string[], b: string[]): string[] {
  const n = a.length;
  const m = b.length;
  const dp: number[][] = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      i++;
      j++;
    } else if (dp[i + 1][j] >= dp[i][j + 1]) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  while (i < n) out.push(`- ${a[i++]}`);
  while (j < m) out.push(`+ ${b[j++]}`);
  return out;
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** The comparison of one scenario. */
export interface Comparison {
  /** Operations compared (pairs with the same number and command). */
  ops: number;
  /** Differing lines: diff lines of stdout and stderr, plus one per differing exit code. */
  lines: number;
  /** Human-readable differences, empty when there are none. */
  report: string;
}

/** Compares the two sides' operations after normalisation. */
export function compareRuns(systemd: SideRun, ours: SideRun): Comparison {
  const out: string[] = [...systemd.problems, ...ours.problems];
  let lines = 0;
  let ops = 0;
  const count = Math.max(systemd.ops.length, ours.ops.length);
  for (let i = 0; i < count; i++) {
    const a = systemd.ops[i];
    const b = ours.ops[i];
    if (!a || !b) {
      const o = (a ?? b)!;
      out.push(`op ${o.n} (${o.cmd}): only ${a ? "systemd" : "ours"} ran it`);
      lines++;
      continue;
    }
    if (a.cmd !== b.cmd) {
      out.push(`op ${a.n}: the sides ran different commands: ${a.cmd} / ${b.cmd}`);
      lines++;
      continue;
    }
    ops++;
    const parts: string[] = [];
    if (a.rc !== b.rc) {
      parts.push(`  exit code: systemd ${a.rc}, ours ${b.rc}`);
      lines++;
    }
    for (const stream of ["stdout", "stderr"] as const) {
      const d = diffLines(
        splitLines(normalise(a[stream], stream, a.cmd)),
        splitLines(normalise(b[stream], stream, b.cmd)),
      );
      if (d.length) {
        parts.push(`  ${stream} (- systemd, + ours):`, ...d.map((l) => `    ${l}`));
        lines += d.length;
      }
    }
    if (parts.length) out.push(`op ${a.n}: ${a.cmd}`, ...parts);
  }
  return { ops, lines, report: out.join("\n") };
}

export type { Ran };
