/**
 * The Python tool this program replaces (docker-systemctl-replacement, Debian package
 * `systemctl`) as an oracle for the verbs and options kept from it. Fetched with
 * `apt-get download systemctl` and unpacked with `dpkg -x` (never installed: it would
 * replace systemd's systemctl) into `$SYSTEMCTL_REF_CACHE`, default
 * `/var/cache/deno-systemctl-test/ref-systemctl`; later runs reuse it. It runs as
 * `python3 <cache>/usr/bin/systemctl --root=DIR ...`.
 * @module
 */

import { dirname } from "node:path";

/** Where the unpacked package is cached. */
export function pyRefCacheDir(): string {
  return Deno.env.get("SYSTEMCTL_REF_CACHE") ?? "/var/cache/deno-systemctl-test/ref-systemctl";
}

/** The oracle's script, or why there is none (the caller prints it and skips). */
export type PyRef = { ok: true; script: string } | { ok: false; reason: string };

const dec = new TextDecoder();

async function run(cmd: string, args: string[], cwd?: string) {
  try {
    const out = await new Deno.Command(cmd, { args, cwd, stdin: "null" }).output();
    return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
  } catch (e) {
    return { code: 127, text: e instanceof Error ? e.message : String(e) };
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

let cached: Promise<PyRef> | undefined;

/** The unpacked oracle, downloaded once when missing (into a temporary folder, then renamed). */
export function ensurePyRef(): Promise<PyRef> {
  cached ??= fetchPyRef();
  return cached;
}

async function fetchPyRef(): Promise<PyRef> {
  const dir = pyRefCacheDir();
  const script = `${dir}/usr/bin/systemctl`;
  if (!isFile("/usr/bin/python3")) return { ok: false, reason: "python3 is not installed" };
  if (isFile(script)) return { ok: true, script };
  Deno.mkdirSync(dirname(dir), { recursive: true });
  const tmp = Deno.makeTempDirSync({ dir: dirname(dir), prefix: "ref-systemctl-" });
  try {
    const dl = await run("apt-get", ["download", "-q", "systemctl"], tmp);
    const deb = [...Deno.readDirSync(tmp)].find((e) => /^systemctl_.*\.deb$/.test(e.name));
    if (!deb) {
      return {
        ok: false,
        reason: `apt-get download systemctl failed: ${dl.text.trim().split("\n").at(-1)}`,
      };
    }
    const x = await run("dpkg", ["-x", `${tmp}/${deb.name}`, `${tmp}/x`]);
    if (x.code !== 0) return { ok: false, reason: `dpkg -x failed: ${x.text.trim()}` };
    try {
      Deno.renameSync(`${tmp}/x`, dir);
    } catch {
      // Another test run unpacked it at the same moment: use theirs.
      if (!isFile(script)) throw new Error(`cannot move the unpacked package to ${dir}`);
    }
    return { ok: true, script };
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
}

/** A finished run of either tool. */
export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the oracle with `--root=ROOT` and a fixed, minimal environment (Python adds
 * `LC_CTYPE` itself).
 */
export async function pyRef(script: string, root: string, args: string[]): Promise<ToolRun> {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [script, `--root=${root}`, ...args],
    clearEnv: true,
    env: { PATH: "/usr/bin:/bin" },
    stdin: "null",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
