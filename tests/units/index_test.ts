import assert from "node:assert/strict";
import { UNIT_INDEX_FILE, UnitIndex } from "../../src/units/index.ts";
import { InstallLookup, lookupState } from "../../src/units/install.ts";
import { UnitLoader } from "../../src/units/loader.ts";
import { RootMap, searchPath } from "../../src/units/paths.ts";
import { forwardDependencies, reverseLinkDependencies } from "../../src/units/deps.ts";
import { buildInstallTree, TREE_NAMES } from "../fixtures/install/tree.ts";

const DIGEST = `/run/systemctl/${UNIT_INDEX_FILE}`;
/** A clock well past every directory's last change: the digest may be written. */
const LATER = () => Date.now() + 60_000;

function withTree(fn: (dir: string, root: RootMap) => void): () => void {
  return () => {
    const dir = Deno.makeTempDirSync({ prefix: "unit-index-" });
    try {
      buildInstallTree(dir, { dangling: true });
      // More kinds of entries: a FIFO, a unit-named directory, a link to a directory, a
      // link named like a .wants directory, and a .d directory of an alias.
      new Deno.Command("mkfifo", { args: [`${dir}/etc/systemd/system/fifo.service`] })
        .outputSync();
      Deno.mkdirSync(`${dir}/etc/systemd/system/dir.service`);
      Deno.symlinkSync("/usr/lib/systemd/system", `${dir}/etc/systemd/system/todir.service`);
      Deno.symlinkSync("/etc/systemd/system/dropin.service.d", `${dir}/etc/systemd/system/x.wants`);
      Deno.symlinkSync("/usr/lib/systemd/system/a.service", `${dir}/etc/systemd/system/aa.service`);
      Deno.mkdirSync(`${dir}/etc/systemd/system/aa.service.d`);
      Deno.writeTextFileSync(`${dir}/etc/systemd/system/aa.service.d/x.conf`, "[Unit]\nX=1\n");
      fn(dir, new RootMap(dir));
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  };
}

function unitNames(): string[] {
  return [
    ...TREE_NAMES.map((n) => (n.includes(".") ? n : `${n}.service`)),
    "fifo.service",
    "dir.service",
    "todir.service",
    "dangling.service",
    "nothere.service",
    "multi-user.target",
  ];
}

/** Counts the readDirSync calls `fn` makes on `dir` (a host path). */
function listingsOf(dir: string, fn: () => void): number {
  const original = Deno.readDirSync;
  let n = 0;
  Deno.readDirSync = (path: string | URL) => {
    if (String(path) === dir) n++;
    return original(path);
  };
  try {
    fn();
  } finally {
    Deno.readDirSync = original;
  }
  return n;
}

Deno.test(
  "an index read from the search-path digest answers every lookup as a full scan",
  withTree((_dir, root) => {
    const dirs = searchPath("system", {});
    const full = UnitIndex.scan(root, dirs);
    assert.equal(full.digested, false);
    UnitIndex.scan(root, dirs, { digest: DIGEST, now: LATER() });
    const lazy = UnitIndex.scan(root, dirs, { digest: DIGEST });
    assert.equal(lazy.digested, true);
    const names = [...new Set([...unitNames(), ...full.names()])];
    for (const name of names) {
      assert.deepEqual(lazy.all(name), full.all(name), name);
      assert.deepEqual(lazy.first(name), full.first(name), name);
    }
    assert.deepEqual([...lazy.dirNames()], [...full.dirNames()]);
    for (const d of full.dirNames()) assert.deepEqual(lazy.dirsWith(d), full.dirsWith(d), d);
    const links = (i: UnitIndex) =>
      [...i.linkNames()].filter((n) => i.first(n)?.kind === "symlink");
    assert.deepEqual(links(lazy), links(full));
    assert.equal(lazy.digested, true, "no lookup needed a full scan");
    // A listing needs every name: the digested index then scans.
    assert.deepEqual([...lazy.names()], [...full.names()]);
    assert.equal(lazy.digested, false);
  }),
);

Deno.test(
  "units, their install state and dependencies load the same with and without the digest",
  withTree((dir, root) => {
    const names = unitNames();
    const env = { root, scope: "system" as const, env: {} };
    const describe = (loader: UnitLoader) =>
      names.map((n) => {
        const u = loader.load(n);
        const lp = InstallLookup.open(root, "system", {}, false, true);
        lp.useIndex(loader.index);
        return JSON.stringify({
          u: { ...u, config: u.config.keys("Unit"), diagnostics: u.diagnostics },
          state: lookupState(lp, n),
          deps: [forwardDependencies(loader, u), reverseLinkDependencies(loader, u.id)],
        });
      });
    const plain = describe(new UnitLoader(env));
    const states = () =>
      names.map((n) => {
        const lp = InstallLookup.open(root, "system", {}, false, true);
        lp.useDigest();
        return JSON.stringify(lookupState(lp, n));
      });
    const plainStates = states();
    UnitIndex.scan(root, searchPath("system", {}), { digest: DIGEST, now: LATER() });
    const digested = new UnitLoader(env);
    assert.equal(digested.index.digested, true);
    assert.deepEqual(describe(digested), plain);
    assert.deepEqual(states(), plainStates);
    assert.equal(digested.index.digested, true, "no lookup needed a full scan");
    Deno.removeSync(`${dir}${DIGEST}`);
  }),
);

Deno.test(
  "a query about one unit on a digested index lists no search directory",
  withTree((dir, root) => {
    const many = `${dir}/usr/lib/systemd/system`;
    for (let i = 0; i < 200; i++) {
      Deno.writeTextFileSync(`${many}/gen-${i}.service`, "[Service]\nExecStart=/bin/true\n");
    }
    UnitIndex.scan(root, searchPath("system", {}), { digest: DIGEST, now: LATER() });
    const loader = new UnitLoader({ root, scope: "system", env: {} });
    const n = listingsOf(many, () => {
      const u = loader.load("gen-7.service");
      assert.equal(u.loadState, "loaded");
      const lp = InstallLookup.open(root, "system", {}, false, true);
      lp.useIndex(loader.index);
      assert.deepEqual(lookupState(lp, "gen-7.service"), { state: "static" });
      assert.deepEqual(lookupState(lp, "a.service"), { state: "enabled" });
      forwardDependencies(loader, u);
      reverseLinkDependencies(loader, u.id);
      // is-enabled's own lookup, without a loader.
      const own = InstallLookup.open(root, "system", {}, false, true);
      own.useDigest();
      assert.deepEqual(lookupState(own, "gen-7.service"), { state: "static" });
      assert.deepEqual(lookupState(own, "u@k.service"), { state: "enabled" });
    });
    assert.equal(n, 0);
    // Without the digest the same lookups list it.
    Deno.removeSync(`${dir}${DIGEST}`);
    const plain = new UnitLoader({ root, scope: "system", env: {} });
    assert.ok(listingsOf(many, () => plain.load("gen-7.service")) > 0);
  }),
);

Deno.test(
  "a search directory changed since the digest was written is scanned again",
  withTree((dir, root) => {
    const dirs = searchPath("system", {});
    UnitIndex.scan(root, dirs, { digest: DIGEST, now: LATER() });
    assert.equal(UnitIndex.scan(root, dirs, { digest: DIGEST }).digested, true);
    // A new alias: a symlink, which only the digest (not a lookup by name) would tell.
    Deno.symlinkSync("/usr/lib/systemd/system/c.service", `${dir}/etc/systemd/system/cc.service`);
    const after = UnitIndex.scan(root, dirs, { digest: DIGEST });
    assert.equal(after.digested, false);
    assert.equal(after.first("cc.service")?.kind, "symlink");
    const loader = new UnitLoader({ root, scope: "system", env: {} });
    assert.deepEqual(loader.load("c.service").names, ["c.service", "cc.service", "relc.service"]);
  }),
);

Deno.test(
  "no digest is written for a directory changed just now, nor trusted when others may write it",
  withTree((dir, root) => {
    const dirs = searchPath("system", {});
    // The same clock tick as the last change: a later change could keep the same times.
    UnitIndex.scan(root, dirs, { digest: DIGEST, now: Date.now() });
    assert.throws(() => Deno.lstatSync(`${dir}${DIGEST}`), Deno.errors.NotFound);
    UnitIndex.scan(root, dirs, { digest: DIGEST, now: LATER() });
    assert.equal(UnitIndex.scan(root, dirs, { digest: DIGEST }).digested, true);
    Deno.chmodSync(`${dir}${DIGEST}`, 0o666);
    assert.equal(UnitIndex.scan(root, dirs, { digest: DIGEST }).digested, false);
    Deno.chmodSync(`${dir}${DIGEST}`, 0o644);
    // A digest made for another search path is not used.
    assert.equal(UnitIndex.scan(root, dirs.slice(1), { digest: DIGEST }).digested, false);
  }),
);

Deno.test(
  "idOf names the unit load gives, with and without the digest, without reading unit files",
  withTree((dir, root) => {
    const etc = `${dir}/etc/systemd/system`;
    const lib = `${dir}/usr/lib/systemd/system`;
    // A chain of aliases, a template's alias reached by an instance, and a loop.
    Deno.symlinkSync("/etc/systemd/system/aa.service", `${etc}/chain.service`);
    Deno.symlinkSync(`/usr/lib/systemd/system/t@.service`, `${etc}/talias@.service`);
    Deno.writeTextFileSync(`${lib}/loop1.service`, "[Service]\nExecStart=/bin/true\n");
    Deno.writeTextFileSync(`${lib}/loop2.service`, "[Service]\nExecStart=/bin/true\n");
    Deno.symlinkSync("/usr/lib/systemd/system/loop2.service", `${etc}/loop1.service`);
    Deno.symlinkSync("/usr/lib/systemd/system/loop1.service", `${etc}/loop2.service`);
    // An alias written with a trailing slash, which the full resolution takes as the file.
    Deno.symlinkSync("/usr/lib/systemd/system/c.service/", `${etc}/slash.service`);
    const names = [
      ...unitNames(),
      "chain.service",
      "talias@i.service",
      "loop1.service",
      "loop2.service",
      "slash.service",
      "default.target",
    ];
    const namesOfC = () => new UnitLoader(env).load("c.service").names;
    const env = { root, scope: "system" as const, env: {} };
    const check = (how = (l: UnitLoader, n: string) => l.idOf(n)) => {
      const reads: string[] = [];
      const original = Deno.openSync;
      const ids = new UnitLoader(env);
      Deno.openSync = (path: string | URL, options?: Deno.OpenOptions) => {
        reads.push(String(path));
        return original(path, options);
      };
      let got: string[];
      try {
        got = names.map((n) => how(ids, n));
      } finally {
        Deno.openSync = original;
      }
      const loader = new UnitLoader(env);
      assert.deepEqual(got, names.map((n) => loader.load(n).id));
      assert.deepEqual(reads.filter((p) => p.endsWith(".service")), []);
      return got;
    };
    // The check sees unit files read: load reads them.
    assert.throws(() => check((l, n) => l.load(n).id), /a\.service/);
    const plain = check();
    const plainNames = namesOfC();
    assert.ok(plainNames.includes("slash.service"), String(plainNames));
    assert.equal(plain[names.indexOf("chain.service")], "a.service");
    assert.equal(plain[names.indexOf("talias@i.service")], "t@i.service");
    // A loop of aliases: each of its names is its own unit, not found (systemd: "Unit
    // loop1.service not found."), where following it used to exhaust the stack.
    const loader = new UnitLoader(env);
    for (const n of ["loop1.service", "loop2.service"]) {
      const u = loader.load(n);
      assert.deepEqual([u.id, u.loadState, u.loadError], [n, "not-found", `Unit ${n} not found.`]);
    }
    UnitIndex.scan(root, searchPath("system", {}), { digest: DIGEST, now: LATER() });
    assert.equal(new UnitLoader(env).index.digested, true);
    assert.deepEqual(check(), plain);
    assert.deepEqual(namesOfC(), plainNames);
    Deno.removeSync(`${dir}${DIGEST}`);
  }),
);

Deno.test("a unit link whose target is not UTF-8 is a dangling link, not an error of the verb", () => {
  const dir = Deno.makeTempDirSync({ prefix: "unit-index-" });
  try {
    const etc = `${dir}/etc/systemd/system`;
    Deno.mkdirSync(etc, { recursive: true });
    Deno.writeTextFileSync(`${etc}/ok.service`, "[Service]\nExecStart=/bin/true\n");
    const r = new Deno.Command("sh", {
      args: ["-c", `ln -s "$(printf '\\377x.service')" "$1/bad.service"`, "sh", etc],
    }).outputSync();
    assert.ok(r.success, new TextDecoder().decode(r.stderr));
    const loader = new UnitLoader({ root: new RootMap(dir), scope: "system", env: {} });
    assert.equal(loader.idOf("bad.service"), "bad.service");
    const bad = loader.load("bad.service");
    assert.deepEqual([bad.loadState, bad.loadError], ["not-found", "Unit bad.service not found."]);
    assert.equal(loader.load("ok.service").loadState, "loaded");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
