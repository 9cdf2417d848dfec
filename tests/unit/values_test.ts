import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  describeExit,
  EXIT_STATUS_ALL,
  exitStatusName,
  extractFirstWord,
  parseBoolean,
  parseExitStatusList,
  parseMode,
  parseRlimit,
  parseSize,
  quoteListElement,
  rlimitKind,
  splitWords,
} from "../../src/unit/values.ts";

Deno.test("parseBoolean accepts every spelling of yes and no, in any case", () => {
  for (const s of ["1", "yes", "y", "true", "t", "on", "YES", "On"]) {
    strictEqual(parseBoolean(s), true);
  }
  for (const s of ["0", "no", "n", "false", "f", "off", "OFF"]) strictEqual(parseBoolean(s), false);
});

Deno.test("parseBoolean refuses anything else", () => {
  strictEqual(parseBoolean("maybe"), undefined);
  strictEqual(parseBoolean(""), undefined);
  strictEqual(parseBoolean("2"), undefined);
});

Deno.test("splitWords reads the systemd.syntax(7) example Setting= line", () => {
  deepStrictEqual(splitWords(`"something" "some thing" "..."`).words, [
    "something",
    "some thing",
    "...",
  ]);
});

Deno.test("splitWords decodes every escape of the systemd.syntax(7) table", () => {
  deepStrictEqual(
    splitWords(`\\a\\b\\f\\n\\r\\t\\v \\\\ \\" \\' a\\sb \\x41 \\101 \\u00e4 \\U0001F600`).words,
    ["\x07\b\f\n\r\t\v", "\\", '"', "'", "a b", "A", "A", "ä", "😀"],
  );
});

Deno.test("splitWords joins \\x escapes into UTF-8 characters", () => {
  deepStrictEqual(splitWords("\\xc3\\xa4").words, ["ä"]);
});

Deno.test("splitWords allows quotes inside a word, as systemd 252 does", () => {
  deepStrictEqual(splitWords(`a"b c"d 'x y'`).words, ["ab cd", "x y"]);
});

Deno.test("splitWords keeps an empty quoted word", () => {
  deepStrictEqual(splitWords(`a "" b`).words, ["a", "", "b"]);
});

Deno.test("splitWords keeps an unknown escape and warns", () => {
  deepStrictEqual(splitWords(`a\\qb`), {
    words: ["a\\qb"],
    warnings: ['Ignoring unknown escape sequences: "a\\qb"'],
  });
});

Deno.test("splitWords refuses unbalanced quotes", () => {
  strictEqual(
    splitWords(`/bin/x "unbalanced`).error,
    'Unbalanced quoting, ignoring: "/bin/x "unbalanced"',
  );
});

Deno.test("splitWords in relaxed mode accepts unbalanced quotes", () => {
  deepStrictEqual(splitWords(`a "b c`, { relax: true }).words, ["a", "b c"]);
});

Deno.test("splitWords in strict mode refuses an unknown escape", () => {
  strictEqual(
    splitWords(`"A=1\\qx"`, { strict: true }).error,
    `Invalid syntax, ignoring: "A=1\\qx"`,
  );
});

Deno.test("splitWords of blank text gives no words", () => {
  deepStrictEqual(splitWords("  \t ").words, []);
});

Deno.test("extractFirstWord without flags keeps quotes", () => {
  deepStrictEqual(extractFirstWord(`"a b" c`), { word: '"a', rest: 'b" c' });
});

const sizes: Array<[string, number | undefined]> = [
  ["1024", 1024],
  ["1K", 1024],
  ["1.5K", 1536],
  ["2M", 2 * 1024 ** 2],
  ["1G", 1024 ** 3],
  ["1T", 1024 ** 4],
  ["1P", 1024 ** 5],
  ["1E", 1024 ** 6],
  ["1G 512M", 1024 ** 3 + 512 * 1024 ** 2],
  ["10B", 10],
  ["infinity", Infinity],
  ["-1", undefined],
  ["1X", undefined],
  ["", undefined],
];
for (const [input, expected] of sizes) {
  Deno.test(`parseSize reads ${JSON.stringify(input)}`, () =>
    strictEqual(parseSize(input), expected));
}

Deno.test("parseSize with base 1000 uses SI factors", () => {
  strictEqual(parseSize("1K", 1000), 1000);
  strictEqual(parseSize("2M", 1000), 2_000_000);
});

Deno.test("parseRlimit reads a single value as soft and hard", () => {
  deepStrictEqual(parseRlimit("4096", "number"), { soft: 4096, hard: 4096 });
  deepStrictEqual(parseRlimit("infinity"), { soft: Infinity, hard: Infinity });
});

Deno.test("parseRlimit reads soft:hard and refuses soft above hard", () => {
  deepStrictEqual(parseRlimit("1024:4096", "number"), { soft: 1024, hard: 4096 });
  deepStrictEqual(parseRlimit("1K:infinity", "size"), { soft: 1024, hard: Infinity });
  strictEqual(parseRlimit("10:5", "number"), undefined);
  strictEqual(parseRlimit("1:2:3", "number"), undefined);
});

Deno.test("parseRlimit numbers refuse size suffixes", () => {
  strictEqual(parseRlimit("1K", "number"), undefined);
});

Deno.test("parseRlimit reads LimitCPU as seconds rounded up", () => {
  deepStrictEqual(parseRlimit("1min", "time"), { soft: 60, hard: 60 });
  deepStrictEqual(parseRlimit("1.5", "time"), { soft: 2, hard: 2 });
});

Deno.test("parseRlimit reads LimitRTTIME as microseconds", () => {
  deepStrictEqual(parseRlimit("5", "usec"), { soft: 5, hard: 5 });
  deepStrictEqual(parseRlimit("1ms", "usec"), { soft: 1000, hard: 1000 });
});

Deno.test("parseRlimit reads LimitNICE as nice levels or raw values", () => {
  deepStrictEqual(parseRlimit("-5", "nice"), { soft: 25, hard: 25 });
  deepStrictEqual(parseRlimit("+19", "nice"), { soft: 1, hard: 1 });
  deepStrictEqual(parseRlimit("40", "nice"), { soft: 40, hard: 40 });
  strictEqual(parseRlimit("41", "nice"), undefined);
  strictEqual(parseRlimit("-21", "nice"), undefined);
});

Deno.test("rlimitKind knows which Limit settings take sizes, numbers and times", () => {
  strictEqual(rlimitKind("LimitNOFILE"), "number");
  strictEqual(rlimitKind("LimitAS"), "size");
  strictEqual(rlimitKind("LimitCPU"), "time");
  strictEqual(rlimitKind("LimitRTTIME"), "usec");
  strictEqual(rlimitKind("LimitNICE"), "nice");
  strictEqual(rlimitKind("LimitFOO"), undefined);
});

Deno.test("parseMode reads octal modes up to 07777", () => {
  strictEqual(parseMode("0022"), 0o22);
  strictEqual(parseMode("755"), 0o755);
  strictEqual(parseMode("07777"), 0o7777);
  strictEqual(parseMode("17777"), undefined);
  strictEqual(parseMode("8"), undefined);
  strictEqual(parseMode("-1"), undefined);
  strictEqual(parseMode(""), undefined);
});

Deno.test("exitStatusName by default names what systemd 252 status prints", () => {
  strictEqual(exitStatusName(0), "SUCCESS");
  strictEqual(exitStatusName(1), "FAILURE");
  strictEqual(exitStatusName(203), "EXEC");
  strictEqual(exitStatusName(243), "CREDENTIALS");
  strictEqual(exitStatusName(245), "BPF");
  strictEqual(exitStatusName(231), "APPARMOR");
  strictEqual(exitStatusName(2), undefined);
  strictEqual(exitStatusName(75), undefined);
  strictEqual(exitStatusName(223), undefined);
});

Deno.test("exitStatusName with all classes includes the LSB and BSD names", () => {
  strictEqual(exitStatusName(2, EXIT_STATUS_ALL), "INVALIDARGUMENT");
  strictEqual(exitStatusName(7, EXIT_STATUS_ALL), "NOTRUNNING");
  strictEqual(exitStatusName(64, EXIT_STATUS_ALL), "USAGE");
  strictEqual(exitStatusName(78, EXIT_STATUS_ALL), "CONFIG");
  strictEqual(exitStatusName(100, EXIT_STATUS_ALL), undefined);
});

Deno.test("parseExitStatusList reads numbers, names and signals", () => {
  deepStrictEqual(parseExitStatusList("1 2 8 SIGKILL TEMPFAIL NOTINSTALLED TERM 255"), {
    codes: [1, 2, 8, 75, 5, 255],
    signals: [9, 15],
    invalid: [],
  });
});

Deno.test("parseExitStatusList collects words that are neither status nor signal", () => {
  deepStrictEqual(parseExitStatusList("256 bogus 0"), {
    codes: [0],
    signals: [],
    invalid: ["256", "bogus"],
  });
});

const quoting: Array<[string, string]> = [
  ["plain", "plain"],
  ["/usr/bin/app", "/usr/bin/app"],
  ["a b", '"a b"'],
  ['say "hi"', '"say \\"hi\\""'],
  ["$HOME", '"\\$HOME"'],
  ["a\\b", '"a\\\\b"'],
  ["x*", '"x*"'],
  ["it's", '"it\'s"'],
  ["a;b", '"a;b"'],
  ["tab\there", '"tab\\there"'],
  ["ä", "ä"],
];
for (const [input, expected] of quoting) {
  Deno.test(`quoteListElement prints ${JSON.stringify(input)} as ${expected}`, () => {
    strictEqual(quoteListElement(input), expected);
  });
}

Deno.test("describeExit words a process end as systemd's unit_log_process_exit", () => {
  strictEqual(describeExit({ code: "exited", status: 1 }), "code=exited, status=1/FAILURE");
  strictEqual(describeExit({ code: "exited", status: 4 }), "code=exited, status=4/NOPERMISSION");
  strictEqual(describeExit({ code: "exited", status: 203 }), "code=exited, status=203/EXEC");
  strictEqual(describeExit({ code: "exited", status: 42 }), "code=exited, status=42/n/a");
  strictEqual(describeExit({ code: "killed", status: 15 }), "code=killed, status=15/TERM");
  strictEqual(describeExit({ code: "dumped", status: 11 }), "code=dumped, status=11/SEGV");
});
