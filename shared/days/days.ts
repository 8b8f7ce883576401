/**
 * Day arithmetic for the programme.
 *
 * Inside the domain a *day* is an integer: the number of days since 1970-01-01 (a "day number";
 * 1970-01-01 is 0, 1969-12-31 is -1). At the edges (events, API, JSON) a day is a `YYYY-MM-DD`
 * string. A day is always a calendar date in the programme time zone (docs/events.md#conventions): an instant
 * becomes a day with {@link dayOf}.
 *
 * Pure: no I/O. The time-zone offsets come from `@date-fns/tz` (which reads the runtime's IANA
 * data through `Intl`), cached per zone and per 15-minute UTC bucket, because the events consumer
 * calls {@link dayOf} once per event with a budget of a few microseconds.
 */
import { tzOffset } from '@date-fns/tz';

export const MS_PER_DAY = 86_400_000;

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic-Gregorian civil date (H. Hinnant's `days_from_civil`). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Inverse of {@link daysFromCivil}. */
function civilFromDays(n: number): [number, number, number] {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [m <= 2 ? era * 400 + yoe + 1 : era * 400 + yoe, m, d];
}

/** Strict: exactly `YYYY-MM-DD` and a real calendar date (2026-02-29 is not one, 2028-02-29 is). */
export function isDayString(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = DAY_RE.exec(value);
  if (!m) return false;
  const month = +m[2];
  const day = +m[3];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(+m[1], month);
}

/** `'2026-11-23'` → its day number. Throws a RangeError for anything but a real `YYYY-MM-DD` date. */
export function dayNumber(day: string): number {
  if (!isDayString(day)) throw new RangeError(`not a YYYY-MM-DD calendar date: ${JSON.stringify(day)}`);
  return daysFromCivil(+day.slice(0, 4), +day.slice(5, 7), +day.slice(8, 10));
}

/** Day number → `'YYYY-MM-DD'`. Throws a RangeError outside years 0000–9999 or for a non-integer. */
export function dayString(day: number): string {
  if (!Number.isInteger(day)) throw new RangeError(`not a day number: ${day}`);
  const [y, m, d] = civilFromDays(day);
  if (y < 0 || y > 9999) throw new RangeError(`day number out of range: ${day}`);
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/** `D + n`: the calendar day n days after D (n may be negative). Works on numbers and strings. */
export function addDays(day: number, n: number): number;
export function addDays(day: string, n: number): string;
export function addDays(day: number | string, n: number): number | string {
  if (!Number.isInteger(n)) throw new RangeError(`not a whole number of days: ${n}`);
  if (typeof day === 'string') return dayString(dayNumber(day) + n);
  if (!Number.isInteger(day)) throw new RangeError(`not a day number: ${day}`);
  return day + n;
}

// ---------------------------------------------------------------------------------------------
// Instants

// YYYY-MM-DDTHH:MM[:SS[.fraction]] followed by Z or an offset ±HH[:MM] / ±HHMM.
const INSTANT_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

/**
 * Strict ISO-8601 instant with `Z` or a UTC offset → epoch milliseconds, or `NaN` when the string
 * is not one (no zone designator, impossible date such as 02-30, hour 24, …). Unlike `Date.parse`
 * it never guesses a zone and never rolls 2026-02-30 over to March.
 */
export function parseInstant(value: string): number {
  const m = INSTANT_RE.exec(value);
  if (!m) return NaN;
  const y = +m[1];
  const mo = +m[2];
  const d = +m[3];
  const h = +m[4];
  const mi = +m[5];
  const s = m[6] === undefined ? 0 : +m[6];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return NaN;
  let ms = daysFromCivil(y, mo, d) * MS_PER_DAY + h * 3_600_000 + mi * 60_000 + s * 1000;
  if (m[7] !== undefined) ms += Math.floor(+(m[7] + '000').slice(0, 3));
  if (m[8] === undefined) {
    const oh = +m[10];
    const om = m[11] === undefined ? 0 : +m[11];
    if (oh > 23 || om > 59) return NaN;
    const off = (oh * 60 + om) * 60_000;
    ms += m[9] === '-' ? off : -off;
  }
  return ms;
}

// ---------------------------------------------------------------------------------------------
// Time zones

const QUARTER_HOUR_MS = 900_000;
const MAX_BUCKETS_PER_ZONE = 4096; // 4096 quarter hours ≈ 42 days of distinct instants

interface ZoneCache {
  lastBucket: number;
  lastOffsetMs: number;
  buckets: Map<number, number>;
}

const zones = new Map<string, ZoneCache>();

function zoneCache(timeZone: string): ZoneCache {
  let z = zones.get(timeZone);
  if (z === undefined) {
    if (!isTimeZone(timeZone)) throw new RangeError(`unknown time zone: ${JSON.stringify(timeZone)}`);
    z = { lastBucket: NaN, lastOffsetMs: 0, buckets: new Map() };
    zones.set(timeZone, z);
  }
  return z;
}

function exactOffsetMs(timeZone: string, ms: number): number {
  return Math.round(tzOffset(timeZone, new Date(ms)) * 60_000);
}

/** True when the runtime knows `timeZone` (an IANA name such as `Asia/Shanghai`, or `UTC`). */
export function isTimeZone(timeZone: unknown): timeZone is string {
  if (typeof timeZone !== 'string' || timeZone === '') return false;
  if (zones.has(timeZone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    return false;
  }
  return Number.isFinite(tzOffset(timeZone, new Date(0)));
}

/**
 * UTC offset of `timeZone` at the instant `ms`, in milliseconds (Shanghai: +28 800 000).
 *
 * Cached per 15-minute UTC bucket: every offset change of the modern tz database happens at a
 * whole quarter hour, so one bucket has one offset. A bucket whose two ends disagree (historical
 * local-mean-time changes at odd seconds) is never cached: the offset is then computed exactly.
 */
export function zoneOffsetMs(timeZone: string, ms: number): number {
  const z = zoneCache(timeZone);
  const bucket = Math.floor(ms / QUARTER_HOUR_MS);
  if (bucket === z.lastBucket) return z.lastOffsetMs;
  let off = z.buckets.get(bucket);
  if (off === undefined) {
    const start = bucket * QUARTER_HOUR_MS;
    const first = exactOffsetMs(timeZone, start);
    const last = exactOffsetMs(timeZone, start + QUARTER_HOUR_MS - 1);
    if (first !== last) return exactOffsetMs(timeZone, ms);
    off = first;
    if (z.buckets.size >= MAX_BUCKETS_PER_ZONE) z.buckets.clear();
    z.buckets.set(bucket, off);
  }
  z.lastBucket = bucket;
  z.lastOffsetMs = off;
  return off;
}

/**
 * The calendar date (day number) of an instant in `timeZone`. `instant` is an ISO-8601 string
 * with `Z` or an offset (see {@link parseInstant}) or epoch milliseconds. Throws a RangeError for
 * an invalid instant or an unknown zone.
 */
export function dayOf(instant: string | number, timeZone: string): number {
  const ms = typeof instant === 'number' ? instant : parseInstant(instant);
  if (!Number.isFinite(ms)) throw new RangeError(`not an instant with a zone designator: ${JSON.stringify(instant)}`);
  return Math.floor((ms + zoneOffsetMs(timeZone, ms)) / MS_PER_DAY);
}

/** Today's day number in `timeZone`. */
export function todayIn(timeZone: string, now: number = Date.now()): number {
  return dayOf(now, timeZone);
}
