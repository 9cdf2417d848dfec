/**
 * EnvironmentFile= contents are written by whoever owns the file: a huge file must not
 * crash or stall the start (issue 18 item 9). systemd 252 reads one with
 * `read_full_stream()`, which refuses more than READ_FULL_BYTES_MAX (64 MiB - 1) bytes
 * with E2BIG; the start then fails with "Failed to load environment files: Argument list
 * too long" (a `-` file is skipped).
 */

import assert from "node:assert/strict";
import { ExecSetupError, readEnvironmentFiles } from "../../src/service/exec_context.ts";
import { RootMap } from "../../src/units/paths.ts";
import {
  FileTooLargeError,
  READ_FULL_BYTES_MAX,
  readTextCapped,
} from "../../src/units/regular_file.ts";

function withRoot(fn: (root: string) => void): void {
  const root = Deno.makeTempDirSync({ prefix: "sysctl-envfile-" });
  try {
    Deno.mkdirSync(`${root}/etc`);
    fn(root);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

Deno.test("an environment file of 200,000 lines gives 200,000 variables", () => {
  withRoot((root) => {
    const text = Array.from({ length: 200_000 }, (_, i) => `V${i}=${i}\n`).join("");
    Deno.writeTextFileSync(`${root}/etc/big.env`, text);
    const vars = readEnvironmentFiles(new RootMap(root), [
      { path: "/etc/big.env", optional: false },
    ]);
    assert.equal(vars.length, 200_000);
    assert.deepEqual(vars.at(-1), ["V199999", "199999"]);
  });
});

Deno.test("an environment file over READ_FULL_BYTES_MAX fails the start with E2BIG", () => {
  withRoot((root) => {
    Deno.writeTextFileSync(`${root}/etc/huge.env`, "A=1\n");
    // Sparse: a file of 64 MiB that takes no space.
    Deno.truncateSync(`${root}/etc/huge.env`, READ_FULL_BYTES_MAX + 1);
    Deno.writeTextFileSync(`${root}/etc/ok.env`, "B=2\n");
    const rm = new RootMap(root);
    let error: unknown;
    try {
      readEnvironmentFiles(rm, [{ path: "/etc/huge.env", optional: false }]);
    } catch (e) {
      error = e;
    }
    assert(error instanceof ExecSetupError, `${error}`);
    assert.equal(error.message, "Failed to load environment files: Argument list too long");
    assert.equal(error.result, "resources");
    // With "-", the file is skipped and the others are read.
    assert.deepEqual(
      readEnvironmentFiles(rm, [
        { path: "/etc/huge.env", optional: true },
        { path: "/etc/ok.env", optional: false },
      ]),
      [["B", "2"]],
    );
  });
});

Deno.test("readTextCapped stops after the limit, also for a device without end", () => {
  assert.throws(() => readTextCapped("/dev/zero", 200_000), FileTooLargeError);
  assert.equal(readTextCapped("/dev/null", 10), "");
  withRoot((root) => {
    Deno.writeTextFileSync(`${root}/f`, "x".repeat(10));
    assert.equal(readTextCapped(`${root}/f`, 10), "x".repeat(10));
    assert.throws(() => readTextCapped(`${root}/f`, 9), FileTooLargeError);
  });
});
