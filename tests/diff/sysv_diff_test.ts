/**
 * Differential test of the SysV side of enable, disable and is-enabled.
 * systemd 252 hands `/etc/init.d` scripts to systemd-sysv-install, which on
 * Debian runs `update-rc.d` inside the root through chroot; so systemd runs
 * on a copy of a debootstrap bookworm rootfs, we run on a copy of its /etc
 * and unit directories, and stdout, exit codes and the links under /etc must
 * come out the same after each step. Needs root (chroot) and the rootfs;
 * skips with the reason printed elsewhere.
 */

import assert from "node:assert/strict";
import { copyRootfs, ensureRootfs, isRoot, rootfsSkipReason } from "../support/rootfs.ts";
import { linksOf } from "../support/links.ts";

const MOD = new URL("../../mod.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

function systemdReason(): string | undefined {
  if (!isRoot()) return "chroot into the rootfs needs root";
  try {
    const out = new Deno.Command("/usr/bin/systemctl", { args: ["--version"], stdout: "piped" })
      .outputSync();
    const first = decoder.decode(out.stdout).split("\n")[0];
    if (!/^systemd 252\b/.test(first)) return `/usr/bin/systemctl is not systemd 252 (${first})`;
  } catch (e) {
    return `/usr/bin/systemctl cannot run: ${e instanceof Error ? e.message : e}`;
  }
  try {
    Deno.statSync("/lib/systemd/systemd-sysv-install");
  } catch {
    return "systemd's /lib/systemd/systemd-sysv-install is missing";
  }
  return undefined;
}

function lsb(start: string, stop: string): string {
  return [
    "#!/bin/sh",
    "### BEGIN INIT INFO",
    "# Provides:          x",
    "# Required-Start:    $remote_fs",
    "# Required-Stop:     $remote_fs",
    `# Default-Start:     ${start}`,
    `# Default-Stop:      ${stop}`,
    "# Short-Description: test script",
    "### END INIT INFO",
    'echo "$1"',
    "",
  ].join("\n");
}

/** The scripts and units both roots get. */
function populate(root: string): void {
  const script = (name: string, text: string) => {
    Deno.writeTextFileSync(`${root}/etc/init.d/${name}`, text);
    Deno.chmodSync(`${root}/etc/init.d/${name}`, 0o755);
  };
  Deno.mkdirSync(`${root}/etc/init.d`, { recursive: true });
  script("alpha", lsb("2 3 4 5", "0 1 6"));
  script("beta", lsb("2 3 4 5", "0 1 6"));
  script("gamma", "#!/bin/sh\necho no header\n");
  script("delta", lsb("S", ""));
  script("eps", lsb("2 3 4 5", "0 1 6"));
  Deno.mkdirSync(`${root}/etc/systemd/system`, { recursive: true });
  Deno.writeTextFileSync(
    `${root}/etc/systemd/system/beta.service`,
    "[Unit]\nDescription=beta\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
  );
  // eps already has links from an earlier `update-rc.d eps defaults`, one level disabled.
  for (const [dir, name] of [["rc2.d", "S01eps"], ["rc3.d", "K01eps"], ["rc5.d", "S01eps"]]) {
    Deno.mkdirSync(`${root}/etc/${dir}`, { recursive: true });
    Deno.symlinkSync("../init.d/eps", `${root}/etc/${dir}/${name}`);
  }
}

interface Outcome {
  out: string;
  err: string;
  code: number;
}

function run(cmd: string[]): Outcome {
  const r = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: "/tmp",
    stdout: "piped",
    stderr: "piped",
    env: { SYSTEMD_PAGER: "", SYSTEMD_COLORS: "0" },
  }).outputSync();
  return { out: decoder.decode(r.stdout), err: decoder.decode(r.stderr), code: r.code };
}

const STEPS: string[][] = [
  ["is-enabled", "alpha"],
  ["enable", "alpha"],
  ["is-enabled", "alpha"],
  ["disable", "alpha"],
  ["is-enabled", "alpha"],
  ["enable", "alpha.service"],
  ["is-enabled", "-q", "alpha"],
  ["enable", "beta"],
  ["is-enabled", "beta"],
  ["disable", "beta"],
  ["is-enabled", "beta", "alpha"],
  ["enable", "gamma"],
  ["is-enabled", "gamma"],
  ["enable", "delta"],
  ["is-enabled", "delta"],
  ["disable", "delta"],
  ["is-enabled", "delta"],
  ["is-enabled", "eps"],
  ["disable", "eps"],
  ["is-enabled", "eps"],
  ["enable", "eps"],
  ["is-enabled", "eps"],
];

const SKIP = systemdReason() ?? await rootfsSkipReason();
if (SKIP) console.log(`skipping SysV differential test: ${SKIP}`);

Deno.test({
  name: "SysV scripts: enable, disable and is-enabled leave the rc links systemd 252 leaves",
  ignore: SKIP !== undefined,
  async fn() {
    const rootfs = await ensureRootfs();
    if (!rootfs.ok) throw new Error(`no rootfs: ${rootfs.reason}`);
    const a = await copyRootfs(rootfs.dir);
    const b = await Deno.makeTempDir({ prefix: "sysvdiff-" });
    try {
      populate(a);
      assert.equal(run(["cp", "-a", `${a}/etc`, `${b}/etc`]).code, 0);
      for (const step of STEPS) {
        const what = `systemctl ${step.join(" ")}`;
        const real = run(["/usr/bin/systemctl", `--root=${a}`, ...step]);
        const ours = run([Deno.execPath(), "run", "-A", MOD, `--root=${b}`, ...step]);
        assert.equal(ours.out, real.out, `stdout of ${what}`);
        assert.equal(ours.code, real.code, `exit code of ${what} (systemd said: ${real.err})`);
        assert.deepEqual(linksOf(b, "/etc"), linksOf(a, "/etc"), `links after ${what}`);
        // Both announce the SysV hand-over the same way on stderr (the rest of it differs:
        // systemd names its helper, update-rc.d its own errors).
        const announce = (s: string) =>
          s.split("\n").filter((l) => /is not a native service|^Synchronizing state/.test(l))
            .map((l) => l.replace(/,? (redirecting to|with) .*$/, ""));
        if (!step.includes("-q")) {
          assert.deepEqual(announce(ours.err), announce(real.err), `stderr of ${what}`);
        }
      }
    } finally {
      await Deno.remove(a, { recursive: true });
      await Deno.remove(b, { recursive: true });
    }
  },
});
