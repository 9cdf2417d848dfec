import assert from "node:assert/strict";
import {
  disableUnits,
  enableUnits,
  getDefaultTarget,
  InstallLookup,
  installPrintf,
  listUnitFiles,
  lookupState,
  maskUnits,
  unitFilePreset,
  unitFileState,
} from "../../src/units/install.ts";
import { RootMap } from "../../src/units/paths.ts";
import { buildInstallTree } from "../fixtures/install/tree.ts";

function withRoot(fn: (root: string, lp: () => InstallLookup) => void): () => void {
  return () => {
    const dir = Deno.makeTempDirSync({ prefix: "install-" });
    try {
      buildInstallTree(dir);
      fn(dir, () => InstallLookup.open(new RootMap(dir), "system"));
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  };
}

function links(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      if (e.isSymlink) out.push(`${p.slice(dir.length)} -> ${Deno.readLinkSync(p)}`);
      else if (e.isDirectory) walk(p);
    }
  };
  walk(`${dir}/etc`);
  return out.sort();
}

Deno.test("specifiers in [Install] expand from the unit name", () => {
  assert.equal(installPrintf("web@blue.service", "x-%i-%p-%n"), "x-blue-web-web@blue.service");
  assert.equal(installPrintf("t@.service", "a-%i.service", "one"), "a-one.service");
  assert.equal(installPrintf("a-b.service", "%j %N %%"), "b a-b %");
  assert.throws(() => installPrintf("a.service", "%Q"));
});

Deno.test("[Install] knows install_name_printf's set only: no %P %I %J %f; %N with DefaultInstance", () => {
  for (const s of ["%P", "%I", "%J", "%f"]) {
    assert.throws(() => installPrintf("a-b@c.service", s), /EBADSLT/);
  }
  assert.equal(installPrintf("t@.service", "%N", "one"), "t@one");
  assert.equal(installPrintf("t@x.service", "%N-%i", "one"), "t@x-x");
  // A stray % at the end stays, as specifier_printf leaves it.
  assert.equal(installPrintf("a.service", "50%"), "50%");
});

Deno.test(
  "unit file states follow systemd's vocabulary",
  withRoot((_root, open) => {
    const lp = open();
    const expect: Record<string, string> = {
      "a.service": "disabled",
      "c.service": "indirect", // relc.service in /etc links to it under another name
      "dropin.service": "disabled",
      "x.timer": "disabled",
      "t@.service": "disabled",
      "u@.service": "indirect",
      "u@k.service": "enabled",
      "di@.service": "static",
      "alsoc.service": "indirect",
      "rt.service": "enabled-runtime",
      "masked-etc.service": "masked",
      "masked-run.service": "masked-runtime",
      "empty.service": "masked",
      "lnk.service": "linked",
      "relc.service": "alias",
      "default.target": "alias",
      "graphical.target": "indirect",
    };
    for (const [name, state] of Object.entries(expect)) {
      assert.equal(unitFileState(lp, name), state, name);
    }
    assert.equal(unitFileState(lp, "nope.service"), undefined);
    assert.equal(lookupState(lp, "nope.service"), "ENOENT");
  }),
);

Deno.test(
  "enable links WantedBy, Alias and Also; disable removes them again",
  withRoot((root, open) => {
    const r = enableUnits(open(), ["a.service"]);
    assert.equal(r.error, undefined);
    assert.equal(r.carriesInstallInfo, 2, "one per unit with rules: a and its Also= b");
    assert.deepEqual(r.changes.map((c) => c.type), ["symlink", "symlink", "symlink"]);
    const after = links(root);
    assert.ok(
      after.includes("/etc/systemd/system/aa.service -> /usr/lib/systemd/system/a.service"),
    );
    assert.ok(
      after.includes(
        "/etc/systemd/system/a.service.requires/b.service -> /usr/lib/systemd/system/b.service",
      ),
    );
    assert.equal(unitFileState(open(), "a.service"), "enabled");
    const d = disableUnits(open(), ["a.service"]);
    assert.equal(d.changes.filter((c) => c.type === "unlink").length, 3);
    assert.equal(unitFileState(open(), "a.service"), "disabled");
  }),
);

Deno.test(
  "enabling a template uses DefaultInstance=",
  withRoot((root, open) => {
    enableUnits(open(), ["t@.service"]);
    assert.ok(
      links(root).includes(
        "/etc/systemd/system/multi-user.target.wants/t@x.service -> /usr/lib/systemd/system/t@.service",
      ),
    );
    assert.equal(unitFileState(open(), "t@.service"), "enabled");
  }),
);

Deno.test(
  "enabling a unit without install rules reports zero rules",
  withRoot((_root, open) => {
    const r = enableUnits(open(), ["c.service"]);
    assert.equal(r.error, undefined);
    assert.equal(r.carriesInstallInfo, 0);
  }),
);

Deno.test(
  "enabling a masked unit fails with ERFKILL",
  withRoot((_root, open) => {
    const r = enableUnits(open(), ["masked-etc.service"]);
    assert.equal(r.error, "ERFKILL");
  }),
);

Deno.test(
  "mask refuses to replace a regular file",
  withRoot((root, open) => {
    Deno.writeTextFileSync(`${root}/etc/systemd/system/reg.service`, "x\n");
    const r = maskUnits(open(), ["reg.service"]);
    assert.equal(r.error, "EEXIST");
  }),
);

Deno.test(
  "list-unit-files rows cover templates, aliases and linked files once",
  withRoot((_root, open) => {
    const lp = open();
    lp.readOnly = true;
    const rows = listUnitFiles(lp);
    const names = rows.map((r) => r.name);
    assert.equal(new Set(names).size, names.length);
    for (const n of ["t@.service", "default.target", "lnk.service", "relc.service"]) {
      assert.ok(names.includes(n), n);
    }
    assert.ok(!names.includes("u@k.service"));
  }),
);

Deno.test(
  "the preset column comes from the preset files",
  withRoot((_root, open) => {
    const lp = open();
    assert.equal(unitFilePreset(lp, "a.service"), "enabled");
    assert.equal(unitFilePreset(lp, "b.service"), "disabled");
    assert.equal(unitFilePreset(lp, "ne.service"), "disabled");
    assert.equal(unitFilePreset(lp, "x.socket"), "disabled");
  }),
);

Deno.test(
  "get-default follows default.target",
  withRoot((_root, open) => {
    assert.equal(getDefaultTarget(open()), "graphical.target");
  }),
);
