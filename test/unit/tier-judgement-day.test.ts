// Upgrades and refund reverts are judged as of the later of the event's day and the latest day the
// member has seen (#19 item 3), with the numbers: a late-arriving earlier purchase upgrades,
// an early-dated refund does not revert a tier the later points still support.
import { describe, expect, it } from 'vitest';
import { dayNumber } from '../../shared/days/days';
import { qualifyingPoints } from '../../shared/points/tiers';
import { MemoryPipeline } from '../support/memory-pipeline';
import { purchaseLine, refundLine } from '../support/event-lines';

const purchase = (eventId: string, orderId: string, occurredAt: string, cents: number) =>
  purchaseLine(eventId, 'm1', orderId, occurredAt, cents);
const refund = (eventId: string, orderId: string, occurredAt: string, cents: number) =>
  refundLine(eventId, 'm1', orderId, occurredAt, cents);

async function run(lines: string[]) {
  const pipeline = new MemoryPipeline();
  for (const line of lines) await pipeline.deliver(pipeline.records([line]));
  const member = pipeline.member('m1')!;
  const tier = pipeline.program.tiers[member.tier.tier].id;
  const actions = [...pipeline.actions.byId.values()].filter((a) => a.type.startsWith('tier_')).map((a) => [a.type, a.day, a.details.to]);
  return { member, tier, actions };
}

describe('the day an upgrade or a refund revert is judged on', () => {
  it('upgrades on a 500-point purchase dated before a 600-point one that arrived first (1,100 points: silver)', async () => {
    const { member, tier, actions } = await run([
      purchase('p2', 'o2', '2026-11-10T10:00:00+08:00', 60_000),
      purchase('p1', 'o1', '2026-11-09T10:00:00+08:00', 50_000),
    ]);
    expect(qualifyingPoints(member.history, dayNumber('2026-11-10'))).toBe(1100);
    expect(tier).toBe('silver');
    // Judged on the latest day the member had seen, 11-10: that is the upgrade's day.
    expect(member.tier.tierSince).toBe(dayNumber('2026-11-10'));
    expect(actions).toEqual([['tier_upgraded', '2026-11-10', 'silver']]);
  });

  it('keeps gold when a 1-yuan refund is timestamped the evening before the purchase (9,999 points still qualify)', async () => {
    const { member, tier, actions } = await run([
      purchase('p1', 'o1', '2026-11-10T09:00:00+08:00', 1_000_000),
      refund('r1', 'o1', '2026-11-09T21:00:00+08:00', 100),
    ]);
    expect(member.lifetimePoints).toBe(9_999);
    expect(tier).toBe('gold');
    expect(actions).toEqual([['tier_upgraded', '2026-11-10', 'gold']]);
  });

  it('still reverts when the refund leaves the points below the tier as of that day', async () => {
    const { member, tier, actions } = await run([
      purchase('p1', 'o1', '2026-11-10T09:00:00+08:00', 1_000_000),
      refund('r1', 'o1', '2026-11-09T21:00:00+08:00', 600_000),
    ]);
    expect(member.lifetimePoints).toBe(4_000);
    expect(tier).toBe('silver');
    expect(actions).toEqual([
      ['tier_upgraded', '2026-11-10', 'gold'],
      ['tier_downgraded', '2026-11-10', 'silver'],
    ]);
  });
});
