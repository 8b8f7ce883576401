// occurredAt in every ISO-8601 form with Z or an offset (#19 item 14): `+08:00`, `+0800`, `+08`,
// with or without seconds and fractions, all the same instant; anything else quarantined with a
// reason that says what is wrong. And `attributes` are kept as given, through a forward too.
import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../../shared/events/events';
import { forwardRecord } from '../../shared/identity/commands';
import fc from 'fast-check';
import { parseAnyForm, parseOccurredAt } from '../../shared/events/occurred-at';

const NOW = Date.parse('2026-12-01T00:00:00Z');
const decode = (occurredAt: string, extra: object = {}) =>
  decodeRecord(new TextEncoder().encode(JSON.stringify({ eventId: 'e1', type: 'app_open', memberId: 'm1', occurredAt, ...extra })), NOW);

describe('occurredAt', () => {
  const instant = Date.parse('2026-11-10T02:00:00Z');
  for (const form of [
    '2026-11-10T10:00:00+08:00',
    '2026-11-10T10:00:00+0800',
    '2026-11-10T10:00:00+08',
    '2026-11-10T10:00+08:00',
    '2026-11-10T10:00+0800',
    '2026-11-10T10:00+08',
    '2026-11-10T02:00Z',
    '2026-11-10T10:00:00.000+08:00',
    '2026-11-10T10:00:00,000000001+08:00',
    '2026-11-09T21:30:00-04:30',
  ]) {
    it(`accepts ${form} as the same instant`, () => {
      const decoded = decode(form);
      expect(decoded).toMatchObject({ ok: true, at: instant });
    });
  }

  it('reads fractions to the millisecond and leap days', () => {
    expect(parseOccurredAt('2028-02-29T23:59:59.9999+08')).toEqual({ ok: true, ms: Date.parse('2028-02-29T15:59:59.999Z') });
  });

  it("reads the producers' common form by character codes as the full parser does, values out of range too", () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const form = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
        two(13),
        two(32),
        two(25),
        two(61),
        two(61),
        fc.option(
          fc.integer({ min: 0, max: 999 }).map((n) => `.${String(n).padStart(3, '0')}`),
          { nil: '' },
        ),
        fc.oneof(
          fc.constant('Z'),
          fc.tuple(fc.constantFrom('+', '-'), two(20), two(61)).map(([s, h, m]) => `${s}${h}:${m}`),
        ),
      )
      .map(([y, mo, d, h, mi, s, f, z]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${f}${z}`);
    fc.assert(
      fc.property(form, (v) => {
        expect(parseOccurredAt(v)).toEqual(parseAnyForm(v));
      }),
      { numRuns: 5000 },
    );
    for (const v of ['2024-02-29T23:59:59.999+14:00', '2023-02-29T00:00:00Z', '0099-01-01T00:00:00Z', '2026-11-10T10:00:00.12Z'])
      expect(parseOccurredAt(v)).toEqual(parseAnyForm(v));
  });

  for (const [form, detail] of [
    ['2026-11-10T10:00:00', 'occurredAt: needs Z or an offset such as +08:00'],
    ['2026-11-10 10:00:00+08:00', 'occurredAt: must be an ISO-8601 timestamp with Z or an offset (date and time are joined by "T")'],
    ['2026-11-10', 'occurredAt: must be an ISO-8601 timestamp with Z or an offset, e.g.'],
    ['2026-13-10T10:00:00Z', 'occurredAt: month 13 is not 01–12'],
    ['2026-11-31T10:00:00Z', 'occurredAt: 2026-11 has no day 31'],
    ['2026-11-10T24:00:00Z', 'occurredAt: hour 24 is not 00–23'],
    ['2026-11-10T10:60:00Z', 'occurredAt: minute 60 is not 00–59'],
    ['2026-11-10T10:00:60Z', 'occurredAt: second 60 is not 00–59'],
    ['2026-11-10T10:00:00+08:60', 'occurredAt: offset +08:60: minutes are not 00–59'],
    ['2026-11-10T10:00:00+19:00', 'occurredAt: offset +19:00 is beyond ±18:00'],
    ['2026-11-10T10:00:00+8', 'occurredAt: must be an ISO-8601 timestamp'],
    ['1999-12-31T23:59:59Z', 'occurredAt: must be on or after 2000-01-01T00:00:00Z'],
  ] as const) {
    it(`quarantines ${form} saying why`, () => {
      const decoded = decode(form);
      expect(decoded).toMatchObject({ ok: false, reason: 'invalid_event' });
      expect((decoded as { detail: string }).detail).toContain(detail);
    });
  }

  it('keeps attributes as given, and in a forward to the member', () => {
    const attributes = { os: 'ios', campaign: { id: 7, tags: ['a', null] } };
    const decoded = decode('2026-11-10T10:00+08', { attributes });
    if (!decoded.ok) throw new Error(decoded.detail);
    expect(decoded.event).toMatchObject({ attributes });
    const forwarded = forwardRecord(decoded.event as never, 'm9', 'm1');
    const again = decodeRecord(forwarded.data, NOW);
    if (!again.ok) throw new Error(again.detail);
    expect(again.event).toMatchObject({ type: 'identity_forward', event: { attributes, occurredAt: '2026-11-10T10:00+08' } });
  });
});
