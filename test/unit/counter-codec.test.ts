// Counter items keep their counters as one deflated JSON attribute (functions/adapters/counter-codec.ts):
// every counter comes back exactly (negative corrections, large sums, any channel name), and a
// day item is stored in fewer bytes than the map it replaces (so no write costs more units).
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeCounters, DICTIONARY_1_MARKER, encodeCounters } from '../../functions/adapters/counter-codec';
import { COUNTER_DICTIONARY_1 } from '../../functions/adapters/counter-dictionary';
import { itemSize } from '../../bench/billing';

/** How items written before the dictionary stored their counters. */
const encodedBefore = (counters: Record<string, number>) => deflateRawSync(JSON.stringify(counters));

/** A busy day item of a shard a month in (a cohort's retention counters per earlier day, lots made available). */
function busyDay(cohorts: number): Record<string, number> {
  const c: Record<string, number> = {
    launches: 151,
    dau: 121,
    lcRet: 60,
    lcRes: 53,
    dormN: 121,
    dormS: -60,
    pageViews: 380,
    sessions: 152,
    sessionSeconds: 45_974,
    issued: 5_583,
    dP: 3_818,
    available: 1_765,
    dA: 1_754,
    orders: 43,
    revenueCents: 463_840,
    payingMembers: 43,
    new: 8,
    tier0: 8,
    'seg|tier-member': 8,
    'seg|status-active': 8,
  };
  for (let b = 0; b < 6; b++) c[`b${b}`] = 10 + b;
  for (let a = 0; a < 7; a++) {
    c[`w${a}.6`] = 3 + a;
    c[`m${23 + a}.29`] = 2 + a;
  }
  for (let i = 0; i < cohorts; i++) {
    const cohort = 20_727 + i;
    c[`rd${cohort}`] = 1 + (i % 17);
    c[`ra${cohort}.${i % 5}.${(i % 5) + 3}`] = 1 + (i % 4);
    c[`ra${cohort}.${cohorts - i}.${cohorts - i}`] = 2;
    c[`pc${i}.29`] = 1 + (i % 3);
  }
  for (const ch of ['wechat', 'weibo', 'unknown', 'referral']) {
    c[`nc|${ch}`] = 2;
    c[`rc|${ch}|20740`] = 3;
  }
  for (let d = 0; d < 6; d++) {
    c[`available@${20_734 + d}`] = 79 + d;
    c[`dA@${20_734 + d}`] = 79 + d;
    c[`dP@${20_734 + d}`] = -79 - d;
  }
  return c;
}

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

  it('reads items written before the dictionary, which never begin with its marker', () => {
    const name = fc.string({ minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(fc.dictionary(name, fc.integer()), (counters) => {
        const before = encodedBefore(counters);
        // A deflate stream's first block type (bits 1–2 of its first byte) is never 3 (reserved).
        expect((before[0] >> 1) & 3).not.toBe(3);
        expect(before[0]).not.toBe(DICTIONARY_1_MARKER);
        expect(decodeCounters(before)).toEqual(counters);
        expect(decodeCounters(encodeCounters(counters))).toEqual(counters);
      }),
      { numRuns: 300 },
    );
  });

  it('uses a dictionary that never changes: stored items are inflated with it', () => {
    expect(createHash('sha256').update(COUNTER_DICTIONARY_1).digest('hex')).toBe(COUNTER_DICTIONARY_DIGEST);
  });

  it('keeps a busy day item under 1 KB, which deflating without the dictionary took over it', () => {
    const counters = busyDay(40);
    const stored = (z: Uint8Array) =>
      itemSize({ pk: { S: 'd' }, sk: { S: '1020767#shardId-000000000003' }, hw: { S: '4'.repeat(56) }, z: { B: z } });
    expect(decodeCounters(encodeCounters(counters))).toEqual(counters);
    expect([stored(encodeCounters(counters)) <= 1024, stored(encodedBefore(counters)) <= 1024]).toEqual([true, false]);
  });
});

const COUNTER_DICTIONARY_DIGEST = '4cd68815b51e7d9d83a01138313bc2933ebe9d55271415b674c92ea75f9a01a8';
