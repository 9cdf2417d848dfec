/**
 * File operations inside a root on descriptors: they stay in the root, and mode and
 * owner changes never follow a link.
 */

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  _internal,
  chmodIn,
  chownIn,
  chownTreeIn,
  mkdirIn,
  openIn,
  readFileIn,
  removeIn,
  RootFsError,
  statIn,
  symlinkIn,
  unlinkIn,
  writeFileIn,
} from "../../src/process/rootfs.ts";
import { libc, O } from "../../src/process/libc.ts";
import { rootTest } from "./_support.ts";

/** A root and, beside it, an outside directory with a root-only file in it. */
function scene(): { root: string; outside: string; secret: string; cleanup: () => void } {
  const base = Deno.makeTempDirSync({ prefix: "rootfs-" }); // removed by cleanup()
  const root = `${base}/root`;
  const outside = `${base}/outside`;
  Deno.mkdirSync(root);
  Deno.mkdirSync(outside);
  const secret = `${outside}/secret`;
  Deno.writeTextFileSync(secret, "top secret\n");
  Deno.chmodSync(secret, 0o600);
  return { root, outside, secret, cleanup: () => Deno.removeSync(base, { recursive: true }) };
}

function owner(path: string): string {
  const st = Deno.lstatSync(path);
  return `${st.uid}:${st.gid}:${((st.mode ?? 0) & 0o7777).toString(8)}`;
}

rootTest("chownTreeIn never follows a link below the directory, nor one swapped in", () => {
  const s = scene();
  try {
    Deno.mkdirSync(`${s.root}/var/lib/shared/sub`, { recursive: true });
    Deno.symlinkSync(s.secret, `${s.root}/var/lib/shared/x`);
    Deno.symlinkSync(s.outside, `${s.root}/var/lib/shared/sub/dir`);
    Deno.writeTextFileSync(`${s.root}/var/lib/shared/sub/f`, "");
    chownTreeIn(s.root, "/var/lib/shared", 65534, 65534);
    strictEqual(owner(s.secret), "0:0:600");
    strictEqual(owner(s.outside), "0:0:755");
    strictEqual(Deno.lstatSync(`${s.root}/var/lib/shared/x`).uid, 65534);
    strictEqual(Deno.lstatSync(`${s.root}/var/lib/shared/sub/dir`).uid, 65534);
    strictEqual(Deno.lstatSync(`${s.root}/var/lib/shared/sub/f`).uid, 65534);
    strictEqual(Deno.lstatSync(`${s.root}/var/lib/shared`).uid, 65534);
    // Without a root too: the host's own paths, links still never followed.
    Deno.chownSync(`${s.root}/var/lib/shared`, 0, 0);
    chownTreeIn("", `${s.root}/var/lib/shared`, 1, 1);
    strictEqual(owner(s.secret), "0:0:600");
    strictEqual(Deno.lstatSync(`${s.root}/var/lib/shared/x`).uid, 1);
  } finally {
    s.cleanup();
  }
});

rootTest("chownTreeIn leaves a foreign file hard-linked into the tree alone", () => {
  const s = scene();
  try {
    Deno.mkdirSync(`${s.root}/d`);
    Deno.chownSync(`${s.root}/d`, 65534, 65534);
    Deno.writeTextFileSync(`${s.root}/shadow`, "secret");
    Deno.chmodSync(`${s.root}/shadow`, 0o600);
    Deno.linkSync(`${s.root}/shadow`, `${s.root}/d/hard`);
    Deno.writeTextFileSync(`${s.root}/d/own`, "");
    Deno.chownSync(`${s.root}/d/own`, 65534, 65534);
    Deno.linkSync(`${s.root}/d/own`, `${s.root}/d/own2`);
    chownTreeIn(s.root, "/d", 2, 2);
    strictEqual(owner(`${s.root}/shadow`), "0:0:600");
    strictEqual(owner(`${s.root}/d/own`), "2:2:644");
  } finally {
    s.cleanup();
  }
});

rootTest("chownTreeIn keeps set-user-ID bits, as systemd's chown_one", () => {
  const s = scene();
  try {
    Deno.mkdirSync(`${s.root}/d`);
    Deno.writeTextFileSync(`${s.root}/d/tool`, "");
    Deno.chmodSync(`${s.root}/d/tool`, 0o4755);
    chownTreeIn(s.root, "/d", 2, 2);
    strictEqual(owner(`${s.root}/d/tool`), "2:2:4755");
  } finally {
    s.cleanup();
  }
});

rootTest("a safe walk refuses an unprivileged link that leads to another owner's file", () => {
  const s = scene();
  try {
    Deno.mkdirSync(`${s.root}/var/lib/a`, { recursive: true });
    Deno.chownSync(`${s.root}/var/lib/a`, 65534, 65534);
    Deno.mkdirSync(`${s.root}/etc`);
    Deno.symlinkSync("/etc", `${s.root}/var/lib/a/b`);
    new Deno.Command("chown", { args: ["-h", "65534:65534", `${s.root}/var/lib/a/b`] })
      .outputSync();
    throws(() => chownTreeIn(s.root, "/var/lib/a/b", 65534, 65534), RootFsError);
    strictEqual(Deno.statSync(`${s.root}/etc`).uid, 0);
    throws(() => mkdirIn(s.root, "/var/lib/a/b/c", 0o755, true), RootFsError);
    // A root-owned link (an image's /var/lib/mysql -> /data/mysql) is followed.
    Deno.mkdirSync(`${s.root}/data/mysql`, { recursive: true });
    Deno.symlinkSync("/data/mysql", `${s.root}/var/lib/mysql`);
    chownTreeIn(s.root, "/var/lib/mysql", 3, 3);
    strictEqual(Deno.statSync(`${s.root}/data/mysql`).uid, 3);
  } finally {
    s.cleanup();
  }
});

rootTest("chmodIn and chownIn change a link itself, never its target", () => {
  for (const noFchmodat2 of [false, true]) {
    _internal.noFchmodat2 = noFchmodat2;
    const s = scene();
    try {
      Deno.symlinkSync(s.secret, `${s.root}/x`);
      ok(chmodIn(s.root, "/x", 0o666));
      ok(chownIn(s.root, "/x", 4, 4));
      strictEqual(owner(s.secret), "0:0:600");
      strictEqual(Deno.lstatSync(`${s.root}/x`).uid, 4);
      Deno.writeTextFileSync(`${s.root}/f`, "");
      ok(chmodIn(s.root, "/f", 0o640));
      strictEqual(owner(`${s.root}/f`), "0:0:640");
      Deno.mkdirSync(`${s.root}/d`);
      ok(chmodIn(s.root, "//d", 0o700));
      strictEqual(owner(`${s.root}/d`), "0:0:700");
      strictEqual(chmodIn(s.root, "/missing", 0o700), false);
    } finally {
      _internal.noFchmodat2 = false;
      s.cleanup();
    }
  }
});

rootTest("paths stay in the root: //, .., absolute links at any component", () => {
  const s = scene();
  try {
    const outsideName = s.outside.slice(s.outside.lastIndexOf("/") + 1);
    Deno.symlinkSync("/", `${s.root}/up`);
    Deno.symlinkSync(s.outside, `${s.root}/var`);
    Deno.symlinkSync(`../${outsideName}`, `${s.root}/rel`);
    mkdirIn(s.root, `//${s.outside}/made`);
    mkdirIn(s.root, `/../../${outsideName}/made2`);
    mkdirIn(s.root, "/var/x");
    mkdirIn(s.root, "/up/up/y");
    writeFileIn(s.root, `/${s.secret}`, new TextEncoder().encode("w"), { create: true });
    writeFileIn(s.root, "/rel/secret", new TextEncoder().encode("w"), { create: true });
    deepStrictEqual([...Deno.readDirSync(s.outside)].map((e) => e.name), ["secret"]);
    strictEqual(Deno.readTextFileSync(s.secret), "top secret\n");
    ok(Deno.statSync(`${s.root}${s.outside}/made`).isDirectory);
    ok(Deno.statSync(`${s.root}/${outsideName}/made2`).isDirectory);
    ok(Deno.statSync(`${s.root}${s.outside}/x`).isDirectory);
    ok(Deno.statSync(`${s.root}/y`).isDirectory);
    strictEqual(Deno.readTextFileSync(`${s.root}/${outsideName}/secret`), "w");
    strictEqual(new TextDecoder().decode(readFileIn(s.root, "/rel/secret")), "w");
    // The in-root copy written above through `//`, not the host's file.
    strictEqual(new TextDecoder().decode(readFileIn(s.root, `/up/${s.secret}`)), "w");
    throws(() => readFileIn(s.root, "/up/missing"), RootFsError);
    // unlink and rm -rf remove a link itself.
    Deno.symlinkSync(s.outside, `${s.root}/y/link`);
    ok(removeIn(s.root, "/y"));
    ok(unlinkIn(s.root, "/var"));
    strictEqual(unlinkIn(s.root, "/var"), false);
    strictEqual(Deno.readTextFileSync(s.secret), "top secret\n");
    symlinkIn(s.root, "/etc/target", "/l");
    strictEqual(Deno.readLinkSync(`${s.root}/l`), "/etc/target");
    strictEqual(statIn(s.root, "/l")?.kind, "link");
    strictEqual(statIn(s.root, "/l", true), undefined);
    const fd = openIn(s.root, "/up/../..", O.PATH | O.DIRECTORY);
    strictEqual(Deno.readLinkSync(`/proc/self/fd/${fd}`), s.root);
    libc().close(fd);
  } finally {
    s.cleanup();
  }
});
