// Points (shared/points/points.ts and the points side of tiers.ts): earning, refund revocation and
// the points history. Tiers are in tiers.test.ts.
import { describe, expect, it } from 'vitest';
import { D, earn, GOLD, line, MEMBER, P, PLATINUM, SILVER } from '../support/points-fixtures';
import { divRoundHalfUp, type OrderEarnRecord, purchasePoints, refundRevocation } from '../../shared/points/points';
import { addPoints, type PointsEntry, pruneHistory, qualifyingPoints, tierIndexFor, totalPoints } from '../../shared/points/tiers';
import { parseProgram } from '../../shared/programme/schema';

describe('purchasePoints', () => {
  it('rounds half up and gives nothing under 1 yuan', () => {
    expect(earn(0)).toBe(0);
    expect(earn(50)).toBe(0);
    expect(earn(99)).toBe(0);
    expect(earn(100)).toBe(1);
    expect(earn(149)).toBe(1);
    expect(earn(150)).toBe(2);
    expect(earn(249)).toBe(2);
    expect(earn(250)).toBe(3);
    expect(earn(123_456_789)).toBe(1_234_568);
  });

  it('sums the eligible lines before rounding', () => {
    const r = purchasePoints(P, { channel: 'app', lines: [line(60, 'fresh', 'a'), line(60, 'dairy', 'b')] });
    expect(r).toEqual({ points: 1, eligibleCents: 120, eligibleSkus: ['a', 'b'] });
    expect(purchasePoints(P, { channel: 'mini_program', lines: [line(75, 'a', 'a'), line(75, 'b', 'b')] }).points).toBe(2);
  });

  it('ignores shipping', () => {
    expect(purchasePoints(P, { channel: 'store', lines: [line(99)], shippingCents: 1000 }).points).toBe(0);
    expect(purchasePoints(P, { channel: 'store', lines: [line(1000)], shippingCents: 1000 })).toMatchObject({
      points: 10,
      eligibleCents: 1000,
    });
  });

  it('third_party (and any non-earning channel) earns nothing', () => {
    expect(purchasePoints(P, { channel: 'third_party', lines: [line(100_000)] })).toEqual({
      points: 0,
      eligibleCents: 0,
      eligibleSkus: [],
    });
    expect(purchasePoints(P, { channel: 'web', lines: [line(100_000)] }).points).toBe(0);
  });

  it('excludes gift cards', () => {
    const r = purchasePoints(P, {
      channel: 'store',
      lines: [line(50_000, 'gift_card', 'gc'), line(149, 'fresh', 'apple'), line(1, 'fresh', 'apple')],
    });
    expect(r).toEqual({ points: 2, eligibleCents: 150, eligibleSkus: ['apple'] });
    expect(purchasePoints(P, { channel: 'store', lines: [line(50_000, 'gift_card')] }).points).toBe(0);
  });

  it('generalises pointsPerYuan and the minimum', () => {
    const p2 = parseProgram({ earning: { pointsPerYuan: 3, minimumEligibleCents: 0 } });
    expect(purchasePoints(p2, { channel: 'store', lines: [line(17)] }).points).toBe(1); // 0.51 → 1
    expect(purchasePoints(p2, { channel: 'store', lines: [line(16)] }).points).toBe(0); // 0.48 → 0
    expect(purchasePoints(p2, { channel: 'store', lines: [line(150)] }).points).toBe(5); // 4.5 → 5
    const onlyStore = parseProgram({ earning: { earningChannels: ['store'], excludedCategories: [] } });
    expect(purchasePoints(onlyStore, { channel: 'app', lines: [line(1000)] }).points).toBe(0);
    expect(purchasePoints(onlyStore, { channel: 'store', lines: [line(1000, 'gift_card')] }).points).toBe(10);
  });

  it('rejects non-integer money', () => {
    expect(() => purchasePoints(P, { channel: 'store', lines: [line(1.5)] })).toThrow(RangeError);
    expect(() => purchasePoints(P, { channel: 'store', lines: [line(-1)] })).toThrow(RangeError);
  });
});

describe('refundRevocation', () => {
  const order = (points: number, eligibleCents: number, eligibleSkus: string[], revokedPoints = 0): OrderEarnRecord => ({
    points,
    eligibleCents,
    eligibleSkus,
    revokedPoints,
  });

  it('divRoundHalfUp is exact', () => {
    expect(divRoundHalfUp(3, 2)).toBe(2);
    expect(divRoundHalfUp(5, 4)).toBe(1);
    expect(divRoundHalfUp(0, 7)).toBe(0);
    expect(divRoundHalfUp(2 ** 60, 3)).toBe(Number((2n ** 61n + 3n) / 6n));
  });

  it('revokes proportionally, half up', () => {
    const o = order(100, 10_000, ['a', 'b']);
    expect(refundRevocation(o, [{ sku: 'a', amountCents: 2_500 }])).toEqual({ revokedPoints: 25, refundedEligibleCents: 2_500 });
    expect(refundRevocation(o, [{ sku: 'a', amountCents: 2_549 }]).revokedPoints).toBe(25);
    expect(refundRevocation(o, [{ sku: 'a', amountCents: 2_550 }]).revokedPoints).toBe(26); // 25.5 → 26
    expect(refundRevocation(o, [{ sku: 'a', amountCents: 49 }]).revokedPoints).toBe(0);
    expect(refundRevocation(o, [{ sku: 'a', amountCents: 50 }]).revokedPoints).toBe(1);
  });

  it('counts only lines whose sku was eligible on the order', () => {
    const o = order(10, 1_000, ['apple']);
    expect(
      refundRevocation(o, [
        { sku: 'gift', amountCents: 50_000 },
        { sku: 'apple', amountCents: 500 },
      ]),
    ).toEqual({
      revokedPoints: 5,
      refundedEligibleCents: 500,
    });
    expect(refundRevocation(o, [{ sku: 'unknown', amountCents: 1_000 }])).toEqual({ revokedPoints: 0, refundedEligibleCents: 0 });
  });

  it('caps the total at the order points', () => {
    const o = order(10, 1_000, ['a']);
    expect(refundRevocation(o, [{ sku: 'a', amountCents: 5_000 }]).revokedPoints).toBe(10); // refund larger than the order
    expect(refundRevocation({ ...o, revokedPoints: 8 }, [{ sku: 'a', amountCents: 500 }]).revokedPoints).toBe(2);
    expect(refundRevocation({ ...o, revokedPoints: 10 }, [{ sku: 'a', amountCents: 500 }]).revokedPoints).toBe(0);
  });

  it('two partial refunds whose rounding would exceed the order', () => {
    // 250 cents → 3 points; each half refund is 1.5 → 2; the second is capped at 1.
    const o = order(3, 250, ['a', 'b']);
    const first = refundRevocation(o, [{ sku: 'a', amountCents: 125 }]);
    expect(first.revokedPoints).toBe(2);
    const second = refundRevocation({ ...o, revokedPoints: first.revokedPoints }, [{ sku: 'b', amountCents: 125 }]);
    expect(second.revokedPoints).toBe(1);
    expect(first.revokedPoints + second.revokedPoints).toBe(3);
  });

  it('revokes nothing from an order without eligible cents', () => {
    expect(refundRevocation(order(0, 0, []), [{ sku: 'a', amountCents: 100 }]).revokedPoints).toBe(0);
    expect(refundRevocation(order(0, 80, ['a']), [{ sku: 'a', amountCents: 80 }])).toEqual({
      revokedPoints: 0,
      refundedEligibleCents: 80,
    });
  });

  it('stays exact for huge amounts', () => {
    const o = order(90_000_000_000, 9_000_000_000_000, ['a']);
    expect(refundRevocation(o, [{ sku: 'a', amountCents: 4_500_000_000_050 }]).revokedPoints).toBe(45_000_000_001); // 45e9 + 0.5 → up
  });

  it('uses a set for many eligible skus', () => {
    const skus = Array.from({ length: 50 }, (_, i) => `s${i}`);
    const o = order(500, 50_000, skus);
    expect(
      refundRevocation(o, [
        { sku: 's49', amountCents: 1_000 },
        { sku: 'zz', amountCents: 1_000 },
      ]).revokedPoints,
    ).toBe(10);
  });
});

describe('points history', () => {
  it('qualifying window: D−364 inclusive, D−365 excluded', () => {
    const h: PointsEntry[] = [
      { day: D - 365, points: 1 },
      { day: D - 364, points: 10 },
      { day: D, points: 100 },
      { day: D + 1, points: 1000 },
    ];
    expect(qualifyingPoints(h, D)).toBe(110);
    expect(qualifyingPoints(h, D - 1)).toBe(11);
    expect(qualifyingPoints(h, D + 1)).toBe(1100);
    expect(qualifyingPoints(h, D, 1)).toBe(100);
    expect(qualifyingPoints([], D)).toBe(0);
  });

  it('addPoints merges, sorts and drops zero entries; pruneHistory', () => {
    let h: PointsEntry[] = [];
    h = addPoints(h, 10, 5);
    h = addPoints(h, 5, 3);
    h = addPoints(h, 20, 1);
    h = addPoints(h, 10, 2);
    expect(h).toEqual([
      { day: 5, points: 3 },
      { day: 10, points: 7 },
      { day: 20, points: 1 },
    ]);
    const before = h;
    h = addPoints(h, 10, -7);
    expect(h).toEqual([
      { day: 5, points: 3 },
      { day: 20, points: 1 },
    ]);
    expect(before).toHaveLength(3); // not mutated
    expect(addPoints(h, 1, -2)).toEqual([
      { day: 1, points: -2 },
      { day: 5, points: 3 },
      { day: 20, points: 1 },
    ]);
    expect(totalPoints(h)).toBe(4);
    expect(pruneHistory(h, 6)).toEqual([{ day: 20, points: 1 }]);
  });

  it('tierIndexFor', () => {
    expect(tierIndexFor(P, 0)).toBe(MEMBER);
    expect(tierIndexFor(P, 999)).toBe(MEMBER);
    expect(tierIndexFor(P, 1000)).toBe(SILVER);
    expect(tierIndexFor(P, 4999)).toBe(SILVER);
    expect(tierIndexFor(P, 5000)).toBe(GOLD);
    expect(tierIndexFor(P, 15000)).toBe(PLATINUM);
    expect(tierIndexFor(P, 1e9)).toBe(PLATINUM);
    expect(tierIndexFor(P, -5)).toBe(MEMBER);
  });
});
