/**
 * install.sh end to end: into temporary roots and into a Debian bookworm
 * rootfs driven through chroot, as an image build would. Needs root; skips
 * with a printed reason otherwise.
 */
import assert from "node:assert/strict";
import { copyRootfs, ensureRootfs, isRoot, rootfsSkipReason } from "../support/rootfs.ts";

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const INSTALL = `${REPO}/install.sh`;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function sh(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Result> {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Why install tests cannot run here, or undefined. */
function cannotRun(): string | undefined {
  if (!isRoot()) return "install tests run as root (chroot, setpriv, file ownership)";
  return undefined;
}

// Decided before registering, so that a test that cannot run is reported as ignored.
const CANNOT_RUN = cannotRun();
if (CANNOT_RUN) console.log(`ignored (install tests): ${CANNOT_RUN}`);

async function tempRoot(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "systemctl-install-" }); // removed by the caller's cleanup()
}

async function install(root: string, ...flags: string[]): Promise<Result> {
  const r = await sh("sh", [INSTALL, "--root", root, ...flags]);
  assert.equal(r.code, 0, `install.sh failed:\n${r.stdout}${r.stderr}`);
  return r;
}

async function fixtureRoot(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "systemctl-fixture-" });
  await Deno.mkdir(`${root}/etc/systemd/system`, { recursive: true });
  await Deno.writeTextFile(
    `${root}/etc/systemd/system/web.service`,
    "[Unit]\nDescription=Web\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
  );
  return root;
}

async function cleanup(...dirs: string[]): Promise<void> {
  for (const d of dirs) await Deno.remove(d, { recursive: true }).catch(() => {});
}

Deno.test({
  name:
    "install.sh --root --bundle into a directory that does not exist yet gives launchers that run",
  ignore: CANNOT_RUN !== undefined,
}, async () => {
  const parent = await tempRoot();
  const root = `${parent}/new/image`;
  const fixture = await fixtureRoot();
  try {
    const r = await install(root, "--bundle");
    const lines = r.stdout.trim().split("\n");
    assert.deepEqual(lines.filter((l) => l.startsWith("installed ")).map((l) => l.split(" ")[1]), [
      `${root}/usr/lib/deno-systemctl/systemctl.js`,
      `${root}/usr/lib/deno-systemctl/deno`,
      `${root}/usr/lib/deno-systemctl/crt/`,
      `${root}/usr/bin/systemctl`,
      `${root}/usr/bin/journalctl`,
    ]);
    assert.match(
      r.stdout,
      /^installed .*\/crt\/ \(the C runtime Deno runs on: glibc 2\.\d+, 7 files\)$/m,
    );
    assert.equal(
      lines.at(-1),
      `deno-systemctl (bundle) is ${root}/usr/bin/systemctl (install.sh --uninstall --root ${root} removes it)`,
    );

    const version = await sh(`${root}/usr/bin/systemctl`, ["--version"], { cwd: "/" });
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout.split("\n")[0], /^systemd 252 /);

    const list = await sh(`${root}/usr/bin/systemctl`, [`--root=${fixture}`, "list-unit-files"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^web\.service\s+disabled/m);
    assert.match(list.stdout, /unit files listed\.$/m);

    // Reached through a symlink elsewhere, it still finds its parts.
    const link = `${fixture}/sc`;
    await Deno.symlink(`${root}/usr/bin/systemctl`, link);
    const viaLink = await sh(link, ["--version"]);
    assert.match(viaLink.stdout, /^systemd 252 /);

    const journal = await Deno.readTextFile(`${root}/usr/bin/journalctl`);
    assert.match(journal, /^#!\/bin\/sh\n/);
    assert.match(journal, /"\$lib\/systemctl\.js" --journalctl "\$@"/);
    assert.equal((await Deno.stat(`${root}/usr/bin/journalctl`)).mode! & 0o111, 0o111);
  } finally {
    await cleanup(parent, fixture);
  }
});

Deno.test({
  name: "install.sh is idempotent: a second run changes nothing and says so",
  ignore: CANNOT_RUN !== undefined,
}, async () => {
  const root = await tempRoot();
  try {
    await install(root, "--bundle");
    const before = (await Deno.stat(`${root}/usr/bin/systemctl`)).mtime;
    const r = await install(root, "--bundle");
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.filter((l) => l.startsWith("unchanged ")).length, 5, r.stdout);
    assert.equal(lines.filter((l) => l.startsWith("installed ")).length, 0, r.stdout);
    assert.deepEqual((await Deno.stat(`${root}/usr/bin/systemctl`)).mtime, before);
    const leftovers = [...Deno.readDirSync(`${root}/usr`)].map((e) => e.name).sort();
    assert.deepEqual(leftovers, ["bin", "lib"]);
  } finally {
    await cleanup(root);
  }
});

Deno.test("install.sh: an unknown flag prints usage and exits 2, installing nothing", async () => {
  const root = await tempRoot();
  try {
    const r = await sh("sh", [INSTALL, "--root", root, "--frobnicate"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option --frobnicate/);
    assert.match(r.stderr, /^usage: install\.sh /m);
    assert.deepEqual([...Deno.readDirSync(root)], []);
  } finally {
    await cleanup(root);
  }
});

Deno.test({
  name: "install.sh refuses to replace a real systemd systemctl without --force",
  ignore: CANNOT_RUN !== undefined,
}, async () => {
  const root = await tempRoot();
  try {
    await Deno.mkdir(`${root}/usr/bin`, { recursive: true });
    const real = `${root}/usr/bin/systemctl`;
    // An ELF that is not ours: the host's systemctl when there is one.
    try {
      await Deno.copyFile("/usr/bin/systemctl", real);
    } catch {
      await Deno.writeFile(real, new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
    }
    const original = await Deno.readFile(real);
    const r = await sh("sh", [INSTALL, "--root", root, "--bundle"]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /refusing to replace .*systemctl: .*--force/);
    assert.deepEqual(await Deno.readFile(real), original);
    assert.deepEqual([...Deno.readDirSync(`${root}/usr`)].map((e) => e.name), ["bin"]);

    const forced = await install(root, "--bundle", "--force");
    assert.match(
      forced.stdout,
      new RegExp(
        `^installed ${real} \\(the one it replaced is kept in .*--uninstall puts it back\\)$`,
        "m",
      ),
    );
    assert.match(await Deno.readTextFile(real), /deno-systemctl launcher/);

    // --uninstall removes ours and puts the replaced one back, byte for byte.
    const un = await sh("sh", [INSTALL, "--root", root, "--uninstall"]);
    assert.equal(un.code, 0, un.stdout + un.stderr);
    assert.match(
      un.stdout,
      new RegExp(`^restored ${real} \\(the file --force replaced at install\\)$`, "m"),
    );
    assert.deepEqual(await Deno.readFile(real), original);
    assert.deepEqual([...Deno.readDirSync(`${root}/usr/bin`)].map((e) => e.name), ["systemctl"]);
    assert.deepEqual([...Deno.readDirSync(`${root}/usr`)].map((e) => e.name), ["bin"]);
  } finally {
    await cleanup(root);
  }
});

Deno.test({
  name: "install.sh without write access to the target fails clearly and leaves nothing",
  ignore: CANNOT_RUN !== undefined,
}, async () => {
  const root = await tempRoot();
  try {
    await Deno.chmod(root, 0o755);
    const r = await sh("setpriv", [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "sh",
      INSTALL,
      "--root",
      root,
      "--bundle",
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^install\.sh: cannot install into .*: no write access to /m);
    assert.deepEqual([...Deno.readDirSync(root)], []);
  } finally {
    await cleanup(root);
  }
});

// Stands in for systemctl.js: reports its arguments and permissions, then
// revokes write (as a query verb does) and tries to write.
const PROBE = `
const names = ["read", "write", "env", "sys", "run", "ffi", "net", "import"];
const granted = names.filter((name) => Deno.permissions.querySync({ name }).state === "granted");
Deno.permissions.revokeSync({ name: "write" });
let write = "ok";
try { Deno.writeTextFileSync(Deno.makeTempDirSync() + "/x", "x"); } catch (e) { write = e.constructor.name; } // removed by nobody: write is revoked, nothing is made
console.log(JSON.stringify({ args: Deno.args, granted, write, exec: Deno.execPath() }));
`;

Deno.test({
  name: "the installed launchers run with the explicit permission list, not -A",
  ignore: CANNOT_RUN !== undefined,
}, async () => {
  const root = await tempRoot();
  try {
    await install(root, "--bundle");
    const js = `${root}/usr/lib/deno-systemctl/systemctl.js`;
    await Deno.writeTextFile(js, PROBE);
    const r = await sh(`${root}/usr/bin/systemctl`, ["a", "b c"]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.args, ["a", "b c"]);
    assert.deepEqual(report.granted, ["read", "write", "env", "sys", "run", "ffi", "net"]);
    assert.equal(report.write, "NotCapable");
    // Deno runs through the bundled loader: its executable is that loader.
    assert.match(report.exec, /\/usr\/lib\/deno-systemctl\/crt\/ld-linux-[\w-]+\.so\.\d$/);
    assert.ok(report.exec.startsWith(`${root}/`), report.exec);

    const j = await sh(`${root}/usr/bin/journalctl`, ["-u", "web"]);
    assert.deepEqual(JSON.parse(j.stdout).args, ["--journalctl", "-u", "web"]);
  } finally {
    await cleanup(root);
  }
});

const NO_ROOTFS = CANNOT_RUN ?? await rootfsSkipReason();
if (NO_ROOTFS && !CANNOT_RUN) console.log(`ignored (install into a rootfs): ${NO_ROOTFS}`);

Deno.test({
  name:
    "install into a Debian bookworm rootfs: --version, enable and list-unit-files through chroot",
  ignore: NO_ROOTFS !== undefined,
}, async () => {
  const rootfs = await ensureRootfs();
  if (!rootfs.ok) throw new Error(`no bookworm rootfs: ${rootfs.reason}`);
  const root = await copyRootfs(rootfs.dir);
  let procMounted = false;
  try {
    // The default mode: deno compile, or one line and the bundle fallback.
    const r = await install(root);
    const warnings = r.stderr.trim().split("\n").filter(Boolean);
    assert.ok(warnings.length <= 1, r.stderr);
    if (warnings.length === 1) assert.match(warnings[0], /falling back to deno bundle\.$/);
    assert.match(r.stdout, new RegExp(`^installed ${root}/usr/bin/systemctl$`, "m"));

    await Deno.writeTextFile(
      `${root}/etc/systemd/system/demo.service`,
      "[Unit]\nDescription=Demo\n[Service]\nExecStart=/bin/sleep infinity\n" +
        "[Install]\nWantedBy=multi-user.target\n",
    );
    // A bare chroot, without /proc, as debootstrap-style image scripts run it.
    const version = await sh("chroot", [root, "systemctl", "--version"]);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^systemd 252 /);

    const enable = await sh("chroot", [root, "systemctl", "enable", "demo.service"]);
    assert.equal(enable.code, 0, enable.stderr);
    assert.match(
      enable.stdout + enable.stderr,
      /Created symlink \/etc\/systemd\/system\/multi-user\.target\.wants\/demo\.service/,
    );
    assert.equal(
      await Deno.readLink(`${root}/etc/systemd/system/multi-user.target.wants/demo.service`),
      "/etc/systemd/system/demo.service",
    );

    const list = await sh("chroot", [root, "systemctl", "list-unit-files"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^demo\.service\s+enabled/m);

    // With /proc mounted, as in docker build, the process-inspecting verbs work too.
    const proc = await sh("mount", ["-t", "proc", "proc", `${root}/proc`]);
    if (proc.code !== 0) {
      console.log(`skipped the /proc part: ${proc.stderr.trim()}`);
    } else {
      procMounted = true;
      const active = await sh("chroot", [root, "systemctl", "is-active", "demo.service"]);
      assert.equal(active.stdout.trim(), "inactive", active.stderr);
      assert.equal(active.code, 3);
    }

    // The same installed launcher, invoked from the host.
    const host = await sh(`${root}/usr/bin/systemctl`, [`--root=${root}`, "is-enabled", "demo"]);
    assert.equal(host.stdout.trim(), "enabled");
  } finally {
    const unmounted = !procMounted || (await sh("umount", [`${root}/proc`])).code === 0;
    if (unmounted) await cleanup(root);
  }
});
