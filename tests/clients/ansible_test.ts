/**
 * Ansible (Debian's ansible-core) drives our program as it drives systemd: a playbook with
 * `connection: local` runs twice inside a private copy of this host (see
 * `tests/support/ansible_ns.ts`) whose PID 1 is our init and whose `/usr/bin/systemctl` is
 * our program. It uses `service`, `systemd_service` (started, stopped, restarted, reloaded,
 * enabled, masked, daemon_reload) and `service_facts` on Debian's nginx, redis-server and
 * memcached and on a template instance. The first run changes what it must, the second
 * changes nothing, and the facts and our own answers agree with what runs.
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ansibleSkipReason,
  CLIENT_FIXTURES,
  type ClientNamespace,
  type PlaybookRun,
  sourceLauncher,
  startClientNamespace,
} from "../support/ansible_ns.ts";

const skip = await ansibleSkipReason();
if (skip) console.log(`ansible_test: ignored: ${skip}`);

async function waitRunning(ns: ClientNamespace): Promise<string> {
  let state = "";
  // A bound for a loaded machine (two minutes), not an expected duration.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    state = (await ns.systemctl("is-system-running")).stdout.trim();
    if (state === "running" || state === "degraded") return state;
    await new Promise((r) => setTimeout(r, 100));
  }
  return state;
}

function show(run: PlaybookRun): string {
  const tasks = run.tasks.map((t) =>
    `${t.failed ? "FAILED" : t.changed ? "changed" : "ok"}: ${t.name}${t.msg ? ` (${t.msg})` : ""}`
  );
  return `exit ${run.code}\n${tasks.join("\n")}\n${run.stderr.slice(-2000)}`;
}

function changedTasks(run: PlaybookRun): string[] {
  return run.tasks.filter((t) => t.changed).map((t) => t.name).sort();
}

Deno.test({
  name: "an Ansible playbook drives nginx, redis and a template instance, and runs idempotently",
  ignore: skip !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const ns = await startClientNamespace({ systemctl: sourceLauncher(), pid1: "init" });
    let pid1Log = "";
    try {
      assert.match(await waitRunning(ns), /^(running|degraded)$/, ns.log());
      // What Ansible reads to pick systemd: PID 1's name (our init renames itself).
      assert.equal((await ns.exec(["cat", "/proc/1/comm"])).stdout.trim(), "systemd");
      // A second instance already runs before the play, so that `state: stopped` has work.
      const pre = await ns.exec([
        "sh",
        "-c",
        `cp '${join(CLIENT_FIXTURES, "clients-web@.service")}' /etc/systemd/system/ && ` +
        "systemctl start clients-web@8082.service && systemctl is-active clients-web@8082",
      ]);
      assert.equal(pre.stdout.trim(), "active", pre.stderr);

      const first = await ns.playbook("1");
      assert.equal(first.code, 0, show(first));
      assert.equal(first.facts?.service_mgr, "systemd");
      assert.deepEqual(changedTasks(first), [
        "A drop-in for redis",
        "A template instance runs and is enabled",
        "An nginx site on port 8080",
        "Another instance is stopped",
        "Reload nginx",
        "Restart redis",
        "The drop-in directory of redis",
        "memcached is masked",
        "nginx runs and is enabled",
        "redis runs but is not enabled",
      ], show(first));
      assert.ok(first.tasks.some((t) => t.name === "Reload units"), show(first));

      const second = await ns.playbook("2");
      assert.equal(second.code, 0, show(second));
      assert.deepEqual(changedTasks(second), [], show(second));
      assert.equal(second.stats?.changed, 0, show(second));

      const services = second.facts!.services;
      assert.deepEqual(services["nginx.service"], {
        name: "nginx.service",
        state: "running",
        status: "enabled",
        source: "systemd",
      });
      assert.deepEqual(services["redis-server.service"], {
        name: "redis-server.service",
        state: "running",
        status: "disabled",
        source: "systemd",
      });
      assert.deepEqual(services["clients-web@8081.service"], {
        name: "clients-web@8081.service",
        state: "running",
        status: "active",
        source: "systemd",
      });
      assert.deepEqual(services["memcached.service"], {
        name: "memcached.service",
        state: "stopped",
        status: "masked",
        source: "systemd",
      });
      assert.equal(services["clients-web@.service"]?.status, "indirect");

      // Our own answers agree with what Ansible saw.
      const active = await ns.systemctl(
        "is-active",
        "nginx",
        "redis-server",
        "clients-web@8081",
        "clients-web@8082",
        "memcached",
      );
      assert.equal(active.stdout, "active\nactive\nactive\ninactive\ninactive\n");
      const enabled = await ns.systemctl(
        "is-enabled",
        "nginx",
        "redis-server",
        "clients-web@8081",
        "memcached",
      );
      assert.equal(enabled.stdout, "enabled\ndisabled\nenabled\nmasked\n");

      // Stop what the play started; nothing of it may be left.
      const stop = await ns.systemctl("stop", "nginx", "redis-server", "clients-web@8081");
      assert.equal(stop.code, 0, stop.stderr);
      assert.deepEqual(ns.processes().filter((p) => !/ (nsenter|systemctl|deno)$/.test(p)), []);
    } finally {
      pid1Log = ns.log();
      const status = await ns.close();
      assert.equal(status.code, 0, pid1Log);
    }
  },
});
