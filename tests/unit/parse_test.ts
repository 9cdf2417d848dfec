import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { formatDiagnostic, parseUnitText, UnitSyntaxError } from "../../src/unit/parse.ts";

function kv(text: string): Array<[string, string, string, number]> {
  return parseUnitText(text, "u.service").assignments.map((a) => [
    a.section,
    a.key,
    a.value,
    a.line,
  ]);
}

function messages(text: string): string[] {
  return parseUnitText(text, "u.service").diagnostics.map(formatDiagnostic);
}

Deno.test("parseUnitText reads the systemd.syntax(7) example", () => {
  const text = [
    "[Section A]",
    "KeyOne=value 1",
    "KeyTwo=value 2",
    "",
    "# a comment",
    "",
    "[Section B]",
    'Setting="something" "some thing" "..."',
    "KeyTwo=value 2 \\",
    "       value 2 continued",
    "",
    "[Section C]",
    "KeyThree=value 3\\",
    "# this line is ignored",
    "; this line is ignored too",
    "       value 3 continued",
    "",
  ].join("\n");
  const r = parseUnitText(text, "x.conf");
  deepStrictEqual(r.sections, ["Section A", "Section B", "Section C"]);
  deepStrictEqual(r.diagnostics, []);
  deepStrictEqual(kv(text), [
    ["Section A", "KeyOne", "value 1", 2],
    ["Section A", "KeyTwo", "value 2", 3],
    ["Section B", "Setting", '"something" "some thing" "..."', 8],
    ["Section B", "KeyTwo", "value 2         value 2 continued", 10],
    ["Section C", "KeyThree", "value 3        value 3 continued", 16],
  ]);
});

Deno.test("parseUnitText has no inline comments", () => {
  deepStrictEqual(kv("[S]\nA=b # c\n"), [["S", "A", "b # c", 2]]);
});

Deno.test("parseUnitText treats indented # and ; lines as comments", () => {
  deepStrictEqual(kv("[S]\n   # x=1\n\t; y=2\nA=1\n"), [["S", "A", "1", 4]]);
});

Deno.test("parseUnitText drops whitespace around =", () => {
  deepStrictEqual(kv("[S]\n  Key  =   some value  \n"), [["S", "Key", "some value", 2]]);
});

Deno.test("parseUnitText keeps an empty assignment as an empty value", () => {
  deepStrictEqual(kv("[S]\nExecStart=\n"), [["S", "ExecStart", "", 2]]);
});

Deno.test("parseUnitText skips a leading BOM", () => {
  deepStrictEqual(kv("\uFEFF[S]\nA=1\n"), [["S", "A", "1", 2]]);
});

Deno.test("parseUnitText accepts CRLF line ends", () => {
  deepStrictEqual(kv("[S]\r\nA=1\r\nB=2\r\n"), [["S", "A", "1", 2], ["S", "B", "2", 3]]);
});

Deno.test("parseUnitText warns about a line without =", () => {
  deepStrictEqual(messages("[S]\nJustText\n"), ["u.service:2: Missing '=', ignoring line."]);
});

Deno.test("parseUnitText warns about assignments outside of a section", () => {
  deepStrictEqual(messages("A=1\nnoequals\n[S]\n"), [
    "u.service:1: Assignment outside of section. Ignoring.",
    "u.service:2: Assignment outside of section. Ignoring.",
  ]);
});

Deno.test("parseUnitText warns about a missing key name", () => {
  deepStrictEqual(messages("[S]\n=x\n"), [
    "u.service:2: Missing key name before '=', ignoring line.",
  ]);
});

Deno.test("an invalid section header is an error (Bad message) and ends the parse", () => {
  deepStrictEqual(messages("[S\nA=1\n"), ["u.service:1: Invalid section header '[S'"]);
  const parsed = parseUnitText("[S]\nA=1\n[T\nB=2\n", "u");
  strictEqual(parsed.error, "Bad message");
  deepStrictEqual(parsed.assignments.map((a) => a.key), ["A"]);
  strictEqual(parseUnitText("[S]\nA=1\n", "u").error, undefined);
});

Deno.test("parseUnitText does not continue after an escaped backslash", () => {
  deepStrictEqual(kv("[S]\nA=x\\\\\nB=y\n"), [["S", "A", "x\\\\", 2], ["S", "B", "y", 3]]);
});

Deno.test("parseUnitText ends a continuation at a blank line", () => {
  deepStrictEqual(kv("[S]\nA=x \\\n\nB=y\n"), [["S", "A", "x", 3], ["S", "B", "y", 4]]);
});

Deno.test("parseUnitText finishes a continuation at the end of the file", () => {
  deepStrictEqual(kv("[S]\nA=x\\"), [["S", "A", "x", 3]]);
});

Deno.test(".include lines are ignored with systemd 252's warnings (no longer supported)", () => {
  deepStrictEqual(messages(".include /etc/a.service\n[S]\n.include /etc/b.conf\nA=1\n"), [
    "u.service:1: Assignment outside of section. Ignoring.",
    "u.service:3: Missing '=', ignoring line.",
  ]);
});

Deno.test("parseUnitText keeps case-sensitive section and key names", () => {
  deepStrictEqual(kv("[Service]\nexecstart=/x\n[service]\nExecStart=/y\n"), [
    ["Service", "execstart", "/x", 2],
    ["service", "ExecStart", "/y", 4],
  ]);
});

Deno.test("UnitSyntaxError carries file and line in its message", () => {
  const e = new UnitSyntaxError("a.service", 3, "bad");
  strictEqual(e.message, "a.service:3: bad");
  strictEqual(e.line, 3);
  strictEqual(e.file, "a.service");
});

Deno.test("parseUnitText ends lines at NUL and at a \\n\\r pair as systemd's read_line does", () => {
  deepStrictEqual(kv("[Socket]\nService=a\0b.service\nBacklog=5\n"), [
    ["Socket", "Service", "a", 2],
    ["Socket", "Backlog", "5", 4],
  ]);
  const parsed = parseUnitText("[Socket]\nService=a\0b.service\n", "x.socket");
  deepStrictEqual(parsed.diagnostics.map((d) => [d.line, d.message]), [
    [3, "Missing '=', ignoring line."],
  ]);
  // \n\r is one line end, \r\r two, \n\0 one.
  deepStrictEqual(kv("[A]\n\rB=1\r\rC=2\n\0D=3"), [
    ["A", "B", "1", 2],
    ["A", "C", "2", 4],
    ["A", "D", "3", 5],
  ]);
});
