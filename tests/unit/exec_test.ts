import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { growthRatio, LINEAR_LIMIT } from "../support/growth.ts";
import {
  type ExecCommand,
  expandExecArgs,
  formatExecShow,
  parseExecLine,
} from "../../src/unit/exec.ts";
import { parseEnvironmentValue } from "../../src/unit/environment.ts";

function argvs(value: string): string[][] {
  const r = parseExecLine(value);
  strictEqual(r.error, undefined);
  return r.commands.map((c) => c.argv);
}

function one(value: string): ExecCommand {
  const r = parseExecLine(value);
  strictEqual(r.error, undefined);
  strictEqual(r.commands.length, 1);
  return r.commands[0];
}

Deno.test("parseExecLine reads a path and its arguments", () => {
  const c = one("/usr/bin/app -f /etc/app.conf");
  strictEqual(c.path, "/usr/bin/app");
  deepStrictEqual(c.argv, ["/usr/bin/app", "-f", "/etc/app.conf"]);
  strictEqual(c.ignoreFailure, false);
});

Deno.test("parseExecLine splits commands at a lone semicolon (systemd.service example)", () => {
  deepStrictEqual(argvs(`echo one ; echo "two two"`), [["echo", "one"], ["echo", "two two"]]);
});

Deno.test("parseExecLine keeps an escaped semicolon as an argument (systemd.service example)", () => {
  // The joined value of `ExecStart=echo / >/dev/null & \; \` + `ls`.
  deepStrictEqual(argvs("echo / >/dev/null & \\;  \t   ls"), [
    ["echo", "/", ">/dev/null", "&", ";", "ls"],
  ]);
});

Deno.test("parseExecLine passes a quoted shell command as one word (sh -c example)", () => {
  deepStrictEqual(argvs(`sh -c 'dmesg | tac'`), [["sh", "-c", "dmesg | tac"]]);
});

Deno.test("parseExecLine skips empty commands between semicolons", () => {
  deepStrictEqual(argvs("/bin/true ; ; /bin/false"), [["/bin/true"], ["/bin/false"]]);
  deepStrictEqual(argvs("/bin/true ;"), [["/bin/true"]]);
});

Deno.test("parseExecLine keeps a semicolon glued to a word", () => {
  deepStrictEqual(argvs("/bin/echo a; b"), [["/bin/echo", "a;", "b"]]);
});

Deno.test("parseExecLine reads the - prefix as ignore failure", () => {
  const c = one("-/bin/false");
  ok(c.ignoreFailure);
  strictEqual(c.path, "/bin/false");
  deepStrictEqual(c.argv, ["/bin/false"]);
});

Deno.test("parseExecLine with @ takes argv[0] from the next word", () => {
  const c = one("@/bin/x foo bar");
  ok(c.argv0Override);
  strictEqual(c.path, "/bin/x");
  deepStrictEqual(c.argv, ["foo", "bar"]);
});

Deno.test("parseExecLine reads the + ! !! and : prefixes", () => {
  ok(one("+/bin/x").privileged);
  ok(one("!/bin/x").noSetuid);
  const amb = one("!!/bin/x");
  ok(amb.ambient);
  ok(!amb.noSetuid);
  ok(one(":/bin/x").noEnvExpand);
  const all = one("-@:+/bin/x zero");
  ok(all.ignoreFailure && all.argv0Override && all.noEnvExpand && all.privileged);
});

// systemd 252 says "Neither a valid executable name nor an absolute path" here; the spec (§3.6)
// words every relative path with a slash as below.
Deno.test("parseExecLine refuses + combined with !", () => {
  strictEqual(
    parseExecLine("+!/bin/x").error,
    "Neither a valid executable name nor an absolute path: !/bin/x",
  );
  strictEqual(
    parseExecLine("!!!/bin/x").error,
    "Neither a valid executable name nor an absolute path: !/bin/x",
  );
});

Deno.test("parseExecLine refuses a repeated - prefix", () => {
  strictEqual(
    parseExecLine("--/bin/x").error,
    "Neither a valid executable name nor an absolute path: -/bin/x",
  );
});

Deno.test("parseExecLine refuses a relative path with a slash", () => {
  strictEqual(
    parseExecLine("foo/bar").error,
    "Neither a valid executable name nor an absolute path: foo/bar",
  );
  strictEqual(
    parseExecLine(`fo"o/b ar"`).error,
    "Neither a valid executable name nor an absolute path: foo/b ar",
  );
});

Deno.test("parseExecLine refuses a bare name that is no valid file name", () => {
  strictEqual(
    parseExecLine("..").error,
    "Neither a valid executable name nor an absolute path: ..",
  );
});

Deno.test("parseExecLine refuses control characters and quotes in the executable", () => {
  strictEqual(
    parseExecLine("/bin/a\\x01b").error,
    "Executable name contains special characters: /bin/a\x01b",
  );
});

Deno.test("parseExecLine accepts a bare executable name", () => {
  const c = one("echo hi");
  strictEqual(c.path, "echo");
  deepStrictEqual(c.argv, ["echo", "hi"]);
});

Deno.test("parseExecLine refuses an empty path after the prefixes", () => {
  strictEqual(parseExecLine("-").error, "Empty path in command line, ignoring: '-'");
});

Deno.test("parseExecLine refuses @ without an argv[0]", () => {
  strictEqual(parseExecLine("@/bin/x").error, "Empty executable name or zeroeth argument: @/bin/x");
});

Deno.test("parseExecLine refuses a directory path", () => {
  strictEqual(parseExecLine("/bin/x/").error, "Executable path specifies a directory: /bin/x/");
});

Deno.test("parseExecLine refuses unbalanced quotes", () => {
  strictEqual(
    parseExecLine(`/bin/x "unbalanced`).error,
    `Unbalanced quoting, ignoring: "/bin/x "unbalanced"`,
  );
});

Deno.test("parseExecLine keeps an unknown escape with a warning", () => {
  const r = parseExecLine(`/bin/echo "a\\qb"`);
  deepStrictEqual(r.commands[0].argv, ["/bin/echo", "a\\qb"]);
  deepStrictEqual(r.warnings, [`Ignoring unknown escape sequences: "a\\qb"`]);
});

Deno.test("parseExecLine simplifies the path but not argv[0]", () => {
  const c = one("//usr//bin/./app");
  strictEqual(c.path, "/usr/bin/app");
  strictEqual(c.argv[0], "//usr//bin/./app");
});

Deno.test("parseExecLine of an empty value gives no commands", () => {
  deepStrictEqual(parseExecLine("").commands, []);
});

function env(value: string): Record<string, string> {
  return Object.fromEntries(parseEnvironmentValue(value).vars);
}

Deno.test("expandExecArgs follows the first systemd.service example", () => {
  // Environment="ONE=one" 'TWO=two two' / ExecStart=echo $ONE $TWO ${TWO}
  const e = env(`"ONE=one" 'TWO=two two'`);
  const c = one("echo $ONE $TWO ${TWO}");
  deepStrictEqual(expandExecArgs(c.argv.slice(1), e), ["one", "two", "two", "two two"]);
});

Deno.test("expandExecArgs follows the second systemd.service example", () => {
  // Environment=ONE='one' "TWO='two two' too" THREE=
  const e = env(`ONE='one' "TWO='two two' too" THREE=`);
  deepStrictEqual(e, { ONE: "one", TWO: "'two two' too", THREE: "" });
  // The man page shows the value of ONE as 'one' with quotes in the ${ONE} case; systemd 252
  // actually removes the quotes when parsing Environment=, so ${ONE} is "one".
  const braced = one("/bin/echo ${ONE} ${TWO} ${THREE}");
  deepStrictEqual(expandExecArgs(braced.argv.slice(1), e), ["one", "'two two' too", ""]);
  const bare = one("/bin/echo $ONE $TWO $THREE");
  deepStrictEqual(expandExecArgs(bare.argv.slice(1), e), ["one", "two two", "too"]);
});

Deno.test("expandExecArgs follows the spec §3.8 example", () => {
  const c = one(`/bin/e $A \${B} $B "\${B}z"`);
  deepStrictEqual(expandExecArgs(c.argv.slice(1), { A: "1", B: "x y" }), [
    "1",
    "x y",
    "x",
    "y",
    "x yz",
  ]);
});

Deno.test("expandExecArgs turns $$ into $ and leaves other $ alone", () => {
  deepStrictEqual(expandExecArgs(["$$HOME", "a$B", "cost$", "${A:-x}"], { B: "b", A: "a" }), [
    "$HOME",
    "a$B",
    "cost$",
    "${A:-x}",
  ]);
});

Deno.test("expandExecArgs expands unknown variables to nothing", () => {
  deepStrictEqual(expandExecArgs(["$NOPE", "x${NOPE}y", "${}"], {}), ["xy", ""]);
});

Deno.test("expandExecArgs keeps an unterminated ${ literally", () => {
  deepStrictEqual(expandExecArgs(["${A", "a${B"], { A: "1" }), ["${A", "a${B"]);
});

Deno.test("expandExecArgs splits a whole-word value honouring quotes", () => {
  deepStrictEqual(expandExecArgs(["$V"], { V: `a "b c" 'd'` }), ["a", "b c", "d"]);
  deepStrictEqual(expandExecArgs(["$V"], { V: "" }), []);
});

const cmd: ExecCommand = {
  path: "/usr/bin/app",
  argv: ["/usr/bin/app", "-f", "/etc/app.conf"],
  ignoreFailure: false,
  privileged: false,
  noSetuid: false,
  ambient: false,
  noEnvExpand: false,
  argv0Override: false,
};

Deno.test("formatExecShow prints a never-run command like systemd show", () => {
  strictEqual(
    formatExecShow("ExecStart", cmd),
    "ExecStart={ path=/usr/bin/app ; argv[]=/usr/bin/app -f /etc/app.conf ; ignore_errors=no ; " +
      "start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }",
  );
});

Deno.test("formatExecShow prints flags= for the Ex variant", () => {
  strictEqual(
    formatExecShow("ExecStartEx", { ...cmd, ignoreFailure: true, privileged: true }),
    "ExecStartEx={ path=/usr/bin/app ; argv[]=/usr/bin/app -f /etc/app.conf ; " +
      "flags=ignore-failure privileged ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; " +
      "code=(null) ; status=0/0 }",
  );
});

Deno.test("formatExecShow prints times, pid and exit status after a run", () => {
  const start = Date.UTC(2024, 4, 7, 9, 15, 2) * 1000;
  strictEqual(
    formatExecShow("ExecStop", cmd, {
      startUs: start,
      exitUs: start + 1_000_000,
      pid: 42,
      code: "exited",
      status: 3,
    }),
    "ExecStop={ path=/usr/bin/app ; argv[]=/usr/bin/app -f /etc/app.conf ; ignore_errors=no ; " +
      "start_time=[Tue 2024-05-07 09:15:02 UTC] ; stop_time=[Tue 2024-05-07 09:15:03 UTC] ; " +
      "pid=42 ; code=exited ; status=3 }",
  );
});

Deno.test("formatExecShow prints the signal name of a killed command", () => {
  ok(
    formatExecShow("ExecStart", cmd, { pid: 7, code: "killed", status: 15 }).endsWith(
      "pid=7 ; code=killed ; status=15/TERM }",
    ),
  );
});

Deno.test("parseExecLine is linear in the number of arguments", () => {
  const value = (n: number) =>
    "/bin/echo " + Array.from({ length: n }, (_, i) => `'a ${i}'`).join(" ");
  const r = parseExecLine(value(20_000));
  strictEqual(r.commands[0].argv.length, 20_001);
  strictEqual(r.commands[0].argv[20_000], "a 19999");
  const ratio = growthRatio((n) => parseExecLine(value(n)), 1_250);
  ok(ratio < LINEAR_LIMIT, `16x the arguments took ${ratio.toFixed(1)}x the time`);
});
