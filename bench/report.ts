/**
 * The bench's output: a plain-text table for the terminal and bench/RESULTS.md.
 * @module
 */

import { PERMISSION_FLAGS } from "../src/process/self.ts";
import { fmtMs, type Settings } from "./lib.ts";
import type { Measure } from "./measure.ts";
import type { Pid1Results, Pid1Run } from "./pid1.ts";

/** One compared case. */
export interface CaseRow {
  section: string;
  name: string;
  /** Which root: "real", "10k", "sleeper", "host". */
  root: string;
  ours: Measure;
  base: Measure;
  /** "ref" (the Python reference) or "floor" (deno run hello.ts). */
  baseLabel: string;
  /** Wanted: ours / base at most this. */
  target: number;
  /** Median of `deno run` of a hello-world script with our permission flags, measured up front. */
  floor?: number;
}

/** One list-unit-files growth row. */
export interface ScaleRow {
  units: number;
  ours: Measure;
  ref?: Measure;
}

/** Run information for RESULTS.md. */
export interface Meta {
  date: string;
  command: string;
  nproc: string;
  loadBefore: string;
  loadAfter: string;
  deno: string;
  reference: string;
  settings: Settings;
  serviceMode: string;
  durationS: number;
  floorMs?: number;
  host: Record<string, string>;
}

/** The ratio and verdict of a row. */
export function verdict(row: CaseRow): { ratio: string; met: string } {
  if (row.ours.error || row.base.error) return { ratio: "-", met: "ERROR" };
  const o = row.ours.median;
  if (o === undefined) return { ratio: "-", met: "-" };
  if (row.base.timedOut) {
    const bound = o / (row.base.timeoutMs ?? Infinity);
    return {
      ratio: "< " + bound.toFixed(3),
      met: bound <= row.target ? "yes (ref timed out)" : "-",
    };
  }
  const b = row.base.median;
  if (b === undefined) return { ratio: "-", met: "-" };
  const ratio = o / b;
  return { ratio: ratio.toFixed(3), met: ratio <= row.target ? "yes" : "no" };
}

function baseText(m: Measure): string {
  return m.timedOut ? "timeout" : fmtMs(m.median);
}

function runsText(row: CaseRow): string {
  return `${row.ours.samples.length}/${row.base.samples.length}`;
}

/** Least-squares fit t = a + b·n with R², over the rows that have a median. */
export function linearFit(rows: ScaleRow[]): { a: number; b: number; r2: number } | undefined {
  const pts = rows.filter((r) => r.ours.median !== undefined)
    .map((r) => [r.units, r.ours.median!] as const);
  if (pts.length < 3) return undefined;
  const n = pts.length;
  const mx = pts.reduce((s, p) => s + p[0], 0) / n;
  const my = pts.reduce((s, p) => s + p[1], 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (const [x, y] of pts) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
    syy += (y - my) ** 2;
  }
  const b = sxy / sxx;
  const a = my - b * mx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { a, b, r2 };
}

function pad(cells: string[][]): string[] {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) =>
    r.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ")
  );
}

function caseCells(rows: CaseRow[]): string[][] {
  const cells = [
    ["case", "root", "ours", "baseline", "ratio", "target", "met", "ours − floor", "runs"],
  ];
  for (const r of rows) {
    const v = verdict(r);
    cells.push([
      r.name,
      r.root,
      fmtMs(r.ours.median),
      `${r.baseLabel} ${baseText(r.base)}`,
      v.ratio,
      `≤ ${r.target}`,
      v.met,
      r.ours.median !== undefined && r.floor !== undefined ? fmtMs(r.ours.median - r.floor) : "-",
      runsText(r),
    ]);
  }
  return cells;
}

function scaleCells(rows: ScaleRow[]): string[][] {
  const cells = [["units", "ours", "ours per unit", "ref", "ratio"]];
  for (const r of rows) {
    const o = r.ours.median;
    const ratio = o !== undefined && r.ref?.median !== undefined
      ? (o / r.ref.median).toFixed(3)
      : "-";
    cells.push([
      String(r.units),
      r.ours.error ? "ERROR" : fmtMs(o),
      o === undefined ? "-" : `${((o * 1000) / r.units).toFixed(1)} µs`,
      r.ref ? (r.ref.error ? "ERROR" : baseText(r.ref)) : "-",
      ratio,
    ]);
  }
  return cells;
}

function fitText(rows: ScaleRow[]): string {
  const fit = linearFit(rows);
  if (!fit) return "";
  return `linear fit: ${fmtMs(fit.a)} + ${(fit.b * 1000).toFixed(1)} µs × units (R² = ${
    fit.r2.toFixed(4)
  })`;
}

function mib(kib: number | undefined): string {
  return kib === undefined ? "-" : `${(kib / 1024).toFixed(1)} MiB`;
}

function pct(x: number | undefined): string {
  return x === undefined ? "-" : `${x.toFixed(2)} %`;
}

function shutdownText(r: Pid1Run | undefined): string {
  const sd = r?.shutdown;
  if (!sd) return r?.error ? "ERROR" : "-";
  const how = sd.timedOut
    ? "no exit"
    : `${fmtMs(sd.ms)}, ${sd.signal ? `killed by ${sd.signal}` : `exit ${sd.code}`}`;
  return `${how}, ${sd.orderly}/${sd.running} stopped in order`;
}

/** Wanted shutdown time for n well-behaved services: 1 s up to 20, 3 s up to 200. */
export function shutdownTargetMs(n: number): number {
  return n <= 20 ? 1000 : 3000;
}

/** The PID-1 rows: case, services, ours, reference, bare Deno, ratio, target, met. */
export function pid1Cells(res: Pid1Results): string[][] {
  const cells = [
    ["case", "services", "ours", "reference", "bare Deno", "ratio", "target", "met"],
  ];
  const counts = [...new Set(res.runs.map((r) => r.services))];
  for (const n of counts) {
    const o = res.runs.find((r) => r.tool === "ours" && r.services === n);
    const f = res.runs.find((r) => r.tool === "ref" && r.services === n);
    const err = (r: Pid1Run | undefined, v: string) => (v === "-" && r?.error ? "ERROR" : v);
    const yes = (b: boolean | undefined) => (b === undefined ? "-" : b ? "yes" : "no");
    // Boot.
    const bootRatio = o?.bootMs !== undefined && f?.bootMs !== undefined
      ? o.bootMs / f.bootMs
      : undefined;
    cells.push([
      "boot until all active",
      String(n),
      err(o, fmtMs(o?.bootMs)),
      err(f, fmtMs(f?.bootMs)),
      "",
      bootRatio === undefined ? "-" : bootRatio.toFixed(3),
      "≤ 0.05",
      yes(bootRatio === undefined ? undefined : bootRatio <= 0.05),
    ]);
    // Idle RSS, against the bare Deno process over the same window.
    const secs = o?.idle?.seconds ?? f?.idle?.seconds;
    const w = secs === undefined ? "" : ` (${secs.toFixed(0)} s)`;
    const rssRatio = o?.idle && o.bareIdle ? o.idle.rssKiB / o.bareIdle.rssKiB : undefined;
    cells.push([
      `idle RSS${w}`,
      String(n),
      err(o, mib(o?.idle?.rssKiB)),
      err(f, mib(f?.idle?.rssKiB)),
      mib(o?.bareIdle?.rssKiB),
      rssRatio === undefined ? "-" : `${rssRatio.toFixed(2)}× bare`,
      "≤ 1.2× bare",
      yes(rssRatio === undefined ? undefined : rssRatio <= 1.2),
    ]);
    // Idle CPU, against the reference.
    const oc = o?.idle?.cpuPct, fc = f?.idle?.cpuPct;
    cells.push([
      `idle CPU${w}`,
      String(n),
      err(o, pct(oc)),
      err(f, pct(fc)),
      pct(o?.bareIdle?.cpuPct),
      oc !== undefined && fc ? (oc / fc).toFixed(2) : "-",
      "≤ ref",
      yes(oc === undefined || fc === undefined ? undefined : oc <= fc),
    ]);
    // Zombies.
    const batches = [
      ...new Set([...(o?.zombies ?? []), ...(f?.zombies ?? [])].map((z) => z.orphans)),
    ];
    for (const k of batches) {
      const zo = o?.zombies.filter((z) => z.orphans === k) ?? [];
      const zf = f?.zombies.filter((z) => z.orphans === k) ?? [];
      const text = (zs: { left: number }[]) => zs.map((z) => String(z.left)).join(" / ") || "-";
      cells.push([
        `zombies 1.5 s after ${k.toLocaleString("en-US")} orphans exit`,
        String(n),
        err(o, text(zo)),
        err(f, text(zf)),
        "",
        "-",
        "0",
        yes(zo.length ? zo.every((z) => z.left === 0) : undefined),
      ]);
    }
    // Shutdown: ours alone is judged (the reference 1.4 crashes on SIGTERM).
    const sd = o?.shutdown;
    const target = shutdownTargetMs(n);
    cells.push([
      "SIGTERM to exit",
      String(n),
      shutdownText(o),
      shutdownText(f),
      "",
      "-",
      `≤ ${fmtMs(target)}, all in order`,
      yes(
        sd === undefined ? undefined : !sd.timedOut && sd.ms! <= target && sd.code === 0 &&
          sd.orderly === n,
      ),
    ]);
  }
  return cells;
}

/** The terminal table. */
export function renderTable(rows: CaseRow[], scale: ScaleRow[], pid1?: Pid1Results): string {
  const out: string[] = [""];
  let section = "";
  if (rows.length) {
    const lines = pad(caseCells(rows));
    out.push(lines[0]);
    rows.forEach((r, i) => {
      if (r.section !== section) {
        section = r.section;
        out.push(`-- ${section}`);
      }
      out.push(lines[i + 1]);
    });
  }
  if (scale.length) {
    out.push("", "-- list-unit-files growth (ours)", ...pad(scaleCells(scale)), fitText(scale));
  }
  if (pid1?.runs.length) out.push("", "-- PID 1 (issue 8)", ...pad(pid1Cells(pid1)));
  const errs = rows.filter((r) => r.ours.error || r.base.error);
  for (const r of errs) {
    out.push(`ERROR ${r.name} (${r.root}): ${r.ours.error ?? ""} ${r.base.error ?? ""}`.trim());
  }
  for (const r of pid1?.runs ?? []) {
    if (r.error) out.push(`ERROR PID 1, ${r.tool}, ${r.services} services: ${r.error}`);
  }
  return out.join("\n");
}

/** The PID-1 section's details: how each figure was taken, orphan timings, the reference's exit. */
function pid1Details(res: Pid1Results): string[] {
  const out: string[] = [
    "One run per tool and service count, in PID and mount namespaces of their own " +
    "(`unshare --pid --fork --mount --kill-child --mount-proc`, a tmpfs on the root's `/run`), " +
    "each tool as PID 1 with no verb and `--root=DIR` (ours: the artifact that " +
    "`install.sh --bundle` installs, whose launcher adds `--v8-flags=--expose-gc," +
    "--max-semi-space-size=1,--no-memory-reducer` as PID 1); the services are enabled " +
    "`Type=simple` units whose shell traps TERM. Boot: namespace spawned → every service " +
    "wrote its started marker. Idle: PID 1's VmRSS at the end of the window and its " +
    "utime+stime over it; the bare Deno process (bench/pid1_bare.ts, PID 1 of its own " +
    "namespace) binds every libc symbol of src/process/libc.ts and listens for SIGTERM, " +
    "SIGINT, SIGQUIT, SIGHUP and SIGCHLD, measured over the same window as ours. Zombies: a " +
    "Python forker entered with `nsenter` makes the orphans (batches of 100 children that " +
    "block on a pipe, their parent exiting without waiting, so they re-parent to PID 1 " +
    "alive), then after a random 0–5 s delay (a 5 s poller's count depends on its phase) " +
    "closes the pipe so that all exit together; processes in state Z in the namespace are " +
    "counted 1.5 s after the host saw the last one exit (batches of up to 1,000 three " +
    'times, "a / b / c"). Shutdown: SIGTERM to PID 1 → its exit; ' +
    "a service stopped in order when its TERM trap wrote its stopped marker.",
    "",
  ];
  for (const r of res.runs) {
    const who = r.tool === "ours" ? "ours" : "reference";
    for (const z of r.zombies) {
      out.push(
        `- ${who}, ${r.services} services: ${z.orphans} orphans made in ${
          z.makeSeconds.toFixed(1)
        } s, all exited ${z.exitSeconds.toFixed(2)} s after their release; ${z.left} zombies ` +
          `1.5 s after the last exit; ` +
          (z.clearedAfter === undefined
            ? "some still left 12 s after it"
            : `none left ${z.clearedAfter.toFixed(1)} s after it`),
      );
    }
    if (r.startupFinished) {
      out.push(
        `- ${who}, ${r.services} services: the init printed "Startup finished in ` +
          `${r.startupFinished}" (spawn to all started, from the host: ${fmtMs(r.bootMs)})`,
      );
    }
    if (r.shutdown?.tail && r.tool === "ref") {
      out.push(
        `- reference, ${r.services} services, last lines after SIGTERM: \`${
          r.shutdown.tail.replaceAll("`", "'")
        }\``,
      );
    }
  }
  for (const n of res.notes) out.push(`- ${n}`);
  return out;
}

function mdTable(cells: string[][]): string {
  const esc = (c: string) => c.replaceAll("|", "\\|");
  const [head, ...body] = cells;
  const align = head.map((_, i) => (i === 0 ? ":--" : "--:"));
  return [head, align, ...body].map((r) => `| ${r.map(esc).join(" | ")} |`).join("\n");
}

/** bench/RESULTS.md. */
export function renderMarkdown(
  rows: CaseRow[],
  scale: ScaleRow[],
  meta: Meta,
  notes: string[],
  pid1?: Pid1Results,
): string {
  const s = meta.settings;
  const out: string[] = [
    "# Bench results",
    "",
    `Made by \`${meta.command}\` (bench/run.ts) on ${meta.date}; do not edit by hand.`,
    "",
    `- machine: \`nproc\` = ${meta.nproc}` + (meta.host.cpu ? `, ${meta.host.cpu}` : "") +
    `, Linux ${meta.host.kernel}`,
    `- load average (1, 5, 15 min): ${meta.loadBefore} before, ${meta.loadAfter} after`,
    `- ${meta.deno}; reference: ${meta.reference}`,
    `- wall time from spawn to exit (Deno.Command, performance.now()), median of ${s.runs} runs ` +
    `after ${s.warmup} warm-up run(s) per tool, ours and the baseline alternating; a case whose ` +
    `single run exceeds ${
      s.caseBudgetMs / 1000
    } s runs fewer times (at least 3; "runs" = ours/baseline); ` +
    `reference runs capped at ${s.refTimeoutMs / 1000} s`,
    `- floor: \`deno run\` of a hello-world script with our permission flags, ` +
    `${fmtMs(meta.floorMs)} (median, measured before the cases); "ours − floor" is what our ` +
    `program adds to the runtime's start-up`,
    `- ours: \`deno run ${PERMISSION_FLAGS.join(" ")} mod.ts --root=DIR ...\`; ` +
    "reference: `systemctl --root=DIR ...` (its own `#!/usr/bin/python3`)",
    `- service cases ran in: ${meta.serviceMode}; whole run took ${meta.durationS.toFixed(0)} s`,
    "",
  ];
  const sections = [...new Set(rows.map((r) => r.section))];
  for (const section of sections) {
    out.push(`## ${section[0].toUpperCase()}${section.slice(1)}`, "");
    out.push(mdTable(caseCells(rows.filter((r) => r.section === section))), "");
    if (section.startsWith("unit files") && scale.length) {
      out.push("`list-unit-files` growth (generated roots):", "", mdTable(scaleCells(scale)), "");
      const fit = fitText(scale);
      if (fit) out.push(fit, "");
    }
  }
  if (!sections.some((s) => s.startsWith("unit files")) && scale.length) {
    out.push("## list-unit-files growth", "", mdTable(scaleCells(scale)), "", fitText(scale), "");
  }
  if (pid1?.runs.length) {
    out.push("## PID 1 (issue 8)", "", mdTable(pid1Cells(pid1)), "");
    out.push(...pid1Details(pid1), "");
  }
  const errs = rows.filter((r) => r.ours.error || r.base.error);
  const pid1Errs = pid1?.runs.filter((r) => r.error) ?? [];
  if (errs.length || pid1Errs.length) {
    out.push("## Errors", "");
    for (const r of errs) {
      out.push(`- ${r.name} (${r.root}): ${r.ours.error ?? ""} ${r.base.error ?? ""}`);
    }
    for (const r of pid1Errs) out.push(`- PID 1, ${r.tool}, ${r.services} services: ${r.error}`);
    out.push("");
  }
  out.push("## Notes", "");
  const floor = rows.find((r) => r.baseLabel === "floor");
  const refVersion = rows.find((r) => r.name === "--version" && r.root === "real");
  if (floor?.base.median !== undefined && refVersion?.base.median !== undefined) {
    out.push(
      `- \`deno run\` of a hello-world script takes ${fmtMs(floor.base.median)} here; 0.15× the ` +
        `reference's \`--version\` (${fmtMs(refVersion.base.median)}) is ` +
        `${fmtMs(refVersion.base.median * 0.15)}.`,
    );
  }
  for (const n of notes) out.push(`- ${n}`);
  out.push("");
  return out.join("\n");
}
