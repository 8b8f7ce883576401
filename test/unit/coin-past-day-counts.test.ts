// Coin movements of an earlier day are counted in the item of the day the write applies on, named
// for their own day (`<counter>@<day>`: shared/coins/outbox.ts), and the readers count them on
// their own day: the figures are those of counting each in its own day's item, and a lot the
// member's next event makes available writes no item of the day it became available.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coinCounts, coinDays, coinFigures, COIN_TOTALS_KEY, pastDayName, type CoinCounts } from '../../shared/coins/outbox';
import type { CoinEntry } from '../../shared/coins/ledger';
import { dayNumber } from '../../shared/days/days';
import { dayKey } from '../../shared/keys/metrics-keys';
import { defaultProgram } from '../../shared/programme/load';
import { memoryCoinFigures } from '../support/coin-figures';
import { orderLines } from '../support/event-lines';
import { MemoryPipeline } from '../support/memory-pipeline';

const entry = (kind: CoinEntry['kind'], day: number, coins: number, delta: CoinEntry['delta']): CoinEntry => ({
  id: `${kind}:${day}:${coins}`,
  day,
  kind,
  coins,
  lot: null,
  ref: 'x',
  delta,
});

/** Counts as summed counter items (key → name → n), the way the readers get them. */
const asSums = (counts: CoinCounts) => new Map(Object.entries(counts).map(([key, names]) => [key, new Map(Object.entries(names))]));

describe('coin movements of earlier days', () => {
  it('go to the writing day’s item under their own day’s name (hand-computed)', () => {
    const entries = [
      entry('available', 10, 5, { available: 5, pending: -5, debt: 0 }),
      entry('earn', 12, 3, { available: 0, pending: 3, debt: 0 }),
    ];
    expect(coinCounts(entries, 12)).toEqual({
      [dayKey(12)]: {
        [pastDayName('available', 10)]: 5,
        [pastDayName('dA', 10)]: 5,
        [pastDayName('dP', 10)]: -5,
        issued: 3,
        dP: 3,
      },
      [COIN_TOTALS_KEY]: { dA: 5, dP: -2 },
    });
    // Without a writing day, each in its own day's item, as before.
    expect(coinCounts(entries)).toEqual({
      [dayKey(10)]: { available: 5, dA: 5, dP: -5 },
      [dayKey(12)]: { issued: 3, dP: 3 },
      [COIN_TOTALS_KEY]: { dA: 5, dP: -2 },
    });
    // Read back on day 10, from the items of days 9 to 13.
    const byDay = coinDays(asSums(coinCounts(entries, 12)), 9, 13);
    expect(Object.fromEntries(byDay)).toEqual({ 10: { available: 5, dA: 5, dP: -5 }, 12: { issued: 3, dP: 3 } });
  });

  it('give the figures of counting each on its own day, for any movements and writing days (property)', () => {
    const kinds: CoinEntry['kind'][] = ['earn', 'available', 'revoke', 'redeem', 'reverse', 'expire', 'adjust'];
    const write = fc.record({
      entries: fc.array(
        fc
          .record({
            kind: fc.constantFrom(...kinds),
            day: fc.integer({ min: 100, max: 130 }),
            coins: fc.integer({ min: 1, max: 500 }),
            available: fc.integer({ min: -500, max: 500 }),
            pending: fc.integer({ min: -500, max: 500 }),
            debt: fc.integer({ min: -50, max: 50 }),
          })
          .map((e) => entry(e.kind, e.day, e.coins, { available: e.available, pending: e.pending, debt: e.debt })),
        { maxLength: 6 },
      ),
      later: fc.integer({ min: 0, max: 5 }),
    });
    fc.assert(
      fc.property(fc.array(write, { minLength: 1, maxLength: 12 }), fc.integer({ min: 95, max: 136 }), (writes, from) => {
        const own: CoinCounts = {};
        const past: CoinCounts = {};
        for (const w of writes) {
          // The write's day: on or after every movement it books.
          const writtenOn = Math.max(100, ...w.entries.map((e) => e.day)) + w.later;
          coinCounts(w.entries, null, own);
          coinCounts(w.entries, writtenOn, past);
        }
        const last = 137;
        const days = Array.from({ length: last - 1 - from }, (_, i) => from + i);
        const figures = (counts: CoinCounts) =>
          coinFigures(days, coinDays(asSums(counts), from, last), Object.fromEntries(asSums(counts).get(COIN_TOTALS_KEY) ?? []), 1);
        expect(figures(past)).toEqual(figures(own));
      }),
    );
  });

  it('a lot the member’s next event makes available is counted on its day without writing that day’s item', async () => {
    const orders = orderLines();
    const p = new MemoryPipeline(defaultProgram(), () => Date.parse('2026-12-01T00:00:00Z'));
    // 100 coins pending from Nov 1, available Nov 8; the next purchase on Nov 12 books it.
    await p.deliver(p.records([orders.purchase('m1', 'o1', '2026-11-01', [['a', 'meat', 10_000]])]));
    await p.deliver(p.records([orders.purchase('m1', 'o2', '2026-11-12', [['a', 'meat', 5_000]])]));
    expect(p.metrics.items.has(dayKey(dayNumber('2026-11-08')))).toBe(false);
    const rows = memoryCoinFigures(p, '2026-11-07', '2026-11-12');
    expect(rows.map((r) => [r.day, r.issued, r.available, r.outstanding, r.pending])).toEqual([
      ['2026-11-07', 0, 0, 0, 100],
      ['2026-11-08', 0, 100, 100, 0],
      ['2026-11-09', 0, 0, 100, 0],
      ['2026-11-10', 0, 0, 100, 0],
      ['2026-11-11', 0, 0, 100, 0],
      ['2026-11-12', 50, 0, 100, 50],
    ]);
  });
});
