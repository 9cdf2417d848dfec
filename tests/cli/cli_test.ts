/**
 * The CLI against temporary roots: grammar, errors, show, cat,
 * list-dependencies, daemon-reload, loading rules (drop-ins, aliases,
 * templates, masks, .include, SysV) and bad input.
 */

import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { makeTree, MOD, parseShow, PERMS, systemctl } from "./_cli.ts";

const SIMPLE = "[Unit]\nDescription=Web app\n[Service]\nExecStart=/usr/bin/app -f /etc/app.conf\n" +
  "[Install]\nWantedBy=multi-user.target\n";

Deno.test("--version prints systemd 252 first, then our name and version", async () => {
  const r = await systemctl(["--version"]);
  strictEqual(r.code, 0);
  match(r.stdout.split("\n")[0], /^systemd 252 \(deno-systemctl \d+\.\d+\.\d+\)$/);
  match(r.stdout.split("\n")[1], /\+SYSVINIT/);
  // `--version` alone is answered before the command line's modules load; with any other
  // option the command line prints it: the same bytes, the same exit code, nothing on stderr.
  const viaMain = await systemctl(["--no-pager", "--version"]);
  deepStrictEqual([viaMain.code, viaMain.stdout, viaMain.stderr], [0, r.stdout, r.stderr]);
  strictEqual(r.stderr, "");
});

Deno.test("--help and help are generated from the verb table", async () => {
  const r = await systemctl(["--help"]);
  strictEqual(r.code, 0);
  for (const verb of ["start", "list-unit-files", "is-enabled", "daemon-reload", "show"]) {
    ok(r.stdout.includes(`  ${verb} `), verb);
  }
  const one = await systemctl(["help", "--help"]);
  strictEqual(one.code, 0);
  const tr = await systemctl(["--help", "try-restart"]);
  match(tr.stdout, /try-restart UNIT/);
  match(tr.stdout, /condrestart/);
});

Deno.test("an unknown verb is one line and exit 1", async () => {
  const r = await systemctl(["frobnicate"]);
  strictEqual(r.code, 1);
  strictEqual(r.stderr, "Unknown command verb frobnicate.\n");
  strictEqual(r.stdout, "");
});

Deno.test("unknown options and missing arguments use getopt's wording", async () => {
  const a = await systemctl(["--foo", "status"]);
  strictEqual(a.code, 1);
  strictEqual(a.stderr, "systemctl: unrecognized option '--foo'\n");
  const b = await systemctl(["-Z", "status"]);
  strictEqual(b.stderr, "systemctl: invalid option -- 'Z'\n");
  const c = await systemctl(["status", "--root"]);
  strictEqual(c.stderr, "systemctl: option '--root' requires an argument\n");
  const d = await systemctl(["show", "-p"]);
  strictEqual(d.stderr, "systemctl: option requires an argument -- 'p'\n");
});

Deno.test("too few and too many arguments are reported", async () => {
  const a = await systemctl(["start"]);
  strictEqual(a.code, 1);
  strictEqual(a.stderr, "Too few arguments.\n");
  const b = await systemctl(["get-default", "x"]);
  strictEqual(b.stderr, "Too many arguments.\n");
});

Deno.test("options may follow the verb and long options take unambiguous prefixes", async () => {
  const root = makeTree({ "etc/systemd/system/app.service": SIMPLE });
  const r = await systemctl(["show", "app", `--roo=${root}`, "--prop=Id", "--val"]);
  strictEqual(r.code, 0);
  strictEqual(r.stdout, "app.service\n");
});

Deno.test("-p A,B and -p A -p B both keep every property, in systemd's order", async () => {
  const root = makeTree({ "etc/systemd/system/app.service": SIMPLE });
  const a = await systemctl([`--root=${root}`, "show", "app", "-pUnitFileState,ActiveState"]);
  const b = await systemctl([
    `--root=${root}`,
    "show",
    "-p",
    "UnitFileState",
    "app",
    "-p",
    "ActiveState",
  ]);
  strictEqual(a.stdout, "ActiveState=inactive\nUnitFileState=disabled\n");
  strictEqual(b.stdout, a.stdout);
});

Deno.test("show of an unknown unit is not-found with LoadError, exit 0", async () => {
  const root = makeTree({ "etc/systemd/system/.keep": "" });
  const r = await systemctl([`--root=${root}`, "show", "nope"]);
  strictEqual(r.code, 0);
  const p = parseShow(r.stdout);
  strictEqual(p.Id, "nope.service");
  strictEqual(p.LoadState, "not-found");
  strictEqual(p.ActiveState, "inactive");
  strictEqual(p.SubState, "dead");
  strictEqual(p.Description, "nope.service");
  strictEqual(p.LoadError, 'org.freedesktop.systemd1.NoSuchUnit "Unit nope.service not found."');
  strictEqual(p.CanStart, "no");
  ok(!("UnitFileState" in p));
});

Deno.test("show prints configuration with systemd's defaults and Exec lines", async () => {
  const root = makeTree({
    "etc/systemd/system/app.service": SIMPLE +
      '[Service]\nEnvironment=A=1 "B=x y"\nEnvironmentFile=-/etc/default/app\nTimeoutStopSec=90\n' +
      "Restart=on-failure\nRestartSec=1min 30s\nUser=www-data\nWorkingDirectory=-/srv\n",
  });
  const r = await systemctl([`--root=${root}`, "show", "app.service"]);
  strictEqual(r.code, 0);
  const p = parseShow(r.stdout);
  strictEqual(p.Type, "simple");
  strictEqual(p.Restart, "on-failure");
  strictEqual(p.RestartUSec, "1min 30s");
  strictEqual(p.TimeoutStartUSec, "1min 30s");
  strictEqual(p.TimeoutStopUSec, "1min 30s");
  strictEqual(p.MainPID, "0");
  strictEqual(p.UID, "[not set]");
  strictEqual(p.Environment, 'A=1 "B=x y"');
  strictEqual(p.EnvironmentFiles, "/etc/default/app (ignore_errors=yes)");
  strictEqual(p.WorkingDirectory, "!/srv");
  strictEqual(p.User, "www-data");
  strictEqual(p.UMask, "0022");
  strictEqual(p.KillSignal, "15");
  strictEqual(p.UnitFileState, "disabled");
  strictEqual(p.UnitFilePreset, "enabled");
  strictEqual(p.FragmentPath, "/etc/systemd/system/app.service");
  strictEqual(
    p.ExecStart,
    "{ path=/usr/bin/app ; argv[]=/usr/bin/app -f /etc/app.conf ; ignore_errors=no ; " +
      "start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }",
  );
  match(r.stdout, /^ExecStartEx=\{ path=\/usr\/bin\/app ; .* flags= ; /m);
  ok(r.stdout.indexOf("Type=") < r.stdout.indexOf("Id="), "service block before unit block");
});

Deno.test("show --all prints empty properties and --value only values", async () => {
  const root = makeTree({ "etc/systemd/system/app.service": SIMPLE });
  const all = await systemctl([`--root=${root}`, "show", "--all", "app"]);
  match(all.stdout, /^PIDFile=$/m);
  match(all.stdout, /^StatusText=$/m);
  const plain = await systemctl([`--root=${root}`, "show", "app"]);
  ok(!/^PIDFile=/m.test(plain.stdout));
  const v = await systemctl([`--root=${root}`, "show", "-P", "Description", "app"]);
  strictEqual(v.stdout, "Web app\n");
});

Deno.test("show -o json prints one object per unit with Exec entries as arrays", async () => {
  const root = makeTree({ "etc/systemd/system/app.service": SIMPLE });
  const r = await systemctl([`--root=${root}`, "show", "app", "-o", "json", "-p", "Id,ExecStart"]);
  const parsed = JSON.parse(r.stdout);
  strictEqual(parsed[0].Id, "app.service");
  ok(Array.isArray(parsed[0].ExecStart));
  const pretty = await systemctl([
    `--root=${root}`,
    "show",
    "app",
    "-o",
    "json-pretty",
    "-p",
    "Id",
  ]);
  strictEqual(pretty.stdout, '[\n\t{\n\t\t"Id" : "app.service"\n\t}\n]\n');
});

Deno.test("show of a masked unit says masked with FragmentPath the masking link", async () => {
  const root = makeTree({ "etc/systemd/system/app.service": "->/dev/null" });
  const p = parseShow((await systemctl([`--root=${root}`, "show", "app"])).stdout);
  strictEqual(p.LoadState, "masked");
  strictEqual(p.UnitFileState, "masked");
  // A live systemd 252 shows the link itself (tests/diff/live_systemd_diff_test.ts).
  strictEqual(p.FragmentPath, "/etc/systemd/system/app.service");
  strictEqual(p.LoadError, 'org.freedesktop.systemd1.UnitMasked "Unit app.service is masked."');
});

Deno.test("drop-ins apply in name order; the last single value wins and an empty one resets lists", async () => {
  const root = makeTree({
    "usr/lib/systemd/system/app.service":
      "[Service]\nExecStart=/bin/true\nUser=a\nEnvironment=X=1\n",
    "usr/lib/systemd/system/app.service.d/10-user.conf": "[Service]\nUser=b\n",
    "etc/systemd/system/app.service.d/20-user.conf":
      "[Service]\nUser=c\nEnvironment=\nEnvironment=Y=2\n",
    "etc/systemd/system/app.service.d/10-user.conf": "[Service]\nUser=override\n",
  });
  const p = parseShow((await systemctl([`--root=${root}`, "show", "app"])).stdout);
  strictEqual(p.User, "c");
  strictEqual(p.Environment, "Y=2");
  strictEqual(
    p.DropInPaths,
    "/etc/systemd/system/app.service.d/10-user.conf /etc/systemd/system/app.service.d/20-user.conf",
  );
});

Deno.test("dash-prefix and template drop-in directories apply to instances", async () => {
  const root = makeTree({
    "etc/systemd/system/foo-bar@.service":
      "[Unit]\nDescription=Instance %i of %p\n[Service]\nExecStart=/bin/echo %I\n",
    "etc/systemd/system/foo-.service.d/a.conf": "[Service]\nNice=3\n",
    "etc/systemd/system/foo-bar@.service.d/b.conf": "[Service]\nUMask=0077\n",
  });
  const r = await systemctl([`--root=${root}`, "show", "foo-bar@web.service"]);
  const p = parseShow(r.stdout);
  strictEqual(p.Id, "foo-bar@web.service");
  strictEqual(p.Description, "Instance web of foo-bar");
  strictEqual(p.Nice, "3");
  strictEqual(p.UMask, "0077");
  strictEqual(p.FragmentPath, "/etc/systemd/system/foo-bar@.service");
});

Deno.test("show, status, is-active and is-failed of a bare template fail as systemd 252's", async () => {
  const root = makeTree({
    "etc/systemd/system/t@.service": "[Service]\nExecStart=/bin/true\n",
    "etc/systemd/system/a.service": "[Service]\nExecStart=/bin/true\n",
  });
  const what = "Unit name t@.service is neither a valid invocation ID nor unit name.";
  const show = await systemctl([`--root=${root}`, "show", "-p", "Id", "a", "t@.service", "a"]);
  strictEqual(show.code, 1);
  // The verb stops at the template: what came before is printed, nothing after.
  strictEqual(show.stdout, "Id=a.service\n");
  strictEqual(show.stderr, `Failed to get properties: ${what}\n`);
  const status = await systemctl([`--root=${root}`, "status", "t@.service"]);
  strictEqual(status.code, 1);
  strictEqual(status.stderr, `Failed to get properties: ${what}\n`);
  for (const verb of ["is-active", "is-failed"]) {
    const r = await systemctl([`--root=${root}`, verb, "a", "t@.service", "a"]);
    strictEqual(r.code, 1, verb);
    strictEqual(r.stdout, "inactive\n", verb);
    strictEqual(r.stderr, `Failed to retrieve unit state: ${what}\n`, verb);
  }
});

Deno.test("an alias symlink resolves to the real unit and shows in Names", async () => {
  const root = makeTree({
    "usr/lib/systemd/system/real.service": "[Service]\nExecStart=/bin/true\n",
    "etc/systemd/system/other.service": "->/usr/lib/systemd/system/real.service",
  });
  const p = parseShow((await systemctl([`--root=${root}`, "show", "other"])).stdout);
  strictEqual(p.Id, "real.service");
  strictEqual(p.Names, "real.service other.service"); // the id first, as systemd 252
});

Deno.test(".include is ignored as systemd 252 ignores it: nothing read, the unit loads", async () => {
  const root = makeTree({
    "etc/systemd/system/inc.service":
      ".include /etc/systemd/common.conf\n[Service]\nExecStart=/bin/true\n.include /nope.conf\n",
    "etc/systemd/common.conf": "[Unit]\nDescription=From include\n",
  });
  const p = parseShow((await systemctl([`--root=${root}`, "show", "inc"])).stdout);
  strictEqual(p.Description, "inc.service");
  strictEqual(p.LoadState, "loaded");
  const reload = await systemctl([`--root=${root}`, "daemon-reload"]);
  strictEqual(
    reload.stderr,
    "/etc/systemd/system/inc.service:1: Assignment outside of section. Ignoring.\n" +
      "/etc/systemd/system/inc.service:4: Missing '=', ignoring line.\n",
  );
});

Deno.test("an invalid section header fails the unit's load (Bad message); in a drop-in it warns", async () => {
  const root = makeTree({
    "etc/systemd/system/bad.service": "[Unit\nDescription=x\n[Service]\nExecStart=/bin/true\n",
    "etc/systemd/system/ok.service": "[Service]\nExecStart=/bin/true\n",
    "etc/systemd/system/ok.service.d/a.conf": "[Service\nNice=1\n",
  });
  const p = parseShow((await systemctl([`--root=${root}`, "show", "bad"])).stdout);
  strictEqual(p.LoadState, "error");
  const s = await systemctl([`--root=${root}`, "start", "bad"]);
  strictEqual(
    s.stderr,
    "Failed to start bad.service: Unit bad.service failed to load properly, please " +
      "adjust/correct and reload service manager: Bad message\n",
  );
  strictEqual(s.code, 1);
  const reload = await systemctl([`--root=${root}`, "daemon-reload"]);
  match(
    reload.stderr,
    /^\/etc\/systemd\/system\/bad\.service:1: Invalid section header '\[Unit'$/m,
  );
  match(
    reload.stderr,
    /^\/etc\/systemd\/system\/ok\.service\.d\/a\.conf:1: Invalid section header/m,
  );
  const ok = parseShow((await systemctl([`--root=${root}`, "show", "ok"])).stdout);
  strictEqual(ok.LoadState, "loaded");
  strictEqual(ok.Nice, "0");
});

Deno.test("a SysV script with an LSB header becomes a generated unit", async () => {
  const root = makeTree({
    "etc/init.d/legacy": "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: legacy\n" +
      "# Required-Start: $network\n# Default-Start: 2 3 4 5\n# Short-Description: Old daemon\n" +
      "### END INIT INFO\ncase $1 in start) ;; stop) ;; esac\n",
  });
  Deno.chmodSync(`${root}/etc/init.d/legacy`, 0o755);
  const p = parseShow((await systemctl([`--root=${root}`, "show", "legacy"])).stdout);
  strictEqual(p.LoadState, "loaded");
  strictEqual(p.SourcePath, "/etc/init.d/legacy");
  strictEqual(p.Description, "LSB: Old daemon");
  strictEqual(p.Type, "forking");
  strictEqual(p.UnitFileState, "generated");
  const list = await systemctl([`--root=${root}`, "list-unit-files", "--state=generated"]);
  match(list.stdout, /^legacy\.service +generated +-$/m);
  const status = await systemctl([`--root=${root}`, "status", "legacy"]);
  match(status.stdout, /Loaded: loaded \(\/etc\/init\.d\/legacy; generated\)/);
});

Deno.test("enable, disable and is-enabled of a SysV script change and read its rc links", async () => {
  const root = makeTree({
    "etc/init.d/legacy": "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: legacy\n" +
      "# Default-Start:     2 3 4 5\n# Default-Stop:      0 1 6\n### END INIT INFO\n",
  });
  Deno.chmodSync(`${root}/etc/init.d/legacy`, 0o755);
  const rc = () =>
    ["0", "1", "2", "3", "4", "5", "6"].flatMap((l) => {
      try {
        return [...Deno.readDirSync(`${root}/etc/rc${l}.d`)].map((e) => `${l}:${e.name}`);
      } catch {
        return [];
      }
    }).sort();
  let r = await systemctl([`--root=${root}`, "is-enabled", "legacy"]);
  deepStrictEqual([r.stdout, r.code], ["disabled\n", 1]);
  match(r.stderr, /legacy\.service is not a native service/);
  r = await systemctl([`--root=${root}`, "enable", "legacy"]);
  strictEqual(r.code, 0);
  deepStrictEqual(rc(), [
    "0:K01legacy",
    "1:K01legacy",
    "2:S01legacy",
    "3:S01legacy",
    "4:S01legacy",
    "5:S01legacy",
    "6:K01legacy",
  ]);
  strictEqual(Deno.readLinkSync(`${root}/etc/rc2.d/S01legacy`), "../init.d/legacy");
  r = await systemctl([`--root=${root}`, "is-enabled", "legacy"]);
  deepStrictEqual([r.stdout, r.code], ["enabled\n", 0]);
  r = await systemctl([`--root=${root}`, "disable", "-q", "legacy"]);
  deepStrictEqual([r.stderr, r.code], ["", 0]);
  deepStrictEqual(rc().filter((e) => e.includes("S")), []);
  r = await systemctl([`--root=${root}`, "is-enabled", "legacy"]);
  deepStrictEqual([r.stdout, r.code], ["disabled\n", 1]);
  // SYSTEMCTL_SKIP_SYSV (update-rc.d sets it when it calls systemctl) leaves scripts alone.
  r = await systemctl([`--root=${root}`, "enable", "legacy"], {
    env: { SYSTEMCTL_SKIP_SYSV: "1" },
  });
  strictEqual(r.code, 1);
  match(r.stderr, /unit legacy\.service does not exist/);
  deepStrictEqual(rc().filter((e) => e.includes("S")), []);
});

Deno.test("bad-setting: a simple service with two ExecStart lines", async () => {
  const root = makeTree({
    "etc/systemd/system/two.service": "[Service]\nExecStart=/bin/true\nExecStart=/bin/false\n",
  });
  const p = parseShow((await systemctl([`--root=${root}`, "show", "two"])).stdout);
  strictEqual(p.LoadState, "bad-setting");
  const s = await systemctl([`--root=${root}`, "start", "two"]);
  strictEqual(s.code, 1);
  match(
    s.stderr,
    /^Failed to start two\.service: Unit two\.service has a bad unit file setting\.$/m,
  );
});

Deno.test("a built-in target loads without a file", async () => {
  const root = makeTree({ "etc/systemd/system/.keep": "" });
  const p = parseShow((await systemctl([`--root=${root}`, "show", "multi-user.target"])).stdout);
  strictEqual(p.LoadState, "loaded");
  strictEqual(p.Description, "Multi-User System");
  strictEqual(p.AllowIsolate, "yes");
  ok(!("FragmentPath" in p));
});

Deno.test("cat prints fragment and drop-ins with path headers, without the root", async () => {
  const root = makeTree({
    "usr/lib/systemd/system/app.service": "[Service]\nExecStart=/bin/true",
    "etc/systemd/system/app.service.d/override.conf": "[Service]\nNice=1\n",
  });
  const r = await systemctl([`--root=${root}`, "cat", "app"]);
  strictEqual(r.code, 0);
  strictEqual(
    r.stdout,
    "# /usr/lib/systemd/system/app.service\n[Service]\nExecStart=/bin/true\n\n" +
      "# /etc/systemd/system/app.service.d/override.conf\n[Service]\nNice=1\n",
  );
});

Deno.test("cat of a unit with no files says so and exits 1 after printing the others", async () => {
  const root = makeTree({ "etc/systemd/system/a.service": "[Service]\nExecStart=/bin/true\n" });
  const r = await systemctl([`--root=${root}`, "cat", "nope", "a"]);
  strictEqual(r.code, 1);
  strictEqual(r.stderr, "No files found for nope.service.\n");
  match(r.stdout, /^# \/etc\/systemd\/system\/a\.service$/m);
});

Deno.test("list-dependencies draws the tree of a target's wants", async () => {
  const root = makeTree({
    "etc/systemd/system/app.target": "[Unit]\nDescription=App\nWants=b.service a.service\n",
    "etc/systemd/system/a.service": "[Service]\nExecStart=/bin/true\n",
    "etc/systemd/system/b.service": "[Service]\nExecStart=/bin/true\n",
    "etc/systemd/system/app.target.wants/c.service": "->/etc/systemd/system/c.service",
    "etc/systemd/system/c.service": "[Service]\nExecStart=/bin/true\n",
  });
  const r = await systemctl([`--root=${root}`, "list-dependencies", "app.target"]);
  strictEqual(r.code, 0);
  strictEqual(
    r.stdout,
    "app.target\n○ ├─a.service\n○ ├─b.service\n○ └─c.service\n",
  );
  const plain = await systemctl([`--root=${root}`, "list-dependencies", "--plain", "app.target"]);
  strictEqual(plain.stdout, "app.target\n  a.service\n  b.service\n  c.service\n");
});

Deno.test("daemon-reload reports each problem as file:line and exits 0", async () => {
  const root = makeTree({
    "etc/systemd/system/bad.service":
      "[Service]\nExecStart=/bin/true\nNoSuchKey=1\nthis line has no equals\nRestart=sometimes\n[Weird]\nA=b\n",
    "etc/systemd/system/good.service": "[Service]\nExecStart=/bin/true\n",
  });
  const r = await systemctl([`--root=${root}`, "daemon-reload"]);
  strictEqual(r.code, 0);
  const p = "/etc/systemd/system/bad.service";
  match(
    r.stderr,
    new RegExp(`^${p}:3: Unknown key 'NoSuchKey' in section \\[Service\\], ignoring\\.$`, "m"),
  );
  match(
    r.stderr,
    new RegExp(`^${p}:5: Failed to parse service restart specifier, ignoring: sometimes$`, "m"),
  );
  match(r.stderr, new RegExp(`^${p}:4: Missing '=', ignoring line\\.$`, "m"));
  match(r.stderr, new RegExp(`^${p}:6: Unknown section 'Weird'\\. Ignoring\\.$`, "m"));
  ok(r.stderr.indexOf(":3:") < r.stderr.indexOf(":4:"), "in line order");
  ok(!r.stderr.includes("good.service"));
  ok(!r.stderr.includes("    at "), "no stack trace");
});

Deno.test("broken symlinks, directories and unreadable files do not stop other units", async () => {
  const root = makeTree({
    "etc/systemd/system/dangling.service": "->/nowhere/x.service",
    "etc/systemd/system/ok.service": "[Service]\nExecStart=/bin/true\n",
  });
  Deno.mkdirSync(`${root}/etc/systemd/system/dir.service`);
  const r = await systemctl([
    `--root=${root}`,
    "show",
    "dangling",
    "dir",
    "ok",
    "-p",
    "Id,LoadState",
  ]);
  strictEqual(r.code, 0);
  strictEqual(
    r.stdout,
    "Id=dangling.service\nLoadState=not-found\n\nId=dir.service\nLoadState=error\n\n" +
      "Id=ok.service\nLoadState=loaded\n",
  );
  const reload = await systemctl([`--root=${root}`, "daemon-reload"]);
  strictEqual(reload.code, 0);
  ok(!reload.stderr.includes("    at "));
});

Deno.test("a unit name with a slash is escaped with systemd's warning, never used as a path", async () => {
  const root = makeTree({ "etc/passwd": "root:x:0:0::/root:/bin/sh\n" });
  const r = await systemctl([`--root=${root}`, "show", "../../etc/passwd", "-p", "Id,LoadState"]);
  strictEqual(r.code, 0);
  match(r.stderr, /^Invalid unit name "\.\.\/\.\.\/etc\/passwd" escaped as "[^"]+"/m);
  match(r.stdout, /LoadState=not-found/);
});

Deno.test("SYSTEMD_UNIT_PATH replaces the search path", async () => {
  const root = makeTree({
    "opt/units/x.service": "[Unit]\nDescription=From custom path\n[Service]\nExecStart=/bin/true\n",
  });
  const r = await systemctl([`--root=${root}`, "show", "x", "-P", "Description"], {
    env: { SYSTEMD_UNIT_PATH: "/opt/units" },
  });
  strictEqual(r.stdout, "From custom path\n");
});

Deno.test("show with no unit prints manager properties", async () => {
  const root = makeTree({ "etc/systemd/system/.keep": "" });
  const p = parseShow((await systemctl([`--root=${root}`, "show"])).stdout);
  match(p.Version, /^252 /);
  strictEqual(p.DefaultTimeoutStartUSec, "1min 30s");
  ok(p.UnitPath.includes("/etc/systemd/system"));
});

Deno.test("Chef's show -p UnitFileState -p ActiveState prints both keys in systemd's order", async () => {
  const root = makeTree({ "etc/systemd/system/.keep": "" });
  const r = await systemctl([
    "--system",
    `--root=${root}`,
    "show",
    "-p",
    "UnitFileState",
    "-p",
    "ActiveState",
    "x",
  ]);
  deepStrictEqual(r.stdout.split("\n"), ["ActiveState=inactive", "UnitFileState=", ""]);
});

Deno.test("the README quick start lists the demo root with only read and env permissions", async () => {
  const demo = new URL("../../examples/demo", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-read",
      "--allow-env",
      MOD,
      `--root=${demo}`,
      "list-unit-files",
    ],
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
  strictEqual(
    text,
    "UNIT FILE       STATE    PRESET\n" +
      "cleanup.service static   -\n" +
      "legacy.service  masked   enabled\n" +
      "web.service     enabled  enabled\n" +
      "worker@.service disabled enabled\n" +
      "cleanup.timer   disabled enabled\n\n5 unit files listed.\n",
  );
});

Deno.test("help VERB describes the verb; help UNIT lists its documentation", async () => {
  const verb = await systemctl(["help", "start"]);
  strictEqual(verb.code, 0);
  match(verb.stdout, /^systemctl \[OPTIONS\.\.\.\] start UNIT\.\.\./);
  const root = makeTree({
    "etc/systemd/system/doc.service": "[Unit]\nDocumentation=man:doc(8) https://example.org/doc\n" +
      "[Service]\nExecStart=/bin/true\n",
  });
  const unit = await systemctl([`--root=${root}`, "help", "doc"]);
  strictEqual(unit.stdout, "man:doc(8)\nhttps://example.org/doc\n");
});

Deno.test("is-system-running says offline without an init instance, exit 1", async () => {
  // A root of its own: the host's /run/systemctl is none of the test's business.
  const root = `--root=${makeTree({})}`;
  const r = await systemctl([root, "is-system-running"]);
  strictEqual(r.stdout, "offline\n");
  strictEqual(r.code, 1);
  strictEqual((await systemctl([root, "is-system-running", "-q"])).stdout, "");
});

Deno.test({
  name: "a non-root caller that cannot write the state directory gets systemd's Access denied",
  ignore: Deno.uid() !== 0,
  fn: async () => {
    const root = makeTree({
      "etc/systemd/system/s.service": "[Service]\nExecStart=/bin/sleep 300\n",
    });
    Deno.chmodSync(root, 0o755);
    Deno.mkdirSync(`${root}/run`, { mode: 0o555 });
    Deno.chmodSync(`${root}/run`, 0o555);
    const out = await new Deno.Command("setpriv", {
      args: [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        Deno.execPath(),
        "run",
        "--quiet",
        ...PERMS,
        MOD,
        `--root=${root}`,
        "start",
        "s",
      ],
      cwd: "/tmp",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    // A non-root caller of the system manager: systemd's polkit refusal, exit 4 (spec §0.1).
    strictEqual(out.code, 4);
    strictEqual(
      stderr,
      "Failed to start s.service: Access denied\n" +
        "See system logs and 'systemctl status s.service' for details.\n",
    );
  },
});

Deno.test("set-environment reaches services started later; unset-environment removes it", async () => {
  const root = makeTree({
    "etc/systemd/system/envdump.service": "[Unit]\nConditionEnvironment=FROM_MANAGER\n" +
      "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo \"$FROM_MANAGER\" > %t/envdump.out'\n",
  });
  const env = { PATH: "/usr/bin:/bin", HOME: "/root" };
  strictEqual(
    (await systemctl([`--root=${root}`, "set-environment", "FROM_MANAGER=a b"], { env })).code,
    0,
  );
  const shown = await systemctl([`--root=${root}`, "show-environment"], { env });
  match(shown.stdout, /^FROM_MANAGER=\$'a b'$/m);
  match(shown.stdout, /^LANG=C\.UTF-8$/m);
  strictEqual((await systemctl([`--root=${root}`, "start", "envdump"], { env })).code, 0);
  strictEqual(Deno.readTextFileSync(`${root}/run/envdump.out`), "a b\n");
  await systemctl([`--root=${root}`, "unset-environment", "FROM_MANAGER"], { env });
  ok(!(await systemctl([`--root=${root}`, "show-environment"], { env })).stdout.includes("FROM_"));
  const bad = await systemctl([`--root=${root}`, "set-environment", "1X=y"], { env });
  strictEqual(bad.code, 1);
  strictEqual(bad.stderr, "Not a valid environment variable assignment: 1X=y\n");
});

Deno.test("try-restart of a not-found unit says not found with its verb, exit 5", async () => {
  const root = makeTree({ "etc/systemd/system/.keep": "" });
  const r = await systemctl([`--root=${root}`, "try-restart", "nosuch"]);
  strictEqual(r.stderr, "Failed to try-restart nosuch.service: Unit nosuch.service not found.\n");
  strictEqual(r.code, 5);
});

Deno.test("an empty unit name cannot be mangled: systemd's two lines, exit 1, nothing done", async () => {
  const root = makeTree({ "etc/systemd/system/a.service": "[Service]\nExecStart=/bin/true\n" });
  for (const verb of ["start", "stop", "status", "show"]) {
    const r = await systemctl([`--root=${root}`, verb, "a", ""]);
    strictEqual(
      r.stderr,
      "Failed to mangle name: Invalid argument\nFailed to expand names: Invalid argument\n",
      verb,
    );
    strictEqual(r.stdout, "", verb);
    strictEqual(r.code, 1, verb);
  }
});

Deno.test("FIFOs in unit directories are skipped, never opened, as systemd does", async () => {
  const root = makeTree({
    "etc/systemd/system/ok.service": "[Service]\nExecStart=/bin/true\n" +
      "[Install]\nWantedBy=multi-user.target\n",
    "etc/systemd/system/ok.service.d/a.conf": "[Service]\nNice=3\n",
  });
  const dir = `${root}/etc/systemd/system`;
  for (const f of ["fifo.service", "ok.service.d/b.conf", "other.fifo"]) {
    const mk = new Deno.Command("mkfifo", { args: [`${dir}/${f}`] }).outputSync();
    strictEqual(mk.code, 0);
  }
  // A hang is the bug: each run is killed after 20 s and then fails.
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...PERMS, MOD, `--root=${root}`, ...args],
      env: { NO_COLOR: "1" },
      stdin: "null",
      signal: AbortSignal.timeout(20_000),
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  };
  strictEqual((await run("daemon-reload")).code, 0);
  const all = await run("list-units", "--all", "--plain", "--no-legend");
  strictEqual(all.code, 0);
  ok(!all.stdout.includes("fifo.service"));
  const files = await run("list-unit-files", "--no-legend");
  ok(files.stdout.includes("ok.service"));
  ok(!files.stdout.includes("fifo.service"));
  const shown = parseShow((await run("show", "fifo", "ok")).stdout);
  strictEqual(shown.LoadState, "loaded"); // ok.service, the last block
  strictEqual(shown.DropInPaths, "/etc/systemd/system/ok.service.d/a.conf");
  strictEqual(shown.Nice, "3");
  strictEqual(parseShow((await run("show", "fifo")).stdout).LoadState, "not-found");
  const cat = await run("cat", "fifo");
  strictEqual(cat.code, 1);
  strictEqual(cat.stdout, "");
  const start = await run("start", "fifo");
  strictEqual(start.stderr, "Failed to start fifo.service: Unit fifo.service not found.\n");
  strictEqual(start.code, 5);
  strictEqual((await run("is-enabled", "ok")).stdout, "disabled\n");
});

Deno.test("show of a service refused by verification keeps its parsed settings and derived Type", async () => {
  const root = makeTree({
    "etc/systemd/system/two.service":
      "[Service]\nTimeoutStartSec=29s\nExecStart=/bin/true\nExecStart=/bin/false\n",
    "etc/systemd/system/none.service": "[Service]\nTimeoutStartSec=29s\n",
    "etc/systemd/system/bare.service": "[Unit]\nDescription=x\n",
    "etc/systemd/system/rel.service": "[Service]\nTimeoutStartSec=29s\nExecStart=relative/path\n",
  });
  const show = async (u: string) =>
    parseShow(
      (await systemctl([`--root=${root}`, "show", u, "-p", "LoadState,Type,TimeoutStartUSec"]))
        .stdout,
    );
  deepStrictEqual(await show("two"), {
    LoadState: "bad-setting",
    Type: "simple",
    TimeoutStartUSec: "29s",
  });
  deepStrictEqual(await show("none"), {
    LoadState: "bad-setting",
    Type: "oneshot",
    TimeoutStartUSec: "29s",
  });
  deepStrictEqual(await show("bare"), {
    LoadState: "bad-setting",
    Type: "oneshot",
    TimeoutStartUSec: "infinity",
  });
  // A broken Exec line fails while parsing, before systemd derives anything (checked on a
  // live systemd 252 in tests/diff/live_systemd_diff_test.ts).
  deepStrictEqual(await show("rel"), {
    LoadState: "bad-setting",
    Type: "",
    TimeoutStartUSec: "1min 30s",
  });
});
