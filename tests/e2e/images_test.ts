/**
 * One PID-1 end-to-end test, run on two image stand-ins (issue 19): a musl + busybox root with
 * no glibc at all (Alpine's make-up) and the Debian bookworm rootfs (glibc 2.36). For each:
 * install.sh --root into a directory that does not exist yet (a Dockerfile's build stage),
 * the result copied into the image (`COPY --from`), units enabled with the image's own
 * `systemctl` in a bare chroot, then our program booted as PID 1 of new PID, mount and
 * network namespaces (`_pid1.ts`). Checked: the web service answers on loopback; status,
 * is-active and restart work from inside; a `User=nobody` service with a limit (started by the
 * exec helper, through the bundled loader) runs as nobody with the limit, on the image's own
 * libc, with no `LD_` variable; PID 1 maps the bundled libc and no other; 300 orphans leave 0
 * zombies; SIGTERM ends it with exit 0 and nothing left. A second test boots the musl image
 * from a working directory that is gone.
 *
 * Needs root and namespaces; the musl image needs Debian's `musl` and `busybox-static`, the
 * bookworm one debootstrap (cached). Skips with a printed reason otherwise.
 * @module
 */

import assert from "node:assert/strict";
import { type Pid1, startPid1, type Step } from "./_pid1.ts";
import { namespaceSkipReason } from "./_pidns.ts";
import {
  addProbe,
  buildArtifact,
  type ImageKind,
  makeImage,
  mergeArtifact,
} from "../support/images.ts";
import { removeTree } from "../support/services_rootfs.ts";

const SKIP = await namespaceSkipReason();
if (SKIP) console.log(`ignored (image PID-1 tests): ${SKIP}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function show(step: Step): string {
  return `exit ${step.code}\n${step.stdout}${step.stderr}`;
}

async function until<T>(ms: number, probe: () => Promise<T | undefined>, every = 200) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined || Date.now() > deadline) return v;
    await sleep(every);
  }
}

let artifact: Promise<string> | undefined;

/** One artifact for every image, as one build stage feeds several images. */
function sharedArtifact(): Promise<string> {
  // Its directory is a tempDir(): removed when the module ends.
  artifact ??= buildArtifact();
  return artifact;
}

const UNITS: Record<string, string> = {
  "web.service": `[Unit]
Description=Probe web server

[Service]
ExecStart=/opt/probe/busybox httpd -f -p 127.0.0.1:8080 -h /srv/www

[Install]
WantedBy=multi-user.target
`,
  // Socket activation: libc socket/bind/listen/accept4 through the bundled libc.
  "probe.socket": `[Unit]
Description=Probe socket

[Socket]
ListenStream=127.0.0.1:7777
Accept=yes

[Install]
WantedBy=sockets.target
`,
  "probe@.service": `[Unit]
Description=Probe connection

[Service]
ExecStart=/opt/probe/busybox echo pong
StandardInput=socket
`,
  "nobody.service": `[Unit]
Description=Probe service as nobody

[Service]
ExecStart=/bin/sleep 3600
User=nobody
LimitNOFILE=123

[Install]
WantedBy=multi-user.target
`,
};

/** The image with our artifact, the probe and the units enabled, ready to boot. */
async function prepare(kind: ImageKind): Promise<{ root: string } | { skip: string }> {
  const image = await makeImage(kind);
  if (!image.ok) return { skip: image.reason };
  const root = image.dir;
  const noProbe = await addProbe(root);
  if (noProbe) {
    await removeTree(root);
    return { skip: noProbe };
  }
  await mergeArtifact(await sharedArtifact(), root);
  await Deno.mkdir(`${root}/srv/www`, { recursive: true });
  await Deno.writeTextFile(`${root}/srv/www/index.html`, `hello from ${kind}\n`);
  await Deno.mkdir(`${root}/etc/systemd/system`, { recursive: true });
  for (const [name, text] of Object.entries(UNITS)) {
    await Deno.writeTextFile(`${root}/etc/systemd/system/${name}`, text);
  }
  // The image's own systemctl, in a bare chroot (no /proc), as a Dockerfile's RUN line.
  const enable = await new Deno.Command("chroot", {
    args: [
      root,
      "/usr/bin/systemctl",
      "enable",
      ...Object.keys(UNITS).filter((u) => !u.includes("@")),
    ],
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    clearEnv: true,
  }).output();
  assert.equal(enable.code, 0, new TextDecoder().decode(enable.stderr));
  return { root };
}

async function showProp(ns: Pid1, unit: string, prop: string): Promise<string> {
  return (await ns.systemctl("show", unit, "-p", prop, "--value")).stdout.trim();
}

/** The unique shared objects a process maps (read inside the namespace). */
async function mappedObjects(ns: Pid1, pid: number): Promise<string[]> {
  const maps = await ns.exec(["/bin/cat", `/proc/${pid}/maps`]);
  assert.equal(maps.code, 0, show(maps));
  const paths = maps.stdout.split("\n").map((l) => l.split(/\s+/)[5] ?? "");
  return [...new Set(paths.filter((p) => /\.so(\.|$)/.test(p)))];
}

async function scenario(kind: ImageKind, t: Deno.TestContext): Promise<void> {
  const prepared = await prepare(kind);
  if ("skip" in prepared) {
    throw new Error(
      `prerequisite failed (the static checks passed): ${kind} image: ${prepared.skip}`,
    );
  }
  const { root } = prepared;
  const logDir = await Deno.makeTempDir({ prefix: "systemctl-image-log-" });
  let ns: Pid1 | undefined;
  try {
    if (kind === "musl") {
      // The stand-in holds no glibc but ours.
      const glibc = await new Deno.Command("find", {
        args: [root, "-name", "libc.so.6", "-not", "-path", "*/deno-systemctl/crt/*"],
      }).output();
      assert.equal(new TextDecoder().decode(glibc.stdout), "");
    }
    ns = await startPid1(root, `${logDir}/pid1.log`);
    const pid1 = ns;
    const why = () => `PID 1 log:\n${pid1.log()}`;
    let exited: Deno.CommandStatus | undefined;
    pid1.status.then((s) => exited = s);
    const state = await until(60_000, async () => {
      if (exited) return "exited";
      const s = (await pid1.systemctl("is-system-running")).stdout.trim();
      return s === "running" || s === "degraded" ? s : undefined;
    }, 250);
    assert.equal(state, "running", why());

    await t.step(`${kind}: the service answers on loopback`, async () => {
      const r = await pid1.exec([
        "/opt/probe/busybox",
        "wget",
        "-q",
        "-O",
        "-",
        "http://127.0.0.1:8080/",
      ]);
      assert.equal(r.stdout, `hello from ${kind}\n`, `${show(r)}\n${why()}`);
    });

    await t.step(`${kind}: a socket unit accepts on loopback; PID 1 is named systemd`, async () => {
      const r = await pid1.exec(["/opt/probe/busybox", "nc", "127.0.0.1", "7777"]);
      assert.equal(r.stdout, "pong\n", `${show(r)}\n${why()}`);
      const comm = await pid1.exec(["/bin/cat", "/proc/1/comm"]);
      assert.equal(comm.stdout, "systemd\n");
    });

    await t.step(`${kind}: status, is-active and restart work from inside`, async () => {
      const status = await pid1.systemctl("status", "--no-pager", "web.service");
      assert.equal(status.code, 0, show(status));
      assert.match(status.stdout, /Active: active \(running\) since /);
      assert.match(status.stdout, /Main PID: \d+ /);
      const active = await pid1.systemctl("is-active", "web.service", "nobody.service");
      assert.deepEqual(active.stdout.trim().split("\n"), ["active", "active"], show(active));
      assert.equal(active.code, 0);
      const before = Number(await showProp(pid1, "web.service", "MainPID"));
      const restart = await pid1.systemctl("restart", "web.service");
      assert.equal(restart.code, 0, show(restart));
      const after = Number(await showProp(pid1, "web.service", "MainPID"));
      assert.ok(after > 1 && after !== before, `MainPID ${before} -> ${after}`);
      const again = await until(10_000, async () => {
        const r = await pid1.exec([
          "/opt/probe/busybox",
          "wget",
          "-q",
          "-O",
          "-",
          "http://127.0.0.1:8080/",
        ]);
        return r.code === 0 ? r.stdout : undefined;
      });
      assert.equal(again, `hello from ${kind}\n`);
    });

    await t.step(
      `${kind}: the exec helper ran User= and limits; services run on the image's libc`,
      async () => {
        const pid = Number(await showProp(pid1, "nobody.service", "MainPID"));
        assert.ok(pid > 1, why());
        const status = await pid1.exec(["/bin/cat", `/proc/${pid}/status`]);
        assert.match(status.stdout, /^Uid:\s+65534\s/m, show(status));
        const limits = await pid1.exec(["/bin/cat", `/proc/${pid}/limits`]);
        assert.match(limits.stdout, /^Max open files\s+123\s+123\s/m, show(limits));
        for (const p of [pid, Number(await showProp(pid1, "web.service", "MainPID"))]) {
          const environ = await pid1.exec(["/bin/cat", `/proc/${p}/environ`]);
          assert.equal(environ.code, 0, show(environ));
          const vars = environ.stdout.split("\0").filter((v) => /^(LD_|SYSTEMCTL_)/.test(v));
          assert.deepEqual(vars, [], `pid ${p}`);
          const objects = await mappedObjects(pid1, p);
          assert.deepEqual(objects.filter((o) => o.includes("/deno-systemctl/")), [], `pid ${p}`);
        }
        if (kind === "bookworm") {
          // A dynamic service (coreutils' sleep) on the image's glibc.
          assert.ok(
            (await mappedObjects(pid1, pid)).some((o) =>
              /\/lib\/x86_64-linux-gnu\/libc\.so\.6$|\/libc\.so\.6$/.test(o)
            ),
          );
        }
        // PID 1 itself: the bundled C runtime and nothing of the image's.
        const own = await mappedObjects(pid1, 1);
        assert.ok(own.includes("/usr/lib/deno-systemctl/crt/libc.so.6"), own.join("\n"));
        assert.deepEqual(own.filter((o) => !o.startsWith("/usr/lib/deno-systemctl/crt/")), []);
        const environ = await pid1.exec(["/bin/cat", "/proc/1/environ"]);
        assert.deepEqual(environ.stdout.split("\0").filter((v) => /^LD_/.test(v)), []);
      },
    );

    await t.step(`${kind}: 300 orphans leave 0 zombies`, async () => {
      // nobody.service's own sleep is PID 1's child too: not an orphan.
      const services = new Set(pid1.members().filter((p) => p.comm === "sleep").map((p) => p.pid));
      const burst = await pid1.exec([
        "/bin/sh",
        "-c",
        'i=0; while [ $i -lt 300 ]; do (sleep 0.1 &); i=$((i + 1)); done; echo "$i"',
      ], 60_000);
      assert.equal(burst.stdout.trim(), "300", show(burst));
      let left: string[] = [];
      await until(5_000, () => {
        left = pid1.members()
          .filter((p) =>
            p.state === "Z" || (p.comm === "sleep" && p.ppid === pid1.pid && !services.has(p.pid))
          )
          .map((p) => `${p.pid} ${p.comm} ${p.state}`);
        return Promise.resolve(left.length === 0 ? true : undefined);
      }, 100);
      assert.deepEqual(left, [], "zombies or orphans left 5 s after the burst");
    });

    await t.step(`${kind}: SIGTERM ends it with exit 0 and nothing left`, async () => {
      Deno.kill(pid1.pid, "SIGTERM");
      const s = await until(30_000, () => Promise.resolve(exited), 50);
      assert.ok(s, `PID 1 did not exit within 30 s of SIGTERM\n${why()}`);
      assert.equal(s.signal, null, why());
      assert.equal(s.code, 0, why());
      assert.deepEqual(pid1.members(), [], "processes left in the namespace");
      assert.match(pid1.log(), /Stopped Probe web server\./, why());
      assert.match(pid1.log(), /Stopped Probe service as nobody\./, why());
    });
  } finally {
    if (ns) await ns.kill();
    await removeTree(root);
    await removeTree(logDir);
  }
}

for (const kind of ["musl", "bookworm"] as const) {
  Deno.test({
    name: `PID 1 in a ${kind} image: installed into a new directory, boots, serves, reaps, stops`,
    ignore: SKIP !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: (t) => scenario(kind, t),
  });
}

Deno.test({
  name: "PID 1 in the musl image boots from a working directory that is gone",
  ignore: SKIP !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const prepared = await prepare("musl");
    if ("skip" in prepared) {
      throw new Error(`prerequisite failed (the static checks passed): ${prepared.skip}`);
    }
    const { root } = prepared;
    const logDir = await Deno.makeTempDir({ prefix: "systemctl-image-log-" });
    let ns: Pid1 | undefined;
    try {
      // The shell that becomes PID 1 removes its working directory, then execs our launcher.
      ns = await startPid1(root, `${logDir}/pid1.log`, [
        "/bin/sh",
        "-c",
        "mkdir /gone && cd /gone && rmdir /gone && exec /usr/bin/systemctl",
      ]);
      const pid1 = ns;
      const state = await until(60_000, async () => {
        const s = (await pid1.systemctl("is-system-running")).stdout.trim();
        return s === "running" || s === "degraded" ? s : undefined;
      }, 250);
      assert.equal(state, "running", pid1.log());
      const cwd = await pid1.exec(["/bin/readlink", "/proc/1/cwd"]);
      assert.equal(cwd.stdout.trim(), "/");
      assert.doesNotMatch(pid1.log(), /Failed getting cwd|Stack backtrace/);
      Deno.kill(pid1.pid, "SIGTERM");
      const s = await pid1.status;
      assert.equal(s.code, 0, pid1.log());
    } finally {
      if (ns) await ns.kill();
      await removeTree(root);
      await removeTree(logDir);
    }
  },
});
