/**
 * A seeded fuzz round (bench/fuzz.ts): mutated real unit files and random command lines
 * through the real CLI entry point find no crash, no garbage value and no write outside
 * the root, also in roots whose /run, /var or /etc/systemd/system link out of them and
 * with generated services that name host paths (`//`, `/../..`, those links) started and
 * stopped. The bench runs a larger round (BENCH_SKIP=fuzz) for the counts in docs/security.md.
 */

import assert from "node:assert/strict";
import { BUILTIN_ERROR, fuzz, GARBAGE } from "../../bench/fuzz.ts";

Deno.test("the fuzz classifier flags built-in errors and garbage values, not our messages", () => {
  assert(BUILTIN_ERROR.test("TypeError: Cannot read properties of undefined (reading 'x')"));
  assert(BUILTIN_ERROR.test("RangeError: Maximum call stack size exceeded"));
  assert(BUILTIN_ERROR.test('NotCapable: Requires ffi access to "libc.so.6"'));
  assert(!BUILTIN_ERROR.test("Unit x.service not found."));
  assert(!BUILTIN_ERROR.test('Invalid unit name "a b" escaped as "a\\x20b".'));
  assert(GARBAGE.test("ExecMainPID=undefined\n"));
  assert(GARBAGE.test("TimeoutStartUSec=NaN\n"));
  assert(GARBAGE.test("     Loaded: [object Object]\n"));
  assert(!GARBAGE.test("Description=undefined behaviour sanitizer\n"));
});

Deno.test("a seeded fuzz round of 300 mutated unit files, 600 command lines and services naming host paths finds nothing", async () => {
  const res = await fuzz({ seed: 9, files: 300, argv: 300, pathRoots: 4 });
  assert.deepEqual(res.samples, []);
  assert.deepEqual([res.crashes, res.garbage, res.escapes], [0, 0, 0]);
  assert.deepEqual(res.unitFiles, 300);
  // Long continuation chains, lines about LONG_LINE_MAX long and thousands of lines.
  assert(res.hostileFiles >= 5, `${res.hostileFiles} hostile files`);
  assert.deepEqual(res.argvCases, 600);
  assert(res.linkedRoots >= 2, `${res.linkedRoots} roots with links out`);
  assert.equal(res.pathRoots, 4);
  // The round really ran verbs: successes and failures both occur.
  assert((res.exitCodes["0"] ?? 0) > 250, JSON.stringify(res.exitCodes));
  assert(Object.keys(res.exitCodes).length >= 3, JSON.stringify(res.exitCodes));
});
