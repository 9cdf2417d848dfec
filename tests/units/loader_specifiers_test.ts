import { deepStrictEqual } from "node:assert/strict";
import { join } from "node:path";
import { UnitLoader } from "../../src/units/loader.ts";
import { RootMap } from "../../src/units/paths.ts";
import { parseExecLine } from "../../src/unit/exec.ts";
import { parseEnvironmentValue } from "../../src/unit/environment.ts";

/** Loads one unit from a temporary root holding the given system unit files. */
function load(files: Record<string, string>, name: string) {
  const root = Deno.makeTempDirSync({ prefix: "sysctl-spec-" });
  for (const [file, text] of Object.entries(files)) {
    const dir = join(root, "etc/systemd/system");
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(join(dir, file), text);
  }
  try {
    const loader = new UnitLoader({ root: new RootMap(root), scope: "system", env: {} });
    return loader.load(name);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

function argv(files: Record<string, string>, name: string, key = "ExecStart"): string[][] {
  const unit = load(files, name);
  return unit.config.entries("Service", key).flatMap((a) =>
    parseExecLine(a.value).commands.map((c) => c.argv)
  );
}

Deno.test("an empty %I stays an empty argument of an Exec line", () => {
  deepStrictEqual(
    argv({ "e.service": "[Service]\nExecStart=/bin/printf [%%s] %I x\n" }, "e.service"),
    [["/bin/printf", "[%s]", "", "x"]],
  );
});

Deno.test("%n, %N and %p keep the escaped unit name in an Exec line", () => {
  deepStrictEqual(
    argv({ "a-b@.service": "[Service]\nExecStart=/bin/echo %n %N %p %i\n" }, "a-b@x\\x2dy.service"),
    [["/bin/echo", "a-b@x\\x2dy.service", "a-b@x\\x2dy", "a-b", "x\\x2dy"]],
  );
});

Deno.test("%f and %P are one Exec argument even with a space", () => {
  deepStrictEqual(
    argv({ "p@.service": "[Service]\nExecStart=/bin/echo %f %P %I\n" }, "p@a\\x20b.service"),
    [["/bin/echo", "/a b", "p", "a b"]],
  );
});

Deno.test("per-word expansion keeps Exec prefixes and ; separators", () => {
  const files = {
    "o@.service": "[Service]\nType=oneshot\nExecStart=-/bin/echo %i ; /bin/echo \\; %I\n",
  };
  const unit = load(files, "o@a\\x20b.service");
  const r = parseExecLine(unit.config.entries("Service", "ExecStart")[0].value);
  deepStrictEqual(r.commands.map((c) => [c.ignoreFailure, c.argv]), [
    [true, ["/bin/echo", "a\\x20b"]],
    [false, ["/bin/echo", ";", "a b"]],
  ]);
});

Deno.test("a specifier with a space never splits an Environment= assignment", () => {
  const unit = load({ "v@.service": "[Service]\nEnvironment=A=%I B=%n\n" }, "v@a\\x20b.service");
  const value = unit.config.entries("Service", "Environment")[0].value;
  deepStrictEqual(parseEnvironmentValue(value).vars, [["A", "a b"], ["B", "v@a\\x20b.service"]]);
});
