import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  compareUnitNames,
  formatListUnits,
  type ListUnitsOptions,
  type UnitRow,
} from "../../src/output/units_table.ts";

const CRON: UnitRow = {
  unit: "cron.service",
  load: "loaded",
  active: "active",
  sub: "running",
  description: "Job runner",
};
const WEB: UnitRow = {
  unit: "web.service",
  load: "loaded",
  active: "failed",
  sub: "failed",
  description: "Web frontend",
};

function opts(over: Partial<ListUnitsOptions> = {}): ListUnitsOptions {
  return { plain: false, legend: true, all: false, states: [], full: true, ...over };
}

const LEGEND = "\n" +
  "LOAD   = Reflects whether the unit definition was properly loaded.\n" +
  "ACTIVE = The high-level unit activation state, i.e. generalization of SUB.\n" +
  "SUB    = The low-level unit activation state, values depend on unit type.\n";
const HINT = "To show all installed unit files use 'systemctl list-unit-files'.\n";

Deno.test("list-units prints the spec 7.1 example with legend and --all hint", () => {
  strictEqual(
    formatListUnits([CRON, WEB], opts()),
    "  UNIT         LOAD   ACTIVE SUB     DESCRIPTION\n" +
      "  cron.service loaded active running Job runner\n" +
      "● web.service  loaded failed failed  Web frontend\n" +
      LEGEND +
      "2 loaded units listed. Pass --all to see loaded but inactive units, too.\n" +
      HINT,
  );
});

Deno.test("list-units --all: count without the --all hint", () => {
  const out = formatListUnits([CRON], opts({ all: true }));
  strictEqual(out.endsWith(LEGEND + "1 loaded units listed.\n" + HINT), true);
});

Deno.test("list-units --state=inactive counts like --all", () => {
  const row = { ...CRON, active: "inactive", sub: "dead" };
  const out = formatListUnits([row], opts({ states: ["inactive"] }));
  strictEqual(out.endsWith("1 loaded units listed.\n" + HINT), true);
});

Deno.test("list-units --state=failed: bare count line", () => {
  strictEqual(
    formatListUnits([WEB], opts({ states: ["failed"] })),
    "  UNIT        LOAD   ACTIVE SUB    DESCRIPTION\n" +
      "● web.service loaded failed failed Web frontend\n" +
      LEGEND +
      "1 loaded units listed.\n",
  );
});

Deno.test("list-units with no rows: header and count, no legend", () => {
  strictEqual(
    formatListUnits([], opts({ states: ["failed"] })),
    "  UNIT LOAD ACTIVE SUB DESCRIPTION\n0 loaded units listed.\n",
  );
  strictEqual(
    formatListUnits([], opts()),
    "  UNIT LOAD ACTIVE SUB DESCRIPTION\n" +
      "0 loaded units listed. Pass --all to see loaded but inactive units, too.\n" + HINT,
  );
});

Deno.test("list-units --no-legend drops header, legend and count", () => {
  strictEqual(
    formatListUnits([CRON, WEB], opts({ legend: false })),
    "  cron.service loaded active running Job runner\n" +
      "● web.service  loaded failed failed  Web frontend\n",
  );
  strictEqual(formatListUnits([], opts({ legend: false })), "");
});

Deno.test("list-units marks bad load states with the glyph", () => {
  for (const load of ["not-found", "bad-setting", "error", "masked"]) {
    const out = formatListUnits(
      [{ unit: "x.service", load, active: "inactive", sub: "dead", description: "x.service" }],
      opts({ legend: false }),
    );
    strictEqual(out.startsWith("● x.service"), true, load);
  }
});

Deno.test("list-units --plain has no glyph column; Ansible's field split works", () => {
  const out = formatListUnits(
    [CRON, WEB, { ...CRON, unit: "z.service", active: "inactive", sub: "dead" }],
    opts({ plain: true, all: true }),
  );
  const lines = out.split("\n");
  strictEqual(lines[0], "UNIT         LOAD   ACTIVE   SUB     DESCRIPTION");
  strictEqual(lines[1], "cron.service loaded active   running Job runner");
  strictEqual(lines[2], "web.service  loaded failed   failed  Web frontend");
  for (const l of lines.slice(1, 4)) {
    const f = l.split(/\s+/);
    strictEqual(f[0].endsWith(".service"), true);
    strictEqual(["active", "failed", "inactive"].includes(f[2]), true);
    strictEqual(["running", "failed", "dead"].includes(f[3]), true);
  }
});

Deno.test("list-units --plain --no-legend rows start with the unit name", () => {
  strictEqual(
    formatListUnits([WEB], opts({ plain: true, legend: false })),
    "web.service loaded failed failed Web frontend\n",
  );
});

Deno.test("list-units shows a JOB column and legend line only when a row has a job", () => {
  const out = formatListUnits([CRON, { ...WEB, job: "start" }], opts());
  strictEqual(
    out,
    "  UNIT         LOAD   ACTIVE SUB     JOB   DESCRIPTION\n" +
      "  cron.service loaded active running -     Job runner\n" +
      "● web.service  loaded failed failed  start Web frontend\n" +
      LEGEND +
      "JOB    = Pending job for the unit.\n\n" +
      "2 loaded units listed. Pass --all to see loaded but inactive units, too.\n" +
      HINT,
  );
});

Deno.test("list-units -o json prints an array without legend", () => {
  strictEqual(
    formatListUnits([CRON], opts({ output: "json" })),
    '[{"unit":"cron.service","load":"loaded","active":"active","sub":"running",' +
      '"description":"Job runner"}]\n',
  );
  strictEqual(formatListUnits([], opts({ output: "json" })), "[]\n");
});

Deno.test("list-units -o json includes job when a job column exists", () => {
  const parsed = JSON.parse(
    formatListUnits([CRON, { ...WEB, job: "stop" }], opts({ output: "json" })),
  );
  deepStrictEqual(parsed[1], {
    unit: "web.service",
    load: "loaded",
    active: "failed",
    sub: "failed",
    job: "stop",
    description: "Web frontend",
  });
  deepStrictEqual(Object.keys(parsed[0]), ["unit", "load", "active", "sub", "job", "description"]);
});

Deno.test("list-units -o json-pretty uses tabs and spaced colons", () => {
  strictEqual(
    formatListUnits([CRON], opts({ output: "json-pretty" })),
    '[\n\t{\n\t\t"unit" : "cron.service",\n\t\t"load" : "loaded",\n\t\t"active" : "active",\n' +
      '\t\t"sub" : "running",\n\t\t"description" : "Job runner"\n\t}\n]\n',
  );
});

Deno.test("list-units on a terminal without --full ellipsizes the description", () => {
  const long = { ...CRON, description: "D".repeat(100) };
  const out = formatListUnits([long], opts({ full: false, legend: false }));
  const line = out.split("\n")[0];
  strictEqual(Array.from(line).length, 80);
  strictEqual(line.endsWith("…"), true);
  const wide = formatListUnits([long], opts({ full: true, legend: false }));
  strictEqual(wide.includes("D".repeat(100)), true);
});

Deno.test("compareUnitNames sorts by type suffix, then name, case-insensitively", () => {
  const names = [
    "b.socket",
    "B.service",
    "a.target",
    "a.service",
    "sys-kernel.mount",
    "-.mount",
    "Z.service",
    "c.SERVICE",
    "dbus.socket",
  ];
  deepStrictEqual(names.sort(compareUnitNames), [
    "-.mount",
    "sys-kernel.mount",
    "a.service",
    "B.service",
    "c.SERVICE",
    "Z.service",
    "b.socket",
    "dbus.socket",
    "a.target",
  ]);
});

Deno.test("compareUnitNames orders instances and punctuation like strcasecmp", () => {
  const names = ["getty@tty2.service", "getty@tty1.service", "getty.target", "getty-x.service"];
  deepStrictEqual(names.sort(compareUnitNames), [
    "getty-x.service",
    "getty@tty1.service",
    "getty@tty2.service",
    "getty.target",
  ]);
  strictEqual(compareUnitNames("a.service", "a.service"), 0);
});
