/**
 * The reference: the Python docker-systemctl-replacement, Debian package
 * `systemctl`. Fetched with `apt-get download` and unpacked with `dpkg -x`
 * into a cache directory (never installed: it conflicts with systemd);
 * reused when already there.
 * @module
 */

import { join } from "node:path";
import { exists, mustRun } from "./lib.ts";

/** Where the reference is cached: $BENCH_REF_CACHE, else `<repo>/.cache/ref`. */
export function refCacheDir(repo: string): string {
  return Deno.env.get("BENCH_REF_CACHE") ?? join(repo, ".cache", "ref");
}

/** The reference script and its version line. */
export interface Reference {
  script: string;
  version: string;
  /** "cached" or "downloaded". */
  origin: string;
}

/** The unpacked reference script, downloading and unpacking it when missing. */
export async function ensureReference(repo: string): Promise<Reference> {
  const dir = refCacheDir(repo);
  const unpacked = join(dir, "x");
  const script = join(unpacked, "usr", "bin", "systemctl");
  let origin = "cached";
  if (!exists(script)) {
    origin = "downloaded";
    Deno.mkdirSync(dir, { recursive: true });
    await mustRun({ cmd: "apt-get", args: ["download", "-q", "systemctl"], cwd: dir });
    const debs = [...Deno.readDirSync(dir)]
      .filter((e) => e.isFile && /^systemctl_.*\.deb$/.test(e.name))
      .map((e) => e.name)
      .sort();
    if (debs.length === 0) throw new Error(`apt-get download systemctl left no .deb in ${dir}`);
    const tmp = `${unpacked}.tmp`;
    try {
      Deno.removeSync(tmp, { recursive: true });
    } catch { /* not there */ }
    await mustRun({ cmd: "dpkg", args: ["-x", join(dir, debs[debs.length - 1]), tmp] });
    Deno.renameSync(tmp, unpacked);
  }
  const version = (await mustRun({ cmd: script, args: ["--version"] })).split("\n").slice(0, 2)
    .map((l) => l.trim()).filter((l) => l).join("; ");
  return { script, version, origin };
}
