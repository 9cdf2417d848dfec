/** SysV rc links: the LSB level parser and the update-rc.d-style toggle on temporary roots. */

import assert from "node:assert/strict";
import { RootMap } from "../../src/units/paths.ts";
import {
  defaultLevels,
  sysvIsEnabled,
  sysvScriptFor,
  sysvToggle,
} from "../../src/units/sysv_rc.ts";
import { tempDir } from "../support/tmp.ts";

const HEADER = "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: x\n" +
  "# Default-Start:     2 3 4 5\n# Default-Stop:      0 1 6\n### END INIT INFO\n";

Deno.test("defaultLevels reads Default-Start and Default-Stop inside the LSB block only", () => {
  assert.deepEqual(defaultLevels(HEADER), { start: ["2", "3", "4", "5"], stop: ["0", "1", "6"] });
  assert.deepEqual(defaultLevels("# Default-Start: 2 3\n"), { start: [], stop: [] });
  assert.deepEqual(
    defaultLevels("### BEGIN INIT INFO\n# Default-Start: S\n# Default-Stop:\n### END INIT INFO\n"),
    { start: ["S"], stop: [] },
  );
  // After END, nothing counts; "#Default-Start" without the space is not the key.
  assert.deepEqual(
    defaultLevels(
      "### BEGIN INIT INFO\n#Default-Start: 2\n### END INIT INFO\n# Default-Start: 3\n",
    ),
    { start: [], stop: [] },
  );
});

function tree(files: Record<string, string>): string {
  const root = tempDir("sysvrc-");
  for (const [path, content] of Object.entries(files)) {
    const full = `${root}/${path}`;
    Deno.mkdirSync(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    if (content.startsWith("->")) Deno.symlinkSync(content.slice(2), full);
    else Deno.writeTextFileSync(full, content);
  }
  return root;
}

function links(root: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(`${root}/etc`)) {
    if (!/^rc.\.d$/.test(e.name)) continue;
    for (const l of Deno.readDirSync(`${root}/etc/${e.name}`)) out.push(`${e.name}/${l.name}`);
  }
  return out.sort();
}

Deno.test("sysvToggle makes the default links once, then switches S and K in the start levels", () => {
  const dir = tree({ "etc/init.d/svc": HEADER });
  try {
    const root = new RootMap(dir);
    assert.equal(sysvScriptFor(root, "svc.service"), "/etc/init.d/svc");
    assert.equal(sysvScriptFor(root, "nope.service"), undefined);
    assert.equal(sysvScriptFor(root, "svc.socket"), undefined);
    let r = sysvToggle(root, "svc", "disable");
    assert.equal(r.error, undefined);
    assert.equal(r.created.length, 7);
    assert.deepEqual(links(dir), [
      "rc0.d/K01svc",
      "rc1.d/K01svc",
      "rc2.d/K01svc",
      "rc3.d/K01svc",
      "rc4.d/K01svc",
      "rc5.d/K01svc",
      "rc6.d/K01svc",
    ]);
    assert.equal(sysvIsEnabled(root, "svc"), false);
    r = sysvToggle(root, "svc", "enable");
    assert.deepEqual(r.created, []);
    assert.deepEqual(r.renamed.map((m) => m.to), [
      "/etc/rc2.d/S01svc",
      "/etc/rc3.d/S01svc",
      "/etc/rc4.d/S01svc",
      "/etc/rc5.d/S01svc",
    ]);
    assert.equal(sysvIsEnabled(root, "svc"), true);
    // Existing sequence numbers are kept.
    Deno.renameSync(`${dir}/etc/rc3.d/S01svc`, `${dir}/etc/rc3.d/S20svc`);
    sysvToggle(root, "svc", "disable");
    assert.ok(links(dir).includes("rc3.d/K20svc"));
    assert.equal(sysvIsEnabled(root, "svc"), false);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("sysvToggle fails without start levels, or with no link in them", () => {
  const dir = tree({
    "etc/init.d/bare": "#!/bin/sh\n",
    "etc/init.d/odd": "### BEGIN INIT INFO\n# Default-Start: 1\n### END INIT INFO\n",
  });
  try {
    const root = new RootMap(dir);
    assert.match(
      sysvToggle(root, "bare", "enable").error ?? "",
      /Default-Start contains no runlevels/,
    );
    const odd = sysvToggle(root, "odd", "enable");
    assert.deepEqual(odd.warnings, ["enable action will have no effect on runlevel 1"]);
    assert.equal(odd.error, "no runlevel symlinks to modify");
    assert.match(sysvToggle(root, "missing", "enable").error ?? "", /unable to read/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("sysvIsEnabled looks at rcS.d and rc5.d as Debian's systemd-sysv-install does", () => {
  const dir = tree({
    "etc/rcS.d/S10early": "->../init.d/early",
    "etc/rc2.d/S01two": "->../init.d/two",
    "etc/rc5.d/S01five": "->../init.d/five",
    "etc/rc5.d/K01off": "->../init.d/off",
  });
  try {
    const root = new RootMap(dir);
    assert.equal(sysvIsEnabled(root, "early"), true);
    assert.equal(sysvIsEnabled(root, "five"), true);
    assert.equal(sysvIsEnabled(root, "two"), false);
    assert.equal(sysvIsEnabled(root, "off"), false);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
