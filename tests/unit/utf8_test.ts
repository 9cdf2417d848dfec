/** Unit-file bytes decoded as systemd's utf8_is_valid() and utf8_escape_invalid() see them. */

import assert from "node:assert/strict";
import { decodeUnitBytes, escapeInvalid, isUtf8Clean } from "../../src/unit/utf8.ts";

const enc = new TextEncoder();

function bytes(...parts: Array<string | number>): Uint8Array {
  return new Uint8Array(parts.flatMap((p) => typeof p === "number" ? [p] : [...enc.encode(p)]));
}

Deno.test("valid UTF-8, astral characters and U+FFFD itself decode unchanged and clean", () => {
  const text = "caf\u00e9 \u20ac \u{1F600} \uFFFD \u{10FFFD}";
  assert.equal(decodeUnitBytes(enc.encode(text)), text);
  assert.ok(isUtf8Clean(decodeUnitBytes(enc.encode(text))));
  // A BOM stays for the parser, which skips one as systemd does.
  assert.equal(decodeUnitBytes(bytes(0xef, 0xbb, 0xbf, "x")), "\uFEFFx");
});

Deno.test("each byte that starts no valid character is one U+FFFD, as systemd prints it", () => {
  const cases: Array<[Uint8Array, string]> = [
    [bytes("a", 0xe9, "b"), "a\uFFFDb"], // Latin-1
    [bytes(0xc0, 0xaf), "\uFFFD\uFFFD"], // overlong '/'
    [bytes(0xe2, 0x82, "x"), "\uFFFD\uFFFDx"], // truncated € (one U+FFFD for a decoder)
    [bytes(0xed, 0xa0, 0x80), "\uFFFD\uFFFD\uFFFD"], // a surrogate
    [bytes(0xef, 0xbf, 0xbe), "\uFFFD\uFFFD\uFFFD"], // U+FFFE
    [bytes(0xef, 0xb7, 0x90), "\uFFFD\uFFFD\uFFFD"], // U+FDD0
    [bytes(0xf0, 0x9f, 0xbf, 0xbf), "\uFFFD\uFFFD\uFFFD\uFFFD"], // U+1FFFF
    [bytes(0xf4, 0x90, 0x80, 0x80), "\uFFFD\uFFFD\uFFFD\uFFFD"], // above U+10FFFF
    [bytes(0xf8, 0x88, 0x80, 0x80, 0x80), "\uFFFD".repeat(5)], // a 5-byte form
    [bytes("\u{1F600}", 0x80), "\u{1F600}\uFFFD"], // a stray continuation after a pair
  ];
  for (const [input, shown] of cases) {
    const text = decodeUnitBytes(input);
    assert.equal(isUtf8Clean(text), false, JSON.stringify(shown));
    assert.equal(escapeInvalid(text), shown);
  }
});
