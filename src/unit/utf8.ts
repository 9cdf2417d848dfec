/**
 * Unit-file bytes as systemd 252 reads them. Its `utf8_is_valid()` takes UTF-8 without
 * overlong forms, surrogates or noncharacters (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF); a line with
 * anything else is "not UTF-8 clean" and fails the file. Decoding keeps each byte that is not
 * part of a valid character as a lone surrogate (U+DC80..U+DCFF), so the parser can tell an
 * unclean line and show it as systemd does, one U+FFFD per bad byte. Pure.
 * @module
 */

/** Text that may hold a noncharacter, which the fatal decoder accepts and systemd does not. */
const MAYBE_NONCHARACTER = /[\uFDD0-\uFDEF\uFFFE\uFFFF]|[\uD800-\uDBFF][\uDFFE\uDFFF]/;

/** Decodes unit-file bytes; bytes systemd would not take become lone surrogates. */
export function decodeUnitBytes(bytes: Uint8Array): string {
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    if (!MAYBE_NONCHARACTER.test(text)) return text;
  } catch { /* not UTF-8: decode byte by byte below */ }
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const len = validLength(bytes, i);
    if (len === 0) {
      out += String.fromCharCode(0xdc00 + bytes[i]);
      i++;
    } else {
      out += len === 1
        ? String.fromCharCode(bytes[i])
        : String.fromCodePoint(codePoint(bytes, i, len));
      i += len;
    }
  }
  return out;
}

/** Whether decoded text is clean, as `utf8_is_valid()` would say of its bytes. */
export function isUtf8Clean(text: string): boolean {
  return text.isWellFormed();
}

/** The text as systemd logs an unclean string (`utf8_escape_invalid()`): U+FFFD per bad byte. */
export function escapeInvalid(text: string): string {
  return text.toWellFormed();
}

function expectedLength(b: number): number {
  if (b < 0x80) return 1;
  if ((b & 0xe0) === 0xc0) return 2;
  if ((b & 0xf0) === 0xe0) return 3;
  if ((b & 0xf8) === 0xf0) return 4;
  return 0; // 5- and 6-byte forms encode values above U+10FFFF: never valid
}

function codePoint(bytes: Uint8Array, at: number, len: number): number {
  let cp = bytes[at] & [0, 0x7f, 0x1f, 0x0f, 0x07][len];
  for (let k = 1; k < len; k++) cp = (cp << 6) | (bytes[at + k] & 0x3f);
  return cp;
}

function encodedLength(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** The length of the valid character at `at`, 0 when the byte there starts none. */
function validLength(bytes: Uint8Array, at: number): number {
  const len = expectedLength(bytes[at]);
  if (len <= 1 || at + len > bytes.length) return len === 1 ? 1 : 0;
  for (let k = 1; k < len; k++) if ((bytes[at + k] & 0xc0) !== 0x80) return 0;
  const cp = codePoint(bytes, at, len);
  if (encodedLength(cp) !== len || cp >= 0x110000) return 0;
  if (cp >= 0xd800 && cp <= 0xdfff) return 0;
  if (cp >= 0xfdd0 && cp <= 0xfdef) return 0;
  if ((cp & 0xfffe) === 0xfffe) return 0;
  return len;
}
