/**
 * What each install mode adds to an image, in bytes (issue 19), beside what the Python tool
 * would add: its script plus the `python3` packages Debian installs into a minimal bookworm
 * root (debootstrap --variant=minbase, the tests' cached rootfs) that lacks them, as
 * `apt-get install --no-install-recommends python3` would resolve them there (simulated with
 * the root's own package lists and status; nothing is installed), summed by `Installed-Size`.
 * @module
 */

/** Bytes of every regular file under `dir` (links not followed). */
export function treeBytes(dir: string): number {
  let total = 0;
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) total += treeBytes(path);
    else if (e.isFile) total += Deno.lstatSync(path).size;
  }
  return total;
}

async function output(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (out.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** What `python3` costs a minimal root: the packages apt would add and their installed bytes. */
export async function python3Cost(root: string): Promise<{ packages: string[]; bytes: number }> {
  const cache = await Deno.makeTempDir({ prefix: "bench-apt-cache-" });
  try {
    const opts = [
      "-o",
      `Dir::State::status=${root}/var/lib/dpkg/status`,
      "-o",
      `Dir::State::Lists=${root}/var/lib/apt/lists`,
      "-o",
      `Dir::Cache=${cache}`,
      "-o",
      `Dir::Etc::SourceList=${root}/etc/apt/sources.list`,
      "-o",
      "Dir::Etc::SourceParts=/nonexistent",
      "-o",
      "Debug::NoLocking=1",
    ];
    const sim = await output("apt-get", [
      ...opts,
      "-s",
      "install",
      "--no-install-recommends",
      "python3",
    ]);
    const packages = [...sim.matchAll(/^Inst (\S+)/gm)].map((m) => m[1]);
    let kib = 0;
    for (const p of packages) {
      const show = await output("apt-cache", [...opts, "show", "--no-all-versions", p]);
      kib += Number(show.match(/^Installed-Size: (\d+)$/m)?.[1] ?? 0);
    }
    return { packages, bytes: kib * 1024 };
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
}

/** Formats bytes as MB (10^6) with one decimal, and the exact count. */
export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB (${bytes.toLocaleString("en-US")} bytes)`;
}
