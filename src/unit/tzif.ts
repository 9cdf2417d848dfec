/**
 * Time zone abbreviations from a compiled zoneinfo file (TZif, RFC 8536), as libc's
 * `tzname` gives them to systemd's timestamps (`CET`, `CEST`, `JST`, `-03`). Pure: the
 * caller reads the file.
 * @module
 */

/** One local time type of a zone. */
interface ZoneType {
  readonly offset: number;
  readonly abbrev: string;
  /** Whether this is a daylight saving type (tt_isdst). */
  readonly isdst: boolean;
}

/** The transitions and local time types of a zone. */
export interface ZoneInfo {
  /** Transition instants, seconds since the epoch, ascending. */
  readonly at: readonly number[];
  /** The type index that starts at each transition. */
  readonly typeAt: readonly number[];
  readonly types: readonly ZoneType[];
}

/** Parses a TZif file (version 1, or the 64-bit block of versions 2 and later). */
export function parseTzif(bytes: Uint8Array): ZoneInfo | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = (at: number) => {
    if (at + 44 > bytes.length) return undefined;
    if (String.fromCharCode(...bytes.subarray(at, at + 4)) !== "TZif") return undefined;
    const n = (i: number) => view.getUint32(at + 20 + 4 * i);
    return {
      version: bytes[at + 4],
      isut: n(0),
      isstd: n(1),
      leap: n(2),
      time: n(3),
      type: n(4),
      chars: n(5),
    };
  };
  let h = header(0);
  if (!h) return undefined;
  let at = 44;
  let wide = false;
  if (h.version >= 0x32) {
    // Skip the 32-bit block: the 64-bit one follows it.
    at += h.time * 5 + h.type * 6 + h.chars + h.leap * 8 + h.isstd + h.isut;
    h = header(at);
    if (!h) return undefined;
    at += 44;
    wide = true;
  }
  const size = wide ? 8 : 4;
  if (at + h.time * (size + 1) + h.type * 6 + h.chars > bytes.length) return undefined;
  const times: number[] = [];
  for (let i = 0; i < h.time; i++) {
    times.push(wide ? Number(view.getBigInt64(at + 8 * i)) : view.getInt32(at + 4 * i));
  }
  at += h.time * size;
  const typeAt = [...bytes.subarray(at, at + h.time)];
  at += h.time;
  const raw: Array<{ offset: number; isdst: boolean; index: number }> = [];
  for (let i = 0; i < h.type; i++) {
    raw.push({
      offset: view.getInt32(at + 6 * i),
      isdst: bytes[at + 6 * i + 4] !== 0,
      index: bytes[at + 6 * i + 5],
    });
  }
  at += h.type * 6;
  const chars = bytes.subarray(at, at + h.chars);
  const abbrevOf = (index: number) => {
    const end = chars.indexOf(0, index);
    return String.fromCharCode(...chars.subarray(index, end < 0 ? chars.length : end));
  };
  if (typeAt.some((t) => t >= raw.length)) return undefined;
  return {
    at: times,
    typeAt,
    types: raw.map((t) => ({ offset: t.offset, abbrev: abbrevOf(t.index), isdst: t.isdst })),
  };
}

/**
 * The abbreviation in force at `epochSec` for a local offset of `offsetSec` east of UTC
 * (the offset the runtime computed, which covers instants past the last transition): the
 * type of the latest transition at or before that instant with this offset, else the
 * latest type with this offset.
 */
export function zoneAbbreviation(
  zone: ZoneInfo,
  epochSec: number,
  offsetSec: number,
): string | undefined {
  let last = -1;
  for (let i = 0; i < zone.at.length && zone.at[i] <= epochSec; i++) last = i;
  for (let i = last; i >= 0; i--) {
    const t = zone.types[zone.typeAt[i]];
    if (t.offset === offsetSec) return t.abbrev || undefined;
  }
  for (let i = zone.at.length - 1; i > last; i--) {
    const t = zone.types[zone.typeAt[i]];
    if (t.offset === offsetSec) return t.abbrev || undefined;
  }
  const t = zone.types.find((t) => t.offset === offsetSec);
  return t?.abbrev || undefined;
}

/** A local time type as libc's `tzname` names it. */
export interface ZoneName {
  readonly abbrev: string;
  /** Seconds east of UTC. */
  readonly offset: number;
}

/**
 * libc's `tzname[0]` and `tzname[1]` right after tzset() reads the file (glibc's
 * `__tzfile_read`): the standard and the daylight type of the latest transitions to each,
 * the one type of a zone without transitions, and the standard one twice for a zone that
 * never had daylight saving time. systemd's parse_timestamp() accepts these after a time.
 */
export function libcTzname(zone: ZoneInfo): readonly [ZoneName, ZoneName] | undefined {
  const found: [ZoneName | undefined, ZoneName | undefined] = [undefined, undefined];
  for (let i = zone.at.length - 1; i >= 0; i--) {
    const t = zone.types[zone.typeAt[i]];
    const slot = t.isdst ? 1 : 0;
    if (found[slot] !== undefined) continue;
    found[slot] = { abbrev: t.abbrev, offset: t.offset };
    if (found[1 - slot] !== undefined) break;
  }
  if (found[0] === undefined && zone.types.length > 0) {
    found[0] = { abbrev: zone.types[0].abbrev, offset: zone.types[0].offset };
  }
  if (found[0] === undefined) return undefined;
  return [found[0], found[1] ?? found[0]];
}
