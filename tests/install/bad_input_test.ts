/**
 * install.sh on images it cannot serve (issue 19, bad input): another architecture, no /bin/sh,
 * a read-only root, musl with --system-libc. Each is one line on stderr, exit 1, and nothing
 * is installed. These refusals come before any build, so the tests are quick. Needs root for
 * the read-only mount (unshare); the others run anywhere.
 */
import assert from "node:assert/strict";
import { isRoot } from "../support/rootfs.ts";

const INSTALL = new URL("../../install.sh", import.meta.url).pathname;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[]): Promise<Result> {
  const out = await new Deno.Command(cmd, { args, stdin: "null" }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Every path under `dir`, sorted (what a refusal must leave unchanged). */
function listing(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(`${dir}${prefix}`)) {
    const path = `${prefix}/${e.name}`;
    out.push(path);
    if (e.isDirectory) out.push(...listing(dir, path));
  }
  return out.sort();
}

/** A minimal image root: /etc and /bin/sh (a copy of this machine's, or the given bytes). */
async function imageRoot(sh?: Uint8Array): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "systemctl-badimage-" });
  await Deno.mkdir(`${root}/etc`);
  await Deno.writeTextFile(`${root}/etc/passwd`, "root:x:0:0:root:/root:/bin/sh\n");
  await Deno.mkdir(`${root}/bin`);
  await Deno.writeFile(`${root}/bin/sh`, sh ?? await Deno.readFile(Deno.realPathSync("/bin/sh")), {
    mode: 0o755,
  });
  return root;
}

function oneLine(r: Result): string {
  const lines = r.stderr.split("\n").filter(Boolean);
  assert.equal(lines.length, 1, r.stdout + r.stderr);
  return lines[0];
}

const MACHINES: Record<number, string> = { 62: "x86_64", 183: "aarch64" };

Deno.test("install.sh refuses an image of another architecture in one line, naming both", async () => {
  const sh = await Deno.readFile(Deno.realPathSync("/bin/sh"));
  const ours = sh[18] | (sh[19] << 8);
  const theirs = ours === 183 ? 62 : 183;
  const foreign = sh.slice();
  foreign[18] = theirs & 0xff;
  foreign[19] = theirs >> 8;
  const root = await imageRoot(foreign);
  try {
    const before = listing(root);
    const r = await run("sh", [INSTALL, "--root", root, "--bundle"]);
    assert.equal(r.code, 1);
    assert.equal(
      oneLine(r),
      `install.sh: ${root} is an ${MACHINES[theirs]} image (its /bin/sh), but this machine and ` +
        `its Deno runtime are ${MACHINES[ours] ?? "?"}: install from an ${MACHINES[theirs]} ` +
        "machine; nothing was installed",
    );
    assert.deepEqual(listing(root), before);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("install.sh refuses an image without /bin/sh (distroless/static, scratch) in one line", async () => {
  const root = await imageRoot();
  try {
    await Deno.remove(`${root}/bin/sh`);
    const before = listing(root);
    const r = await run("sh", [INSTALL, "--root", root, "--bundle"]);
    assert.equal(r.code, 1);
    assert.match(
      oneLine(r),
      /^install\.sh: .* has no \/bin\/sh, which the systemctl and journalctl launchers need .*; a binary made by deno compile needs none, where deno compile can fetch its runtime$/,
    );
    assert.deepEqual(listing(root), before);
    // A dangling /bin/sh (an absolute link to a missing shell) is no shell either.
    await Deno.symlink("/bin/busybox", `${root}/bin/sh`);
    const dangling = await run("sh", [INSTALL, "--root", root, "--bundle"]);
    assert.match(oneLine(dangling), /has no \/bin\/sh/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("install.sh --system-libc refuses a musl image, and says how the default serves it", async () => {
  const root = await imageRoot();
  try {
    await Deno.mkdir(`${root}/lib`);
    await Deno.writeFile(`${root}/lib/ld-musl-x86_64.so.1`, new Uint8Array(16));
    const before = listing(root);
    const r = await run("sh", [INSTALL, "--root", root, "--bundle", "--system-libc"]);
    assert.equal(r.code, 1);
    assert.match(
      oneLine(r),
      /uses musl \(Alpine\?\); with --system-libc Deno needs glibc 2\.27 or newer \(leave --system-libc out: the C runtime then comes along\)$/,
    );
    assert.deepEqual(listing(root), before);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "install.sh into a read-only root: one line, nothing installed",
  ignore: !isRoot(),
}, async () => {
  const root = await imageRoot();
  try {
    const before = listing(root);
    // The root read-only in a private mount namespace; install.sh runs there.
    const script = `set -e
mount --bind "$1" "$1"
mount -o remount,bind,ro "$1"
shift
exec "$@"`;
    const r = await run("unshare", [
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      script,
      "sh",
      root,
      "sh",
      INSTALL,
      "--root",
      root,
      "--bundle",
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(
      oneLine(r),
      `install.sh: cannot install into ${root}/usr: ${root} is on a read-only file system; ` +
        "nothing was installed",
    );
    assert.equal(r.stdout, "");
    assert.deepEqual(listing(root), before);
    // A root to create under a read-only directory: the same, before anything is made.
    const nested = await run("unshare", [
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      script,
      "sh",
      root,
      "sh",
      INSTALL,
      "--root",
      `${root}/new/image`,
      "--bundle",
    ]);
    assert.equal(nested.code, 1);
    assert.match(oneLine(nested), /is on a read-only file system; nothing was installed$/);
    assert.deepEqual(listing(root), before);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
