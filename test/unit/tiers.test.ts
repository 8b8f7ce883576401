// Tiers (shared/points/tiers.ts): upgrades, refund reverts, the review, at-risk and progress.
// Earning and refunds of points are in points.test.ts.
import { describe, expect, it } from 'vitest';
import { balance, D, GOLD, MEMBER, P, PLATINUM, SILVER } from '../support/points-fixtures';
import {
  applyEarn,
  applyRefundRevert,
  initialTierState,
  isAtRisk,
  isReviewDue,
  pointsRequiredToRemain,
  pointsToNextTier,
  projectedReviewPoints,
  reviewTier,
  type TierState,
} from '../../shared/points/tiers';
import { parseProgram } from '../../shared/programme/schema';
import type { Program } from '../../shared/programme/vocabulary';

const state = (tier: number, tierSince: number | null, tierReviewOn: number | null, extra: Partial<TierState> = {}): TierState => ({
  tier,
  tierSince,
  tierReviewOn,
  tierBeforeUpgrade: null,
  upgradeOrder: null,
  ...extra,
});

describe('upgrade', () => {
  it('upgrades at once when the threshold is reached, and restarts the clock', () => {
    const s0 = initialTierState(D - 100);
    expect(applyEarn(P, s0, [{ day: D, points: 999 }], D, 'o1')).toEqual({ state: s0, change: null });
    const r = applyEarn(
      P,
      s0,
      [
        { day: D - 10, points: 400 },
        { day: D, points: 600 },
      ],
      D,
      'o2',
    );
    expect(r.change).toEqual({ kind: 'upgrade', reason: 'earn', from: MEMBER, to: SILVER, day: D });
    expect(r.state).toMatchObject({ tier: SILVER, tierSince: D, tierReviewOn: D + 365, tierBeforeUpgrade: MEMBER, upgradeOrder: 'o2' });
  });

  it('skips tiers', () => {
    const r = applyEarn(P, initialTierState(), [{ day: D, points: 15_000 }], D, 'big');
    expect(r.change).toMatchObject({ from: MEMBER, to: PLATINUM });
    expect(r.state.tier).toBe(PLATINUM);
  });

  it('counts only the window of the purchase day', () => {
    const h = [
      { day: D - 365, points: 900 },
      { day: D, points: 200 },
    ];
    expect(applyEarn(P, initialTierState(), h, D, 'o').change).toBeNull();
    expect(
      applyEarn(
        P,
        initialTierState(),
        [
          { day: D - 364, points: 900 },
          { day: D, points: 200 },
        ],
        D,
        'o',
      ).change,
    ).not.toBeNull();
  });

  it('never lowers a tier and does not renew the clock without an upgrade', () => {
    const s = state(GOLD, D - 10, D + 355);
    expect(applyEarn(P, s, [{ day: D, points: 2000 }], D, 'o').state).toBe(s);
    expect(applyEarn(P, s, [{ day: D, points: 6000 }], D, 'o').state).toBe(s);
  });

  it('an upgrade over an upgrade remembers the tier just before it', () => {
    const s1 = applyEarn(P, initialTierState(), [{ day: D, points: 1000 }], D, 'a').state;
    const s2 = applyEarn(
      P,
      s1,
      [
        { day: D, points: 1000 },
        { day: D + 5, points: 4000 },
      ],
      D + 5,
      'b',
    ).state;
    expect(s2).toMatchObject({ tier: GOLD, tierSince: D + 5, tierReviewOn: D + 370, tierBeforeUpgrade: SILVER, upgradeOrder: 'b' });
    expect(s2.sinceBeforeUpgrade).toBe(D);
    expect(s2.reviewBeforeUpgrade).toBe(D + 365);
  });
});

describe('refund revert', () => {
  // Member at silver since D−100 (review D+265) upgrades to gold with order "big" on D.
  const silver = state(SILVER, D - 100, D + 265);
  const hist = [
    { day: D - 100, points: 1500 },
    { day: D, points: 4000 },
  ];
  const gold = applyEarn(P, silver, hist, D, 'big').state;

  it('falls back when the upgrading order is refunded below the threshold, restoring the old dates', () => {
    expect(gold.tier).toBe(GOLD);
    const after = [
      { day: D - 100, points: 1500 },
      { day: D, points: 3000 },
    ]; // 1000 revoked
    const r = applyRefundRevert(P, gold, after, D + 3, 'big');
    expect(r.change).toEqual({ kind: 'downgrade', reason: 'refund_revert', from: GOLD, to: SILVER, day: D + 3 });
    expect(r.state).toMatchObject({ tier: SILVER, tierSince: D - 100, tierReviewOn: D + 265, tierBeforeUpgrade: null, upgradeOrder: null });
  });

  it('only for the order that caused the latest upgrade', () => {
    const after = [
      { day: D - 100, points: 500 },
      { day: D, points: 4000 },
    ];
    expect(applyRefundRevert(P, gold, after, D + 3, 'older-order')).toEqual({ state: gold, change: null });
  });

  it('not while the points still reach the threshold', () => {
    const after = [
      { day: D - 100, points: 1500 },
      { day: D, points: 3500 },
    ];
    expect(applyRefundRevert(P, gold, after, D + 3, 'big').change).toBeNull();
  });

  it('to the tier the points support when it is higher than the tier before', () => {
    const fromMember = applyEarn(P, initialTierState(), [{ day: D, points: 15_000 }], D, 'huge').state;
    const r = applyRefundRevert(P, fromMember, [{ day: D, points: 6_000 }], D + 1, 'huge');
    expect(r.change).toMatchObject({ from: PLATINUM, to: GOLD });
    expect(r.state).toMatchObject({ tier: GOLD, tierSince: D, tierReviewOn: D + 365 }); // the upgrade's dates
  });

  it('back to the base tier: no review day', () => {
    const up = applyEarn(P, initialTierState(D - 50), [{ day: D, points: 1000 }], D, 'o');
    const r = applyRefundRevert(P, up.state, [{ day: D, points: 400 }], D + 2, 'o');
    expect(r.state).toMatchObject({ tier: MEMBER, tierSince: D - 50, tierReviewOn: null, upgradeOrder: null });
    // A state persisted without the pre-upgrade dates: tierSince = the refund day.
    const bare: TierState = { tier: SILVER, tierSince: D, tierReviewOn: D + 365, tierBeforeUpgrade: MEMBER, upgradeOrder: 'o' };
    expect(applyRefundRevert(P, bare, [{ day: D, points: 400 }], D + 2, 'o').state).toMatchObject({
      tier: MEMBER,
      tierSince: D + 2,
      tierReviewOn: null,
    });
  });

  it('without the pre-upgrade dates, a revert to the old tier keeps the upgrade dates', () => {
    const bare: TierState = { tier: GOLD, tierSince: D, tierReviewOn: D + 365, tierBeforeUpgrade: SILVER, upgradeOrder: 'o' };
    expect(applyRefundRevert(P, bare, [{ day: D, points: 1200 }], D + 2, 'o').state).toMatchObject({
      tier: SILVER,
      tierSince: D,
      tierReviewOn: D + 365,
    });
  });

  it('reverts at most once', () => {
    const r = applyRefundRevert(
      P,
      gold,
      [
        { day: D - 100, points: 1500 },
        { day: D, points: 3000 },
      ],
      D + 3,
      'big',
    );
    expect(applyRefundRevert(P, r.state, [{ day: D - 100, points: 1500 }], D + 4, 'big').change).toBeNull();
  });

  it('not after a review confirmed the tier', () => {
    const reviewed = reviewTier(P, gold, hist, D + 365).state;
    expect(reviewed.upgradeOrder).toBeNull();
    expect(applyRefundRevert(P, reviewed, [{ day: D - 100, points: 1500 }], D + 366, 'big').change).toBeNull();
  });
});

describe('review', () => {
  const R = D + 365;

  it('keeps the tier when the points reach its threshold', () => {
    const s = state(GOLD, D, R, { tierBeforeUpgrade: SILVER, upgradeOrder: 'x' });
    const r = reviewTier(P, s, [{ day: R - 364, points: 5000 }], R);
    expect(r.change).toBeNull();
    expect(r.state).toMatchObject({ tier: GOLD, tierSince: D, tierReviewOn: R + 365, tierBeforeUpgrade: null, upgradeOrder: null });
  });

  it('does nothing before tierReviewOn, and runs late when overdue', () => {
    const s = state(GOLD, D, R);
    expect(isReviewDue(s, R - 1)).toBe(false);
    expect(reviewTier(P, s, [], R - 1)).toEqual({ state: s, change: null });
    const late = reviewTier(P, s, [], R + 10);
    expect(late.state).toMatchObject({ tier: SILVER, tierSince: R + 10, tierReviewOn: R + 375 });
  });

  it('one_down: one tier per review', () => {
    const s = state(PLATINUM, D, R);
    const r1 = reviewTier(
      P,
      s,
      [
        { day: R - 365, points: 20_000 },
        { day: R, points: 10 },
      ],
      R,
    );
    expect(r1.change).toEqual({ kind: 'downgrade', reason: 'review', from: PLATINUM, to: GOLD, day: R });
    expect(r1.state).toMatchObject({ tier: GOLD, tierSince: R, tierReviewOn: R + 365 });
    const r2 = reviewTier(P, r1.state, [], R + 365);
    expect(r2.state).toMatchObject({ tier: SILVER, tierSince: R + 365, tierReviewOn: R + 730 });
    const r3 = reviewTier(P, r2.state, [], R + 730);
    expect(r3.state).toEqual({
      tier: MEMBER,
      tierSince: R + 730,
      tierReviewOn: null,
      tierBeforeUpgrade: null,
      upgradeOrder: null,
      sinceBeforeUpgrade: null,
      reviewBeforeUpgrade: null,
    });
  });

  it('one_down keeps what the points support', () => {
    const r = reviewTier(P, state(PLATINUM, D, R), [{ day: R, points: 14_999 }], R);
    expect(r.state.tier).toBe(GOLD);
  });

  it('balance_based: straight to the tier the points support', () => {
    expect(reviewTier(balance, state(PLATINUM, D, R), [{ day: R, points: 10 }], R).state).toMatchObject({
      tier: MEMBER,
      tierReviewOn: null,
    });
    expect(reviewTier(balance, state(PLATINUM, D, R), [{ day: R, points: 1200 }], R).state).toMatchObject({
      tier: SILVER,
      tierSince: R,
      tierReviewOn: R + 365,
    });
    expect(reviewTier(balance, state(PLATINUM, D, R), [{ day: R, points: 14_000 }], R).change).toMatchObject({ to: GOLD });
  });

  it('never reviews the base tier', () => {
    const base = state(MEMBER, D, null);
    expect(reviewTier(P, base, [], R + 1000)).toEqual({ state: base, change: null });
    const odd = state(MEMBER, D, D); // even with a stray review day
    expect(reviewTier(P, odd, [], R)).toEqual({ state: odd, change: null });
  });

  it('honours the programme window and period', () => {
    const p: Program = parseProgram({ qualificationWindowDays: 30, reviewPeriodDays: 90 });
    const up = applyEarn(p, initialTierState(), [{ day: D, points: 1000 }], D, 'o');
    expect(up.state.tierReviewOn).toBe(D + 90);
    expect(
      reviewTier(
        p,
        up.state,
        [
          { day: D, points: 1000 },
          { day: D + 61, points: 1000 },
        ],
        D + 90,
      ).state,
    ).toMatchObject({
      tier: SILVER,
      tierReviewOn: D + 180,
    });
    expect(
      reviewTier(
        p,
        up.state,
        [
          { day: D, points: 1000 },
          { day: D + 60, points: 1000 },
        ],
        D + 90,
      ).state.tier,
    ).toBe(MEMBER);
  });
});

describe('at risk and progress', () => {
  const R = D + 365;
  const gold = state(GOLD, D, R);

  it('at risk from tierReviewOn − 30 when the projected points would not keep the tier', () => {
    const h = [
      { day: D, points: 5000 },
      { day: R - 100, points: 3000 },
    ];
    expect(isAtRisk(P, gold, h, R - 31)).toBe(false); // too early
    expect(isAtRisk(P, gold, h, R - 30)).toBe(true); // only 3000 still in the window on R
    expect(isAtRisk(P, gold, h, R - 1)).toBe(true);
    expect(isAtRisk(P, gold, h, R)).toBe(false); // the review's business now
    expect(projectedReviewPoints(P, gold, h, R - 30)).toBe(3000);
  });

  it('not at risk when the purchases already made keep the tier', () => {
    const h = [{ day: R - 364, points: 5000 }];
    expect(isAtRisk(P, gold, h, R - 30)).toBe(false);
  });

  it('projects only purchases made up to the day', () => {
    const h = [
      { day: R - 200, points: 3000 },
      { day: R - 10, points: 3000 },
    ];
    expect(isAtRisk(P, gold, h, R - 30)).toBe(true);
    expect(isAtRisk(P, gold, h, R - 10)).toBe(false);
    expect(pointsRequiredToRemain(P, gold, h, R - 30)).toBe(2000);
    expect(pointsRequiredToRemain(P, gold, h)).toBe(0);
  });

  it('never for the base tier; respects atRiskNoticeDays', () => {
    expect(isAtRisk(P, state(MEMBER, D, null), [], D)).toBe(false);
    const p7 = parseProgram({ atRiskNoticeDays: 7 });
    expect(isAtRisk(p7, gold, [], R - 8)).toBe(false);
    expect(isAtRisk(p7, gold, [], R - 7)).toBe(true);
  });

  it('pointsToNextTier', () => {
    expect(pointsToNextTier(P, state(MEMBER, null, null), 0)).toBe(1000);
    expect(pointsToNextTier(P, state(SILVER, D, R), 1200)).toBe(3800);
    expect(pointsToNextTier(P, state(GOLD, D, R), 800)).toBe(10_000 + 4200);
    expect(pointsToNextTier(P, state(SILVER, D, R), 6000)).toBe(0);
    expect(pointsToNextTier(P, state(PLATINUM, D, R), 20_000)).toBeNull();
  });

  it('pointsRequiredToRemain', () => {
    const h = [
      { day: D, points: 5000 },
      { day: R - 100, points: 1200 },
    ];
    expect(pointsRequiredToRemain(P, gold, h)).toBe(3800);
    expect(pointsRequiredToRemain(P, state(SILVER, D, R), h)).toBe(0);
    expect(pointsRequiredToRemain(P, state(MEMBER, null, null), [])).toBe(0);
  });
});
