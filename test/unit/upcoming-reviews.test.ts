// The tier reviews coming up (GET /metrics/tier-reviews): due in the window, keep or lose on the
// points earned so far that still count on the review day.
import { describe, expect, it } from 'vitest';
import { upcomingReviews } from '../../shared/jobs/upcoming-reviews';
import { newMember, type MemberState } from '../../shared/member/state';
import { defaultProgram } from '../../shared/programme/load';

const program = defaultProgram();
const TODAY = 20_000;

function member(
  id: string,
  tier: number,
  reviewOn: number | null,
  purchases: [number, number][],
  linkedTo: string | null = null,
): MemberState {
  const m = newMember(id, TODAY - 400);
  return {
    ...m,
    linkedTo,
    tier: { ...m.tier, tier, tierSince: reviewOn === null ? null : reviewOn - 365, tierReviewOn: reviewOn },
    history: purchases.map(([day, points]) => ({ day, points })),
  };
}

describe('upcomingReviews', () => {
  it('counts the reviews due in the window, and who would keep or lose the tier on the points that still count then', () => {
    const members = [
      // silver (1000) due in 10 days with 1,200 points from 100 days ago: kept
      member('a', 1, TODAY + 10, [[TODAY - 100, 1200]]),
      // silver due in 20 days; 1,500 points from 360 days ago drop out of the window by then: lost, 1,000 short
      member('b', 1, TODAY + 20, [[TODAY - 360, 1500]]),
      // gold (5000) due today with 3,000 points: lost, 2,000 short
      member('c', 2, TODAY, [[TODAY - 10, 3000]]),
      // review day passed, job not run yet: counted as today
      member('d', 2, TODAY - 1, [[TODAY - 10, 6000]]),
      // outside the window, base tier, merged away: left out
      member('e', 1, TODAY + 30, [[TODAY - 10, 100]]),
      member('f', 0, null, []),
      member('g', 1, TODAY + 5, [], 'a'),
    ];
    const out = upcomingReviews(program, members, TODAY, 30);
    expect(out).toMatchObject({ due: 4, keep: 2, lose: 2, pointsShort: 3000 });
    expect(out.byTier).toEqual({
      silver: { due: 2, keep: 1, lose: 1, pointsShort: 1000 },
      gold: { due: 2, keep: 1, lose: 1, pointsShort: 2000 },
    });
    expect(out.nextDays.map((d) => [d.due, d.lose])).toEqual([
      [2, 1],
      [1, 0],
      [1, 1],
    ]);
    expect([out.from, out.to]).toEqual(['2024-10-04', '2024-11-02']);
  });
});
