/**
 * The table engine of systemctl's listings: one space between columns,
 * each column padded to its widest cell, the last column never padded,
 * `-` for empty cells. Pure.
 * @module
 */

/** Formats rows under a header; returns lines without trailing newlines. */
export function formatTable(
  header: readonly string[] | undefined,
  rows: ReadonlyArray<readonly string[]>,
): string[] {
  const cols = header?.length ?? rows[0]?.length ?? 0;
  const widths = new Array<number>(cols).fill(0);
  const cell = (s: string) => (s === "" ? "-" : s);
  const all = header ? [header, ...rows] : rows;
  for (const r of all) {
    for (let i = 0; i < cols; i++) widths[i] = Math.max(widths[i], width(cell(r[i] ?? "")));
  }
  return all.map((r, ri) =>
    r.map((c, i) => {
      const text = ri === 0 && header ? c : cell(c);
      return i === cols - 1 ? text : text + " ".repeat(widths[i] - width(text));
    }).join(" ").replace(/\s+$/, "")
  );
}

/** Display width: code points (the glyphs used here are one column wide). */
export function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
