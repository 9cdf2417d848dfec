/**
 * The README's recipe for PID 1 without Docker, run exactly as written: `scripts/pid1-chroot.sh`
 * on a copy of the cached bookworm rootfs (`../support/rootfs.ts`) with our program installed
 * by install.sh. A small package (built here with dpkg-deb, so no mirror is needed) ships a
 * service whose postinst does what debhelper's does: enable it, and start it when
 * /run/systemd/system exists. `install` must leave it stopped (policy-rc.d), `boot` must start
 * it as an enabled unit with our program as PID 1, answering on the namespace's loopback, and
 * `enter … systemctl poweroff` must end the boot with exit 0.
 * @module
 */

import assert from "node:assert/strict";
import { copyTree, installInto, pidNamespace, run, type Step } from "./_pid1.ts";
import { namespaceSkipReason } from "./_pidns.ts";
import { ensureRootfs } from "../support/rootfs.ts";
import { removeTree } from "../support/services_rootfs.ts";

const SCRIPT = new URL("../../scripts/pid1-chroot.sh", import.meta.url).pathname;
const NAME = "the README's PID-1 recipe boots an apt-installed service in a chroot, no Docker";
const SKIP = await namespaceSkipReason();
if (SKIP) console.log(`skipped: ${NAME}: ${SKIP}`);

const SERVE = `use IO::Socket::INET;
$| = 1;
open(my $log, ">>", "/var/lib/pid1-demo/starts") or die "starts: $!";
print $log "started\\n";
close($log);
my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:8089", Listen => 5, ReuseAddr => 1)
  or die "listen: $!";
print "listening on 127.0.0.1:8089\\n";
while (my $c = $s->accept) { print $c "pid1-demo\\n"; close($c); }
`;

const UNIT = `[Unit]
Description=PID-1 recipe demo

[Service]
ExecStart=/usr/bin/perl /usr/lib/pid1-demo/serve.pl

[Install]
WantedBy=multi-user.target
`;

// What debhelper's postinst snippets do for a unit with [Install].
const POSTINST = `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  deb-systemd-helper enable pid1-demo.service
  if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload
    deb-systemd-invoke start pid1-demo.service
  fi
fi
`;

const CONTROL = `Package: pid1-demo
Version: 1.0
Architecture: all
Maintainer: deno-systemctl tests <root@localhost>
Depends: perl-base
Description: a service for the PID-1 chroot recipe test
`;

/** Builds pid1-demo_1.0_all.deb in `dir`; returns its path. */
async function buildPackage(dir: string): Promise<string> {
  const tree = `${dir}/pkg`;
  const files: Record<string, [string, number]> = {
    "DEBIAN/control": [CONTROL, 0o644],
    "DEBIAN/postinst": [POSTINST, 0o755],
    "lib/systemd/system/pid1-demo.service": [UNIT, 0o644],
    "usr/lib/pid1-demo/serve.pl": [SERVE, 0o644],
  };
  for (const [path, [text, mode]] of Object.entries(files)) {
    const full = `${tree}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, text);
    await Deno.chmod(full, mode);
  }
  await Deno.mkdir(`${tree}/var/lib/pid1-demo`, { recursive: true });
  const deb = `${dir}/pid1-demo_1.0_all.deb`;
  const built = await run("dpkg-deb", ["--root-owner-group", "--build", tree, deb]);
  assert.equal(built.code, 0, show(built));
  return deb;
}

function show(step: Step): string {
  return `exit ${step.code}\n${step.stdout}${step.stderr}`;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The host PID of the namespace's PID 1 running in `root`, if one runs. */
function pid1In(root: string): number | undefined {
  for (const e of Deno.readDirSync("/proc")) {
    const pid = Number(e.name);
    if (!Number.isInteger(pid)) continue;
    try {
      if (Deno.readLinkSync(`/proc/${pid}/root`) !== root) continue;
      const nspid = /^NSpid:\s+(.*)$/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[1];
      if (nspid?.trim().split(/\s+/).at(-1) === "1") return pid;
    } catch { /* gone */ }
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name: NAME,
  ignore: SKIP !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const base = await ensureRootfs();
    if (!base.ok) {
      console.log(`skipped: ${NAME}: ${base.reason}`);
      return;
    }
    const root = await copyTree(base.dir);
    const work = await Deno.makeTempDir({ prefix: "systemctl-pid1-pkg-" });
    let boot: Deno.ChildProcess | undefined;
    try {
      const install = await installInto(root);
      assert.equal(install.code, 0, `install.sh failed:\n${show(install)}`);
      await Deno.copyFile(await buildPackage(work), `${root}/tmp/pid1-demo.deb`);
      // An image where our systemctl has run leaves /run/systemd/system (the canary tools
      // check), so the postinst goes on to start the service: policy-rc.d must stop that.
      await Deno.mkdir(`${root}/run/systemd/system`, { recursive: true });

      const apt = await run("sh", [SCRIPT, "install", root, "/tmp/pid1-demo.deb"], 300_000);
      assert.equal(apt.code, 0, show(apt));
      assert.match(
        apt.stdout + apt.stderr,
        /policy-rc\.d returned 101, not running 'start pid1-demo\.service'/,
        show(apt),
      );
      assert.ok(!exists(`${root}/usr/sbin/policy-rc.d`), "the recipe leaves policy-rc.d behind");
      assert.ok(!exists(`${root}/var/lib/pid1-demo/starts`), "the service ran during install");
      assert.ok(
        exists(`${root}/etc/systemd/system/multi-user.target.wants/pid1-demo.service`),
        "the postinst did not enable the service",
      );

      boot = new Deno.Command("sh", {
        args: [SCRIPT, "boot", root],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const ended = boot.output();
      let pid1: number | undefined;
      let active: Step | undefined;
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        pid1 ??= pid1In(root);
        if (pid1 !== undefined) {
          active = await run("sh", [SCRIPT, "enter", root, "systemctl", "is-active", "pid1-demo"]);
          if (active.stdout.trim() === "active") break;
        }
        await sleep(250);
      }
      assert.equal(active?.stdout.trim(), "active", active && show(active));
      assert.ok(pid1 !== undefined && pidNamespace(pid1) !== pidNamespace(Deno.pid));
      assert.equal(await Deno.readTextFile(`/proc/${pid1}/comm`), "systemd\n");

      // The service answers on the loopback interface of the boot's own network namespace.
      const perl = 'print IO::Socket::INET->new("127.0.0.1:8089")->getline';
      let answer: Step | undefined;
      for (let i = 0; i < 40; i++) {
        answer = await run("sh", [
          SCRIPT,
          "enter",
          root,
          "perl",
          "-MIO::Socket::INET",
          "-e",
          perl,
        ]);
        if (answer.stdout === "pid1-demo\n") break;
        await sleep(250);
      }
      assert.equal(answer?.stdout, "pid1-demo\n", answer && show(answer));
      assert.equal(await Deno.readTextFile(`${root}/var/lib/pid1-demo/starts`), "started\n");

      const off = await run("sh", [SCRIPT, "enter", root, "systemctl", "poweroff"]);
      assert.equal(off.code, 0, show(off));
      const out = await Promise.race([ended, sleep(60_000).then(() => undefined)]);
      assert.ok(out, "the boot did not end after poweroff");
      const log = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, log);
      assert.match(log, /^pid1-demo\.service: listening on 127\.0\.0\.1:8089$/m, log);
      assert.equal(pid1In(root), undefined, "PID 1 still runs");
    } finally {
      const left = pid1In(root);
      if (left !== undefined) Deno.kill(left, "SIGKILL"); // the whole namespace goes with it
      if (boot) await boot.status.catch(() => {});
      await removeTree(root);
      await Deno.remove(work, { recursive: true });
    }
  },
});
