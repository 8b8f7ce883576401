// The tier reviews coming up (GET /metrics/tier-reviews, the demo's summary, the console's Tiers
// panel): the members whose review day falls in the next days, and how many would keep or lose
// their tier on the points they have today. The contract reviews a tier a year after it was
// earned (contract §3, tiers), so a young programme has no review behind it yet: this is what it can show
// instead, without changing when reviews happen. Nothing is written; the review job decides.
import { dayString } from '../days/days';
import type { MemberState } from '../member/state';
import type { Program } from '../programme/vocabulary';
import { projectedReviewPoints, tierThreshold } from '../points/tiers';

export interface ReviewOutlook {
  due: number;
  /** Would keep the tier: the points earned up to today that still count on the review day reach its threshold. */
  keep: number;
  /** Would move down unless they earn `pointsShort` more by the review day. */
  lose: number;
  pointsShort: number;
}

export interface UpcomingReviews extends ReviewOutlook {
  from: string;
  to: string;
  /** By the member's current tier (its id), tiers without a review left out. */
  byTier: Record<string, ReviewOutlook>;
  /** The earliest review days, at most 10: day, members due that day, of whom would lose. */
  nextDays: { day: string; due: number; lose: number }[];
}

const empty = (): ReviewOutlook => ({ due: 0, keep: 0, lose: 0, pointsShort: 0 });

/**
 * The reviews due in [today, today + days − 1] among `members` (any superset of them: members with
 * no review in the range, on the base tier, or merged into another member are left out). A review
 * day already passed (the job has not run yet today) counts as today.
 */
export function upcomingReviews(program: Program, members: Iterable<MemberState>, today: number, days: number): UpcomingReviews {
  const last = today + days - 1;
  const total = empty();
  const byTier: Record<string, ReviewOutlook> = {};
  const byDay = new Map<number, { due: number; lose: number }>();
  for (const m of members) {
    const { tier, tierReviewOn } = m.tier;
    if (tier === 0 || tierReviewOn === null || tierReviewOn > last || m.linkedTo) continue;
    const points = projectedReviewPoints(program, m.tier, m.history, today) ?? 0;
    const short = Math.max(0, tierThreshold(program, tier) - points);
    const name = program.tiers[tier].id;
    const day = Math.max(today, tierReviewOn);
    const d = byDay.get(day) ?? { due: 0, lose: 0 };
    byDay.set(day, d);
    for (const o of [total, (byTier[name] ??= empty())]) {
      o.due++;
      if (short > 0) {
        o.lose++;
        o.pointsShort += short;
      } else o.keep++;
    }
    d.due++;
    if (short > 0) d.lose++;
  }
  const nextDays = [...byDay]
    .sort(([a], [b]) => a - b)
    .slice(0, 10)
    .map(([day, d]) => ({ day: dayString(day), ...d }));
  return { from: dayString(today), to: dayString(last), ...total, byTier, nextDays };
}
