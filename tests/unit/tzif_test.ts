import assert from "node:assert/strict";
import { libcTzname, parseTzif, zoneAbbreviation } from "../../src/unit/tzif.ts";

/** A version-1 TZif file: two types (STD +1h, DST +2h) and two transitions. */
function smallZone(): Uint8Array {
  const chars = new TextEncoder().encode("STD\0DST\0");
  const buf = new Uint8Array(44 + 2 * 4 + 2 + 2 * 6 + chars.length);
  const v = new DataView(buf.buffer);
  buf.set(new TextEncoder().encode("TZif"), 0);
  v.setUint32(20 + 12, 2); // transitions
  v.setUint32(20 + 16, 2); // types
  v.setUint32(20 + 20, chars.length);
  let at = 44;
  v.setInt32(at, 1000);
  v.setInt32(at + 4, 2000);
  at += 8;
  buf[at] = 1; // DST from 1000
  buf[at + 1] = 0; // STD from 2000
  at += 2;
  v.setInt32(at, 3600);
  buf[at + 4] = 0;
  buf[at + 5] = 0;
  v.setInt32(at + 6, 7200);
  buf[at + 10] = 1;
  buf[at + 11] = 4;
  at += 12;
  buf.set(chars, at);
  return buf;
}

Deno.test("parseTzif reads transitions, offsets and abbreviations of a version-1 file", () => {
  const z = parseTzif(smallZone())!;
  assert.deepEqual(z.at, [1000, 2000]);
  assert.deepEqual(z.types, [
    { offset: 3600, abbrev: "STD", isdst: false },
    { offset: 7200, abbrev: "DST", isdst: true },
  ]);
  assert.equal(zoneAbbreviation(z, 1500, 7200), "DST");
  assert.equal(zoneAbbreviation(z, 2500, 3600), "STD");
  // Before the first transition, or past the last: the type with the runtime's offset.
  assert.equal(zoneAbbreviation(z, 0, 3600), "STD");
  assert.equal(zoneAbbreviation(z, 9e9, 7200), "DST");
  assert.equal(zoneAbbreviation(z, 1500, 60), undefined);
});

Deno.test("parseTzif refuses what is not a TZif file", () => {
  assert.equal(parseTzif(new TextEncoder().encode("TZ=CET-1CEST")), undefined);
  assert.equal(parseTzif(smallZone().subarray(0, 50)), undefined);
});

Deno.test({
  name: "parseTzif reads the 64-bit block of the system's Europe/Berlin file",
  ignore: (() => {
    try {
      Deno.statSync("/usr/share/zoneinfo/Europe/Berlin");
      return false;
    } catch {
      return true;
    }
  })(),
  fn: () => {
    const z = parseTzif(Deno.readFileSync("/usr/share/zoneinfo/Europe/Berlin"))!;
    const winter = Date.UTC(2026, 11, 5) / 1000;
    const summer = Date.UTC(2026, 6, 1) / 1000;
    assert.equal(zoneAbbreviation(z, winter, 3600), "CET");
    assert.equal(zoneAbbreviation(z, summer, 7200), "CEST");
    assert.ok(z.at.some((t) => t < -(2 ** 31)), "64-bit transitions");
  },
});

Deno.test("libcTzname gives glibc's tzname: the latest standard and daylight types", () => {
  assert.deepEqual(libcTzname(parseTzif(smallZone())!), [
    { abbrev: "STD", offset: 3600 },
    { abbrev: "DST", offset: 7200 },
  ]);
  const read = (name: string) => {
    try {
      return parseTzif(Deno.readFileSync(`/usr/share/zoneinfo/${name}`));
    } catch {
      return undefined;
    }
  };
  const names = (name: string) => {
    const z = read(name);
    return z && libcTzname(z)?.map((n) => `${n.abbrev}${n.offset / 3600}`).join(" ");
  };
  // Zones without the files here are left out (tzdata is installed with systemd).
  const want: Record<string, string> = {
    "Europe/Berlin": "CET1 CEST2",
    "Asia/Tokyo": "JST9 JDT10",
    "America/Sao_Paulo": "-03-3 -02-2",
    "Etc/UTC": "UTC0 UTC0",
  };
  for (const [zone, expected] of Object.entries(want)) {
    if (read(zone)) assert.equal(names(zone), expected, zone);
  }
});
