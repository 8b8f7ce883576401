// The counter item layout (shared/keys/metrics-keys.ts): every counter key round-trips through its
// stored key, a day family's items sort by day (days before 1970 too), and a span of days is one
// Query per family, whatever its length.
import { describe, expect, it } from 'vitest';
import {
  LEGACY_COIN_TOTALS_KEY,
  coinDayKey,
  counterItemKey,
  counterKeyOf,
  counterSpans,
  dayKey,
  TOTALS_KEY,
} from '../../shared/keys/metrics-keys';

const SOURCES = ['shardId-000000000000', 'shardId-000000000003', 'api#5f3a'];

describe('counter item keys', () => {
  it('round-trip every counter key and source', () => {
    const keys = [
      TOTALS_KEY,
      LEGACY_COIN_TOTALS_KEY,
      dayKey(0),
      dayKey(-719_528),
      dayKey(20_394),
      dayKey(2_932_896),
      coinDayKey('2026-11-02'),
    ];
    for (const key of keys) {
      for (const source of SOURCES) {
        const stored = counterItemKey(key, source);
        expect(counterKeyOf(stored), `${key} ${source}`).toBe(key);
        expect(stored.sk.endsWith(source)).toBe(true);
      }
    }
  });

  it('put each day family in one partition, the day leading the sort key', () => {
    expect(counterItemKey(dayKey(20_394), 's0')).toEqual({ pk: 'd', sk: '1020394#s0' });
    expect(counterItemKey(coinDayKey('2026-11-02'), 'api#1')).toEqual({ pk: 'cd', sk: '2026-11-02#api#1' });
    expect(counterItemKey(TOTALS_KEY, 's0')).toEqual({ pk: TOTALS_KEY, sk: 's0' });
    expect(counterItemKey(LEGACY_COIN_TOTALS_KEY, 's0')).toEqual({ pk: LEGACY_COIN_TOTALS_KEY, sk: 's0' });
  });

  it('sort day items by day, before and after 1970', () => {
    const days = [-400, -1, 0, 9, 10, 99, 100, 20_394, 2_932_896];
    const sks = days.map((d) => counterItemKey(dayKey(d), 'shardId-000000000001').sk);
    expect([...sks].sort()).toEqual(sks);
  });

  it('read a span of days as one Query per family, 7 days or 90', () => {
    const span = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => dayKey(from + i));
    const week = counterSpans(span(20_000, 20_006));
    const quarter = counterSpans([TOTALS_KEY, ...span(20_000, 20_089)]);
    expect(week).toEqual([{ pk: 'd', between: ['1020000#', '1020006$'] }]);
    expect(quarter).toEqual([{ pk: TOTALS_KEY }, { pk: 'd', between: ['1020000#', '1020089$'] }]);
    // The bounds hold every source of the first and last day and nothing of the days around them.
    const [from, to] = quarter[1].between!;
    for (const source of SOURCES) {
      for (const d of [20_000, 20_089]) {
        const { sk } = counterItemKey(dayKey(d), source);
        expect(sk >= from && sk <= to).toBe(true);
      }
      for (const d of [19_999, 20_090]) {
        const { sk } = counterItemKey(dayKey(d), source);
        expect(sk >= from && sk <= to).toBe(false);
      }
    }
    const coins = counterSpans([LEGACY_COIN_TOTALS_KEY, coinDayKey('2026-10-30'), coinDayKey('2026-11-02'), coinDayKey('2026-10-31')]);
    expect(coins).toEqual([{ pk: LEGACY_COIN_TOTALS_KEY }, { pk: 'cd', between: ['2026-10-30#', '2026-11-02$'] }]);
  });
});
