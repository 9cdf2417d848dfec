/**
 * CPU time of short commands, two sides alternating (issue 19: the bundled loader against the
 * system's). Wall time on a shared 2-core machine under load mostly measures the scheduler;
 * the CPU a command uses does not depend on what else runs. Each run is wrapped in `sh`, which
 * waits for the command and then reads its own `/proc/$$/stat`: the user and system time of
 * its waited-for children (cutime, cstime: every thread of the Deno process), in clock ticks.
 * @module
 */

import type { Cmd } from "./lib.ts";

const WRAP = '"$@" >/dev/null 2>&1; read -r s </proc/$$/stat; echo "$s"';

let ticksPerSecond: number | undefined;

async function clockTicks(): Promise<number> {
  if (ticksPerSecond === undefined) {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" }).output();
    ticksPerSecond = Number(new TextDecoder().decode(out.stdout).trim()) || 100;
  }
  return ticksPerSecond;
}

/** The CPU milliseconds (user + system) of one run of `c`. */
export async function cpuMs(c: Cmd): Promise<number> {
  const out = await new Deno.Command("sh", {
    args: ["-c", WRAP, "sh", c.cmd, ...c.args],
    env: c.env,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  const stat = new TextDecoder().decode(out.stdout);
  // Fields after the command name: state is field 3, cutime 16, cstime 17.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ");
  const ticks = Number(fields[13]) + Number(fields[14]);
  if (!Number.isFinite(ticks)) throw new Error(`no CPU times in: ${stat}`);
  return ticks * 1000 / await clockTicks();
}

/** CPU use of two commands, run alternately `runs` times each after one warm-up each. */
export async function cpuPair(
  a: Cmd,
  b: Cmd,
  runs: number,
): Promise<{ a: number[]; b: number[]; ratio: number }> {
  await cpuMs(a);
  await cpuMs(b);
  const sa: number[] = [], sb: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2) {
      sb.push(await cpuMs(b));
      sa.push(await cpuMs(a));
    } else {
      sa.push(await cpuMs(a));
      sb.push(await cpuMs(b));
    }
  }
  const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
  return { a: sa, b: sb, ratio: sum(sa) / sum(sb) };
}
