import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  dropInDirs,
  escapeName,
  escapePath,
  globMatch,
  globMatchSteps,
  instanceName,
  isGlob,
  isValidUnitName,
  mangleUnitName,
  parseUnitName,
  templateOf,
  unescapeName,
  unescapePath,
  UNIT_TYPES,
} from "../../src/unit/names.ts";

Deno.test("UNIT_TYPES lists the eleven unit types", () => {
  deepStrictEqual([...UNIT_TYPES], [
    "service",
    "socket",
    "target",
    "timer",
    "path",
    "mount",
    "automount",
    "swap",
    "device",
    "slice",
    "scope",
  ]);
});

Deno.test("parseUnitName splits an instance name into prefix, instance and type", () => {
  deepStrictEqual(parseUnitName("foo@bar.service"), {
    prefix: "foo",
    instance: "bar",
    type: "service",
    isTemplate: false,
  });
});

Deno.test("parseUnitName marks a template with an empty instance", () => {
  deepStrictEqual(parseUnitName("foo@.service"), {
    prefix: "foo",
    instance: "",
    type: "service",
    isTemplate: true,
  });
});

Deno.test("parseUnitName keeps dots in the prefix of a plain name", () => {
  deepStrictEqual(parseUnitName("a.b.socket"), {
    prefix: "a.b",
    instance: undefined,
    type: "socket",
    isTemplate: false,
  });
});

Deno.test("parseUnitName lets the instance contain further @ signs, as systemd does", () => {
  strictEqual(parseUnitName("a@b@c.service")?.instance, "b@c");
});

const validNames = ["a.service", "dev-sda.device", "-.slice", "x\\x20y.mount", "a:b_c.timer"];
for (const name of validNames) {
  Deno.test(`isValidUnitName accepts ${name}`, () => ok(isValidUnitName(name)));
}

const invalidNames = [
  "",
  "foo",
  ".service",
  "@a.service",
  "a.bogus",
  "a b.service",
  "a/b.service",
  "a".repeat(248) + ".service",
];
for (const name of invalidNames) {
  Deno.test(`isValidUnitName refuses ${JSON.stringify(name.slice(0, 20))}`, () => {
    ok(!isValidUnitName(name));
  });
}

Deno.test("isValidUnitName accepts a name of exactly 255 bytes", () => {
  ok(isValidUnitName("a".repeat(247) + ".service"));
});

Deno.test("templateOf turns an instance into its template", () => {
  strictEqual(templateOf("getty@tty3.service"), "getty@.service");
  strictEqual(templateOf("getty@.service"), "getty@.service");
  strictEqual(templateOf("getty.service"), undefined);
});

Deno.test("instanceName fills a template with an instance", () => {
  strictEqual(instanceName("getty@.service", "tty3"), "getty@tty3.service");
});

// Expectations produced by systemd-escape (systemd 252).
const escapes: Array<[string, string, string | undefined]> = [
  ["foo", "foo", "foo"],
  ["a b", "a\\x20b", "a\\x20b"],
  [".hidden", "\\x2ehidden", "\\x2ehidden"],
  ["a-b", "a\\x2db", "a\\x2db"],
  ["a/b", "a-b", "a-b"],
  ["/", "-", "-"],
  ["ä€", "\\xc3\\xa4\\xe2\\x82\\xac", "\\xc3\\xa4\\xe2\\x82\\xac"],
  ["x\\y", "x\\x5cy", "x\\x5cy"],
  ["a.b:c_d", "a.b:c_d", "a.b:c_d"],
  ["@at", "\\x40at", "\\x40at"],
  ["-", "\\x2d", "\\x2d"],
  ["a*b?", "a\\x2ab\\x3f", "a\\x2ab\\x3f"],
  ["", "", "-"],
];
for (const [input, name, path] of escapes) {
  Deno.test(`escapeName and escapePath match systemd-escape for ${JSON.stringify(input)}`, () => {
    strictEqual(escapeName(input), name);
    strictEqual(escapePath(input), path);
  });
}

Deno.test("escapePath drops duplicate, leading and trailing slashes (/foo//bar/baz/)", () => {
  strictEqual(escapePath("/foo//bar/baz/"), "foo-bar-baz");
  strictEqual(escapePath("//a//b/"), "a-b");
  strictEqual(escapePath("/a/./b"), "a-b");
  strictEqual(escapePath("/.x"), "\\x2ex");
  strictEqual(escapePath("/dev/sda"), "dev-sda");
});

Deno.test("escapePath refuses a path with .. like systemd-escape --path", () => {
  strictEqual(escapePath("/a/../b"), undefined);
  strictEqual(escapePath(".."), undefined);
});

const unescapes: Array<[string, string | undefined, string | undefined]> = [
  ["a-b", "a/b", "/a/b"],
  ["\\x2e-x", "./x", undefined],
  ["a\\x2", undefined, undefined],
  ["a\\xzz", undefined, undefined],
  ["-", "/", "/"],
  ["a-", "a/", undefined],
  ["-a", "/a", undefined],
  ["a--b", "a//b", undefined],
  ["\\xc3\\xa4", "ä", "/ä"],
  ["foo\\x2fbar", "foo/bar", "/foo/bar"],
];
for (const [input, name, path] of unescapes) {
  Deno.test(`unescapeName and unescapePath match systemd-escape -u for ${input}`, () => {
    strictEqual(unescapeName(input), name);
    strictEqual(unescapePath(input), path);
  });
}

Deno.test("mangleUnitName adds the default suffix to a bare name", () => {
  deepStrictEqual(mangleUnitName("nginx", ".service"), { name: "nginx.service" });
  deepStrictEqual(mangleUnitName("foo.bar", ".service"), { name: "foo.bar.service" });
  deepStrictEqual(mangleUnitName("multi-user", ".target"), { name: "multi-user.target" });
});

Deno.test("mangleUnitName keeps a name that already has a type suffix", () => {
  deepStrictEqual(mangleUnitName("sshd.socket", ".service"), { name: "sshd.socket" });
});

Deno.test("mangleUnitName maps /dev paths to .device and other paths to .mount", () => {
  deepStrictEqual(mangleUnitName("/dev/sda", ".service"), { name: "dev-sda.device" });
  deepStrictEqual(mangleUnitName("/home/x", ".service"), { name: "home-x.mount" });
  deepStrictEqual(mangleUnitName("/", ".service"), { name: "-.mount" });
});

Deno.test("mangleUnitName escapes invalid characters and warns", () => {
  deepStrictEqual(mangleUnitName("foo bar", ".service"), {
    name: "foo\\x20bar.service",
    warning:
      'Invalid unit name "foo bar" escaped as "foo\\x20bar" (maybe you should use systemd-escape?).',
  });
});

Deno.test("mangleUnitName leaves globs alone", () => {
  deepStrictEqual(mangleUnitName("ngin*", ".service"), { name: "ngin*" });
  deepStrictEqual(mangleUnitName("foo.*", ".service"), { name: "foo.*" });
});

Deno.test("isGlob detects *, ? and [", () => {
  ok(isGlob("a*"));
  ok(isGlob("a?"));
  ok(isGlob("a[bc]"));
  ok(!isGlob("a.service"));
});

const globs: Array<[string, string, boolean]> = [
  ["*.service", "a.service", true],
  ["ngin*", "nginx.service", true],
  ["a?c", "abc", true],
  ["a?c", "ac", false],
  ["[ab]x", "bx", true],
  ["[!ab]x", "bx", false],
  ["[!ab]x", "cx", true],
  ["[a-c]*", "b.service", true],
  ["\\*", "*", true],
  ["\\*", "a", false],
  ["*", "a/b", true],
  ["x[", "x[", true],
  ["*@*.service", "getty@tty1.service", true],
  ["a*b*c", "aXbYc", true],
  ["a*b*c", "aXbYcZ", false],
  ["*a*", "bab", true],
  ["**x", "yx", true],
  ["[]a]", "]", true],
  ["[a-]", "-", true],
  ["[\\]]", "]", true],
];
for (const [pattern, name, expected] of globs) {
  Deno.test(`globMatch(${pattern}) ${expected ? "matches" : "does not match"} ${name}`, () => {
    strictEqual(globMatch(pattern, name), expected);
  });
}

Deno.test("globMatch takes at most |pattern| x |name| steps on a pattern of many stars", () => {
  // The recursive matcher tried every split: C(240, 40) ways here before it failed.
  const pattern = "*a".repeat(40) + "*b";
  const name = "a".repeat(240);
  const r = globMatchSteps(pattern, name);
  strictEqual(r.matched, false);
  ok(r.steps <= (pattern.length + 1) * (name.length + 1), `${r.steps} steps`);
  strictEqual(globMatch(pattern, name + "b"), true);
  // 200,000 stars (a 1 MiB preset or EnvironmentFile= line) do not nest calls.
  strictEqual(globMatch("*x".repeat(200_000), "x".repeat(200_000)), true);
});

Deno.test("dropInDirs walks instance, template and dash prefixes like systemd 252", () => {
  deepStrictEqual(dropInDirs("a-b-c@i.service"), [
    "a-b-c@i.service.d",
    "a-b-c@.service.d",
    "a-b-.service.d",
    "a-.service.d",
    "a-b-@i.service.d",
    "a-b-@.service.d",
    "a-@i.service.d",
    "a-@.service.d",
    "service.d",
  ]);
});

Deno.test("dropInDirs of a plain name ends with the type directory", () => {
  deepStrictEqual(dropInDirs("foo-bar.service"), [
    "foo-bar.service.d",
    "foo-.service.d",
    "service.d",
  ]);
  deepStrictEqual(dropInDirs("sshd.socket"), ["sshd.socket.d", "socket.d"]);
});

Deno.test("dropInDirs ignores a leading dash", () => {
  deepStrictEqual(dropInDirs("-.slice"), ["-.slice.d", "slice.d"]);
});
