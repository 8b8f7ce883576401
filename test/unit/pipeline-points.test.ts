// Points, refunds, tiers and the review command through the batch path (in-memory ports).
import { describe, expect, it } from 'vitest';
import { dayNumber } from '../../shared/days/days';
import { tierReviewCommand } from '../../shared/jobs/commands';
import { memberView } from '../../shared/member/view';
import { orderLines } from '../support/event-lines';
import { MemoryPipeline } from '../support/memory-pipeline';

const orders = orderLines();
/** A store purchase with 8 yuan shipping (which earns nothing). */
const purchase = (memberId: string, orderId: string, day: string, lines: [string, string, number][], extra: object = {}) =>
  orders.purchase(memberId, orderId, day, lines, { shippingCents: 800, ...extra });
const refund = orders.refund;

async function run(lines: string[], pipeline = new MemoryPipeline()) {
  await pipeline.deliver(pipeline.records(lines), 50);
  return pipeline;
}

describe('points and tiers through the events consumer', () => {
  it('earns half-up points on eligible lines only, once per order however it is repeated', async () => {
    const p1 = purchase('m1', 'o1', '2026-11-01', [
      ['a', 'fresh_produce', 12_345],
      ['g', 'gift_card', 50_000],
    ]);
    const again = purchase('m1', 'o1', '2026-11-01', [['a', 'fresh_produce', 12_345]]); // new eventId, same order
    const pipeline = await run([
      p1,
      p1,
      again,
      purchase('m1', 'o2', '2026-11-02', [['b', 'meat', 99]]),
      purchase('m1', 'o3', '2026-11-02', [['c', 'meat', 150]], { channel: 'third_party' }),
    ]);
    await pipeline.deliver(pipeline.records([p1, again]), 10); // replayed much later
    const member = pipeline.member('m1')!;
    expect(member.lifetimePoints).toBe(123);
    expect(pipeline.daily('2026-11-01', '2026-11-02').map((d) => [d.orders, d.revenueCents, d.payingMembers])).toEqual([
      [1, 62_345, 1],
      [2, 249, 1],
    ]);
  });

  it('revokes proportionally over two partial refunds, capped at what the order earned, and quarantines unknown orders', async () => {
    const pipeline = await run([
      purchase('m2', 'o1', '2026-11-01', [
        ['a', 'meat', 30_000],
        ['b', 'dairy', 10_000],
        ['g', 'gift_card', 5_000],
      ]),
      refund(
        'm2',
        'o1',
        '2026-11-03',
        [
          ['a', 15_000],
          ['g', 5_000],
        ],
        'rf1',
      ),
      refund(
        'm2',
        'o1',
        '2026-11-03',
        [
          ['a', 15_000],
          ['b', 10_000],
        ],
        'rf2',
      ),
      refund(
        'm2',
        'o1',
        '2026-11-03',
        [
          ['a', 15_000],
          ['b', 10_000],
        ],
        'rf2',
      ), // same refundId again
      refund('m2', 'nope', '2026-11-03', [['a', 1]]),
    ]);
    const member = pipeline.member('m2')!;
    expect(member.lifetimePoints).toBe(0); // 400 earned; 150 then 250 revoked
    const reasons = [...pipeline.quarantine.items.values()].map((q) => q.reason);
    expect(reasons).toEqual(['unknown_order']);
  });

  it('upgrades at once (skipping tiers), emits one deterministic action, and reverts when the upgrading order is refunded', async () => {
    const pipeline = await run([
      purchase('m3', 'o1', '2026-11-01', [['a', 'meat', 90_000]]),
      purchase('m3', 'o2', '2026-11-05', [['a', 'meat', 500_000]]),
    ]);
    let member = pipeline.member('m3')!;
    expect(member.tier.tier).toBe(2); // 900 → 5900: member → gold, silver skipped
    expect(member.tier.tierSince).toBe(dayNumber('2026-11-05'));
    expect(member.tier.tierReviewOn).toBe(dayNumber('2026-11-05') + 365);
    const upgrades = [...pipeline.actions.byId.values()].filter((a) => a.type === 'tier_upgraded');
    expect(upgrades).toHaveLength(1);
    expect(upgrades[0]).toMatchObject({ memberId: 'm3', day: '2026-11-05', details: { from: 'member', to: 'gold' } });

    await pipeline.deliver(pipeline.records([refund('m3', 'o2', '2026-11-06', [['a', 500_000]])]));
    member = pipeline.member('m3')!;
    expect(member.tier.tier).toBe(0);
    expect([...pipeline.actions.byId.values()].filter((a) => a.type === 'tier_downgraded')).toHaveLength(1);
  });

  it('reviews through a job command: one_down after the review day, idempotent for the day', async () => {
    const pipeline = await run([
      purchase('m4', 'o1', '2025-11-01', [['a', 'meat', 600_000]]),
      purchase('m4', 'o2', '2026-06-01', [['a', 'meat', 150_000]]),
    ]);
    expect(pipeline.member('m4')!.tier.tier).toBe(2);
    const review = pipeline.command(tierReviewCommand('m4', dayNumber('2026-11-02'), pipeline.now()));
    await pipeline.deliver(pipeline.records([review, review]));
    await pipeline.deliver(pipeline.records([review]));
    const member = pipeline.member('m4')!;
    // On 2026-11-02 only the 1,500 points of June are in the window: gold → silver (one down).
    expect(member.tier.tier).toBe(1);
    expect(member.tier.tierSince).toBe(dayNumber('2026-11-02'));
    const view = memberView(pipeline.program, member, dayNumber('2026-11-02'));
    expect(view).toMatchObject({
      tier: 'silver',
      qualifyingPoints: 1500,
      lifetimePoints: 7500,
      pointsToNextTier: 3500,
      tierReviewOn: '2027-11-02',
    });
    const downgrades = [...pipeline.actions.byId.values()].filter((a) => a.type === 'tier_downgraded');
    expect(downgrades).toHaveLength(1);
    expect(downgrades[0].details).toMatchObject({ from: 'gold', to: 'silver', reason: 'review' });
    // Review commands are not activity.
    expect(member.activity.activeDays).toBe(2);
  });

  it('sends one tier_at_risk notice per review when the points would not keep the tier', async () => {
    const pipeline = await run([purchase('m5', 'o1', '2025-11-20', [['a', 'meat', 120_000]])]);
    const day = dayNumber('2025-11-20') + 365 - 20;
    for (const d of [day, day + 1])
      await pipeline.deliver(pipeline.records([pipeline.command(tierReviewCommand('m5', d, pipeline.now()))]));
    const notices = [...pipeline.actions.byId.values()].filter((a) => a.type === 'tier_at_risk');
    expect(notices).toHaveLength(1);
    expect(notices[0].details).toMatchObject({ tier: 'silver', pointsRequiredToRemain: 1000 });
  });

  it('quarantines every kind of bad record with a specific reason and changes nothing', async () => {
    const { readFileSync } = await import('node:fs');
    const bad = readFileSync(new URL('../../events/bad-records.jsonl', import.meta.url), 'utf8')
      .split('\n')
      .filter(Boolean);
    const pipeline = await run(bad);
    const reasons = new Set([...pipeline.quarantine.items.values()].map((q) => q.reason));
    expect(pipeline.quarantine.items.size).toBe(bad.length);
    expect([...reasons].sort()).toEqual(['future_occurred_at', 'invalid_event', 'not_json', 'too_large', 'unknown_order'].sort());
    expect(pipeline.members.items.size).toBe(0);
    for (const q of pipeline.quarantine.items.values()) expect(q.detail.length).toBeGreaterThan(5);
  });
});
