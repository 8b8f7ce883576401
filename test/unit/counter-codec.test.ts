// Counter items keep their counters as one deflated JSON attribute (functions/adapters/counter-codec.ts):
// every counter comes back exactly (negative corrections, large sums, any channel name), and a
// day item is stored in fewer bytes than the map it replaces (so no write costs more units).
import { describe, expect, it } from 'vitest';
import { decodeCounters, encodeCounters } from '../../functions/adapters/counter-codec';
import { itemSize } from '../../bench/billing';

/** A day item like the consumer's after a month: retention ranges, cohorts, channels, range cells. */
function dayItem(): Record<string, number> {
  const c: Record<string, number> = {
    dau: 731,
    new: 41,
    lcRet: 402,
    lcRes: 288,
    lcResN: -3,
    dormS: -17,
    revenueCents: 12_345_678,
    sessions: 901,
  };
  for (let cohort = 20_370; cohort <= 20_394; cohort++) {
    c[`rd${cohort}`] = cohort % 37;
    c[`ra${cohort}.${cohort % 5}.${cohort % 30}`] = 1 + (cohort % 4);
  }
  for (const ch of ['sem', 'weibo', 'unknown', '微信']) c[`rc|${ch}|20380`] = 3;
  for (let a = 0; a < 7; a++) c[`w${a}.6`] = a + 1;
  return c;
}

describe('the counter codec', () => {
  it('gives back every counter exactly', () => {
    for (const counters of [{}, { members: 1 }, { 'nc|微信': -2, big: Number.MAX_SAFE_INTEGER, neg: -Number.MAX_SAFE_INTEGER }, dayItem()])
      expect(decodeCounters(encodeCounters(counters))).toEqual(counters);
    expect(decodeCounters(undefined)).toEqual({});
  });

  it('stores a day item in fewer bytes than a map of its counters', () => {
    const counters = dayItem();
    const asMap = itemSize({ m: { M: Object.fromEntries(Object.entries(counters).map(([k, v]) => [k, { N: String(v) }])) } });
    const encoded = itemSize({ z: { B: encodeCounters(counters) } });
    expect(encoded).toBeLessThan(asMap * 0.7);
  });
});
