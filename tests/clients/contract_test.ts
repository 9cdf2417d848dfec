/**
 * The command lines Chef, Puppet and Salt run, replayed with the parsing those tools apply
 * (read from their providers: Chef `provider/service/systemd.rb`, Puppet
 * `provider/service/systemd.rb`, Salt `modules/systemd_service.py` and `utils/systemd.py`),
 * against one root holding a unit in each state: running, stopped, failed, enabled, disabled,
 * static, masked, not found, and template instances. What each tool concludes must be what it
 * concludes on systemd; where systemd 252 answers offline (`systemctl --root=DIR` for
 * `list-unit-files` and `is-enabled`), the conclusion drawn from its output is compared with the
 * one drawn from ours.
 * @module
 */

import assert from "node:assert/strict";
import { cleanupRoot, IS_ROOT, makeRoot, type Root, type Run } from "../service/_support.ts";

const REAL = "/usr/bin/systemctl";

function realSkipReason(): string | undefined {
  try {
    const out = new Deno.Command(REAL, { args: ["--version"], stdout: "piped", stderr: "null" })
      .outputSync();
    const first = new TextDecoder().decode(out.stdout).split("\n")[0];
    return /^systemd 252\b/.test(first) ? undefined : `${REAL} is not systemd 252 (${first})`;
  } catch (e) {
    return `${REAL} cannot run: ${e instanceof Error ? e.message : e}`;
  }
}

const REAL_SKIP = realSkipReason();
const SKIP = IS_ROOT ? REAL_SKIP : "needs root (runs services)";
if (SKIP) console.log(`contract_test: ignored: ${SKIP}`);

function real(args: string[]): Run {
  const out = new Deno.Command(REAL, { args, stdout: "piped", stderr: "piped" }).outputSync();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr), ms: 0 };
}

const INSTALL = "[Install]\nWantedBy=multi-user.target\n";
const SLEEP = "[Service]\nExecStart=/bin/sleep 600\n";

/** The units, by the state they are brought into. */
const UNITS: Record<string, string> = {
  "running.service": `[Unit]\nDescription=Runs\n${SLEEP}${INSTALL}`, // enabled + running
  "idle.service": `[Unit]\nDescription=Enabled, stopped\n${SLEEP}${INSTALL}`, // enabled
  "stopped.service": `[Unit]\nDescription=Disabled\n${SLEEP}${INSTALL}`, // disabled
  "failed.service": "[Service]\nType=oneshot\nExecStart=/bin/false\n", // static + failed
  "static.service": "[Service]\nType=oneshot\nExecStart=/bin/true\nRemainAfterExit=yes\n",
  "inst@.service": `[Unit]\nDescription=Instance %i\n${SLEEP}${INSTALL}`,
};
/** Every name a tool asks about; `ghost` has no unit file. */
const NAMES = [
  "running",
  "idle",
  "stopped",
  "failed",
  "static",
  "masked",
  "ghost",
  "inst@one",
  "inst@two",
];

async function setUp(root: Root): Promise<void> {
  // A vendor unit, masked by a link in /etc.
  Deno.mkdirSync(`${root.path}/lib/systemd/system`, { recursive: true });
  Deno.writeTextFileSync(`${root.path}/lib/systemd/system/masked.service`, `${SLEEP}${INSTALL}`);
  const steps: [string[], number][] = [
    [["enable", "running", "idle", "inst@one"], 0],
    [["mask", "masked"], 0],
    [["start", "running", "inst@one", "static"], 0],
    [["start", "failed"], 1],
  ];
  for (const [args, code] of steps) {
    const r = await root.run(...args);
    assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
  }
}

function unitName(name: string): string {
  return name.includes(".") ? name : `${name}.service`;
}

// --- Chef: Chef::Provider::Service::Systemd#systemd_service_status and the is_* predicates.

interface ChefView {
  running: boolean;
  enabled: boolean;
  masked: boolean;
  static: boolean;
  indirect: boolean;
}

function chefParse(r: Run): ChefView {
  // shell_out! raises on a non-zero exit; then both keys must be there.
  assert.equal(r.code, 0, `chef: show exited ${r.code}: ${r.stderr}`);
  const status: Record<string, string | undefined> = {};
  for (const line of r.stdout.split("\n").filter((l) => l.trim())) {
    // Ruby's "k=".split("=") drops the empty last field: v is nil.
    const [k, v] = line.trim().split("=");
    status[k] = v === "" ? undefined : v;
  }
  assert.ok("UnitFileState" in status && "ActiveState" in status, `chef: ${r.stdout}`);
  const ufs = status.UnitFileState ?? "";
  return {
    running: status.ActiveState === "active",
    enabled: ["enabled", "static", "generated", "alias", "indirect"].includes(ufs),
    masked: ufs === "masked",
    static: ufs === "static",
    indirect: ufs === "indirect",
  };
}

// --- Puppet: Puppet::Type::Service::ProviderSystemd.

const PUPPET_INSTANCES =
  /^(\S+)\s+(disabled|enabled|masked|indirect|bad|static)\s*([^-]\S+)?\s*$/gim;

function puppetInstances(stdout: string): string[] {
  return [...stdout.matchAll(PUPPET_INSTANCES)].map((m) => m[1]).sort();
}

/** `enabled?` for a resource whose `enable` is `mask` (the other cases read the same). */
function puppetEnabled(r: Run, wantMask: boolean): string {
  const output = r.stdout.trim();
  if (wantMask && output === "masked") return "mask";
  if (output === "indirect") return "false";
  if (r.code === 0) return "true";
  return "false";
}

// --- Salt: salt.modules.systemd_service and salt.utils.systemd.

function saltVersion(stdout: string): number | undefined {
  const m = /\w+ ([0-9]+)/.exec(stdout.split("\n")[0]);
  return m ? Number(m[1]) : undefined;
}

function saltByState(stdout: string, state: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 2 || fields[1] !== state) continue;
    const dot = fields[0].lastIndexOf(".");
    if (dot < 0) continue;
    const type = fields[0].slice(dot + 1);
    out.push(type === "service" ? fields[0].slice(0, dot) : fields[0]);
  }
  return out.sort();
}

function saltRunning(stdout: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split("\n")) {
    const comps = line.trim().split(/\s+/);
    if (comps.length <= 3 || comps[3] !== "running") continue;
    const dot = comps[0].lastIndexOf(".");
    if (dot < 0) continue;
    out.push(comps[0].slice(dot + 1) === "service" ? comps[0].slice(0, dot) : comps[0]);
  }
  return out.sort();
}

Deno.test({
  name: "Chef, Puppet and Salt read every unit state from our answers as they read systemd's",
  ignore: SKIP !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const root = makeRoot(UNITS);
    const R = `--root=${root.path}`;
    try {
      await setUp(root);

      await t.step("Chef: show -p UnitFileState -p ActiveState", async () => {
        const got: Record<string, ChefView> = {};
        for (const n of NAMES) {
          const r = await root.run(
            "--system",
            "show",
            "-p",
            "UnitFileState",
            "-p",
            "ActiveState",
            unitName(n),
          );
          // The order of systemd: ActiveState before UnitFileState.
          assert.match(r.stdout, /^ActiveState=[a-z-]*\nUnitFileState=[a-z-]*\n$/, n);
          got[n] = chefParse(r);
        }
        const v = (running: boolean, ufs: string): ChefView => ({
          running,
          enabled: ["enabled", "static", "indirect"].includes(ufs),
          masked: ufs === "masked",
          static: ufs === "static",
          indirect: ufs === "indirect",
        });
        assert.deepEqual(got, {
          running: v(true, "enabled"),
          idle: v(false, "enabled"),
          stopped: v(false, "disabled"),
          failed: v(false, "static"),
          static: v(true, "static"),
          masked: v(false, "masked"),
          ghost: v(false, ""),
          "inst@one": v(true, "enabled"),
          "inst@two": v(false, "disabled"),
        });
        // Chef's reload of a stopped unit starts it; `activating` would not count as running.
        const failed = await root.run("--system", "show", "-p", "ActiveState", "failed.service");
        assert.equal(failed.stdout, "ActiveState=failed\n");
      });

      await t.step("Puppet: list-unit-files instances, is-enabled, is-active, show", async () => {
        const args = ["list-unit-files", "--type", "service", "--full", "--all", "--no-pager"];
        const ours = await root.run(...args);
        assert.equal(ours.code, 0, ours.stderr);
        // A static row's `-` PRESET still matches: `[^-]` takes the blank before it.
        assert.deepEqual(puppetInstances(ours.stdout), [
          "failed.service",
          "idle.service",
          "inst@.service",
          "masked.service",
          "running.service",
          "static.service",
          "stopped.service",
        ]);
        assert.deepEqual(
          puppetInstances(ours.stdout),
          puppetInstances(real([R, ...args]).stdout),
        );
        const enabled: Record<string, string> = {};
        const status: Record<string, string> = {};
        for (const n of NAMES) {
          const r = await root.run("is-enabled", "--", n);
          enabled[n] = puppetEnabled(r, n === "masked");
          if (n !== "ghost") {
            const s = real([R, "is-enabled", "--", n]);
            assert.deepEqual([r.stdout, r.code], [s.stdout, s.code], `is-enabled ${n}`);
          }
          status[n] = (await root.run("is-active", "--", n)).code === 0 ? "running" : "stopped";
        }
        assert.deepEqual(enabled, {
          running: "true",
          idle: "true",
          stopped: "false",
          failed: "true",
          static: "true",
          masked: "mask",
          ghost: "false",
          "inst@one": "true",
          "inst@two": "false",
        });
        assert.deepEqual(
          Object.keys(status).filter((n) => status[n] === "running"),
          ["running", "static", "inst@one"],
        );
        // The older provider's `show` with two --property flags, split on whitespace and `=`.
        const show = await root.run(
          "show",
          "idle",
          "--property",
          "LoadState",
          "--property",
          "UnitFileState",
          "--no-pager",
        );
        assert.equal(show.stdout, "LoadState=loaded\nUnitFileState=enabled\n");
        const masked = await root.run(
          "show",
          "masked",
          "--property",
          "LoadState",
          "--property",
          "UnitFileState",
          "--no-pager",
        );
        assert.equal(masked.stdout, "LoadState=masked\nUnitFileState=masked\n");
        const reload = await root.run("show", "--property=NeedDaemonReload", "--", "running");
        assert.equal(reload.stdout.trim().split("=").at(-1), "no");
        // exist?: `cat -- NAME` succeeds for a unit with a file only.
        assert.equal((await root.run("cat", "--", "running")).code, 0);
        assert.notEqual((await root.run("cat", "--", "ghost")).code, 0);
      });

      await t.step("Salt: --version, list-unit-files, list-units, is-enabled, status", async () => {
        const version = await root.run("--version");
        assert.equal(saltVersion(version.stdout), 252);
        const files = ["--full", "--no-legend", "--no-pager", "list-unit-files"];
        const ours = await root.run(...files);
        const want: Record<string, string[]> = {
          enabled: ["idle", "running"],
          disabled: ["stopped"],
          static: ["failed", "static"],
          masked: ["masked"],
          indirect: ["inst@"],
        };
        for (const [state, names] of Object.entries(want)) {
          const got = saltByState(ours.stdout, state).filter((n) => !n.includes("."));
          assert.deepEqual(got, names, state);
          const theirs = saltByState(real([R, ...files]).stdout, state);
          assert.deepEqual(saltByState(ours.stdout, state), theirs, `${state} (systemd)`);
        }
        const units = await root.run("--full", "--no-legend", "--no-pager");
        assert.deepEqual(saltRunning(units.stdout), ["inst@one", "running"]);
        const enabled: string[] = [];
        const active: string[] = [];
        const available: string[] = [];
        for (const n of NAMES) {
          if ((await root.run("is-enabled", unitName(n))).code === 0) enabled.push(n);
          if ((await root.run("is-active", unitName(n))).code === 0) active.push(n);
          const st = await root.run("status", unitName(n), "-n", "0");
          if (st.code >= 0 && st.code < 4) available.push(n);
        }
        assert.deepEqual(enabled, ["running", "idle", "failed", "static", "inst@one"]);
        assert.deepEqual(active, ["running", "static", "inst@one"]);
        assert.deepEqual(available, NAMES.filter((n) => n !== "ghost"));
        // salt.utils.systemd.booted: a state-changing verb made the canary.
        assert.ok(Deno.statSync(`${root.path}/run/systemd/system`).isDirectory);
      });

      await t.step("Ansible: is-enabled -l, list-unit-files NAME, show by alias", async () => {
        const other = makeRoot({
          "web.service": `${SLEEP}[Install]\nWantedBy=multi-user.target\nAlias=www.service\n`,
        });
        try {
          assert.equal((await other.run("enable", "web")).code, 0);
          // -l lists the links `disable` would remove, indented, after the state word.
          const full = await other.run("is-enabled", "web", "-l");
          assert.equal(full.code, 0);
          assert.deepEqual(full.stdout.split("\n").slice(0, 1), ["enabled"]);
          assert.deepEqual(full.stdout.split("\n").slice(1, -1).sort(), [
            "  /etc/systemd/system/multi-user.target.wants/web.service",
            "  /etc/systemd/system/www.service",
          ]);
          // By the alias: `alias`, then the same links (systemd 252 live prints them too).
          const alias = await other.run("is-enabled", "www.service", "-l");
          assert.equal(alias.stdout.split("\n")[0], "alias");
          assert.equal(alias.stdout.split("\n").length, 4);
          const unlisted = await other.run("list-unit-files", "nosuch.service");
          assert.equal(unlisted.code, 1);
          assert.equal((await other.run("list-unit-files", "web.service")).code, 0);
          // show by the alias reports the unit behind it, its own name first.
          const show = await other.run("show", "www.service", "-p", "Id,Names,UnitFileState");
          assert.equal(
            show.stdout,
            "Id=web.service\nNames=web.service www.service\nUnitFileState=enabled\n",
          );
        } finally {
          cleanupRoot(other);
        }
      });

      await t.step("flags we do not implement are accepted, as systemd accepts them", async () => {
        for (
          const args of [
            ["--no-block", "restart", "running"],
            ["--job-mode=replace", "restart", "running"],
            ["--job-mode", "fail", "stop", "idle"],
            ["--no-warn", "is-active", "running"],
            ["-l", "status", "running", "-n", "0"],
            ["--no-ask-password", "--quiet", "is-active", "running"],
            ["condreload", "running"],
          ]
        ) {
          const r = await root.run(...args);
          assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
          assert.doesNotMatch(r.stderr, /error|Error|at .*\.ts:/, args.join(" "));
        }
        assert.equal((await root.run("is-active", "running")).stdout, "active\n");
      });

      await t.step(
        "unit names with shell-special characters are escaped as systemd does",
        async () => {
          for (const name of ["a b", "x;rm -rf y", "$(id)", "q'uote\"d", "back`tick`"]) {
            const r = await root.run("start", name);
            assert.equal(r.code, 5, `${name}: ${r.stderr}`);
            const lines = r.stderr.trim().split("\n");
            assert.match(
              lines[0],
              /^Invalid unit name ".*" escaped as ".*" \(maybe you should use systemd-escape\?\)\.$/,
            );
            assert.match(lines[1], /^Failed to start .*\.service: Unit .*\.service not found\.$/);
            const show = await root.run("show", "-p", "LoadState,Id", name);
            assert.equal(show.code, 0);
            assert.match(show.stdout, /^Id=.*\\x.*\.service\nLoadState=not-found\n$/);
            const ours = await root.run("is-enabled", name);
            const theirs = real([R, "is-enabled", name]);
            assert.deepEqual(
              [ours.code, ours.stdout, ours.stderr],
              [theirs.code, theirs.stdout, theirs.stderr],
              name,
            );
          }
        },
      );
    } finally {
      await root.run("stop", "running", "inst@one", "static", "idle");
      cleanupRoot(root);
    }
  },
});
