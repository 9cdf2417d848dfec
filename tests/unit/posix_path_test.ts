import assert from "node:assert/strict";
import * as node from "node:path";
import {
  basename,
  dirname,
  isAbsolute,
  join,
  normalize,
  resolve,
} from "../../src/unit/posix_path.ts";

/** A small seeded generator (mulberry32): the same paths every run. */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PARTS = ["/", "//", ".", "..", "...", "a", "b.service", ".d", "..x", "x..", "", "é"];

function path(r: () => number): string {
  let p = "";
  const n = Math.floor(r() * 7);
  for (let i = 0; i < n; i++) p += PARTS[Math.floor(r() * PARTS.length)];
  return p;
}

Deno.test("posix path functions answer as node:path's posix ones", () => {
  const r = rng(2026);
  const cwd = () => "/work/cwd";
  for (let i = 0; i < 20_000; i++) {
    const p = path(r), q = path(r), s = path(r);
    assert.equal(normalize(p), node.posix.normalize(p), `normalize ${JSON.stringify(p)}`);
    assert.equal(dirname(p), node.posix.dirname(p), `dirname ${JSON.stringify(p)}`);
    assert.equal(basename(p), node.posix.basename(p), `basename ${JSON.stringify(p)}`);
    assert.equal(isAbsolute(p), node.posix.isAbsolute(p));
    assert.equal(join(p, q, s), node.posix.join(p, q, s), `join ${JSON.stringify([p, q, s])}`);
    assert.equal(join(p), node.posix.join(p));
    assert.equal(
      resolve([p, q], cwd),
      node.posix.resolve("/work/cwd", p, q),
      `resolve ${JSON.stringify([p, q])}`,
    );
  }
  assert.equal(join(), node.posix.join());
});

Deno.test("no module of the query path imports node:path or node:util", async () => {
  const seen = new Set<string>();
  const bad: string[] = [];
  const walk = async (url: URL) => {
    if (seen.has(url.href)) return;
    seen.add(url.href);
    const text = await Deno.readTextFile(url);
    // Static imports only: the verbs' modules load lazily, each on its own path.
    for (const m of text.matchAll(/^import\s[^;]*?from\s+"([^"]+)";/gms)) {
      if (/^import\s+type\b/.test(m[0])) continue;
      if (m[1].startsWith("node:")) bad.push(`${url.pathname.split("/src/")[1]}: ${m[1]}`);
      else if (m[1].startsWith(".")) await walk(new URL(m[1], url));
    }
  };
  await walk(new URL("../../src/cli/main.ts", import.meta.url));
  for (const verb of ["is_state.ts", "status.ts", "show_cat.ts", "info.ts"]) {
    await walk(new URL(`../../src/verbs/${verb}`, import.meta.url));
  }
  assert.deepEqual(bad, []);
});
