/**
 * The LSB header reader (systemd-sysv-generator's side): linear in the script, and a
 * script with a line over LONG_LINE_MAX gets no unit, as the generator of systemd 252
 * refuses it ("Failed to read configuration file '…': No buffer space available").
 */

import assert from "node:assert/strict";
import { parseLsbHeader, sysvScripts, sysvUnitText } from "../../src/units/sysv.ts";
import { RootMap } from "../../src/units/paths.ts";
import { UnitLoader } from "../../src/units/loader.ts";
import { makeTree } from "../cli/_cli.ts";
import { copiedChars } from "../support/work_meter.ts";

const HEADER = [
  "#!/bin/sh",
  "### BEGIN INIT INFO",
  "# Provides:          app",
  "# Required-Start:    $network",
  "# Default-Start:     2 3 4 5",
  "# Short-Description: the app",
  "# Description:       first",
  "#   second",
  "### END INIT INFO",
].join("\n") + "\n";

Deno.test("parseLsbHeader reads the fields and joins description lines", () => {
  const h = parseLsbHeader(HEADER);
  assert.deepEqual(h, {
    provides: ["app"],
    requiredStart: ["$network"],
    shouldStart: [],
    defaultStart: ["2", "3", "4", "5"],
    shortDescription: "the app",
    description: "first second",
  });
  assert.equal(parseLsbHeader("#!/bin/sh\necho hi\n"), undefined);
});

function described(n: number): string {
  return "### BEGIN INIT INFO\n# Description: d\n" + "#   more\n".repeat(n) +
    "### END INIT INFO\n";
}

Deno.test("a description of 100,000 lines is joined in linear work (N vs 4N)", () => {
  const small = copiedChars(() => parseLsbHeader(described(25_000)));
  const large = copiedChars(() => parseLsbHeader(described(100_000)));
  assert.equal(large.result?.description, "d" + " more".repeat(100_000));
  // Appending to the growing description and trimming it copied 16 times more for 4N.
  assert(large.chars <= 4.5 * small.chars, `${small.chars} -> ${large.chars}`);
});

Deno.test("reload support is found line by line, past the header", () => {
  const root = makeTree({
    "/etc/init.d/app": HEADER + "\n".repeat(1_000) + "  reload)\n    ;;\n",
  });
  try {
    const text = sysvUnitText(new RootMap(root), "/etc/init.d/app");
    assert.match(text ?? "", /^ExecReload=\/etc\/init\.d\/app reload$/m);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("a script with a 2 MiB line gets no unit, as systemd-sysv-generator refuses it", () => {
  const root = makeTree({
    "/etc/init.d/long": HEADER + "echo " + "a".repeat(2 << 20) + "\n",
    "/etc/init.d/ok": HEADER,
  });
  try {
    Deno.chmodSync(`${root}/etc/init.d/long`, 0o755);
    Deno.chmodSync(`${root}/etc/init.d/ok`, 0o755);
    const rm = new RootMap(root);
    assert.deepEqual([...sysvScripts(rm, {}, () => false).keys()], ["ok.service"]);
    assert.equal(sysvUnitText(rm, "/etc/init.d/long"), undefined);
    const loader = new UnitLoader({ root: rm, scope: "system", env: {} });
    assert.equal(loader.load("long.service").loadState, "not-found");
    assert.equal(loader.load("ok.service").loadState, "loaded");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
