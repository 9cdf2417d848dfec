/**
 * Debian's packaged services driven through their shipped unit files, each in a fresh PID +
 * network + mount namespace (see `_pidns.ts`): start, status, reload, restart, stop and
 * is-active, with the service's own client checking that it answers on loopback.
 * @module
 */

import assert from "node:assert/strict";
import {
  namespaceSkipReason,
  runServiceScenario,
  type Scenario,
  type ServiceCase,
  serviceSkipReason,
} from "./_pidns.ts";

/** A bound for a loaded machine (the namespace is killed then), not an expected duration. */
const TEST_TIMEOUT_MS = 300_000;

const CASES: ServiceCase[] = [
  {
    unit: "nginx.service", // Type=forking, PIDFile, ExecStartPre
    pkg: "nginx",
    port: 80,
    comm: "nginx",
    pidFile: "/run/nginx.pid",
    probe: ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1/"],
    expect: "^200$",
    reloadable: true,
  },
  {
    unit: "redis-server.service", // Type=notify, User=, RuntimeDirectory=, LimitNOFILE=65535
    pkg: "redis-server",
    port: 6379,
    comm: "redis-server",
    pidFile: "/run/redis/redis-server.pid",
    probe: ["redis-cli", "-h", "127.0.0.1", "ping"],
    expect: "^PONG$",
    reloadable: false,
  },
  {
    unit: "memcached.service", // Type=simple behind a wrapper script that execs
    pkg: "memcached",
    port: 11211,
    comm: "memcached",
    pidFile: "/run/memcached/memcached.pid",
    probe: [
      "bash",
      "-c",
      "exec 3<>/dev/tcp/127.0.0.1/11211 && printf 'stats\\r\\nquit\\r\\n' >&3 && cat <&3",
    ],
    expect: "^STAT pid \\d+",
    reloadable: false,
  },
  {
    unit: "ssh.service", // Type=notify, ExecStartPre, RuntimeDirectory=sshd, ExecReload with $MAINPID
    pkg: "openssh-server",
    port: 22,
    comm: "sshd",
    pidFile: "/run/sshd.pid",
    probe: ["ssh-keyscan", "-T", "5", "127.0.0.1"],
    expect: "^127\\.0\\.0\\.1 ssh-",
    reloadable: true,
  },
  {
    unit: "apache2.service", // Type=forking through apachectl, no PIDFile (guessed main PID)
    pkg: "apache2",
    port: 80,
    comm: "apache2",
    pidFile: "/run/apache2/apache2.pid",
    probe: ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1/"],
    expect: "^200$",
    reloadable: true,
  },
  {
    unit: "mariadb.service", // Type=notify, ExecStartPre steps, ExecStartPost with `!`
    pkg: "mariadb-server",
    port: 3306,
    comm: "mariadbd",
    pidFile: "/run/mysqld/mysqld.pid",
    // root authenticates through the socket (unix_socket plugin); the port is checked after stop.
    probe: ["mysql", "-N", "-B", "-e", "select 1"],
    expect: "^1$",
    reloadable: false,
  },
  {
    unit: "postgresql@15-main.service", // Type=forking via pg_ctlcluster, PIDFile, OOMScoreAdjust
    pkg: "postgresql",
    port: 5432,
    comm: "postgres",
    pidFile: "/run/postgresql/15-main.pid",
    probe: ["pg_isready", "-h", "127.0.0.1", "-p", "5432"],
    expect: "accepting connections",
    reloadable: true,
  },
];

const NAMESPACE_SKIP = await namespaceSkipReason();

function describe(c: ServiceCase, run: { stdout: string; stderr: string }, s?: Scenario): string {
  if (!s) return `${c.unit}: no result from the namespace\n${run.stdout}\n${run.stderr}`;
  return [
    `${c.unit} log:`,
    s.log,
    "start:",
    s.start.stdout + s.start.stderr,
    "status:",
    s.status.stdout + s.status.stderr,
  ].join("\n");
}

for (const c of CASES) {
  const skip = NAMESPACE_SKIP ?? await serviceSkipReason(c);
  const name = `${c.unit} starts, answers, reloads, restarts and stops without leftovers`;
  if (skip) console.log(`skipped: ${name}: ${skip}`);
  Deno.test({
    name,
    ignore: skip !== undefined,
    sanitizeResources: false,
    fn: async () => {
      const run = await runServiceScenario(c, TEST_TIMEOUT_MS);
      assert.ok(!run.timedOut, `${c.unit}: the namespace timed out\n${run.stdout}\n${run.stderr}`);
      const s = run.scenario;
      const why = describe(c, run, s);
      assert.ok(s, why);

      console.log(
        `${c.unit}: start ${s.start.ms} ms, stop ${s.stop.ms} ms, restart ${s.restart.ms} ms,` +
          ` is-active ${s.isActive.ms} ms; MainPID ${s.mainPid} -> ${s.mainPidAfterRestart};` +
          ` probe attempts after start: ${s.probeAfterStart.attempts}`,
      );

      assert.equal(s.start.code, 0, `start failed: ${s.start.stderr}\n${why}`);
      assert.ok(s.probeAfterStart.ok, `no answer after start: ${s.probeAfterStart.stderr}\n${why}`);

      assert.equal(s.status.code, 0, why);
      assert.match(s.status.stdout, /Active: active \(running\) since /, why);
      assert.ok(s.mainPid > 1, `no MainPID\n${why}`);
      assert.match(s.status.stdout, new RegExp(`Main PID: ${s.mainPid}\\b`), why);
      assert.equal(s.mainPid, s.oldestPid, `MainPID is not the oldest ${c.comm}\n${why}`);
      if (s.pidFilePid !== undefined) {
        assert.equal(s.mainPid, s.pidFilePid, `MainPID differs from ${c.pidFile}\n${why}`);
      }

      if (c.reloadable) {
        assert.equal(s.reload.code, 0, `reload failed: ${s.reload.stderr}\n${why}`);
        assert.equal(s.mainPidAfterReload, s.mainPid, `reload changed the main PID\n${why}`);
      } else {
        // As systemd: no ExecReload= means "Job type reload is not applicable", exit 3.
        assert.equal(s.reload.code, 3, why);
        assert.match(s.reload.stderr, /Job type reload is not applicable/, why);
      }
      assert.ok(s.probeAfterReload.ok, `no answer after reload: ${s.probeAfterReload.stderr}`);

      assert.equal(s.restart.code, 0, `restart failed: ${s.restart.stderr}\n${why}`);
      assert.ok(s.probeAfterRestart.ok, `no answer after restart: ${s.probeAfterRestart.stderr}`);
      assert.ok(s.mainPidAfterRestart > 1, `no MainPID after restart\n${why}`);
      assert.notEqual(s.mainPidAfterRestart, s.mainPid, "restart kept the old main process");
      assert.equal(s.mainPidAfterRestart, s.oldestPidAfterRestart, why);

      assert.equal(s.stop.code, 0, `stop failed: ${s.stop.stderr}\n${why}`);
      assert.ok(s.portClosedAfterStop, `port ${c.port} still open after stop`);
      assert.deepEqual(s.leftovers, [], `processes left after stop\n${why}`);
      assert.equal(s.isActive.code, 3, why);
      assert.equal(s.isActive.stdout.trim(), "inactive");
    },
  });
}
