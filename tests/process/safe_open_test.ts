import assert from "node:assert/strict";
import { join } from "node:path";
import { readPidFileIn } from "../../src/process/safe_open.ts";
import { openFileIn, RootFsError } from "../../src/process/rootfs.ts";
import { rootTest } from "./_support.ts";

const NOBODY = 65534;

function tree(): string {
  const root = Deno.makeTempDirSync({ prefix: "safe-open-" });
  Deno.mkdirSync(join(root, "run/svc"), { recursive: true });
  Deno.mkdirSync(join(root, "var/lib"), { recursive: true });
  return root;
}

function errnoOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof RootFsError) return e.code;
    throw e;
  }
  return undefined;
}

Deno.test("a PID file is read through links inside the root, never outside it", () => {
  const root = tree();
  const outside = Deno.makeTempDirSync({ prefix: "safe-open-out-" });
  try {
    Deno.writeTextFileSync(join(root, "var/lib/d.pid"), "123\n");
    Deno.writeTextFileSync(join(outside, "d.pid"), "999\n");
    // Absolute: inside the root, as a chroot resolves it.
    Deno.symlinkSync("/var/lib/d.pid", join(root, "run/svc/abs"));
    Deno.symlinkSync("../../var/lib/d.pid", join(root, "run/svc/rel"));
    // `..` stops at the root; `//` is the root.
    Deno.symlinkSync("/../../../../var/lib/d.pid", join(root, "run/svc/up"));
    Deno.symlinkSync(join(outside, "d.pid"), join(root, "run/svc/host"));
    for (const path of ["/run/svc/abs", "/run/svc/rel", "/run/svc/up", "//var/lib/d.pid"]) {
      assert.equal(readPidFileIn(root, path)?.pid, 123, path);
    }
    // The host path of the link's target means <root><outside>/d.pid: not there.
    assert.equal(readPidFileIn(root, "/run/svc/host"), undefined);
    assert.equal(readPidFileIn(root, `/../..${outside}/d.pid`), undefined);
  } finally {
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(outside, { recursive: true });
  }
});

Deno.test("only a regular file is read: a FIFO, a directory or a link loop is not", () => {
  const root = tree();
  try {
    new Deno.Command("mkfifo", { args: [join(root, "run/svc/fifo")] }).outputSync();
    Deno.symlinkSync("loop", join(root, "run/svc/loop"));
    assert.equal(readPidFileIn(root, "/run/svc/fifo"), undefined);
    assert.equal(readPidFileIn(root, "/run/svc"), undefined);
    assert.equal(errnoOf(() => openFileIn(root, "/run/svc/loop", false)), 40); // ELOOP
    Deno.writeTextFileSync(join(root, "run/svc/junk"), "12abc\n");
    assert.deepEqual(readPidFileIn(root, "/run/svc/junk"), {
      pid: undefined,
      ownerUid: Deno.uid(),
      questionable: false,
    });
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

rootTest(
  "as CHASE_SAFE: an unprivileged user's link to someone else's file makes the PID questionable",
  () => {
    const root = tree();
    try {
      Deno.chownSync(join(root, "run/svc"), NOBODY, NOBODY);
      Deno.writeTextFileSync(join(root, "var/lib/root.pid"), "77\n");
      // nobody's own file in nobody's directory: safe, owned by nobody.
      Deno.writeTextFileSync(join(root, "run/svc/own.pid"), "55\n");
      Deno.chownSync(join(root, "run/svc/own.pid"), NOBODY, NOBODY);
      assert.deepEqual(readPidFileIn(root, "/run/svc/own.pid"), {
        pid: 55,
        ownerUid: NOBODY,
        questionable: false,
      });
      // nobody's link (relative, or absolute) to a root-owned file: unsafe transition.
      for (const target of ["../../var/lib/root.pid", "/var/lib/root.pid"]) {
        const link = join(root, "run/svc/link.pid");
        Deno.symlinkSync(target, link);
        new Deno.Command("chown", { args: ["-h", `${NOBODY}:${NOBODY}`, link] }).outputSync();
        assert.equal(errnoOf(() => openFileIn(root, "/run/svc/link.pid", true)), 67);
        assert.deepEqual(readPidFileIn(root, "/run/svc/link.pid"), {
          pid: 77,
          ownerUid: 0,
          questionable: true,
        }, target);
        Deno.removeSync(link);
      }
      // root's file in root's directory: safe, owned by root.
      assert.deepEqual(readPidFileIn(root, "/var/lib/root.pid"), {
        pid: 77,
        ownerUid: 0,
        questionable: false,
      });
    } finally {
      Deno.removeSync(root, { recursive: true });
    }
  },
);
