/**
 * A root built from this machine's real /lib/systemd/system (about 300
 * units) loads with zero crashes: every unit shows, and every problem is a
 * one-line diagnostic.
 */

import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { systemctl } from "../cli/_cli.ts";
import { tempDir } from "../support/tmp.ts";

const SOURCE = "/lib/systemd/system";

function copyTree(from: string, to: string): number {
  let units = 0;
  Deno.mkdirSync(to, { recursive: true });
  for (const e of Deno.readDirSync(from)) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isSymlink) {
      Deno.symlinkSync(Deno.readLinkSync(src), dst);
    } else if (e.isDirectory) {
      units += copyTree(src, dst);
    } else if (e.isFile) {
      Deno.copyFileSync(src, dst);
    }
    if (
      /\.(service|socket|target|timer|path|mount|slice|swap|automount|device|scope)$/.test(e.name)
    ) {
      units++;
    }
  }
  return units;
}

let available = false;
try {
  available = Deno.statSync(SOURCE).isDirectory;
} catch {
  available = false;
}
if (!available) console.log(`skipping the real-root test: ${SOURCE} does not exist here`);

Deno.test({
  name: "a root copied from the real /lib/systemd/system loads every unit without a crash",
  ignore: !available,
  fn: async () => {
    const root = tempDir("sysctl-real-");
    const count = copyTree(SOURCE, join(root, "lib/systemd/system"));
    ok(count > 100, `only ${count} units copied`);
    const reload = await systemctl([`--root=${root}`, "daemon-reload"]);
    strictEqual(reload.code, 0);
    for (const line of reload.stderr.split("\n").filter((l) => l)) {
      ok(/^(\/\S+:\d+: |\S+: )\S/.test(line), `not a one-line diagnostic: ${line}`);
      ok(!line.includes("    at "), "stack trace");
    }
    const files = await systemctl([`--root=${root}`, "list-unit-files", "--no-legend"]);
    strictEqual(files.code, 0);
    const names = files.stdout.split("\n").filter((l) => l).map((l) => l.split(/\s+/)[0]);
    ok(names.length > 100);
    const plain = names.filter((n) => !n.includes("@."));
    const show = await systemctl([
      `--root=${root}`,
      "show",
      "-p",
      "Id,LoadState",
      ...plain,
    ]);
    strictEqual(show.code, 0, show.stderr);
    const ids = show.stdout.split("\n").filter((l) => l.startsWith("Id="));
    strictEqual(ids.length, plain.length);
    ok(!show.stderr.includes("    at "));
  },
});
