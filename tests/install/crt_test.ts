/**
 * The installed artifact on its own C runtime (issue 19): the launchers start Deno through the
 * bundled dynamic loader, the runtime's FFI binds the bundled libc (every symbol the program
 * uses), nothing reaches the environment, the exec helper starts through the same loader, and
 * the launchers work from a working directory that is gone or unreadable. One install (bundle
 * mode) serves every test; each test works on its own copy. Needs root (chroot-free, but a
 * service runs as `nobody`); skips with a printed reason otherwise.
 */
import assert from "node:assert/strict";
import { isRoot } from "../support/rootfs.ts";

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const INSTALL = `${REPO}/install.sh`;
const SKIP = isRoot() ? undefined : "the C runtime tests run as root (User=nobody, setpriv)";
if (SKIP) console.log(`ignored (C runtime tests): ${SKIP}`);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function sh(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Result> {
  const out = await new Deno.Command(cmd, {
    args,
    env: { NO_COLOR: "1", PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

let built: Promise<string> | undefined;

/** One bundle install for the whole file (a build takes several seconds). */
function installed(): Promise<string> {
  built ??= (async () => {
    const root = await Deno.makeTempDir({ prefix: "systemctl-crt-" });
    const r = await new Deno.Command("sh", {
      args: [INSTALL, "--root", root, "--bundle"],
      stdin: "null",
    }).output();
    globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
    if (r.code !== 0) throw new Error(`install.sh failed: ${new TextDecoder().decode(r.stderr)}`);
    return root;
  })();
  return built;
}

/** A private copy of the install (tests change it). */
async function copy(): Promise<string> {
  const from = await installed();
  const to = await Deno.makeTempDir({ prefix: "systemctl-crt-copy-" });
  const r = await sh("cp", ["-a", `${from}/.`, to]);
  assert.equal(r.code, 0, r.stderr);
  await Deno.chmod(to, 0o755);
  return to;
}

async function remove(dir: string): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

// Stands in for systemctl.js: binds every libc symbol of the program the way it does, and
// reports which C library files the process maps, its environment and its re-invocation.
function probe(): string {
  const url = (p: string) => new URL(`../../src/process/${p}`, import.meta.url).href;
  return `
import { libc, LIBC_SYMBOL_NAMES } from "${url("libc.ts")}";
import { readProcText } from "${url("procread.ts")}";
import { selfCommand } from "${url("self.ts")}";
const c = libc();
let bound = 0;
for (const name of LIBC_SYMBOL_NAMES) if (typeof c[name] === "function") bound++;
const libs = [...new Set(readProcText("/proc/self/maps").split("\\n")
  .map((l) => l.split(/\\s+/)[5] ?? "").filter((p) => /\\.so(\\.|$)/.test(p)))];
const env = Object.keys(Deno.env.toObject()).filter((k) => /^LD_/.test(k));
console.log(JSON.stringify({ bound, pid: c.getpid() === Deno.pid, libs, env, self: selfCommand() }));
`;
}

Deno.test({
  name:
    "the runtime's FFI binds the bundled libc for every symbol, and nothing is in the environment",
  ignore: SKIP !== undefined,
  sanitizeResources: false,
}, async () => {
  const root = await copy();
  try {
    const lib = `${root}/usr/lib/deno-systemctl`;
    await Deno.writeTextFile(`${lib}/systemctl.js`, probe());
    const r = await sh(`${root}/usr/bin/systemctl`, []);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    const { LIBC_SYMBOL_NAMES } = await import("../../src/process/libc.ts");
    assert.equal(report.bound, LIBC_SYMBOL_NAMES.length);
    assert.ok(report.pid);
    // Every shared object mapped is the bundled one: this machine has its own libc.so.6 too.
    assert.ok(report.libs.length >= 3, report.libs);
    for (const p of report.libs) assert.ok(p.startsWith(`${lib}/crt/`), `${p} is not bundled`);
    assert.ok(report.libs.includes(`${lib}/crt/libc.so.6`), report.libs);
    assert.deepEqual(report.env, []);
    // The exec helper starts the same runtime through the same loader.
    const loader = report.libs.find((p: string) => /\/ld-linux[^/]*$/.test(p));
    assert.equal(report.self.cmd, loader);
    assert.deepEqual(report.self.args.slice(0, 5), [
      "--inhibit-cache",
      "--library-path",
      `${lib}/crt`,
      `${lib}/deno`,
      "run",
    ]);
  } finally {
    await remove(root);
  }
});

Deno.test({
  name: "the exec helper starts through the bundled loader: User= and limits apply, the service " +
    "runs on the system's libc with no LD_ variable",
  ignore: SKIP !== undefined,
}, async () => {
  const root = await copy();
  const systemctl = `${root}/usr/bin/systemctl`;
  try {
    await Deno.mkdir(`${root}/etc/systemd/system`, { recursive: true });
    await Deno.writeTextFile(
      `${root}/etc/systemd/system/probe.service`,
      "[Service]\nExecStart=/bin/sleep 60\nUser=nobody\nLimitNOFILE=123\n",
    );
    const start = await sh(systemctl, [`--root=${root}`, "start", "probe.service"]);
    assert.equal(start.code, 0, start.stdout + start.stderr);
    const show = await sh(systemctl, [
      `--root=${root}`,
      "show",
      "probe",
      "-p",
      "MainPID",
      "--value",
    ]);
    const pid = Number(show.stdout.trim());
    assert.ok(pid > 1, show.stdout + show.stderr);
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    assert.match(status, /^Uid:\s+65534\s/m);
    assert.match(await Deno.readTextFile(`/proc/${pid}/limits`), /^Max open files\s+123\s+123\s/m);
    const environ = (await Deno.readTextFile(`/proc/${pid}/environ`)).split("\0");
    assert.deepEqual(environ.filter((e) => /^(LD_|SYSTEMCTL_)/.test(e)), []);
    const maps = await Deno.readTextFile(`/proc/${pid}/maps`);
    assert.doesNotMatch(maps, /deno-systemctl\/crt/);
    assert.match(maps, /libc\.so\.6/);
    const stop = await sh(systemctl, [`--root=${root}`, "stop", "probe.service"]);
    assert.equal(stop.code, 0, stop.stderr);
  } finally {
    await sh(systemctl, [`--root=${root}`, "kill", "-s", "KILL", "probe.service"]);
    await remove(root);
  }
});

/** Runs the installed launcher from a working directory that is removed before the exec. */
function fromGone(dir: string, launcher: string, args: string[]): Promise<Result> {
  return sh("sh", [
    "-c",
    'mkdir "$1" && cd "$1" && rmdir "$1" && shift && exec "$@"',
    "sh",
    dir,
    launcher,
    ...args,
  ]);
}

/** stderr without the shell's own complaint (dash: `sh: 0: getcwd() failed: …`). */
function ownLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) =>
    l && !/getcwd\(\) failed|error retrieving current directory/.test(l)
  );
}

Deno.test({
  name: "systemctl and journalctl work from a working directory that is gone",
  ignore: SKIP !== undefined,
}, async () => {
  const root = await copy();
  try {
    const bin = `${root}/usr/bin`;
    const version = await fromGone(`${root}/gone`, `${bin}/systemctl`, ["--version"]);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^systemd 252 /);
    assert.deepEqual(ownLines(version.stderr), []);
    const active = await fromGone(`${root}/gone`, `${bin}/systemctl`, [
      `--root=${root}`,
      "is-active",
      "x",
    ]);
    assert.equal(active.stdout.trim(), "inactive", active.stderr);
    assert.equal(active.code, 3);
    const journal = await fromGone(`${root}/gone`, `${bin}/journalctl`, [
      `--root=${root}`,
      "-u",
      "x",
    ]);
    assert.equal(journal.code, 0, journal.stderr);
    assert.deepEqual(ownLines(journal.stderr), []);
    // A relative path cannot be resolved any more: one line, systemctl's words.
    const link = await fromGone(`${root}/gone`, `${bin}/systemctl`, [
      `--root=${root}`,
      "link",
      "./x.service",
    ]);
    assert.equal(link.code, 1);
    assert.deepEqual(ownLines(link.stderr), [
      "Failed to mangle unit name or path './x.service': No such file or directory",
    ]);
  } finally {
    await remove(root);
  }
});

Deno.test({
  name: "systemctl works from a working directory the caller cannot read",
  ignore: SKIP !== undefined,
}, async () => {
  const root = await copy();
  try {
    await Deno.mkdir(`${root}/locked`, { mode: 0o000 });
    await Deno.chmod(`${root}/locked`, 0o000);
    // Entered as root, then the user changes (as `docker exec -u nobody -w DIR` does).
    const asNobody = (args: string[]) =>
      sh("sh", [
        "-c",
        'cd "$1" && shift && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"',
        "sh",
        `${root}/locked`,
        `${root}/usr/bin/systemctl`,
        ...args,
      ]);
    const version = await asNobody(["--version"]);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^systemd 252 /);
    const active = await asNobody([`--root=${root}`, "is-active", "x"]);
    assert.equal(active.stdout.trim(), "inactive", active.stderr);
  } finally {
    await remove(root);
  }
});

Deno.test({
  name: "a loader or library missing from the install is named in one line, not a loader crash",
  ignore: SKIP !== undefined,
}, async () => {
  const root = await copy();
  try {
    const crt = `${root}/usr/lib/deno-systemctl/crt`;
    for (const name of ["libm.so.6", "ld-linux-x86-64.so.2"]) {
      await Deno.remove(`${crt}/${name}`).catch(() => {});
      const r = await sh(`${root}/usr/bin/systemctl`, ["--version"]);
      assert.equal(r.code, 127);
      assert.equal(
        r.stderr,
        `systemctl: ${crt}/${name} is missing; reinstall deno-systemctl (install.sh)\n`,
      );
    }
  } finally {
    await remove(root);
  }
});
