import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { tokenize } from "../../src/cli/args.ts";
import { OPTION_TABLE } from "../../src/cli/options.ts";

/** The tokens of `node:util`'s parseArgs (non-strict), which the program used before. */
function nodeTokens(argv: string[]): unknown[] {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple: true }> =
    {};
  for (const o of OPTION_TABLE) {
    const type = o.kind === "string" || o.kind === "list" ? "string" : "boolean";
    options[o.long] = { type, multiple: true, ...(o.short ? { short: o.short } : {}) };
  }
  const { tokens } = parseArgs({
    args: argv,
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  return tokens.map((t) => {
    if (t.kind === "positional") return { kind: t.kind, value: t.value };
    if (t.kind === "option-terminator") return { kind: t.kind };
    const o: Record<string, unknown> = { kind: t.kind, name: t.name, rawName: t.rawName };
    if (t.value !== undefined) o.value = t.value;
    return o;
  });
}

/** A small seeded generator (mulberry32): the same words every run. */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const shorts = OPTION_TABLE.filter((o) => o.short).map((o) => o.short as string);
const longs = OPTION_TABLE.map((o) => o.long);
const WORDS = [
  "--",
  "-",
  "---",
  "--=x",
  "-=",
  "start",
  "a.service",
  "x",
  "",
  "-Z",
  "-zq",
  "--nope",
  "--nope=1",
  ...shorts.map((s) => `-${s}`),
  ...longs.map((l) => `--${l}`),
  ...longs.map((l) => `--${l}=v`),
  ...longs.map((l) => `--${l}=`),
];

function word(r: () => number): string {
  const k = r();
  if (k < 0.6) return WORDS[Math.floor(r() * WORDS.length)];
  // A group of short letters, known and unknown, sometimes with a value glued on.
  let w = "-";
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) w += r() < 0.8 ? shorts[Math.floor(r() * shorts.length)] : "Q";
  if (r() < 0.3) w += "=val";
  return w;
}

Deno.test("the tokenizer reads every command line as node:util's parseArgs did", () => {
  const r = rng(23);
  for (let i = 0; i < 5_000; i++) {
    const argv = Array.from({ length: Math.floor(r() * 6) }, () => word(r));
    assert.deepEqual(tokenize(argv), nodeTokens(argv), JSON.stringify(argv));
  }
});

Deno.test("the command-line parser loads no node: module", async () => {
  const src = await Deno.readTextFile(new URL("../../src/cli/args.ts", import.meta.url));
  assert.doesNotMatch(src, /from "node:/);
});
