/**
 * A caller whose working directory is gone: the launcher starts the program from / and sets
 * SYSTEMCTL_LOST_CWD=1 (tests/install/launcher_test.ts runs the real launchers). Verbs that
 * need no working directory work; a relative path, which cannot be resolved any more, is
 * refused in one line, in systemd 252's words (checked against systemctl from a deleted
 * directory: `Failed to mangle unit name or path './x.service': No such file or directory`,
 * `Failed to parse path "img" and make it absolute: No such file or directory`).
 */
import assert from "node:assert/strict";
import { makeTree, MOD, PERMS, systemctl } from "./_cli.ts";

const LOST = { env: { SYSTEMCTL_LOST_CWD: "1" } };
const UNIT = "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n";

function lines(text: string): string[] {
  return text.split("\n").filter(Boolean);
}

Deno.test("a lost working directory: relative unit paths are refused in one line, absolute ones work", async () => {
  const root = makeTree({ "etc/systemd/system/.keep": "", "srv/x.service": UNIT });
  try {
    for (const verb of ["link", "enable"]) {
      const r = await systemctl([`--root=${root}`, verb, "./x.service"], LOST);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.deepEqual(lines(r.stderr), [
        "Failed to mangle unit name or path './x.service': No such file or directory",
      ]);
    }
    const abs = await systemctl([`--root=${root}`, "link", `${root}/srv/x.service`], LOST);
    assert.equal(abs.code, 0, abs.stderr);
    assert.match(abs.stdout + abs.stderr, /Created symlink /);
    // Verbs that take no path work as usual.
    const list = await systemctl([`--root=${root}`, "is-enabled", "x.service"], LOST);
    assert.equal(list.stdout.trim(), "linked");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a lost working directory: a relative --root is refused in one line (systemctl and journalctl)", async () => {
  const r = await systemctl(["--root=img", "list-unit-files"], LOST);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.deepEqual(lines(r.stderr), [
    'Failed to parse path "img" and make it absolute: No such file or directory',
  ]);
  const j = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...PERMS, MOD, "--journalctl", "--root=img", "-u", "x"],
    env: { NO_COLOR: "1", SYSTEMCTL_LOST_CWD: "1" },
  }).output();
  assert.equal(j.code, 1);
  assert.deepEqual(lines(new TextDecoder().decode(j.stderr)), [
    'Failed to parse path "img" and make it absolute: No such file or directory',
  ]);
  // With a working directory the same relative root is just a directory there.
  const ok = await systemctl(["--root=img-that-does-not-exist", "--version"]);
  assert.equal(ok.code, 0);
});
