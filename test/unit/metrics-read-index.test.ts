// The read side parses each day's counters once per request (shared/metrics/read.ts, #16): the
// figures must equal those of parsing every counter name for every row, as before — on random
// day items holding the counters the consumer writes and names that only look like them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  channelRetentionOf,
  newByChannelOf,
  rangeCellOf,
  retainedOnDayCounter,
  retainedRangeOf,
  type RangePrefix,
} from '../../shared/metrics/catalogue';
import { channelRetention, cohortRow, customersOn, dailyRow, type DayCounters } from '../../shared/metrics/read';

/** The row functions as they were: every counter name parsed for every row that reads its day. */
function rollingBefore(items: DayCounters, prefix: RangePrefix, x: number, width: number): number {
  let total = 0;
  for (let d = x - width + 1; d <= x; d++) {
    const offset = x - d;
    for (const [name, value] of items(d)) {
      const cell = rangeCellOf(name, prefix);
      if (cell && cell[0] <= offset && offset <= cell[1]) total += value;
    }
  }
  return total;
}
function cohortBefore(items: DayCounters, cohort: number) {
  const onDay = new Array<number>(31).fill(0);
  const onOrAfterDay = new Array<number>(31).fill(0);
  for (let n = 0; n <= 30; n++) {
    const counters = items(cohort + n);
    onDay[n] = counters.get(retainedOnDayCounter(cohort)) ?? 0;
    for (const [name, value] of counters) {
      const range = retainedRangeOf(name, cohort);
      if (range) for (let k = range[0]; k <= range[1]; k++) onOrAfterDay[k] += value;
    }
  }
  return { onDay, onOrAfterDay };
}
function channelBefore(items: DayCounters, from: number, to: number) {
  const byChannel = new Map<string, { channel: string; size: number; d1: number; d7: number; d14: number; d30: number }>();
  const row = (channel: string) => {
    let r = byChannel.get(channel);
    if (!r) byChannel.set(channel, (r = { channel, size: 0, d1: 0, d7: 0, d14: 0, d30: 0 }));
    return r;
  };
  for (let cohort = from; cohort <= to; cohort++) {
    for (const [name, value] of items(cohort)) {
      const channel = newByChannelOf(name);
      if (channel !== null) row(channel).size += value;
    }
    for (const offset of [1, 7, 14, 30]) {
      for (const [name, value] of items(cohort + offset)) {
        const channel = channelRetentionOf(name, cohort);
        if (channel === null) continue;
        row(channel)[`d${offset}` as 'd1' | 'd7' | 'd14' | 'd30'] += value;
      }
    }
  }
  return [...byChannel.values()].filter((r) => r.size !== 0 || r.d1 || r.d7 || r.d30).sort((a, b) => a.channel.localeCompare(b.channel));
}

const FIRST = 20_000;
const DAYS = 70;
const day = fc.integer({ min: FIRST - 2, max: FIRST + 12 });
const offset = fc.integer({ min: 0, max: 31 });
const name = fc.oneof(
  fc.tuple(fc.constantFrom('w', 'm', 'pc', 'pv'), offset, offset).map(([p, a, b]) => `${p}${a}.${b}`),
  fc.tuple(day, offset, offset).map(([c, a, b]) => `ra${c}.${a}.${Math.max(a, b)}`),
  fc.tuple(day, offset).map(([c, a]) => `ra0${c}.${a}.${a}`),
  fc.tuple(day, offset).map(([c, a]) => `ra${c}.${a}`),
  day.map(retainedOnDayCounter),
  fc.tuple(fc.constantFrom('app', 'store', 'a|b', ''), day).map(([ch, c]) => `rc|${ch}|${c}`),
  fc.constantFrom('nc|app', 'nc|store'),
  fc.constantFrom('wbOffers', 'members', 'pcx', 'rabbit', 'rc|x', 'dau', 'new', 'w.1'),
);
const dayItems = fc.array(fc.tuple(fc.integer({ min: 0, max: DAYS - 1 }), name, fc.integer({ min: -5, max: 9 })), { maxLength: 400 });

describe('day counters parsed once per request', () => {
  it('give the figures of parsing every name for every row', () => {
    fc.assert(
      fc.property(dayItems, (entries) => {
        const days = new Map<number, Map<string, number>>();
        for (const [d, n, v] of entries) {
          const counters = days.get(FIRST - 5 + d) ?? new Map<string, number>();
          counters.set(n, (counters.get(n) ?? 0) + v);
          days.set(FIRST - 5 + d, counters);
        }
        const empty = new Map<string, number>();
        const items: DayCounters = (d) => days.get(d) ?? empty;
        for (let x = FIRST; x <= FIRST + 10; x++) {
          const row = dailyRow(items, x);
          expect(row.wau).toBe(rollingBefore(items, 'w', x, 7));
          expect(row.mau).toBe(rollingBefore(items, 'm', x, 30));
          expect(customersOn(items, x).customers).toBe(rollingBefore(items, 'pc', x, 30));
          const cohort = cohortRow(items, x);
          expect({ onDay: cohort.onDay, onOrAfterDay: cohort.onOrAfterDay }).toEqual(cohortBefore(items, x));
        }
        expect(channelRetention(items, FIRST - 2, FIRST + 10)).toEqual(channelBefore(items, FIRST - 2, FIRST + 10));
      }),
      { numRuns: 300 },
    );
  });
});
