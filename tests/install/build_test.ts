/**
 * scripts/build.ts: the bundle path, the compile path's one-line fallback,
 * and the launchers it writes.
 */
import assert from "node:assert/strict";
import { PERMISSION_FLAGS, RUN_FLAGS } from "../../scripts/flags.ts";
import {
  bundleLauncher,
  compiledLauncher,
  LAUNCHER_MARK,
  shQuote,
} from "../../scripts/launcher.ts";
import { hideLazyImports, parseBuildArgs, parseLdd } from "../../scripts/build.ts";

const BUILD = new URL("../../scripts/build.ts", import.meta.url).pathname;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  const out = await new Deno.Command(cmd, {
    args,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function build(out: string, mode: string, env: Record<string, string> = {}) {
  return await run(Deno.execPath(), ["run", "--allow-all", BUILD, mode, "--out", out], env);
}

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "systemctl-build-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("build bundle writes systemctl.js and launchers that run it", async () => {
  await withTemp(async (dir) => {
    const r = await build(dir, "bundle");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const names = () => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    const first = names();
    for (const name of ["journalctl", "systemctl", "systemctl.js"]) assert.ok(first.includes(name));
    // The rest are the lazily loaded modules of the split bundle.
    for (const name of first.filter((n) => !/^(journalctl|systemctl|systemctl\.js)$/.test(n))) {
      assert.match(name, /^[\w.-]+-[A-Z0-9]{8}\.js$/);
    }
    // A rebuild leaves no stale modules behind.
    await Deno.writeTextFile(`${dir}/stale-ABCDEFGH.js`, "");
    assert.equal((await build(dir, "bundle")).code, 0);
    assert.deepEqual(names(), first);
    const v = await run(`${dir}/systemctl`, ["--no-pager", "--version"]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^systemd 252 /);
  });
});

Deno.test("build compile falls back to the bundle with one line when DENORT_BIN is missing", async () => {
  await withTemp(async (dir) => {
    const r = await build(dir, "compile", { DENORT_BIN: `${dir}/no-such-denort` });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      /^deno compile: DENORT_BIN=.*no-such-denort did not work \(.*\); falling back/,
    );
    assert.ok((await Deno.stat(`${dir}/systemctl.js`)).isFile);
    const v = await run(`${dir}/systemctl`, ["--no-pager", "--version"]);
    assert.match(v.stdout, /^systemd 252 /);
  });
});

Deno.test("build bundle --with-runtime copies Deno and the C runtime ldd lists, and runs through it", async () => {
  await withTemp(async (dir) => {
    const r = await run(Deno.execPath(), [
      "run",
      "--allow-all",
      BUILD,
      "bundle",
      "--with-runtime",
      "--out",
      dir,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const ldd = parseLdd(
      new TextDecoder().decode(
        (await new Deno.Command("ldd", { args: [Deno.execPath()] }).output()).stdout,
      ),
    );
    assert.ok(ldd);
    const crt = [...Deno.readDirSync(`${dir}/crt`)].map((e) => e.name).sort();
    assert.deepEqual(crt, [ldd.loader.name, ...ldd.libraries.map((l) => l.name)].sort());
    for (const lib of ldd.libraries) {
      assert.deepEqual(
        await Deno.readFile(`${dir}/crt/${lib.name}`),
        await Deno.readFile(lib.path),
      );
    }
    const launcher = await Deno.readTextFile(`${dir}/systemctl`);
    const exec = launcher.split("\n").find((l) => l.startsWith("exec "))!;
    assert.ok(
      exec.startsWith(
        `exec "$crt/${ldd.loader.name}" --inhibit-cache --library-path "$crt" "$deno" run `,
      ),
      exec,
    );
    assert.doesNotMatch(launcher, /LD_LIBRARY_PATH|LD_PRELOAD/);
    const v = await run(`${dir}/systemctl`, ["--no-pager", "--version"]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /^systemd 252 /);

    // --system-libc: no C runtime, the launcher runs Deno directly.
    const sys = await run(Deno.execPath(), [
      "run",
      "--allow-all",
      BUILD,
      "bundle",
      "--with-runtime",
      "--system-libc",
      "--out",
      dir,
    ]);
    assert.equal(sys.code, 0, sys.stderr);
    assert.ok(!(await exists(`${dir}/crt`)));
    assert.match(await Deno.readTextFile(`${dir}/systemctl`), /^exec "\$deno" run /m);
  });
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("parseLdd reads the loader and the libraries and skips the vDSO", () => {
  const text = `\tlinux-vdso.so.1 (0x00007ffd)
\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f46040a4000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f45fdf3e000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f46040bc000)
`;
  assert.deepEqual(parseLdd(text), {
    loader: { name: "ld-linux-x86-64.so.2", path: "/lib64/ld-linux-x86-64.so.2" },
    libraries: [
      { name: "libdl.so.2", path: "/lib/x86_64-linux-gnu/libdl.so.2" },
      { name: "libc.so.6", path: "/lib/x86_64-linux-gnu/libc.so.6" },
    ],
  });
  assert.equal(parseLdd("\tnot a dynamic executable\n"), undefined);
  assert.throws(() => parseLdd("\tlibfoo.so.1 => not found\n"), /libfoo\.so\.1 not found/);
});

Deno.test("build compile rejects a full deno given as DENORT_BIN: the result would not run", async () => {
  await withTemp(async (dir) => {
    const r = await build(dir, "compile", { DENORT_BIN: Deno.execPath() });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /does not run .*falling back to deno bundle\.$/);
    assert.match(await Deno.readTextFile(`${dir}/systemctl`), /^#!\/bin\/sh\n/);
  });
});

Deno.test("build rejects an unknown argument with usage and exit 2", async () => {
  const r = await run(Deno.execPath(), ["run", "--allow-all", BUILD, "bundle", "--frob"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown argument --frob/);
  assert.match(r.stderr, /usage: /);
  assert.throws(() => parseBuildArgs([]), /missing mode/);
  assert.deepEqual(parseBuildArgs(["compile", "--out=/x", "--with-runtime"]), {
    mode: "compile",
    out: "/x",
    withRuntime: true,
    systemLibc: false,
  });
  assert.equal(parseBuildArgs(["bundle", "--system-libc"]).systemLibc, true);
});

Deno.test("the bundle launcher passes the permission list and the caller's arguments", () => {
  const text = bundleLauncher({ prefixArgs: ["--journalctl"] });
  assert.match(text, /^#!\/bin\/sh\n/);
  assert.ok(text.includes(LAUNCHER_MARK));
  const exec = text.split("\n").find((l) => l.startsWith("exec "))!;
  assert.equal(
    exec,
    `exec "$deno" run ${
      [...PERMISSION_FLAGS, ...RUN_FLAGS].join(" ")
    } $v8 "$lib/systemctl.js" --journalctl "$@"`,
  );
  assert.ok(!/ -A | --allow-all/.test(text));
  assert.match(
    compiledLauncher({ prefixArgs: ["--journalctl"] }),
    /^exec "\$lib\/deno-systemctl" --journalctl "\$@"$/m,
  );
  assert.match(
    compiledLauncher({ crt: { loader: "ld-linux-x86-64.so.2", libraries: ["libc.so.6"] } }),
    /^exec "\$crt\/ld-linux-x86-64\.so\.2" --inhibit-cache --library-path "\$crt" "\$lib\/deno-systemctl" "\$@"$/m,
  );
});

Deno.test("the bundle launcher trims the init's idle memory and spares short verbs their scavenges", async () => {
  await withTemp(async (dir) => {
    Deno.writeTextFileSync(`${dir}/systemctl`, bundleLauncher());
    Deno.writeTextFileSync(`${dir}/systemctl.js`, "");
    Deno.writeTextFileSync(`${dir}/deno`, '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
    const run = async (...args: string[]) =>
      new TextDecoder().decode(
        (await new Deno.Command("sh", { args: [`${dir}/systemctl`, ...args] }).output()).stdout,
      );
    assert.match(
      await run("init"),
      /--v8-flags=--expose-gc,--max-semi-space-size=1,--no-memory-reducer /,
    );
    assert.match(await run("status"), /--v8-flags=--min-semi-space-size=4 /);
    assert.doesNotMatch(await run("status"), /--max-semi-space-size|--expose-gc/);
  });
});

Deno.test("shQuote leaves plain words alone and quotes the rest", () => {
  assert.equal(shQuote("/usr/lib/deno"), "/usr/lib/deno");
  assert.equal(shQuote("a b"), "'a b'");
  assert.equal(shQuote("it's"), `'it'\\''s'`);
});

/** The generated launchers, written into `dir`, and install.sh: the shell scripts we ship. */
async function shellScripts(dir: string): Promise<string[]> {
  const files = {
    "bundle.sh": bundleLauncher({ fallbackDeno: "/opt/deno x/deno" }),
    "compiled.sh": compiledLauncher({ prefixArgs: ["--journalctl"] }),
    "compiled-crt.sh": compiledLauncher({
      crt: { loader: "ld-linux-x86-64.so.2", libraries: ["libc.so.6", "libm.so.6"] },
    }),
    "bundle-crt.sh": bundleLauncher({
      crt: { loader: "ld-linux-aarch64.so.1", libraries: ["libc.so.6"] },
      prefixArgs: ["--journalctl"],
    }),
  };
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  const install = new URL("../../install.sh", import.meta.url).pathname;
  return [...Object.keys(files).map((n) => `${dir}/${n}`), install];
}

Deno.test("the generated launchers and install.sh pass sh -n", async () => {
  await withTemp(async (dir) => {
    for (const path of await shellScripts(dir)) {
      const r = await run("sh", ["-n", path]);
      assert.equal(r.code, 0, `${path}: ${r.stderr}`);
    }
  });
});

const NO_SHELLCHECK = (() => {
  try {
    new Deno.Command("shellcheck", { args: ["--version"], stdout: "null" }).outputSync();
    return undefined;
  } catch {
    return "shellcheck is not installed (apt-get install -y shellcheck; .ci/run installs it)";
  }
})();
if (NO_SHELLCHECK) console.log(`build_test: shellcheck test ignored: ${NO_SHELLCHECK}`);

Deno.test({
  name: "the generated launchers and install.sh pass shellcheck",
  ignore: NO_SHELLCHECK !== undefined,
  fn: async () => {
    await withTemp(async (dir) => {
      const check: Result = await run("shellcheck", ["-s", "sh", ...await shellScripts(dir)]);
      assert.equal(check.code, 0, check.stdout);
    });
  },
});

Deno.test("hideLazyImports turns literal chunk imports into ones Deno does not preload", () => {
  assert.equal(
    hideLazyImports('a(),import("./lifecycle-NOEZB3FS.js").then(x),import(y),import("node:fs")'),
    'a(),import(["./lifecycle-NOEZB3FS.js"][0]).then(x),import(y),import("node:fs")',
  );
});

/** A launcher beside a fake runtime and loader that print what they were started with. */
async function fakeInstall(dir: string): Promise<string> {
  const crt = { loader: "ld-fake.so.2", libraries: ["libc.so.6", "libm.so.6"] };
  await Deno.mkdir(`${dir}/bin`, { recursive: true });
  const lib = `${dir}/lib/deno-systemctl`;
  await Deno.mkdir(`${lib}/crt`, { recursive: true });
  await Deno.writeTextFile(`${dir}/bin/systemctl`, bundleLauncher({ crt }), { mode: 0o755 });
  await Deno.writeTextFile(`${lib}/systemctl.js`, "");
  await Deno.writeTextFile(`${lib}/deno`, "", { mode: 0o755 });
  for (const name of crt.libraries) await Deno.writeTextFile(`${lib}/crt/${name}`, "");
  await Deno.writeTextFile(
    `${lib}/crt/ld-fake.so.2`,
    '#!/bin/sh\necho "cwd=$(pwd) lost=${SYSTEMCTL_LOST_CWD:-} ld=${LD_LIBRARY_PATH:-}${LD_PRELOAD:-}"\necho "$@"\n',
    { mode: 0o755 },
  );
  return `${dir}/bin/systemctl`;
}

async function runIn(cwd: string | undefined, cmd: string, args: string[]): Promise<Result> {
  // sh cd's first: Deno cannot spawn a child into a directory that is gone.
  const script = cwd
    ? `cd "$1" && shift && ${cwd.endsWith("gone") ? 'rmdir "$PWD" && ' : ""}exec "$@"`
    : 'exec "$@"';
  return await run("sh", ["-c", script, "sh", ...(cwd ? [cwd] : []), cmd, ...args]);
}

Deno.test("the launcher starts the runtime through the bundled loader, with nothing in the environment", async () => {
  await withTemp(async (dir) => {
    const launcher = await fakeInstall(dir);
    const r = await runIn(undefined, launcher, ["is-active", "x"]);
    assert.equal(r.code, 0, r.stderr);
    const [env, args] = r.stdout.trim().split("\n");
    assert.match(env, /lost= ld=$/);
    const lib = `${dir}/lib/deno-systemctl`;
    assert.ok(
      args.startsWith(`--inhibit-cache --library-path ${lib}/crt ${lib}/deno run --allow-read `),
      args,
    );
    assert.ok(args.endsWith(`${lib}/systemctl.js is-active x`), args);
  });
});

Deno.test("the launcher names a missing loader or library in one line, exit 127", async () => {
  await withTemp(async (dir) => {
    const launcher = await fakeInstall(dir);
    for (const name of ["libm.so.6", "ld-fake.so.2"]) {
      await Deno.remove(`${dir}/lib/deno-systemctl/crt/${name}`);
      const r = await runIn(undefined, launcher, ["--version"]);
      assert.equal(r.code, 127);
      assert.equal(r.stdout, "");
      assert.equal(
        r.stderr,
        `systemctl: ${dir}/lib/deno-systemctl/crt/${name} is missing; reinstall deno-systemctl (install.sh)\n`,
      );
    }
  });
});

Deno.test("the launcher starts from / and says so when the working directory is gone", async () => {
  await withTemp(async (dir) => {
    const launcher = await fakeInstall(dir);
    await Deno.mkdir(`${dir}/gone`);
    const r = await runIn(`${dir}/gone`, launcher, ["--version"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^cwd=\/ lost=1 ld=$/m);
    // A working directory that exists: left alone, and a stale flag from a caller is dropped.
    const here = await run("sh", ["-c", `cd "${dir}" && exec "$0" --version`, launcher], {
      SYSTEMCTL_LOST_CWD: "1",
    });
    assert.match(here.stdout, new RegExp(`^cwd=${dir} lost= ld=$`, "m"));
    // Reached by a relative path: its parts are still found.
    const rel = await run("sh", ["-c", `cd "${dir}" && exec bin/systemctl --version`]);
    assert.equal(rel.code, 0, rel.stderr);
  });
});
