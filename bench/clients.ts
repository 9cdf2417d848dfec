/**
 * Issue 10, configuration-management clients: the wall time of one Ansible playbook
 * (`tests/fixtures/clients/site.yml`: service, systemd_service, service_facts on Debian's
 * nginx, redis-server and memcached and a template instance) with our program as
 * `/usr/bin/systemctl`, against the same playbook with the Python reference there, in the
 * same run. Each side gets a fresh private copy of the host (`tests/support/ansible_ns.ts`)
 * whose PID 1 is a neutral reaper named `systemd` (the reference has no init that names
 * itself so, and service_facts reads that name), and runs the playbook twice: the first
 * run converges, the second must change nothing. The playbook runs with `lenient=true`:
 * a task a tool fails does not stop the play, so both sides do the same work; the failed
 * tasks are reported. Ours failing a task, or changing anything on the second run, is an
 * error. Needs root, unshare, overlayfs and ansible-core; skipped with the reason otherwise.
 * @module
 */

import type { Measure } from "./measure.ts";
import { median } from "./lib.ts";
import {
  ansibleSkipReason,
  type PlaybookRun,
  sourceLauncher,
  startClientNamespace,
} from "../tests/support/ansible_ns.ts";

/** One compared case, ready for the bench table. */
export interface ClientRow {
  name: string;
  ours: Measure;
  base: Measure;
}

/** What the clients section measured. */
export interface ClientResults {
  rows: ClientRow[];
  notes: string[];
  skipped?: string;
}

function failedTasks(r: PlaybookRun): string[] {
  return r.tasks.filter((t) => t.failed).map((t) => t.name);
}

async function oneRound(launcher: string): Promise<[PlaybookRun, PlaybookRun]> {
  const ns = await startClientNamespace({ systemctl: launcher, pid1: "reaper" });
  try {
    const first = await ns.playbook("1", true);
    const second = await ns.playbook("2", true);
    return [first, second];
  } finally {
    await ns.close();
  }
}

function measure(samples: number[], error?: string): Measure {
  return { samples, median: samples.length ? median(samples) : undefined, error };
}

/** Runs `runs` rounds per tool, interleaved; `log` prints progress. */
export async function runClientCases(
  refScript: string,
  runs: number,
  log: (line: string) => void,
): Promise<ClientResults> {
  const skipped = await ansibleSkipReason();
  if (skipped) return { rows: [], notes: [`clients skipped: ${skipped}`], skipped };
  const tools = {
    ours: sourceLauncher(),
    ref: `#!/bin/sh\nexec /usr/bin/python3 '${refScript.replaceAll("'", `'\\''`)}' "$@"\n`,
  };
  const times = { ours: [[], []], ref: [[], []] } as Record<"ours" | "ref", number[][]>;
  const errors: Record<"ours" | "ref", string | undefined> = { ours: undefined, ref: undefined };
  const refFailed = new Set<string>();
  for (let i = 0; i < runs; i++) {
    for (const tool of ["ours", "ref"] as const) {
      const [first, second] = await oneRound(tools[tool]);
      for (const [k, r] of [first, second].entries()) {
        if (r.tasks.length === 0) {
          errors[tool] ??= `playbook run ${k + 1} did not run: ${r.stderr.slice(-300)}`;
          continue;
        }
        times[tool][k].push(r.ms);
      }
      const failed = [...failedTasks(first), ...failedTasks(second)];
      if (tool === "ours") {
        if (failed.length) errors.ours ??= `ours failed: ${[...new Set(failed)].join("; ")}`;
        if (second.stats?.changed) errors.ours ??= `second run changed ${second.stats.changed}`;
      } else failed.forEach((f) => refFailed.add(f));
      log(
        `  round ${i + 1} ${tool.padEnd(4)}: first ${first.ms} ms (changed ` +
          `${first.stats?.changed ?? "-"}, failed ${failedTasks(first).length}), second ` +
          `${second.ms} ms (changed ${second.stats?.changed ?? "-"}, failed ` +
          `${failedTasks(second).length})`,
      );
    }
  }
  const notes = [
    `clients: ansible-playbook of tests/fixtures/clients/site.yml, ${runs} round(s) per tool, ` +
    `each in a fresh namespace (PID 1: a reaper named systemd; /etc and /var overlays)`,
    refFailed.size
      ? `clients: the reference failed these tasks (the play went on): ${[...refFailed].join("; ")}`
      : "clients: the reference failed no task",
  ];
  return {
    rows: [
      {
        name: "playbook, first run",
        ours: measure(times.ours[0], errors.ours),
        base: measure(times.ref[0], errors.ref),
      },
      {
        name: "playbook, second run",
        ours: measure(times.ours[1], errors.ours),
        base: measure(times.ref[1], errors.ref),
      },
    ],
    notes,
  };
}
