import assert from "node:assert/strict";
import { parseTmpfiles } from "../../src/unit/tmpfiles.ts";
import { createTmpfiles, readTmpfiles } from "../../src/units/tmpfiles.ts";
import { RootMap } from "../../src/units/paths.ts";
import * as rootFs from "../../src/process/rootfs.ts";
import { makeTree } from "../cli/_cli.ts";

Deno.test("parseTmpfiles reads type, path, mode, owner and the rest of the line as argument", () => {
  const warnings: string[] = [];
  const entries = parseTmpfiles(
    [
      "# comment",
      "d /run/mysqld 0755 mysql root -",
      'f+ "/run/with space" - - - - hello world',
      "L /var/run - - - - ../run",
      "d relative 0755 - - -",
      "d /run/x 99z - - -",
    ].join("\n"),
    "/usr/lib/tmpfiles.d/t.conf",
    (w) => warnings.push(w),
  );
  assert.deepEqual(entries.map((e) => [e.type, e.path, e.mode, e.user, e.group, e.argument]), [
    ["d", "/run/mysqld", 0o755, "mysql", "root", undefined],
    ["f", "/run/with space", undefined, undefined, undefined, "hello world"],
    ["L", "/var/run", undefined, undefined, undefined, "../run"],
  ]);
  assert.equal(entries[1].plus, true);
  assert.deepEqual(warnings, [
    "/usr/lib/tmpfiles.d/t.conf:5: Path 'relative' not absolute, skipping.",
    "/usr/lib/tmpfiles.d/t.conf:6: Invalid mode '99z'.",
  ]);
});

Deno.test("tmpfiles.d words split as systemd-tmpfiles 252 does: quotes, backslashes, bad quoting", () => {
  const warnings: string[] = [];
  const entries = parseTmpfiles(
    ['d "/x 0755 - - -', "d /y\\x41 0755 - - -", 'f /z 0644 - - - arg "q w'].join("\n"),
    "/etc/tmpfiles.d/a.conf",
    (w) => warnings.push(w),
  );
  // Checked against `systemd-tmpfiles --root=DIR --create`: `\x41` makes `x41`, and the
  // argument is the rest of the line as written.
  assert.deepEqual(entries.map((e) => [e.path, e.argument]), [["/yx41", undefined], [
    "/z",
    'arg "q w',
  ]]);
  assert.deepEqual(warnings, ["/etc/tmpfiles.d/a.conf:1: Failed to parse line: Invalid argument"]);
});

Deno.test("createTmpfiles makes the directories packages expect in a fresh /run, inside the root", () => {
  const root = makeTree({
    "/etc/passwd": "root:x:0:0::/root:/bin/sh\nmysql:x:101:102::/nonexistent:/bin/false\n",
    "/etc/group": "root:x:0:\nmysql:x:102:\n",
    "/usr/lib/tmpfiles.d/mariadb.conf": "d /run/mysqld 0750 mysql mysql -\n",
    "/usr/lib/tmpfiles.d/masked.conf": "d /run/masked 0755 - - -\n",
    "/etc/tmpfiles.d/masked.conf": "",
    "/usr/lib/tmpfiles.d/misc.conf":
      "f /run/utmp 0664 root root -\nL /run/link - - - - /run/mysqld\n" +
      "F! /run/nologin 0644 - - - booting\nd /dev/shm/x 0755 - - -\n",
  });
  try {
    const warnings: string[] = [];
    createTmpfiles(new RootMap(root), rootFs, (w) => warnings.push(w));
    assert.deepEqual(warnings, []);
    const st = Deno.statSync(`${root}/run/mysqld`);
    assert.ok(st.isDirectory);
    assert.equal(st.mode! & 0o7777, 0o750);
    if (Deno.uid() === 0) assert.deepEqual([st.uid, st.gid], [101, 102]);
    assert.ok(Deno.statSync(`${root}/run/utmp`).isFile);
    assert.equal(Deno.readLinkSync(`${root}/run/link`), "/run/mysqld");
    assert.throws(() => Deno.statSync(`${root}/run/masked`), "masked by an empty file in /etc");
    assert.throws(() => Deno.statSync(`${root}/run/nologin`), "never locks users out");
    assert.throws(() => Deno.statSync(`${root}/dev/shm/x`), "/dev belongs to the runtime");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

/** Every file under a host directory with its mode (what must not change). */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      const st = Deno.lstatSync(p);
      const body = st.isFile ? Deno.readTextFileSync(p) : "";
      out.push(`${p} ${(st.mode! & 0o7777).toString(8)} ${st.uid} ${JSON.stringify(body)}`);
      if (st.isDirectory) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

Deno.test("createTmpfiles: //, .., and absolute links of the root never lead out of it", () => {
  const outside = Deno.makeTempDirSync({ prefix: "tmpfiles-outside-" });
  Deno.writeTextFileSync(`${outside}/existing`, "keep\n");
  Deno.chmodSync(`${outside}/existing`, 0o600);
  const up = outside.split("/").filter((c) => c).map(() => "..").join("/");
  const root = makeTree({
    "/usr/lib/tmpfiles.d/evil.conf": [
      `d /${outside}/d1 0755 - - -`,
      `d /../../${up}${outside}/d2 0755 - - -`,
      `d /var/x 0755 - - -`,
      `w /${outside}/existing - - - - overwritten`,
      `z /${outside}/existing 0666 - - -`,
      `f+ /link-out 0644 - - - created`,
      `z /link-out 0666 - - -`,
      `w /link-out - - - - written`,
      `L /etc/out/l - - - - /x`,
    ].join("\n") + "\n",
  });
  try {
    const before = snapshot(outside);
    // /var, /etc/out and /link-out inside the root point out of it (absolute links).
    Deno.symlinkSync(outside, `${root}/var`);
    Deno.mkdirSync(`${root}/etc`);
    Deno.symlinkSync(outside, `${root}/etc/out`);
    Deno.symlinkSync(`${outside}/existing`, `${root}/link-out`);
    const warnings: string[] = [];
    createTmpfiles(new RootMap(root), rootFs, (w) => warnings.push(w));
    assert.deepEqual(snapshot(outside), before);
    // What the lines name is made inside the root, where chroot would put it.
    assert.ok(Deno.statSync(`${root}${outside}/d1`).isDirectory);
    assert.ok(Deno.statSync(`${root}${outside}/d2`).isDirectory);
    assert.ok(Deno.statSync(`${root}${outside}/x`).isDirectory);
    assert.equal(Deno.readLinkSync(`${root}${outside}/l`), "/x");
    // The link at /link-out is not written through by f+, nor chmodded by z; w follows it
    // inside the root, where nothing is there (a missing file is not written, as systemd).
    assert.equal(Deno.readLinkSync(`${root}/link-out`), `${outside}/existing`);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /Failed to create \/link-out: Too many levels of symbolic links/);
  } finally {
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(outside, { recursive: true });
  }
});

Deno.test("a tmpfiles.d line over LONG_LINE_MAX ends the file with systemd-tmpfiles' warning", () => {
  const warnings: string[] = [];
  const entries = parseTmpfiles(
    "d /run/a 0755 - - -\nf /run/b - - - - " + "x".repeat(2 << 20) + "\nd /run/c 0755 - - -\n",
    "/usr/lib/tmpfiles.d/t.conf",
    (w) => warnings.push(w),
  );
  assert.deepEqual(entries.map((e) => e.path), ["/run/a"]);
  assert.deepEqual(warnings, [
    "Failed to read '/usr/lib/tmpfiles.d/t.conf': No buffer space available",
  ]);
});

Deno.test("a tmpfiles.d path of 800,000 slashes is read in one pass", () => {
  // A trailing-slash regexp backtracked over the run of slashes from every position.
  const slashes = "/".repeat(400_000);
  const entries = parseTmpfiles(`d ${slashes}x${slashes} - - -\nd ${slashes} - - -\n`, "t.conf");
  assert.deepEqual(entries.map((e) => e.path), [`${slashes}x`, "/"]);
});

Deno.test("readTmpfiles keeps the entries before a long line and reads the other files", () => {
  const root = makeTree({
    "/usr/lib/tmpfiles.d/a.conf": "d /run/a 0755 - - -\nd /run/" + "y".repeat(2 << 20) + "\n",
    "/usr/lib/tmpfiles.d/b.conf": "d /run/b 0755 - - -\n",
  });
  try {
    const warnings: string[] = [];
    const entries = readTmpfiles(new RootMap(root), (w) => warnings.push(w));
    assert.deepEqual(entries.map((e) => e.path), ["/run/a", "/run/b"]);
    assert.deepEqual(warnings, [
      "Failed to read '/usr/lib/tmpfiles.d/a.conf': No buffer space available",
    ]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
