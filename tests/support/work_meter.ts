/**
 * A machine-independent measure of a parser's work: the characters it copies through
 * `String.prototype.slice`/`substring`/`trim` and `Array.prototype.join` while `fn` runs. A
 * parser that re-copies a growing line on every physical line (the quadratic
 * continuation) copies N² characters; a linear one copies a few times its input. Tests
 * compare the count for inputs of size N and 4N instead of timing them.
 */

/** Runs `fn` and counts the characters copied by slice, substring, trim and join meanwhile. */
export function copiedChars<T>(fn: () => T): { result: T; chars: number } {
  const slice = String.prototype.slice;
  const substring = String.prototype.substring;
  const trim = String.prototype.trim;
  const join = Array.prototype.join;
  let chars = 0;
  String.prototype.trim = function (this: string): string {
    const r = trim.call(this);
    chars += r.length;
    return r;
  };
  String.prototype.slice = function (this: string, start?: number, end?: number): string {
    const r = slice.call(this, start, end);
    chars += r.length;
    return r;
  };
  String.prototype.substring = function (this: string, start: number, end?: number): string {
    const r = substring.call(this, start, end);
    chars += r.length;
    return r;
  };
  Array.prototype.join = function (this: unknown[], sep?: string): string {
    const r = join.call(this, sep);
    chars += r.length;
    return r;
  };
  try {
    const result = fn();
    return { result, chars };
  } finally {
    String.prototype.slice = slice;
    String.prototype.substring = substring;
    String.prototype.trim = trim;
    Array.prototype.join = join;
  }
}
