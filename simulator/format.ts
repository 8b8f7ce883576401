/**
 * Fast ISO-8601 rendering of instants for the simulator: `2026-10-01T08:15:30.123Z` or
 * `2026-10-01T16:15:30.123+08:00`. The date part is cached per day, the rest is table lookups,
 * so rendering costs one string concatenation per event (no Date objects).
 */
import { dayString, MS_PER_DAY } from '../shared/days/days';

const P2: string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const P3: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

export class IsoFormatter {
  private readonly dates = new Map<number, string>();
  private readonly suffixes = new Map<number, string>();

  /** Renders `ms` (integer epoch milliseconds) in UTC with `Z`. */
  utc(ms: number): string {
    return this.render(ms, 'Z');
  }

  /** Renders `ms` as local time at `offsetMs` from UTC, with a `±HH:MM` suffix. */
  withOffset(ms: number, offsetMs: number): string {
    let suffix = this.suffixes.get(offsetMs);
    if (suffix === undefined) {
      const minutes = Math.round(Math.abs(offsetMs) / 60_000);
      suffix = `${offsetMs < 0 ? '-' : '+'}${P2[Math.floor(minutes / 60)]}:${P2[minutes % 60]}`;
      this.suffixes.set(offsetMs, suffix);
    }
    return this.render(ms + offsetMs, suffix);
  }

  private render(local: number, suffix: string): string {
    const day = Math.floor(local / MS_PER_DAY);
    let date = this.dates.get(day);
    if (date === undefined) {
      date = dayString(day);
      if (this.dates.size > 4096) this.dates.clear();
      this.dates.set(day, date);
    }
    let r = local - day * MS_PER_DAY;
    const h = Math.floor(r / 3_600_000);
    r -= h * 3_600_000;
    const mi = Math.floor(r / 60_000);
    r -= mi * 60_000;
    const s = Math.floor(r / 1000);
    const ms = r - s * 1000;
    return `${date}T${P2[h]}:${P2[mi]}:${P2[s]}.${P3[ms]}${suffix}`;
  }
}
