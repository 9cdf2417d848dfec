/**
 * scripts/build.ts: the bundle path, the compile path's one-line fallback,
 * and the launchers it writes.
 */
import assert from "node:assert/strict";
import { PERMISSION_FLAGS, RUN_FLAGS } from "../../scripts/flags.ts";
import {
  bundleLauncher,
  compiledCompanionLauncher,
  LAUNCHER_MARK,
  shQuote,
} from "../../scripts/launcher.ts";
import { hideLazyImports, parseBuildArgs } from "../../scripts/build.ts";

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
    const v = await run(`${dir}/systemctl`, ["--version"]);
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
    const v = await run(`${dir}/systemctl`, ["--version"]);
    assert.match(v.stdout, /^systemd 252 /);
  });
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
  });
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
    compiledCompanionLauncher(["--journalctl"]),
    /exec "\$here\/systemctl" --journalctl "\$@"/,
  );
});

Deno.test("the bundle launcher turns on the idle memory trim only for the init", async () => {
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
    assert.doesNotMatch(await run("status"), /--v8-flags/);
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
    "companion.sh": compiledCompanionLauncher(["--journalctl"]),
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
