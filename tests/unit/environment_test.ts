import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { growthRatio, LINEAR_LIMIT } from "../support/growth.ts";
import {
  formatEnvironmentForShow,
  isValidEnvName,
  parseEnvironmentFile,
  parseEnvironmentValue,
} from "../../src/unit/environment.ts";

Deno.test("parseEnvironmentValue reads the systemd.exec(5) example", () => {
  deepStrictEqual(parseEnvironmentValue(`"VAR1=word1 word2" VAR2=word3 "VAR3=$word 5 6"`), {
    vars: [["VAR1", "word1 word2"], ["VAR2", "word3"], ["VAR3", "$word 5 6"]],
    warnings: [],
  });
});

Deno.test("parseEnvironmentValue lets a later assignment of a name win", () => {
  deepStrictEqual(parseEnvironmentValue("A=1 B=2 A=3").vars, [["A", "3"], ["B", "2"]]);
});

Deno.test("parseEnvironmentValue keeps an empty value", () => {
  deepStrictEqual(parseEnvironmentValue("THREE=").vars, [["THREE", ""]]);
});

Deno.test("parseEnvironmentValue skips invalid assignments with a warning", () => {
  deepStrictEqual(parseEnvironmentValue("1A=b A ok=1"), {
    vars: [["ok", "1"]],
    warnings: [
      "Invalid environment assignment, ignoring: 1A=b",
      "Invalid environment assignment, ignoring: A",
    ],
  });
});

Deno.test("parseEnvironmentValue refuses the whole value on a bad escape", () => {
  deepStrictEqual(parseEnvironmentValue(`"A=1\\qx"`), {
    vars: [],
    warnings: [`Invalid syntax, ignoring: "A=1\\qx"`],
  });
});

Deno.test("parseEnvironmentValue does no $ expansion", () => {
  deepStrictEqual(parseEnvironmentValue("A=$HOME B=${X}").vars, [["A", "$HOME"], ["B", "${X}"]]);
});

Deno.test("isValidEnvName accepts shell variable names only", () => {
  ok(isValidEnvName("PATH"));
  ok(isValidEnvName("_x1"));
  ok(!isValidEnvName("1A"));
  ok(!isValidEnvName("A-B"));
  ok(!isValidEnvName(""));
});

Deno.test("parseEnvironmentFile skips comments, blank lines and lines without =", () => {
  deepStrictEqual(parseEnvironmentFile("# c\n; d\n\nJUNK\nA=1\n"), [["A", "1"]]);
});

Deno.test("parseEnvironmentFile trims unquoted values and keeps inner blanks", () => {
  deepStrictEqual(parseEnvironmentFile("A =  x  y  \n"), [["A", "x  y"]]);
});

Deno.test("parseEnvironmentFile joins lines after a trailing backslash", () => {
  deepStrictEqual(parseEnvironmentFile("A=a\\\nb\nB=x\\y\n"), [["A", "ab"], ["B", "xy"]]);
});

Deno.test("parseEnvironmentFile reads single quotes literally across lines", () => {
  deepStrictEqual(parseEnvironmentFile("A='x \\n $y\nz'\n"), [["A", "x \\n $y\nz"]]);
});

Deno.test("parseEnvironmentFile honours the double-quote escapes", () => {
  deepStrictEqual(parseEnvironmentFile('A="q\\" b\\\\ c\\` d\\$ e\\n"\n'), [
    ["A", 'q" b\\ c` d$ e\\n'],
  ]);
  deepStrictEqual(parseEnvironmentFile('A="one\\\ntwo"\n'), [["A", "onetwo"]]);
});

Deno.test("parseEnvironmentFile strips a leading export", () => {
  deepStrictEqual(parseEnvironmentFile("export A=1\n"), [["A", "1"]]);
});

Deno.test("parseEnvironmentFile does no variable expansion", () => {
  deepStrictEqual(parseEnvironmentFile("A=$HOME\nB=${A}\n"), [["A", "$HOME"], ["B", "${A}"]]);
});

Deno.test("parseEnvironmentFile reads a last line without newline", () => {
  deepStrictEqual(parseEnvironmentFile("A=1\nB=2"), [["A", "1"], ["B", "2"]]);
});

Deno.test("parseEnvironmentFile drops invalid names and lets later values win", () => {
  deepStrictEqual(parseEnvironmentFile("A B=1\nX=1\nX=2\n"), [["X", "2"]]);
});

Deno.test("formatEnvironmentForShow quotes elements with blanks", () => {
  strictEqual(formatEnvironmentForShow([["A", "1"], ["B", "x y"]]), 'A=1 "B=x y"');
});

Deno.test("parseEnvironmentValue is linear in the number of words", () => {
  const value = (n: number) => Array.from({ length: n }, (_, i) => `V${i}="value ${i}"`).join(" ");
  const { vars, warnings } = parseEnvironmentValue(value(20_000));
  strictEqual(vars.length, 20_000);
  deepStrictEqual(vars[19_999], ["V19999", "value 19999"]);
  deepStrictEqual(warnings, []);
  // Quadratic splitting took tens of seconds for 20,000 words here.
  const ratio = growthRatio((n) => parseEnvironmentValue(value(n)), 1_250);
  ok(ratio < LINEAR_LIMIT, `16x the words took ${ratio.toFixed(1)}x the time`);
});
