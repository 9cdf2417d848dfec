/**
 * Unit files an attacker may write cannot stall or crash the loader (issue 18 item 9):
 * huge but valid files load, a line over systemd's LONG_LINE_MAX fails the unit with
 * ENOBUFS as systemd 252 does (a drop-in only stops there), and the reader stops at that
 * line instead of reading the rest of the file.
 */

import assert, { deepStrictEqual, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { unitDiagnostics, UnitLoader } from "../../src/units/loader.ts";
import { RootMap } from "../../src/units/paths.ts";
import { serviceSettings } from "../../src/unit/model.ts";

const DIR = "etc/systemd/system";

/** A temporary root with the given files under /etc/systemd/system; removed after `fn`. */
function withRoot<T>(files: Record<string, string>, fn: (root: string) => T): T {
  const root = Deno.makeTempDirSync({ prefix: "sysctl-limits-" });
  try {
    for (const [file, text] of Object.entries(files)) {
      const path = join(root, DIR, file);
      Deno.mkdirSync(join(path, ".."), { recursive: true });
      Deno.writeTextFileSync(path, text);
    }
    return fn(root);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

function loader(root: string): UnitLoader {
  return new UnitLoader({ root: new RootMap(root), scope: "system", env: {} });
}

Deno.test("a unit with 200,000 Environment= lines loads with every variable", () => {
  const text = "[Service]\nExecStart=/bin/true\n" +
    Array.from({ length: 200_000 }, (_, i) => `Environment=V${i}=${i}\n`).join("");
  withRoot({ "e.service": text }, (root) => {
    const u = loader(root).load("e.service");
    strictEqual(u.loadState, "loaded");
    deepStrictEqual(u.diagnostics, []);
    const env = serviceSettings(u.config).environment;
    strictEqual(env.length, 200_000);
    deepStrictEqual(env.at(-1), ["V199999", "199999"]);
  });
});

Deno.test("a unit with 200,000 bad lines loads with 200,000 warnings", () => {
  const text = "[Service]\nExecStart=/bin/true\n" + "junk\n".repeat(200_000);
  withRoot({ "j.service": text }, (root) => {
    const u = loader(root).load("j.service");
    strictEqual(u.loadState, "loaded");
    strictEqual(u.diagnostics.length, 200_000);
    strictEqual(unitDiagnostics(u)[0], `/${DIR}/j.service:3: Missing '=', ignoring line.`);
  });
});

Deno.test("a unit with a 2 MiB line fails to load with ENOBUFS and one warning", () => {
  const text = "[Unit]\nDescription=long\n[Service]\nExecStart=/bin/echo " +
    "a".repeat(2 << 20) + "\n";
  withRoot({ "long.service": text, "ok.service": "[Service]\nExecStart=/bin/true\n" }, (root) => {
    const l = loader(root);
    const u = l.load("long.service");
    strictEqual(u.loadState, "error");
    strictEqual(u.loadError, "No buffer space available");
    deepStrictEqual(unitDiagnostics(u), [`/${DIR}/long.service:4: Line too long`]);
    strictEqual(l.load("ok.service").loadState, "loaded");
  });
});

Deno.test("a drop-in with a 2 MiB line keeps what it set before that line, and the unit loads", () => {
  const dropIn = "[Service]\nExecStart=\nExecStart=/bin/first\nUser=" + "u".repeat(2 << 20) +
    "\nExecStart=\nExecStart=/bin/second\n";
  withRoot({
    "d.service": "[Service]\nExecStart=/bin/true\n",
    "d.service.d/a.conf": dropIn,
    "d.service.d/b.conf": "[Service]\nEnvironment=B=1\n",
  }, (root) => {
    const u = loader(root).load("d.service");
    strictEqual(u.loadState, "loaded");
    deepStrictEqual(u.config.list("Service", "ExecStart"), ["/bin/first"]);
    strictEqual(u.config.get("Service", "User"), undefined);
    deepStrictEqual(u.config.list("Service", "Environment"), ["B=1"]);
    deepStrictEqual(unitDiagnostics(u), [`/${DIR}/d.service.d/a.conf:4: Line too long`]);
  });
});

Deno.test("the reader stops at a line over the limit: a 4 GiB file behind it is never read", () => {
  withRoot({}, (root) => {
    const path = join(root, DIR, "huge.service");
    Deno.mkdirSync(join(root, DIR), { recursive: true });
    Deno.writeTextFileSync(path, "[Service]\nExecStart=/bin/" + "x".repeat(2 << 20));
    // Sparse: NUL bytes that take no space, and would be four billion empty lines.
    Deno.truncateSync(path, 4 * 1024 ** 3);
    const before = Deno.memoryUsage().rss;
    const u = loader(root).load("huge.service");
    strictEqual(u.loadState, "error");
    strictEqual(u.loadError, "No buffer space available");
    const grown = Deno.memoryUsage().rss - before;
    assert(grown < 256 * 1024 ** 2, `rss grew by ${grown} bytes`);
  });
});
