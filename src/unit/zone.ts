/**
 * Wall clocks for calendar and timestamp arithmetic: UTC, or a zone through `Intl` (the
 * runtime's own, which follows `TZ`, when no name is given). `toTm` is localtime(),
 * `fromTm` mktime(). Pure.
 * @module
 */

/** Broken-down local time; fields may overflow before normalization (as struct tm). */
export interface Tm {
  year: number;
  /** 0-11. */
  mon: number;
  mday: number;
  hour: number;
  min: number;
  sec: number;
}

/** A wall clock: UTC, or an Intl zone (the runtime's own when `name` is undefined). */
export class Zone {
  readonly #fmt?: Intl.DateTimeFormat;
  readonly #cache = new Map<number, Tm>();

  constructor(name: string | undefined, utc: boolean) {
    if (utc) return;
    const fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    const resolved = fmt.resolvedOptions().timeZone;
    if (resolved === "UTC" || resolved === "Etc/UTC") return;
    this.#fmt = fmt;
  }

  /** localtime(): seconds since the epoch → wall clock. */
  toTm(t: number): Tm {
    if (!this.#fmt) {
      const d = new Date(t * 1000);
      return {
        year: d.getUTCFullYear(),
        mon: d.getUTCMonth(),
        mday: d.getUTCDate(),
        hour: d.getUTCHours(),
        min: d.getUTCMinutes(),
        sec: d.getUTCSeconds(),
      };
    }
    const hit = this.#cache.get(t);
    if (hit) return { ...hit };
    const p: Record<string, number> = {};
    for (const part of this.#fmt.formatToParts(new Date(t * 1000))) {
      if (part.type !== "literal") p[part.type] = Number(part.value);
    }
    const tm = {
      year: p.year,
      mon: p.month - 1,
      mday: p.day,
      hour: p.hour,
      min: p.minute,
      sec: p.second,
    };
    if (this.#cache.size > 4096) this.#cache.clear();
    this.#cache.set(t, tm);
    return { ...tm };
  }

  /** The wall clock read as if it were UTC, in seconds (normalizes overflowing fields). */
  static naive(tm: Tm): number {
    return Date.UTC(tm.year, tm.mon, tm.mday, tm.hour, tm.min, tm.sec) / 1000;
  }

  #offset(t: number): number {
    return Zone.naive(this.toTm(t)) - t;
  }

  /**
   * mktime(): wall clock → seconds. A time that happens twice (clocks go back) is its
   * first occurrence; one that never happens (clocks go forward) moves forward.
   */
  fromTm(tm: Tm): number {
    const naive = Zone.naive(tm);
    if (!this.#fmt) return naive;
    const a = this.#offset(naive - 43200);
    const b = this.#offset(naive + 43200);
    const ok = [naive - a, naive - b].filter((t) => Zone.naive(this.toTm(t)) === naive);
    if (ok.length) return Math.min(...ok);
    return naive - Math.min(a, b);
  }
}
