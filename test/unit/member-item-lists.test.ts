// The member item's compact lists and position (functions/adapters/member-item-lists.ts): each
// round-trips, items written in the older form read the same, and the forms are shorter.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromMemberItem, toMemberItem, type MemberItem } from '../../functions/adapters/member-item';
import {
  decodeHistory,
  decodePurchases,
  decodeSeq,
  decodeShard,
  encodeHistory,
  encodePurchases,
  encodeSeq,
  encodeShard,
} from '../../functions/adapters/member-item-lists';
import { newMember } from '../../shared/member/state';

const ascending = <T extends { day: number }>(entries: T[]) => {
  const seen = new Set<number>();
  return entries.filter((e) => !seen.has(e.day) && seen.add(e.day)).sort((a, b) => a.day - b.day);
};

describe('member item lists', () => {
  it('round-trips points history and purchase stats (ascending days)', () => {
    const day = fc.integer({ min: 0, max: 60_000 });
    fc.assert(
      fc.property(fc.array(fc.record({ day, points: fc.integer({ min: -1e9, max: 1e9 }) })), (raw) => {
        const history = ascending(raw);
        expect(decodeHistory(encodeHistory(history))).toEqual(history);
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ day, orders: fc.integer({ min: 1, max: 500 }), cents: fc.integer({ min: 0, max: 2 ** 53 - 1 }) })),
        (raw) => {
          const purchases = ascending(raw);
          expect(decodePurchases(encodePurchases(purchases))).toEqual(purchases);
        },
      ),
    );
  });

  it('reads lists written in the older form (whole days)', () => {
    expect(decodeHistory('20727:178,20729:0')).toEqual([
      { day: 20727, points: 178 },
      { day: 20729, points: 0 },
    ]);
    expect(decodePurchases('20727:1:17770,20729:2:0')).toEqual([
      { day: 20727, orders: 1, cents: 17770 },
      { day: 20729, orders: 2, cents: 0 },
    ]);
    expect(
      encodePurchases([
        { day: 20727, orders: 1, cents: 17770 },
        { day: 20729, orders: 2, cents: 0 },
      ]),
    ).toBe('~20727:17770,2:2:0');
  });

  it('round-trips any shard id and sequence number, Kinesis ones in fewer bytes', () => {
    fc.assert(
      fc.property(fc.string(), fc.stringMatching(/^\d{1,80}$/), fc.string(), (shard, digits, other) => {
        expect(decodeShard(encodeShard(shard))).toBe(shard);
        expect(decodeSeq(encodeSeq(digits))).toBe(digits);
        expect(decodeSeq(encodeSeq(other))).toBe(other);
      }),
    );
    const seq = '49590338271490256608559692538361571095921575989136588898';
    expect(encodeShard('shardId-000000000003')).toBe(3);
    expect((encodeSeq(seq) as Uint8Array).length).toBe(29);
    expect(decodeSeq(encodeSeq('007'))).toBe('007');
  });

  it('keeps a member item written in the older form readable (position and lists)', () => {
    const state = { ...newMember('m1', 20727), highWater: { shardId: 'shardId-000000000000', seq: '0042' } };
    const item = toMemberItem({ ...state, purchases: [{ day: 20727, orders: 1, cents: 5 }], history: [{ day: 20727, points: 5 }] });
    expect(item.hs).toBe(0);
    expect(fromMemberItem(item).highWater).toEqual(state.highWater);
    const older: MemberItem = { ...item, hs: 'shardId-000000000000', hq: '0042', ps: '20727:1:5', ph: '20727:5' };
    const read = fromMemberItem(older);
    expect(read.highWater).toEqual(state.highWater);
    expect(read.purchases).toEqual([{ day: 20727, orders: 1, cents: 5 }]);
    expect(read.history).toEqual([{ day: 20727, points: 5 }]);
  });
});
