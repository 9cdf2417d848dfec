/**
 * The bench's image roots: a copy of this machine's /lib/systemd/system, a
 * generated N-unit root, and a small root with one long-running service.
 * @module
 */

import { join } from "node:path";

const UNIT_SUFFIX = /\.(service|socket|target|timer|path|mount|slice|swap|automount|device|scope)$/;

/** A root made for the bench. */
export interface Root {
  dir: string;
  /** Unit files in it. */
  units: number;
  /** An enabled, loadable service for show / is-enabled. */
  probe: string;
  /** Units enabled with a multi-user.target.wants link. */
  enabled: string[];
}

function copyTree(from: string, to: string): number {
  let units = 0;
  Deno.mkdirSync(to, { recursive: true });
  for (const e of Deno.readDirSync(from)) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isSymlink) Deno.symlinkSync(Deno.readLinkSync(src), dst);
    else if (e.isDirectory) units += copyTree(src, dst);
    else if (e.isFile) Deno.copyFileSync(src, dst);
    if (UNIT_SUFFIX.test(e.name)) units++;
  }
  return units;
}

function enable(root: string, names: string[]): void {
  const wants = join(root, "etc/systemd/system/multi-user.target.wants");
  Deno.mkdirSync(wants, { recursive: true });
  for (const name of names) Deno.symlinkSync(`/lib/systemd/system/${name}`, join(wants, name));
}

/** Services that every image is likely to have, enabled first when present. */
const PREFERRED = ["ssh.service", "cron.service", "rsync.service", "nginx.service"];

/**
 * A root with a copy of `source` (this machine's /lib/systemd/system) and an
 * /etc/systemd/system enabling up to five services wanted by multi-user.target.
 */
export function copyRealRoot(dir: string, source = "/lib/systemd/system"): Root {
  const lib = join(dir, "lib/systemd/system");
  const units = copyTree(source, lib);
  const candidates: string[] = [];
  for (const e of Deno.readDirSync(lib)) {
    if (!e.isFile || !e.name.endsWith(".service") || e.name.includes("@")) continue;
    const text = Deno.readTextFileSync(join(lib, e.name));
    if (/^\s*WantedBy\s*=.*\bmulti-user\.target\b/m.test(text)) candidates.push(e.name);
  }
  candidates.sort((a, b) => {
    const pa = PREFERRED.indexOf(a), pb = PREFERRED.indexOf(b);
    return (pa < 0 ? 99 : pa) - (pb < 0 ? 99 : pb) || a.localeCompare(b);
  });
  const enabled = candidates.slice(0, 5);
  if (enabled.length === 0) {
    throw new Error(`no service in ${source} is wanted by multi-user.target`);
  }
  enable(dir, enabled);
  return { dir, units, probe: enabled[0], enabled };
}

/** The name of generated unit i (1-based): bench-00001.service. */
export function generatedName(i: number): string {
  return `bench-${String(i).padStart(5, "0")}.service`;
}

/**
 * A root with `count` generated services in /lib/systemd/system, each
 * `[Install] WantedBy=multi-user.target`; every tenth is enabled.
 */
export function generateRoot(dir: string, count: number): Root {
  const lib = join(dir, "lib/systemd/system");
  Deno.mkdirSync(lib, { recursive: true });
  const enabled: string[] = [];
  for (let i = 1; i <= count; i++) {
    const name = generatedName(i);
    Deno.writeTextFileSync(
      join(lib, name),
      `[Unit]\nDescription=Bench unit ${i}\nAfter=network.target\n\n` +
        `[Service]\nType=simple\nExecStart=/bin/sleep ${i}\nRestart=no\n\n` +
        `[Install]\nWantedBy=multi-user.target\n`,
    );
    if (i % 10 === 0) enabled.push(name);
  }
  enable(dir, enabled);
  return { dir, units: count, probe: enabled[0] ?? generatedName(1), enabled };
}

/** The long-running service of the service-manager cases. */
export const SLEEPER = "benchsleep.service";

/**
 * A root with one enabled Type=simple service running `/bin/sleep 1000`,
 * tagged with BENCH_TAG=`tag` in its environment so the bench can find (and
 * at the end kill) every process either tool started from it.
 */
export function sleeperRoot(dir: string, tag: string): Root {
  const etc = join(dir, "etc/systemd/system");
  Deno.mkdirSync(etc, { recursive: true });
  Deno.writeTextFileSync(
    join(etc, SLEEPER),
    `[Unit]\nDescription=Bench sleeper\n# every cycle starts it twice: no start rate limit (systemd: 5 per 10 s)\nStartLimitIntervalSec=0\n\n` +
      `[Service]\nType=simple\nEnvironment=BENCH_TAG=${tag}\nExecStart=/bin/sleep 1000\n\n` +
      `[Install]\nWantedBy=multi-user.target\n`,
  );
  const wants = join(etc, "multi-user.target.wants");
  Deno.mkdirSync(wants, { recursive: true });
  Deno.symlinkSync(`/etc/systemd/system/${SLEEPER}`, join(wants, SLEEPER));
  return { dir, units: 1, probe: SLEEPER, enabled: [SLEEPER] };
}
