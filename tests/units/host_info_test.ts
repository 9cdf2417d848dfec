/** User and group lookups inside a root. */

import { deepStrictEqual, ok } from "node:assert/strict";
import { lookupGroup, lookupUser, readHostFacts } from "../../src/units/host_info.ts";
import { RootMap } from "../../src/units/paths.ts";

Deno.test("root and nobody resolve without passwd or group files, as systemd synthesizes them", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const root = new RootMap(dir);
    const rootUser = { name: "root", uid: 0, gid: 0, home: "/root", shell: "/bin/sh" };
    const nobody = {
      name: "nobody",
      uid: 65534,
      gid: 65534,
      home: "/",
      shell: "/usr/sbin/nologin",
    };
    deepStrictEqual(lookupUser(root, "root"), rootUser);
    deepStrictEqual(lookupUser(root, "0"), rootUser);
    deepStrictEqual(lookupUser(root, 0), rootUser);
    deepStrictEqual(lookupUser(root, "nobody"), nobody);
    deepStrictEqual(lookupUser(root, "65534"), nobody);
    deepStrictEqual(lookupUser(root, "daemon"), undefined);
    const rootGroup = { name: "root", gid: 0, members: [] };
    // Debian builds systemd with NOBODY_GROUP_NAME=nogroup.
    const nogroup = { name: "nogroup", gid: 65534, members: [] };
    deepStrictEqual(lookupGroup(root, "root"), rootGroup);
    deepStrictEqual(lookupGroup(root, "0"), rootGroup);
    deepStrictEqual(lookupGroup(root, "nogroup"), nogroup);
    deepStrictEqual(lookupGroup(root, "65534"), nogroup);
    deepStrictEqual(lookupGroup(root, "daemon"), undefined);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("an os-release over systemd's READ_FULL_BYTES_MAX is not read (memory stays bounded)", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${dir}/etc`);
    Deno.writeTextFileSync(`${dir}/etc/os-release`, "ID=big\n");
    Deno.truncateSync(`${dir}/etc/os-release`, 64 * 1024 * 1024);
    const before = Deno.memoryUsage().rss;
    const facts = readHostFacts(new RootMap(dir), "system", {});
    deepStrictEqual(facts.osRelease.ID, undefined);
    ok(Deno.memoryUsage().rss - before < 48 * 1024 ** 2);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
