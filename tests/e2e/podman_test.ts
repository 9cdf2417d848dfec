/**
 * A real container runtime (issue 19): podman runs images whose init is our program.
 *
 * 1. The bookworm rootfs with nginx and redis-server installed by apt (the cached services
 *    rootfs of `../support/services_rootfs.ts`) plus our install (install.sh --root into a new
 *    directory, copied in), the two enabled (mariadb, also installed there, disabled), and a
 *    unit that writes to its stdout, imported with `podman import --change 'CMD
 *    ["/usr/bin/systemctl"]' --change 'STOPSIGNAL SIGTERM'` and run with `podman run -d`.
 *    Checked: the services answer on loopback inside the container; `podman exec … systemctl
 *    status/is-active/restart/list-units` work; `podman logs` shows the boot and a service's
 *    own output; 300 orphans are reaped; `podman stop` ends it with exit code 0, every
 *    service stopped in the log; `podman restart` (the same container and file system, with
 *    the previous run's records under /run/systemctl) boots again with new processes.
 * 2. The musl + busybox stand-in (`../support/images.ts`) under podman: boots, serves,
 *    `systemctl status` through `podman exec`, `podman stop` exits 0.
 *
 * The podman harness (`../support/podman.ts`) keeps a private store and removes what it made.
 * Ignored, with the reason, where podman cannot run a container.
 * @module
 */

import assert from "node:assert/strict";
import { openPodman, type Podman, podmanSkipReason, type PodmanStep } from "../support/podman.ts";
import { addProbe, buildArtifact, makeImage, mergeArtifact } from "../support/images.ts";
import { ensureServicesRootfs, removeTree } from "../support/services_rootfs.ts";
import { copyTree, namespaceMembers, pidNamespace } from "./_pid1.ts";

const SKIP = await podmanSkipReason();
if (SKIP) console.log(`ignored (podman tests): ${SKIP}`);

const CHANGES = ['CMD ["/usr/bin/systemctl"]', "STOPSIGNAL SIGTERM"];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function show(step: PodmanStep): string {
  return `exit ${step.code}\n${step.stdout}${step.stderr}`;
}

async function until<T>(ms: number, probe: () => Promise<T | undefined>, every = 250) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined || Date.now() > deadline) return v;
    await sleep(every);
  }
}

let artifact: Promise<string> | undefined;

function sharedArtifact(): Promise<string> {
  // Its directory is a tempDir(): removed when the module ends.
  artifact ??= buildArtifact();
  return artifact;
}

/** Waits until the init in the container reports a finished boot; returns the state. */
async function booted(pm: Podman, name: string): Promise<string | undefined> {
  return await until(120_000, async () => {
    const r = await pm.exec(name, ["/usr/bin/systemctl", "is-system-running"]);
    const s = r.stdout.trim();
    return s === "running" || s === "degraded" ? s : undefined;
  });
}

/** The container's processes as the host sees them (its PID namespace). */
async function members(pm: Podman, name: string) {
  const pid = await pm.pid(name);
  const ns = pid ? pidNamespace(pid) : undefined;
  return ns ? { pid, list: namespaceMembers(ns) } : { pid, list: [] };
}

const HELLO = `[Unit]
Description=Hello writer

[Service]
ExecStart=/bin/sh -c 'echo "hello from a service"; exec sleep infinity'

[Install]
WantedBy=multi-user.target
`;

Deno.test({
  name:
    "podman runs the bookworm image with nginx and redis: serves, exec, logs, reaps, stop, restart",
  ignore: SKIP !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const rootfs = await ensureServicesRootfs();
    if (!rootfs.ok) {
      throw new Error(`prerequisite failed (the static checks passed): ${rootfs.reason}`);
    }
    const root = await copyTree(rootfs.dir);
    const pm = await openPodman();
    try {
      await mergeArtifact(await sharedArtifact(), root);
      await Deno.writeTextFile(`${root}/etc/systemd/system/hello.service`, HELLO);
      const systemctl = `${root}/usr/bin/systemctl`;
      for (const args of [["enable", "nginx", "redis-server", "hello"], ["disable", "mariadb"]]) {
        const r = await new Deno.Command(systemctl, { args: [`--root=${root}`, ...args] }).output();
        assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
      }
      const image = await pm.importRoot(root, "bookworm-services", CHANGES);
      const config = await pm.podman([
        "image",
        "inspect",
        "--format",
        "{{.Config.Cmd}} {{.Config.StopSignal}}",
        image,
      ]);
      // podman shows the stop signal by number.
      assert.match(config.stdout.trim(), /^\[\/usr\/bin\/systemctl\] (SIGTERM|15)$/);
      const name = await pm.run(image, "deno-systemctl-test-services");
      const why = async () => `podman logs:\n${await pm.logs(name)}`;
      assert.equal(await booted(pm, name), "running", await why());

      await t.step("nginx and redis-server answer on loopback inside the container", async () => {
        const nginx = await until(20_000, async () => {
          const r = await pm.exec(name, [
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "http://127.0.0.1/",
          ]);
          return r.stdout === "200" ? r : undefined;
        });
        assert.ok(nginx, await why());
        const redis = await pm.exec(name, ["redis-cli", "-h", "127.0.0.1", "ping"]);
        assert.equal(redis.stdout.trim(), "PONG", show(redis));
      });

      await t.step(
        "podman exec systemctl status, is-active, restart and list-units work",
        async () => {
          const status = await pm.exec(name, ["systemctl", "status", "--no-pager", "nginx"]);
          assert.equal(status.code, 0, show(status));
          assert.match(status.stdout, /Active: active \(running\) since /);
          const active = await pm.exec(name, [
            "systemctl",
            "is-active",
            "nginx",
            "redis-server",
            "hello",
          ]);
          assert.deepEqual(
            active.stdout.trim().split("\n"),
            ["active", "active", "active"],
            show(active),
          );
          const mainPid = async () =>
            (await pm.exec(name, ["systemctl", "show", "redis-server", "-p", "MainPID", "--value"]))
              .stdout.trim();
          const before = await mainPid();
          const restart = await pm.exec(name, ["systemctl", "restart", "redis-server"]);
          assert.equal(restart.code, 0, show(restart));
          const after = await mainPid();
          assert.ok(Number(after) > 1 && after !== before, `${before} -> ${after}`);
          const list = await pm.exec(name, [
            "systemctl",
            "list-units",
            "--no-pager",
            "--type=service",
          ]);
          assert.equal(list.code, 0, show(list));
          for (const unit of ["nginx", "redis-server", "hello"]) {
            assert.match(
              list.stdout,
              new RegExp(`^\\s*${unit}\\.service\\s+loaded\\s+active\\s+running`, "m"),
            );
          }
        },
      );

      await t.step("podman logs shows the boot and a service's own output", async () => {
        const logs = await pm.logs(name);
        assert.match(logs, /Started A high performance web server/, logs);
        assert.match(logs, /Started Advanced key-value store/, logs);
        assert.match(logs, /Startup finished in /, logs);
        assert.match(logs, /hello\.service: hello from a service/, logs);
      });

      await t.step("300 orphans are reaped", async () => {
        const before = await members(pm, name);
        // hello.service's own `sleep infinity` is PID 1's child too: not an orphan.
        const services = new Set(before.list.filter((p) => p.comm === "sleep").map((p) => p.pid));
        const burst = await pm.exec(name, [
          "/bin/sh",
          "-c",
          'i=0; while [ $i -lt 300 ]; do (sleep 0.1 &); i=$((i + 1)); done; echo "$i"',
        ], 120_000);
        assert.equal(burst.stdout.trim(), "300", show(burst));
        let left: string[] = [];
        await until(5_000, async () => {
          left = (await members(pm, name)).list
            .filter((p) =>
              p.state === "Z" ||
              (p.comm === "sleep" && p.ppid === before.pid && !services.has(p.pid))
            )
            .map((p) => `${p.pid} ${p.comm} ${p.state}`);
          return left.length === 0 ? true : undefined;
        }, 100);
        assert.deepEqual(left, [], "zombies or orphans 5 s after the burst");
      });

      await t.step("podman stop ends it with exit code 0, every service stopped", async () => {
        const stop = await pm.stop(name, 30);
        assert.equal(stop.code, 0, show(stop));
        assert.equal(await pm.inspect(name, "{{.State.ExitCode}}"), "0", await why());
        const logs = await pm.logs(name);
        for (
          const d of ["A high performance web server", "Advanced key-value store", "Hello writer"]
        ) {
          const stopping = logs.lastIndexOf(`Stopping ${d}`);
          const stopped = logs.lastIndexOf(`Stopped ${d}`);
          assert.ok(stopped > 0, `no "Stopped ${d}" in:\n${logs}`);
          assert.ok(stopping < stopped, `"Stopping ${d}" after "Stopped"`);
        }
      });

      await t.step(
        "podman restart boots again and ignores the previous run's records",
        async () => {
          // The previous run's records are still in the container's file system (/run is not a
          // tmpfs in a podman container whose command is not systemd).
          const r = await pm.podman(["start", name]);
          assert.equal(r.code, 0, show(r));
          assert.equal(await booted(pm, name), "running", await why());
          const nginx = await until(20_000, async () => {
            const c = await pm.exec(name, [
              "curl",
              "-sS",
              "-o",
              "/dev/null",
              "-w",
              "%{http_code}",
              "http://127.0.0.1/",
            ]);
            return c.stdout === "200" ? c : undefined;
          });
          assert.ok(nginx, await why());
          const show2 = await pm.exec(name, [
            "systemctl",
            "show",
            "nginx",
            "-p",
            "MainPID",
            "-p",
            "NRestarts",
            "-p",
            "ActiveState",
          ]);
          assert.match(show2.stdout, /^ActiveState=active$/m, show(show2));
          // A stale main PID of the first run would not be a live nginx master here.
          const pid = show2.stdout.match(/^MainPID=(\d+)$/m)?.[1];
          const comm = await pm.exec(name, ["cat", `/proc/${pid}/comm`]);
          assert.equal(comm.stdout.trim(), "nginx", show(comm));
          const again = await pm.podman(["restart", "-t", "30", name], 120_000);
          assert.equal(again.code, 0, show(again));
          assert.equal(await booted(pm, name), "running", await why());
          const stop = await pm.stop(name, 30);
          assert.equal(stop.code, 0, show(stop));
          assert.equal(await pm.inspect(name, "{{.State.ExitCode}}"), "0", await why());
        },
      );
    } finally {
      await pm.cleanup();
      await removeTree(root);
    }
  },
});

Deno.test({
  name: "podman runs the musl image: boots, serves, exec systemctl, stop exits 0",
  ignore: SKIP !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const image = await makeImage("musl");
    if (!image.ok) {
      throw new Error(`prerequisite failed (the static checks passed): ${image.reason}`);
    }
    const root = image.dir;
    const pm = await openPodman();
    try {
      const noProbe = await addProbe(root);
      assert.equal(noProbe, undefined);
      await mergeArtifact(await sharedArtifact(), root);
      await Deno.mkdir(`${root}/srv/www`, { recursive: true });
      await Deno.writeTextFile(`${root}/srv/www/index.html`, "hello from musl under podman\n");
      await Deno.mkdir(`${root}/etc/systemd/system`, { recursive: true });
      await Deno.writeTextFile(
        `${root}/etc/systemd/system/web.service`,
        "[Unit]\nDescription=Probe web server\n[Service]\n" +
          "ExecStart=/opt/probe/busybox httpd -f -p 127.0.0.1:8080 -h /srv/www\n" +
          "[Install]\nWantedBy=multi-user.target\n",
      );
      const enable = await new Deno.Command("chroot", {
        args: [root, "/usr/bin/systemctl", "enable", "web.service"],
        env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
        clearEnv: true,
      }).output();
      assert.equal(enable.code, 0, new TextDecoder().decode(enable.stderr));
      const ref = await pm.importRoot(root, "musl", CHANGES);
      const name = await pm.run(ref, "deno-systemctl-test-musl");
      const why = async () => `podman logs:\n${await pm.logs(name)}`;
      assert.equal(await booted(pm, name), "running", await why());
      const page = await until(20_000, async () => {
        const r = await pm.exec(name, [
          "/opt/probe/busybox",
          "wget",
          "-q",
          "-O",
          "-",
          "http://127.0.0.1:8080/",
        ]);
        return r.code === 0 ? r.stdout : undefined;
      });
      assert.equal(page, "hello from musl under podman\n", await why());
      const status = await pm.exec(name, ["systemctl", "status", "--no-pager", "web"]);
      assert.match(status.stdout, /Active: active \(running\) since /, show(status));
      const stop = await pm.stop(name, 30);
      assert.equal(stop.code, 0, show(stop));
      assert.equal(await pm.inspect(name, "{{.State.ExitCode}}"), "0", await why());
      assert.match(await pm.logs(name), /Stopped Probe web server\./);
    } finally {
      await pm.cleanup();
      await removeTree(root);
    }
  },
});
