import assert from "node:assert/strict";
import { isLoaderName, loaderArguments } from "../../src/process/self.ts";

Deno.test("isLoaderName knows glibc's dynamic loaders and nothing else", () => {
  assert.ok(isLoaderName("/usr/lib/deno-systemctl/crt/ld-linux-x86-64.so.2"));
  assert.ok(isLoaderName("ld-linux-aarch64.so.1"));
  assert.ok(!isLoaderName("/usr/lib/deno-systemctl/deno"));
  assert.ok(!isLoaderName("/usr/bin/ld-helper"));
});

Deno.test("loaderArguments keeps the loader's options and the runtime it started", () => {
  const crt = "/usr/lib/deno-systemctl/crt";
  const cmdline = [
    `${crt}/ld-linux-x86-64.so.2`,
    "--inhibit-cache",
    "--library-path",
    crt,
    "/usr/lib/deno-systemctl/deno",
    "run",
    "--allow-read",
    "/usr/lib/deno-systemctl/systemctl.js",
    "status",
  ];
  assert.deepEqual(loaderArguments(`${crt}/ld-linux-x86-64.so.2`, cmdline), [
    "--inhibit-cache",
    "--library-path",
    crt,
    "/usr/lib/deno-systemctl/deno",
  ]);
  // A runtime not started through a loader: nothing to add.
  assert.equal(loaderArguments("/usr/bin/deno", ["/usr/bin/deno", "run", "x.js"]), undefined);
  // A loader line without a program.
  assert.equal(loaderArguments(`${crt}/ld-linux-x86-64.so.2`, [`${crt}/ld`, "--list"]), undefined);
});
