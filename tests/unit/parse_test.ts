import assert, { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  formatDiagnostic,
  LineReader,
  LONG_LINE_MAX,
  parseUnitText,
  UnitSyntaxError,
  UnitTextParser,
} from "../../src/unit/parse.ts";
import { copiedChars } from "../support/work_meter.ts";

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

// Limits and linearity (issue 18 item 9). systemd-analyze verify (252) refuses a unit whose
// line holds LONG_LINE_MAX bytes or more, or whose continued line grows past LONG_LINE_MAX,
// with "No buffer space available"; one byte less loads.

function continued(n: number): string {
  return "[Service]\nExecStart=/bin/echo \\\n" + "ab\\\n".repeat(n) + "end\n";
}

Deno.test("200,000 continuation lines make one assignment, numbered by its last line", () => {
  const r = parseUnitText(continued(200_000), "c.service");
  deepStrictEqual(r.diagnostics, []);
  strictEqual(r.error, undefined);
  strictEqual(r.assignments.length, 1);
  const a = r.assignments[0];
  deepStrictEqual([a.key, a.line], ["ExecStart", 200_003]);
  strictEqual(a.value, "/bin/echo  " + "ab ".repeat(200_000) + "end");
});

Deno.test("continuation lines are joined in linear work (characters copied, N vs 4N)", () => {
  const small = copiedChars(() => parseUnitText(continued(20_000), "c.service"));
  const large = copiedChars(() => parseUnitText(continued(80_000), "c.service"));
  strictEqual(large.result.assignments[0].value.length, 3 * 80_000 + 14);
  // Joining by re-copying the growing line each time copied 16 times more for 4N.
  assert(large.chars <= 4.5 * small.chars, `${small.chars} -> ${large.chars}`);
  assert(large.chars <= 4 * continued(80_000).length, `${large.chars}`);
});

Deno.test("200,000 Environment= lines are 200,000 assignments", () => {
  const text = "[Service]\nExecStart=/bin/true\n" +
    Array.from({ length: 200_000 }, (_, i) => `Environment=V${i}=x\n`).join("");
  const r = parseUnitText(text, "e.service");
  strictEqual(r.assignments.length, 200_001);
  deepStrictEqual(r.diagnostics, []);
  deepStrictEqual(r.assignments.at(-1), {
    section: "Service",
    key: "Environment",
    value: "V199999=x",
    file: "e.service",
    line: 200_002,
  });
});

Deno.test("a 2 MiB line stops the parse with ENOBUFS and 'Line too long'; earlier lines stay", () => {
  const text = "[Unit]\nDescription=d\n[Service]\nExecStart=/bin/true " + "a".repeat(2 << 20) +
    "\nUser=nobody\n";
  const r = parseUnitText(text, "/etc/systemd/system/l.service");
  strictEqual(r.error, "No buffer space available");
  deepStrictEqual(r.diagnostics.map(formatDiagnostic), [
    "/etc/systemd/system/l.service:4: Line too long",
  ]);
  deepStrictEqual(r.assignments.map((a) => a.key), ["Description"]);
});

Deno.test("a line is refused at LONG_LINE_MAX bytes, as systemd 252 does, one byte less is read", () => {
  const pre = "[Service]\nExecStart=/bin/true ";
  const fill = (bytes: number) => "a".repeat(bytes - "ExecStart=/bin/true ".length);
  const ok = parseUnitText(
    pre.slice(0, 10) + "ExecStart=/bin/true " + fill(LONG_LINE_MAX - 1),
    "f",
  );
  strictEqual(ok.error, undefined);
  strictEqual(ok.assignments[0].value.length, LONG_LINE_MAX - 1 - "ExecStart=".length);
  for (const end of ["\n", ""]) {
    const bad = parseUnitText(
      pre.slice(0, 10) + "ExecStart=/bin/true " + fill(LONG_LINE_MAX) + end,
      "f",
    );
    strictEqual(bad.error, "No buffer space available");
    deepStrictEqual(bad.diagnostics.map(formatDiagnostic), ["f:2: Line too long"]);
  }
  // Bytes count, not characters: é is two bytes.
  const wide = "ExecStart=/bin/true " + "é".repeat((LONG_LINE_MAX - 20) / 2);
  strictEqual(parseUnitText("[Service]\n" + wide, "f").error, "No buffer space available");
  strictEqual(parseUnitText("[Service]\n" + wide.slice(0, -1), "f").error, undefined);
});

Deno.test("a continued line may reach LONG_LINE_MAX bytes, not more ('Continuation line too long')", () => {
  const first = "ExecStart=/bin/true \\"; // continues as "ExecStart=/bin/true " + " "
  const room = LONG_LINE_MAX - first.length;
  const fits = parseUnitText(`[Service]\n${first}\n${"b".repeat(room)}\n`, "f");
  strictEqual(fits.error, undefined);
  strictEqual(fits.assignments[0].value.length, LONG_LINE_MAX - "ExecStart=".length);
  const over = parseUnitText(`[Service]\n${first}\n${"b".repeat(room + 1)}\nUser=x\n`, "f");
  strictEqual(over.error, "No buffer space available");
  deepStrictEqual(over.diagnostics.map(formatDiagnostic), ["f:3: Continuation line too long"]);
  deepStrictEqual(over.assignments, []);
  // Many short pieces count the same way.
  const pieces = parseUnitText(
    "[Service]\nA=\\\n" + "x\\\n".repeat(LONG_LINE_MAX / 2) + "y\n",
    "f",
  );
  strictEqual(pieces.error, "No buffer space available");
  strictEqual(pieces.diagnostics[0].message, "Continuation line too long");
});

Deno.test("text fed in pieces parses as the whole text (line ends split between pieces)", () => {
  const text = "\uFEFF[A]\r\nB=1 \\\r\n# c\r\n 2\n\rC=\0D=3\r\rE=é\u{1F600}\\\n\n[B]\nF=4";
  const whole = parseUnitText(text, "f");
  for (const size of [1, 2, 3, 5]) {
    const p = new UnitTextParser("f");
    for (let i = 0; i < text.length; i += size) p.push(text.slice(i, i + size));
    deepStrictEqual(p.end(), whole, `pieces of ${size}`);
  }
  deepStrictEqual(whole.assignments.map((a) => [a.key, a.value, a.line]), [
    ["B", "1   2", 4],
    ["C", "", 5],
    ["D", "3", 6],
    ["E", "é\u{1F600}", 9],
    ["F", "4", 11],
  ]);
});

Deno.test("LineReader stops at the limit and delivers nothing after it", () => {
  const lines: string[] = [];
  const r = new LineReader((l) => (lines.push(l), true), 8);
  strictEqual(r.push("1234567\n"), true);
  strictEqual(r.push("12345678\nmore\n"), false);
  r.end();
  strictEqual(r.tooLong, true);
  deepStrictEqual(lines, ["1234567"]);
});
