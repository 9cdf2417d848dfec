/**
 * The service-manager cases: start, is-active, status, restart and stop of a
 * Type=simple service, by our program and by the reference on the same root,
 * in cycles (start → is-active → status → restart → stop), alternating which
 * tool goes first. After every stop no process of the service may be left.
 *
 * Run in-process, or as its own program in a fresh PID namespace
 * (`unshare --pid --fork --mount-proc`, with a reaping init) so that every
 * process it starts dies with the namespace:
 * `deno run --allow-all bench/service.ts CONFIG.json OUT.json`.
 * @module
 */

import { type Cmd, median, type Settings } from "./lib.ts";
import { type Check, expect, type Measure, runSide, type Side } from "./measure.ts";
import { killLeftovers, taggedPids } from "./procs.ts";
import { SLEEPER } from "./roots.ts";

/** What the service cases need. */
export interface ServiceConfig {
  /** Our program, without the verb: `deno run <flags> mod.ts --root=DIR`. */
  ours: Cmd;
  /** The reference, without the verb: `<script> --root=DIR`. */
  ref: Cmd;
  /** BENCH_TAG value in the service's environment. */
  tag: string;
  settings: Settings;
}

/** The cycle's steps, in order. */
export const STEPS = ["start", "is-active", "status", "restart", "stop"] as const;
export type Step = typeof STEPS[number];

/** Timings per step: [ours, ref]. */
export interface ServiceResults {
  steps: Record<Step, [Measure, Measure]>;
  /** Every pid a start or restart produced. */
  pids: number[];
  notes: string[];
  /** "pid namespace" or "host". */
  mode: string;
}

function checks(tool: "ours" | "ref"): Record<Step, Check> {
  const strict = tool === "ours";
  return {
    start: expect([0]),
    "is-active": strict ? expect([0], /^active$/m) : expect([0, 3]),
    status: strict ? expect([0], /Active: active \(running\)/) : expect([0, 3]),
    restart: expect([0]),
    stop: expect([0]),
  };
}

function sides(base: Cmd, tool: "ours" | "ref", timeoutMs: number): Record<Step, Side> {
  const c = checks(tool);
  const out = {} as Record<Step, Side>;
  for (const step of STEPS) {
    out[step] = {
      cmd: { ...base, args: [...base.args, step, SLEEPER] },
      check: c[step],
      timeoutMs,
    };
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the cycles; kills whatever is left at the end. */
export async function runServiceCases(cfg: ServiceConfig, mode: string): Promise<ServiceResults> {
  const s = cfg.settings;
  const tools = [
    { name: "ours", sides: sides(cfg.ours, "ours", s.oursTimeoutMs) },
    { name: "ref", sides: sides(cfg.ref, "ref", s.refTimeoutMs) },
  ];
  const results = {} as Record<Step, [Measure, Measure]>;
  for (const step of STEPS) results[step] = [{ samples: [] }, { samples: [] }];
  const alive = [true, true];
  const pids = new Set<number>();
  const notes: string[] = [];

  const record = () => {
    for (const pid of taggedPids(cfg.tag)) pids.add(pid);
  };

  /** One cycle of tool k; false when it failed (the tool is then out). */
  const cycle = async (k: number, timed: boolean): Promise<boolean> => {
    const tool = tools[k];
    const stale = await killLeftovers(cfg.tag, []);
    if (stale.length) notes.push(`before a ${tool.name} cycle: killed stale pids ${stale}`);
    for (const step of STEPS) {
      const m = results[step][k];
      const ok = await runSide(tool.sides[step], m, timed);
      if (step === "start" || step === "restart") record();
      if (!ok) {
        m.error = `${tool.name} ${step}: ${m.error ?? "timed out"}`;
        await cleanup(tool.name, k);
        return false;
      }
    }
    let left = taggedPids(cfg.tag);
    if (left.length) {
      await sleep(1000);
      left = taggedPids(cfg.tag);
      if (left.length) {
        results.stop[k].error = `${tool.name} stop left pids ${left} running`;
        await killLeftovers(cfg.tag, left);
        return false;
      }
      notes.push(`${tool.name} stop returned before the service's process was gone`);
    }
    return true;
  };

  const cleanup = async (name: string, k: number) => {
    const stop = tools[k].sides.stop;
    await runSide(stop, { samples: [] }, false).catch(() => false);
    const killed = await killLeftovers(cfg.tag, pids);
    if (killed.length) notes.push(`after a failed ${name} cycle: killed pids ${killed}`);
  };

  try {
    for (let w = 0; w < s.warmup; w++) {
      for (const k of [0, 1]) if (alive[k]) alive[k] = await cycle(k, false);
    }
    for (let i = 0; i < s.runs; i++) {
      for (const k of i % 2 ? [1, 0] : [0, 1]) if (alive[k]) alive[k] = await cycle(k, true);
      if (!alive[0] && !alive[1]) break;
    }
  } finally {
    const killed = await killLeftovers(cfg.tag, pids);
    if (killed.length) notes.push(`at the end: killed leftover pids ${killed}`);
  }
  for (const step of STEPS) {
    for (const m of results[step]) if (m.samples.length) m.median = median(m.samples);
  }
  return { steps: results, pids: [...pids], notes, mode };
}

if (import.meta.main) {
  const [configPath, outPath] = Deno.args;
  const cfg: ServiceConfig = JSON.parse(Deno.readTextFileSync(configPath));
  const res = await runServiceCases(cfg, "pid namespace");
  Deno.writeTextFileSync(outPath, JSON.stringify(res));
}
