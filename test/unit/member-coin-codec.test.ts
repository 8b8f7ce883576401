// The member item's coin fields (functions/adapters/coin-outbox-codec.ts, member-item.ts): the
// consumer's outbox (`cx`) and the till's pending operations (`tp`) come back exactly, whatever
// they hold, in fewer bytes than the JSON they replace (a member item over 1 KB bills twice).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCoinOutbox, encodeCoinOutbox } from '../../functions/adapters/coin-outbox-codec';
import { fromMemberItem, toMemberItem } from '../../functions/adapters/member-item';
import { encodeTillOps } from '../../functions/adapters/till-ops-codec';
import { COIN_COUNTERS, coinDayKey, COIN_TOTALS_KEY, legacyCoinDayKey, pastDayName, type CoinOutbox } from '../../shared/coins/outbox';
import { lotId, type CoinLot } from '../../shared/coins/lots';
import type { PendingOperation } from '../../shared/coins/operation-records';
import { newMember } from '../../shared/member/state';

const HW = { shardId: 'shardId-000000000002', seq: '49660000000000000000000000000000000000000000000000015014' };

const sample: CoinOutbox = {
  ...HW,
  counts: {
    'cd#2026-10-21': { available: 17, dA: 17, dP: -17 },
    'cd#all': { dA: 250, dP: -255 },
    'cd#2026-10-22': { available: 233, dA: 233, dP: -238, revoked: 5 },
  },
  moves: [
    { id: 'available:L2jt2svbz87', day: 20747, kind: 'available', coins: 17, lot: 258999661581847, ref: 'L2jt2svbz87' },
    { id: 'expire:L28v9n4pq3q', day: 20748, kind: 'expire', coins: -233, lot: 228139071365222, ref: 'L28v9n4pq3q' },
  ],
};

const names = Object.values(COIN_COUNTERS);
const outbox = fc.record({
  shardId: fc.constantFrom(HW.shardId, 'shardId-000000000007'),
  seq: fc.constantFrom(HW.seq, '4966', '49660000000000000000000000000000000000000000000000099999'),
  counts: fc.dictionary(
    fc.oneof(
      fc.constant(COIN_TOTALS_KEY),
      fc.integer({ min: 0, max: 60_000 }).map(coinDayKey),
      fc.integer({ min: 0, max: 60_000 }).map(legacyCoinDayKey),
    ),
    fc.dictionary(
      fc.oneof(
        fc.constantFrom(...names),
        // A movement of an earlier day (or, never written so, of a later one) in a day item.
        fc.tuple(fc.constantFrom(...names), fc.integer({ min: -10, max: 60_010 })).map(([name, day]) => pastDayName(name, day)),
      ),
      fc.integer({ min: -1e12, max: 1e12 }),
    ),
  ),
  moves: fc.option(
    fc.array(
      fc
        .record({ kind: fc.constantFrom('available' as const, 'expire' as const), day: fc.nat(60_000), coins: fc.integer(), lot: fc.nat() })
        .map((m) => ({ ...m, id: `${m.kind}:${lotId(m.lot)}`, ref: lotId(m.lot) })),
      { minLength: 1, maxLength: 5 },
    ),
    { nil: undefined },
  ),
  held: fc.boolean(),
});

describe('the coin outbox codec', () => {
  it('gives every outbox back exactly (at the high-water mark or elsewhere)', () => {
    fc.assert(
      fc.property(outbox, fc.constantFrom(HW, null), (out, at) => {
        const { held, ...rest } = out;
        const clean = rest.moves ? { ...rest, ...(held ? { held } : {}) } : { shardId: out.shardId, seq: out.seq, counts: out.counts };
        expect(decodeCoinOutbox(encodeCoinOutbox(clean, at), at)).toEqual(clean);
      }),
    );
  });

  it('carries the day and totals counts of the write too, frequent names as short codes', () => {
    const out: CoinOutbox = {
      ...HW,
      counts: {
        'd#20394': { launches: 1, pageViews: 3, 'w0.6': 1, 'ra0.0.3': -1, 'seg|rfm-important-value': 1, 'nc|wechat': 1, b2: 1 },
        totals: { members: 1, tier0: 1 },
        'd#-3': { dau: 1 },
        'cd#2026-11-02': { issued: 17, dA: 17 },
      },
    };
    const text = encodeCoinOutbox(out, HW);
    expect(text).toBe(
      '|d20394:_0=1,_3=3,w0.6=1,ra0.0.3=-1,seg!rfm-important-value=1,nc!wechat=1,b2=1;t:_a=1,tier0=1;d-3:_c=1;20759:i17A17|',
    );
    expect(decodeCoinOutbox(text, HW)).toEqual(out);
    // Coins of an earlier day in a day item: the short code and how many days earlier.
    const past: CoinOutbox = {
      ...HW,
      counts: { 'd#20749': { [pastDayName('available', 20746)]: 5, [pastDayName('dP', 20746)]: -5, dA: 5 } },
    };
    const pastText = encodeCoinOutbox(past, HW);
    expect(pastText).toMatch(/^\|d20749:_[0-9a-z]+@3=5,_[0-9a-z]+@3=-5,_[0-9a-z]+=5\|$/);
    expect(decodeCoinOutbox(pastText, HW)).toEqual(past);
    // A name the pair form cannot hold: the whole outbox as JSON.
    const odd: CoinOutbox = { ...HW, counts: { 'd#1': { 'a=b': 1 } } };
    expect(encodeCoinOutbox(odd, HW).startsWith('{')).toBe(true);
    expect(decodeCoinOutbox(encodeCoinOutbox(odd, HW), HW)).toEqual(odd);
  });

  it('keeps what it cannot express as JSON, and reads JSON written before it', () => {
    const odd: CoinOutbox = { ...HW, counts: { 'x#1': { issued: 1 } }, moves: [{ ...sample.moves![0], id: 'redeem:r:L1' }] };
    expect(encodeCoinOutbox(odd, HW).startsWith('{')).toBe(true);
    expect(decodeCoinOutbox(encodeCoinOutbox(odd, HW), HW)).toEqual(odd);
    expect(decodeCoinOutbox(JSON.stringify(sample), HW)).toEqual(sample);
  });

  it('names a lot made available that the item still holds by its place among the item’s lots', () => {
    const lots: CoinLot[] = [
      { seq: 228139071365222, availableOn: 20740, expiresOn: 21105, left: 5, booked: true, noticed: false },
      { seq: 258999661581847, availableOn: 20747, expiresOn: 21112, left: 17, booked: true, noticed: false },
    ];
    const text = encodeCoinOutbox({ ...sample, held: true }, HW, lots);
    // The first move's lot is the item's second; the second move's (an expiry) is gone from it.
    expect(text.split('|')[2]).toBe('A1.17,e20748.28v9n4pq3q.-233');
    expect(decodeCoinOutbox(text, HW, lots)).toEqual({ ...sample, held: true });
    // A lot of that number on another day is not the move's: the full form.
    const moved = [lots[0], { ...lots[1], availableOn: 20748 }];
    expect(encodeCoinOutbox(sample, HW, moved).split('|')[2]).toBe('a20747.2jt2svbz87.17,e20748.28v9n4pq3q.-233');
    // Through the member item: the lots and the moves naming them come back together.
    const state = { ...newMember('m1', 20700), highWater: HW, coins: { lots, debt: 0, asOf: 20749 }, coinOut: { ...sample, held: true } };
    expect(fromMemberItem(toMemberItem(state)).coinOut).toEqual({ ...sample, held: true });
    // Read without the item's lots, a place names nothing: an error, never a wrong move.
    expect(() => decodeCoinOutbox(text, HW)).toThrow(/names lot 1 of the item's 0/);
  });

  it('gives every outbox back exactly with the lots it may name (property)', () => {
    const lot = fc.record({ seq: fc.nat(), availableOn: fc.nat(60_000) });
    fc.assert(
      fc.property(outbox, fc.array(lot, { maxLength: 6 }), fc.array(fc.nat(5), { maxLength: 4 }), (out, raw, picks) => {
        const lots: CoinLot[] = raw.map((l) => ({ ...l, expiresOn: l.availableOn + 365, left: 1, booked: true, noticed: false }));
        // Moves of the item's lots besides the arbitrary ones (which may name its lots too).
        const own = picks
          .filter((i) => i < lots.length)
          .map((i) => ({
            id: `available:${lotId(lots[i].seq)}`,
            day: lots[i].availableOn,
            kind: 'available' as const,
            coins: 3,
            lot: lots[i].seq,
            ref: lotId(lots[i].seq),
          }));
        const moves = [...(out.moves ?? []), ...own];
        const clean: CoinOutbox = { shardId: out.shardId, seq: out.seq, counts: out.counts, ...(moves.length ? { moves } : {}) };
        expect(decodeCoinOutbox(encodeCoinOutbox(clean, HW, lots), HW, lots)).toEqual(clean);
      }),
    );
  });

  it('stores the sample in a fraction of its JSON (the 56-digit position is the item’s own)', () => {
    const text = encodeCoinOutbox(sample, HW);
    expect(text).toBe('|20747:a17A17P-17;*:A250P-255;20748:a233A233P-238r5|a20747.2jt2svbz87.17,e20748.28v9n4pq3q.-233');
    expect(text.length).toBeLessThan(JSON.stringify(sample).length / 4);
  });
});

describe("the member item's pending till operations", () => {
  it('come back exactly, with the member id and the entries’ time restored', () => {
    const at = '2026-12-02T10:00:00.000Z';
    const pending: PendingOperation = {
      op: 'r#r1',
      record: {
        memberId: 'm1',
        sk: 'c#r#r1',
        kind: 'redemption',
        body: { coins: 30, orderId: 'o9' },
        answer: { redemptionId: 'r1', coins: 30, valueFen: 30, balance: { available: 70, pending: 5, debt: 0 } },
        takes: [{ lot: 258999661581847, availableOn: 20747, expiresOn: 21112, coins: 30, noticed: false }],
        reversed: false,
        entries: [
          { id: 'available:L2jt2svbz87', at, day: 20747, kind: 'available', coins: 100, lot: 258999661581847, ref: 'L2jt2svbz87' },
          { id: 'redeem:r1:L2jt2svbz87', at, day: 20790, kind: 'redeem', coins: -30, lot: 258999661581847, ref: 'r1' },
        ],
        at,
        place: { v: 4, after: HW },
      },
      counts: { [coinDayKey(20790)]: { redeemed: 30, dA: -30 }, [COIN_TOTALS_KEY]: { dA: -30 } },
    };
    const state = { ...newMember('m1', 20700), highWater: HW, tillOps: [pending] };
    const item = toMemberItem(state);
    expect(fromMemberItem(item).tillOps).toEqual([pending]);
    expect(encodeTillOps([pending], HW).length).toBeLessThan(JSON.stringify(pending).length / 2);
    // Packed with the other outboxes when that is smaller (packed-texts.ts); gone when none pending.
    expect(item.tp ?? item.oz).toBeDefined();
    const none = toMemberItem({ ...state, tillOps: undefined });
    expect([none.tp, none.oz]).toEqual([undefined, undefined]);
    // Carried by a consumer write that moved the high-water mark on, a reversal and an adjustment
    // with entries the derivations do not cover (debt, another time, another ref).
    const later = { shardId: 'shardId-000000000002', seq: '49660000000000000000000000000000000000000000000000099999' };
    const reversal: PendingOperation = {
      op: 'v#r1',
      record: {
        ...(pending.record as Extract<PendingOperation['record'], { kind: 'redemption' }>),
        reversed: true,
        entries: [
          ...pending.record.entries,
          {
            id: 'reverse:r1:L2jt2svbz87',
            at: '2026-12-03T01:00:00.000Z',
            day: 20791,
            kind: 'reverse',
            coins: 30,
            lot: 258999661581847,
            ref: 'r1',
          },
        ],
        reversedPlace: { v: 9, after: null },
      },
      counts: { [coinDayKey(20791)]: { reversed: 30, dA: 30 }, 'x#odd': { dA: 1 } },
    };
    const adjustment: PendingOperation = {
      op: 'a#a1',
      record: {
        memberId: 'm1',
        sk: 'c#a#a1',
        kind: 'adjustment',
        body: { coins: -50, reason: 'goodwill' },
        entries: [{ id: 'adjust:a1:debt', at, day: 20791, kind: 'adjust', coins: -20, lot: null, ref: 'a1' }],
        at,
      },
      counts: { [COIN_TOTALS_KEY]: { dD: 20 } },
    };
    const moved = { ...state, highWater: later, tillOps: [pending, reversal, adjustment] };
    expect(fromMemberItem(toMemberItem(moved)).tillOps).toEqual([pending, reversal, adjustment]);
  });
});
