// Coins at checkout in the simulator (simulator/checkout.ts): a deterministic mix of members who
// never redeem, redeem part of their balance (the same share each time) or all of it.
import { describe, expect, it } from 'vitest';
import { checkoutRedemptions, coinsToRedeem, simulate } from '../../simulator';

describe('checkout redemptions', () => {
  const events = [...simulate({ members: 400, days: 30, seed: 5, start: '2026-10-01', timezone: 'Asia/Shanghai' })];
  const till = checkoutRedemptions(events, 5);

  it('is deterministic for a seed and follows the purchases', () => {
    expect(checkoutRedemptions(events, 5)).toEqual(till);
    expect(checkoutRedemptions(events, 6)).not.toEqual(till);
    const orders = new Set(events.filter((e) => e.type === 'purchase').map((e) => `${e.memberId}|${(e as { orderId: string }).orderId}`));
    for (const r of till) expect(orders.has(`${r.memberId}|${r.orderId}`)).toBe(true);
  });

  it('some members redeem partly, some everything, some never', () => {
    const buyers = new Set(events.filter((e) => e.type === 'purchase').map((e) => e.memberId));
    const shares = new Map<string, Set<number>>();
    for (const r of till) shares.set(r.memberId, (shares.get(r.memberId) ?? new Set()).add(r.share));
    for (const s of shares.values()) expect(s.size).toBe(1);
    const perMember = [...shares.values()].map((s) => [...s][0]);
    const fully = perMember.filter((s) => s === 1).length;
    const partly = perMember.filter((s) => s >= 0.25 && s < 0.75).length;
    expect(fully + partly).toBe(perMember.length);
    expect(fully).toBeGreaterThan(0);
    expect(partly).toBeGreaterThan(fully);
    // Never: buyers without a single redemption (about 45%, plus some who skipped every time).
    expect(buyers.size - shares.size).toBeGreaterThan(buyers.size * 0.3);
  });

  it('redeems floor(available × share)', () => {
    expect(coinsToRedeem(99, 0.5)).toBe(49);
    expect(coinsToRedeem(120, 1)).toBe(120);
    expect(coinsToRedeem(1, 0.3)).toBe(0);
  });
});
