// A purchase of any past date (#19 item 12): it earns its points and its tier as of its day, and
// the next daily review catches up every review the member missed since, as the jobs at the time
// would have run them — a first purchase dated years ago never leaves a platinum member whose
// review day is long past reviewed once and kept a year at gold.
import { describe, expect, it } from 'vitest';
import { dayNumber, dayString } from '../../shared/days/days';
import { tierReviewCommand } from '../../shared/jobs/commands';
import { MemoryPipeline } from '../support/memory-pipeline';

const purchase = (orderId: string, day: string, yuan: number) =>
  JSON.stringify({
    eventId: `p-${orderId}`,
    type: 'purchase',
    memberId: 'm1',
    occurredAt: `${day}T10:00:00+08:00`,
    channel: 'store',
    orderId,
    lines: [{ sku: 's1', category: 'fresh_produce', amountCents: yuan * 100 }],
  });

async function reviewed(lines: string[], asOf: string) {
  const p = new MemoryPipeline(); // records arrive on 2027-06-01
  await p.deliver(p.records(lines));
  await p.deliver(p.records([p.command(tierReviewCommand('m1', dayNumber(asOf), p.now()))]));
  const member = p.member('m1')!;
  const history = (await p.ledger.tierHistory('m1')).map((c) => [dayString(c.day), p.program.tiers[c.to].id, c.reason]);
  return { tier: p.program.tiers[member.tier.tier].id, tierReviewOn: member.tier.tierReviewOn, history };
}

describe('purchases dated long before they arrive', () => {
  it('moves a years-old platinum down one review at a time, each on the day it was due', async () => {
    const { tier, tierReviewOn, history } = await reviewed([purchase('o1', '2023-03-01', 20_000)], '2027-06-01');
    expect(history.sort()).toEqual([
      ['2023-03-01', 'platinum', 'earn'],
      ['2024-02-29', 'gold', 'review'],
      ['2025-02-28', 'silver', 'review'],
      ['2026-02-28', 'member', 'review'],
    ]);
    expect(tier).toBe('member');
    expect(tierReviewOn).toBeNull();
  });

  it('keeps a tier the points supported at a missed review, and runs the last review as of the job day', async () => {
    const lines = [purchase('o1', '2025-01-10', 6_000), purchase('o2', '2025-12-20', 5_500)];
    const { tier, tierReviewOn, history } = await reviewed(lines, '2027-06-01');
    // Gold from 2025-01-10; kept on 2026-01-10 (5,500 points in its window); the review due
    // 2027-01-10 is less than a period late, so it runs as of the job day: no points, one down.
    expect(history.sort()).toEqual([
      ['2025-01-10', 'gold', 'earn'],
      ['2027-06-01', 'silver', 'review'],
    ]);
    expect(tier).toBe('silver');
    expect(dayString(tierReviewOn!)).toBe('2028-05-31');
  });

  it('reviews a member whose review day passed days ago once, as of the job day (as before)', async () => {
    const { history, tierReviewOn } = await reviewed([purchase('o1', '2026-05-20', 6_000)], '2027-06-01');
    expect(history.sort()).toEqual([
      ['2026-05-20', 'gold', 'earn'],
      ['2027-06-01', 'silver', 'review'],
    ]);
    expect(dayString(tierReviewOn!)).toBe('2028-05-31');
  });
});
