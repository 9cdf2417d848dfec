import { deepStrictEqual } from "node:assert/strict";
import { expandSpecifiers, type SpecifierContext } from "../../src/unit/specifiers.ts";

function ctx(unitName: string, extra: Partial<SpecifierContext> = {}): SpecifierContext {
  return {
    unitName,
    fragmentPath: "/etc/systemd/system/foo@.service",
    scope: "system",
    hostname: "web1.example.com",
    machineId: "0123456789abcdef0123456789abcdef",
    bootId: "fedcba9876543210fedcba9876543210",
    kernelRelease: "6.1.0-18-amd64",
    architecture: "x86-64",
    osRelease: { ID: "debian", VERSION_ID: "12", BUILD_ID: "b1" },
    user: { name: "root", uid: 0, group: "root", gid: 0, home: "/root", shell: "/bin/sh" },
    dirs: {
      runtime: "/run",
      state: "/var/lib",
      cache: "/var/cache",
      logs: "/var/log",
      config: "/etc",
      tmp: "/tmp",
      varTmp: "/var/tmp",
    },
    ...extra,
  };
}

function expand(value: string, c: SpecifierContext): string {
  const r = expandSpecifiers(value, c);
  if ("error" in r) throw new Error(r.error);
  return r.value;
}

const instance = ctx("foo-bar@a\\x2db-c.service");
const table: Array<[string, string]> = [
  ["%n", "foo-bar@a\\x2db-c.service"],
  ["%N", "foo-bar@a\\x2db-c"],
  ["%p", "foo-bar"],
  ["%P", "foo/bar"],
  ["%i", "a\\x2db-c"],
  ["%I", "a-b/c"],
  ["%j", "bar"],
  ["%J", "bar"],
  ["%f", "/a-b/c"],
  ["%y", "/etc/systemd/system/foo@.service"],
  ["%Y", "/etc/systemd/system"],
  ["%t", "/run"],
  ["%S", "/var/lib"],
  ["%C", "/var/cache"],
  ["%L", "/var/log"],
  ["%E", "/etc"],
  ["%T", "/tmp"],
  ["%V", "/var/tmp"],
  ["%h", "/root"],
  ["%s", "/bin/sh"],
  ["%u", "root"],
  ["%U", "0"],
  ["%g", "root"],
  ["%G", "0"],
  ["%H", "web1.example.com"],
  ["%l", "web1"],
  ["%q", "web1"],
  ["%m", "0123456789abcdef0123456789abcdef"],
  ["%b", "fedcba9876543210fedcba9876543210"],
  ["%v", "6.1.0-18-amd64"],
  ["%a", "x86-64"],
  ["%o", "debian"],
  ["%w", "12"],
  ["%W", ""],
  ["%B", "b1"],
  ["%M", ""],
  ["%A", ""],
  ["%d", "/run/credentials/foo-bar@a\\x2db-c.service"],
  ["%%", "%"],
];
for (const [spec, value] of table) {
  Deno.test(`expandSpecifiers resolves ${spec} of an instance to ${JSON.stringify(value)}`, () => {
    deepStrictEqual(expand(spec, instance), value);
  });
}

Deno.test("expandSpecifiers gives %i empty and %f the unescaped prefix for a plain unit", () => {
  const c = ctx("dev-sda1.service");
  deepStrictEqual(expand("[%i][%I][%p][%f][%j]", c), "[][][dev-sda1][/dev/sda1][sda1]");
});

Deno.test("expandSpecifiers resolves %N of the systemd.unit(5) failure-handler example", () => {
  deepStrictEqual(
    expand("failure-handler@%N.service", ctx("nginx.service")),
    "failure-handler@nginx.service",
  );
});

Deno.test("expandSpecifiers uses the pretty host name for %q when set", () => {
  deepStrictEqual(expand("%q", ctx("a.service", { prettyHostname: "Web One" })), "Web One");
});

Deno.test("expandSpecifiers uses the user directories in user scope", () => {
  const c = ctx("a.service", {
    scope: "user",
    user: {
      name: "ann",
      uid: 1000,
      group: "ann",
      gid: 1000,
      home: "/home/ann",
      shell: "/bin/bash",
    },
    dirs: {
      runtime: "/run/user/1000",
      state: "/home/ann/.config",
      cache: "/home/ann/.cache",
      logs: "/home/ann/.config/log",
      config: "/home/ann/.config",
      tmp: "/tmp",
      varTmp: "/var/tmp",
    },
  });
  deepStrictEqual(
    expand("%t/x %S %h %u:%U %s", c),
    "/run/user/1000/x /home/ann/.config /home/ann ann:1000 /bin/bash",
  );
});

Deno.test("expandSpecifiers refuses an unknown specifier", () => {
  deepStrictEqual(expandSpecifiers("a %z b", ctx("a.service")), {
    error: "Failed to resolve unit specifiers in 'a %z b', ignoring.",
  });
});

Deno.test("expandSpecifiers refuses %y without a fragment", () => {
  deepStrictEqual(
    "error" in expandSpecifiers("%y", ctx("a.service", { fragmentPath: undefined })),
    true,
  );
});

Deno.test("expandSpecifiers keeps a lone % at the end", () => {
  deepStrictEqual(expand("100%", ctx("a.service")), "100%");
});

Deno.test("expandSpecifiers leaves text without % untouched", () => {
  deepStrictEqual(expand("/usr/bin/app --x", ctx("a.service")), "/usr/bin/app --x");
});
