import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tzOffset } from '@date-fns/tz';
import { addDays, dayNumber, dayOf, dayString, isDayString, isTimeZone, parseInstant, todayIn, zoneOffsetMs } from '../../shared/days/days';

const SH = 'Asia/Shanghai';
const NY = 'America/New_York';

describe('day numbers', () => {
  it('counts days since 1970-01-01', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(dayNumber('1970-01-02')).toBe(1);
    expect(dayNumber('1969-12-31')).toBe(-1);
    expect(dayNumber('2000-03-01')).toBe(11017);
    expect(dayNumber('2026-11-23')).toBe(Date.UTC(2026, 10, 23) / 86_400_000);
  });

  it('round-trips with dayString, including leap days and year ends', () => {
    for (const s of ['2024-02-29', '2000-02-29', '2026-12-31', '2027-01-01', '1999-12-31', '0001-01-01', '9999-12-31']) {
      expect(dayString(dayNumber(s))).toBe(s);
    }
    expect(dayString(dayNumber('2028-02-28') + 1)).toBe('2028-02-29');
    expect(dayString(dayNumber('2026-02-28') + 1)).toBe('2026-03-01');
    expect(dayString(dayNumber('2100-02-28') + 1)).toBe('2100-03-01');
    expect(dayString(dayNumber('2026-12-31') + 1)).toBe('2027-01-01');
  });

  it('agrees with Date.UTC on random days (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -700_000, max: 2_900_000 }), (n) => {
        const iso = new Date(n * 86_400_000).toISOString().slice(0, 10);
        expect(dayString(n)).toBe(iso);
        expect(dayNumber(iso)).toBe(n);
      }),
      { numRuns: 500 },
    );
  });

  it('isDayString is strict', () => {
    expect(isDayString('2026-11-23')).toBe(true);
    expect(isDayString('2024-02-29')).toBe(true);
    expect(isDayString('2026-02-29')).toBe(false);
    expect(isDayString('1900-02-29')).toBe(false);
    expect(isDayString('2000-02-29')).toBe(true);
    expect(isDayString('2026-04-31')).toBe(false);
    expect(isDayString('2026-13-01')).toBe(false);
    expect(isDayString('2026-00-10')).toBe(false);
    expect(isDayString('2026-01-00')).toBe(false);
    expect(isDayString('2026-1-01')).toBe(false);
    expect(isDayString('2026-11-23T00:00:00Z')).toBe(false);
    expect(isDayString(' 2026-11-23')).toBe(false);
    expect(isDayString(20261123)).toBe(false);
    expect(isDayString(undefined)).toBe(false);
  });

  it('dayNumber and dayString reject bad input', () => {
    expect(() => dayNumber('2026-02-30')).toThrow(RangeError);
    expect(() => dayNumber('yesterday')).toThrow(/YYYY-MM-DD/);
    expect(() => dayString(1.5)).toThrow(RangeError);
    expect(() => dayString(dayNumber('9999-12-31') + 1)).toThrow(RangeError);
  });

  it('addDays on numbers and strings', () => {
    expect(addDays(10, 5)).toBe(15);
    expect(addDays(10, -11)).toBe(-1);
    expect(addDays('2026-11-23', 365)).toBe('2027-11-23');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2027-01-01', -364)).toBe('2026-01-02');
    expect(() => addDays(1, 0.5)).toThrow(RangeError);
  });
});

describe('parseInstant', () => {
  it('parses Z and offsets like Date.parse', () => {
    for (const s of [
      '2026-11-22T15:59:59Z',
      '2026-11-22T15:59:59.999Z',
      '2026-11-23T00:00:00+08:00',
      '2026-11-23T00:00:00-05:00',
      '2026-11-23T00:00:00+05:45',
      '2026-11-23T10:00+08:00',
      '1969-12-31T23:59:59.5Z',
    ]) {
      expect(parseInstant(s)).toBe(Date.parse(s));
    }
    expect(parseInstant('2026-11-23T00:00:00+0800')).toBe(Date.parse('2026-11-23T00:00:00+08:00'));
    expect(parseInstant('2026-11-23T00:00:00+08')).toBe(Date.parse('2026-11-23T00:00:00+08:00'));
    expect(parseInstant('2026-11-23T00:00:00.123456789Z')).toBe(Date.parse('2026-11-23T00:00:00.123Z'));
  });

  it('rejects what Date.parse would guess at', () => {
    expect(parseInstant('2026-11-23T10:00:00')).toBeNaN(); // no zone
    expect(parseInstant('2026-11-23')).toBeNaN();
    expect(parseInstant('2026-02-30T00:00:00Z')).toBeNaN(); // Date.parse rolls over to March
    expect(parseInstant('2026-11-23T24:00:00Z')).toBeNaN();
    expect(parseInstant('2026-11-23T23:60:00Z')).toBeNaN();
    expect(parseInstant('2026-11-23T23:00:00+24:00')).toBeNaN();
    expect(parseInstant('not a date')).toBeNaN();
  });
});

describe('dayOf / todayIn', () => {
  it('Asia/Shanghai midnight edges', () => {
    expect(dayString(dayOf('2026-11-22T15:59:59Z', SH))).toBe('2026-11-22');
    expect(dayString(dayOf('2026-11-22T15:59:59.999Z', SH))).toBe('2026-11-22');
    expect(dayString(dayOf('2026-11-22T16:00:00Z', SH))).toBe('2026-11-23');
    expect(dayString(dayOf(Date.parse('2026-11-22T16:00:00Z'), SH))).toBe('2026-11-23');
    expect(dayString(dayOf(Date.parse('2026-11-22T16:00:00Z') - 1, SH))).toBe('2026-11-22');
  });

  it('honours offsets in the input', () => {
    expect(dayString(dayOf('2026-11-23T00:00:00+08:00', SH))).toBe('2026-11-23');
    expect(dayString(dayOf('2026-11-22T23:59:59+08:00', SH))).toBe('2026-11-22');
    // 2026-11-22 11:00 in New York is 2026-11-23 00:00 in Shanghai.
    expect(dayString(dayOf('2026-11-22T11:00:00-05:00', SH))).toBe('2026-11-23');
    expect(dayString(dayOf('2026-11-22T10:59:59-05:00', SH))).toBe('2026-11-22');
    expect(dayString(dayOf('2026-11-22T23:30:00-05:00', NY))).toBe('2026-11-22');
  });

  it('America/New_York across DST (2026-03-08 and 2026-11-01)', () => {
    // Spring forward: 2026-03-08 02:00 EST → 03:00 EDT (07:00Z).
    expect(dayString(dayOf('2026-03-08T04:59:59Z', NY))).toBe('2026-03-07'); // 23:59:59 EST
    expect(dayString(dayOf('2026-03-08T05:00:00Z', NY))).toBe('2026-03-08'); // 00:00 EST
    expect(dayString(dayOf('2026-03-09T03:59:59Z', NY))).toBe('2026-03-08'); // 23:59:59 EDT
    expect(dayString(dayOf('2026-03-09T04:00:00Z', NY))).toBe('2026-03-09'); // 00:00 EDT
    expect(zoneOffsetMs(NY, Date.parse('2026-03-08T06:59:59Z'))).toBe(-5 * 3_600_000);
    expect(zoneOffsetMs(NY, Date.parse('2026-03-08T07:00:00Z'))).toBe(-4 * 3_600_000);
    // Fall back: 2026-11-01 02:00 EDT → 01:00 EST (06:00Z).
    expect(dayString(dayOf('2026-11-01T03:59:59Z', NY))).toBe('2026-10-31'); // 23:59:59 EDT
    expect(dayString(dayOf('2026-11-01T04:00:00Z', NY))).toBe('2026-11-01'); // 00:00 EDT
    expect(dayString(dayOf('2026-11-02T04:59:59Z', NY))).toBe('2026-11-01'); // 23:59:59 EST
    expect(dayString(dayOf('2026-11-02T05:00:00Z', NY))).toBe('2026-11-02'); // 00:00 EST
    expect(zoneOffsetMs(NY, Date.parse('2026-11-01T05:59:59.999Z'))).toBe(-4 * 3_600_000);
    expect(zoneOffsetMs(NY, Date.parse('2026-11-01T06:00:00Z'))).toBe(-5 * 3_600_000);
  });

  it('leap days and year ends', () => {
    expect(dayString(dayOf('2028-02-28T16:00:00Z', SH))).toBe('2028-02-29');
    expect(dayString(dayOf('2028-02-29T15:59:59Z', SH))).toBe('2028-02-29');
    expect(dayString(dayOf('2028-02-29T16:00:00Z', SH))).toBe('2028-03-01');
    expect(dayString(dayOf('2026-12-31T15:59:59Z', SH))).toBe('2026-12-31');
    expect(dayString(dayOf('2026-12-31T16:00:00Z', SH))).toBe('2027-01-01');
    expect(dayString(dayOf('2027-01-01T04:59:59Z', NY))).toBe('2026-12-31');
    expect(dayString(dayOf('2027-01-01T05:00:00Z', NY))).toBe('2027-01-01');
  });

  it('agrees with @date-fns/tz at random instants, with and without a warm cache (property)', () => {
    const zones = [SH, NY, 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns', 'UTC'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.parse('1990-01-01T00:00:00Z'), max: Date.parse('2040-01-01T00:00:00Z') }),
        (zone, ms) => {
          const expected = Math.floor((ms + tzOffset(zone, new Date(ms)) * 60_000) / 86_400_000);
          expect(dayOf(ms, zone)).toBe(expected);
          expect(dayOf(ms, zone)).toBe(expected); // cached
          expect(dayOf(new Date(ms).toISOString(), zone)).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is exact inside a bucket holding an odd-second historical transition', () => {
    // Asia/Shanghai moved from LMT (+08:05:43) to CST at 1900-12-31T15:54:17Z.
    const t = Date.parse('1900-12-31T15:54:17Z');
    for (const ms of [t - 1000, t, t + 1000]) {
      expect(zoneOffsetMs(SH, ms)).toBe(Math.round(tzOffset(SH, new Date(ms)) * 60_000));
    }
  });

  it('todayIn', () => {
    expect(dayString(todayIn(SH, Date.parse('2026-11-22T16:00:00Z')))).toBe('2026-11-23');
    expect(dayString(todayIn(NY, Date.parse('2026-11-22T16:00:00Z')))).toBe('2026-11-22');
    expect(Math.abs(todayIn('UTC') - Math.floor(Date.now() / 86_400_000))).toBeLessThanOrEqual(1);
  });

  it('rejects unknown zones and zone-less instants', () => {
    expect(isTimeZone(SH)).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('')).toBe(false);
    expect(() => dayOf(0, 'Mars/Olympus')).toThrow(/unknown time zone/);
    expect(() => dayOf('2026-11-23T10:00:00', SH)).toThrow(RangeError);
    expect(() => dayOf(Number.NaN, SH)).toThrow(RangeError);
  });
});
