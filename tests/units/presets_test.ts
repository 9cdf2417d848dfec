import assert from "node:assert/strict";
import { parsePresetText, queryPreset, readPresets } from "../../src/units/presets.ts";
import { RootMap } from "../../src/units/paths.ts";

Deno.test("a preset line enables or disables by glob, first match wins", () => {
  const p = parsePresetText("enable a*.service\ndisable *\n", "/x.preset");
  assert.equal(queryPreset(p, "abc.service").action, "enable");
  assert.equal(queryPreset(p, "b.service").action, "disable");
});

Deno.test("a unit no preset line matches is enabled", () => {
  assert.equal(queryPreset({ rules: [], warnings: [] }, "x.service").action, "enable");
});

Deno.test("ignore lines and garbage are reported as unparsable, as systemd 252 does", () => {
  const p = parsePresetText("# c\n; c\n\nignore x.service\nbogus\n", "/p/10.preset");
  assert.deepEqual(p.rules, []);
  assert.deepEqual(p.warnings, [
    "/p/10.preset:4: Couldn't parse line 'ignore x.service'. Ignoring.",
    "/p/10.preset:5: Couldn't parse line 'bogus'. Ignoring.",
  ]);
});

Deno.test("instances after a template pattern name the instances to enable", () => {
  const p = parsePresetText("enable u@.service p q\n", "/x.preset");
  assert.deepEqual(queryPreset(p, "u@.service", true).instances, ["u@p.service", "u@q.service"]);
  assert.equal(queryPreset(p, "u@p.service", true).action, "enable");
  assert.equal(queryPreset(p, "u@.service").action, "enable");
});

Deno.test("instances after a non-template pattern make the line unparsable", () => {
  const p = parsePresetText("enable a.service x\n", "/x.preset");
  assert.equal(p.rules.length, 0);
  assert.equal(p.warnings.length, 1);
});

Deno.test("preset files with the same name: the one in /etc wins over /usr/lib", () => {
  const root = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${root}/etc/systemd/system-preset`, { recursive: true });
    Deno.mkdirSync(`${root}/usr/lib/systemd/system-preset`, { recursive: true });
    Deno.writeTextFileSync(`${root}/etc/systemd/system-preset/10-a.preset`, "disable x.service\n");
    Deno.writeTextFileSync(
      `${root}/usr/lib/systemd/system-preset/10-a.preset`,
      "enable x.service\n",
    );
    Deno.writeTextFileSync(
      `${root}/usr/lib/systemd/system-preset/05-b.preset`,
      "enable y.service\n",
    );
    const p = readPresets(new RootMap(root), "system");
    assert.equal(queryPreset(p, "x.service").action, "disable");
    assert.deepEqual(p.rules.map((r) => r.pattern), ["y.service", "x.service"]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
