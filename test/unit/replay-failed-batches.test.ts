// Replaying records from the failed-batches bucket (README runbook): the replayed record has a new
// stream position, and must finish what the first attempt started — a ledger claim made while the
// member was never written — exactly once, however much the member changed in between (#19 item 2).
import { describe, expect, it } from 'vitest';
import { processBatch, type MemberPort } from '../../shared/batch/process-batch';
import type { MemberState } from '../../shared/member/state';
import { MemoryPipeline } from '../support/memory-pipeline';
import { MemoryLedger } from '../support/memory-ports';
import type { MemberOrders, OrderRecord } from '../../shared/member/ledger';
import { openLine as open, purchaseLine as purchase, refundLine } from '../support/event-lines';

/** Refund ids apart from the eventIds. */
const refund = (eventId: string, memberId: string, orderId: string, day: string, cents: number) =>
  refundLine(eventId, memberId, orderId, day, cents, { refundId: `${eventId}-id` });

/** Member writes of `memberId` fail (a member item that cannot be written until someone fixes it). */
function failingFor(pipeline: MemoryPipeline, memberId: string): MemberPort {
  return {
    getMany: (ids) => pipeline.members.getMany(ids),
    put: async (state: MemberState, applied) => (state.memberId === memberId ? false : pipeline.members.put(state, applied)),
  };
}

/**
 * A batch whose member write of `memberId` keeps failing until Lambda gives up (the records go to
 * the failed-batches bucket and the shard moves on): every retry from the failed record fails the same way.
 */
async function giveUp(pipeline: MemoryPipeline, lines: string[], memberId: string) {
  const records = pipeline.records(lines);
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = await processBatch(records, pipeline.ports({ members: failingFor(pipeline, memberId) }));
    expect(result.failedSeqs.length).toBe(1);
  }
  return lines;
}

const figures = (pipeline: MemoryPipeline, day: string) => {
  const [row] = pipeline.daily(day, day);
  return { orders: row.orders, revenueCents: row.revenueCents, payingMembers: row.payingMembers };
};

describe('replaying records from the failed-batches bucket', () => {
  it('applies a purchase whose first attempt never wrote the member, once', async () => {
    const pipeline = new MemoryPipeline();
    await pipeline.deliver(pipeline.records([open('e1', 'm1', '2026-11-01'), open('e2', 'm2', '2026-11-01')]));
    // The member write fails on every retry: the order rides on that write, so no attempt stored it.
    const failed = await giveUp(pipeline, [purchase('p1', 'm1', 'o1', '2026-11-02', 60_000), open('e3', 'm2', '2026-11-02')], 'm1');
    expect(pipeline.ledger.orders.has('m1|o1')).toBe(false);
    expect(pipeline.member('m1')!.lifetimePoints).toBe(0);
    // The shard moves on: later records write the member past the claim's stream position.
    await pipeline.deliver(pipeline.records([open('e4', 'm1', '2026-11-03')]));
    expect(pipeline.member('m1')!.lifetimePoints).toBe(0);

    // The runbook: replay the bucket's records (new positions), then once more by mistake.
    await pipeline.deliver(pipeline.records(failed));
    await pipeline.deliver(pipeline.records(failed));
    const member = pipeline.member('m1')!;
    expect(member.lifetimePoints).toBe(600);
    expect(member.history).toEqual([{ day: member.history[0].day, points: 600 }]);
    expect(member.purchases.map((p) => [p.orders, p.cents])).toEqual([[1, 60_000]]);
    expect(pipeline.ledger.orders.get('m1|o1')?.claim.applied).toBe(true);
    // The given-up attempt took its counters back out when the member write failed: the day counts
    // the purchase once (test/unit/counters-written-members.test.ts checks every figure).
    expect(figures(pipeline, '2026-11-02')).toEqual({ orders: 1, revenueCents: 60_000, payingMembers: 1 });
    // m2's record was applied by the first attempt: its replay is a duplicate.
    expect(pipeline.member('m2')!.activity.activeDays).toBe(2);
  });

  it('applies a refund of a stored order whose attempts never wrote the member on its replay, once', async () => {
    const pipeline = new MemoryPipeline();
    await pipeline.deliver(pipeline.records([purchase('p1', 'm1', 'o1', '2026-11-01', 60_000)]));
    expect(pipeline.member('m1')!.lifetimePoints).toBe(600);
    const failed = await giveUp(pipeline, [refund('r1', 'm1', 'o1', '2026-11-02', 20_000)], 'm1');
    // The refund rides on the member write (orders-outbox.ts): attempts that never wrote it stored nothing.
    expect(pipeline.ledger.orders.get('m1|o1')?.refunds['r1-id']).toBeUndefined();
    await pipeline.deliver(pipeline.records([open('e2', 'm1', '2026-11-03')]));
    expect(pipeline.member('m1')!.lifetimePoints).toBe(600);

    await pipeline.deliver(pipeline.records(failed));
    await pipeline.deliver(pipeline.records(failed));
    expect(pipeline.member('m1')!.lifetimePoints).toBe(400);
    expect(pipeline.ledger.orders.get('m1|o1')).toMatchObject({
      revokedPoints: 200,
      refunds: { 'r1-id': { revokedPoints: 200, applied: true, afterOrder: true } },
    });
  });

  it('does not apply a replayed purchase twice when the first attempt did write the member, even 64 events later', async () => {
    const pipeline = new MemoryPipeline();
    // m1 is written by the first attempt; m2's write fails, so the batch still ends in the bucket.
    const failed = await giveUp(pipeline, [purchase('p1', 'm1', 'o1', '2026-11-01', 60_000), open('e1', 'm2', '2026-11-01')], 'm2');
    expect(pipeline.member('m1')!.lifetimePoints).toBe(600);
    // 70 later events push p1 out of the member's ring of recent eventIds.
    await pipeline.deliver(pipeline.records(Array.from({ length: 70 }, (_, i) => open(`x${i}`, 'm1', '2026-11-02'))));
    await pipeline.deliver(pipeline.records(failed));
    expect(pipeline.member('m1')!.lifetimePoints).toBe(600);
    expect(figures(pipeline, '2026-11-01')).toEqual({ orders: 1, revenueCents: 60_000, payingMembers: 1 });
    // m2's record was never applied: the replay applies it.
    expect(pipeline.member('m2')!.activity.activeDays).toBe(1);
  });

  it('keeps a refund of an order whose purchase was never applied out of the member (quarantined as unknown)', async () => {
    const pipeline = new MemoryPipeline();
    await pipeline.deliver(pipeline.records([open('e1', 'm1', '2026-11-01')]));
    const failed = await giveUp(pipeline, [purchase('p1', 'm1', 'o1', '2026-11-02', 60_000)], 'm1');
    await pipeline.deliver(pipeline.records([refund('r1', 'm1', 'o1', '2026-11-03', 20_000)]));
    expect(pipeline.member('m1')!.lifetimePoints).toBe(0);
    expect([...pipeline.quarantine.items.values()].map((q) => q.reason)).toEqual(['unknown_order']);
    await pipeline.deliver(pipeline.records(failed));
    expect(pipeline.member('m1')!.lifetimePoints).toBe(600);
  });
});

/** A ledger whose order puts fail until `up` is set (a crash between the member write and its orders). */
class FlakyOrders extends MemoryLedger {
  up = false;
  override async storeOrders(outboxes: readonly MemberOrders[]) {
    if (!this.up) throw new Error('injected: the order puts never happened');
    return super.storeOrders(outboxes);
  }
  override async storeNewOrders(memberId: string, orders: readonly OrderRecord[]) {
    if (!this.up) throw new Error('injected: the order puts never happened');
    return super.storeNewOrders(memberId, orders);
  }
}

describe('the orders outbox (shared/member/orders-outbox.ts)', () => {
  it('stores the orders of a write whose order puts failed from its outbox, before the member is reduced again', async () => {
    const pipeline = new MemoryPipeline();
    const flaky = new FlakyOrders();
    const result = await processBatch(
      pipeline.records([purchase('p1', 'm1', 'o1', '2026-11-01', 60_000)]),
      pipeline.ports({ ledger: flaky }),
    );
    // The member write committed; the order only rides on it, and the batch reports the failure.
    expect(result.failedSeqs.length).toBe(1);
    expect(pipeline.member('m1')!.lifetimePoints).toBe(600);
    expect(pipeline.member('m1')!.ordersOut?.map((o) => o.orderId)).toEqual(['o1']);
    expect(flaky.orders.size).toBe(0);
    flaky.up = true;
    // The redelivery (covered by the high-water mark), a repeat of the order under another eventId,
    // and a refund of it: each finds the order the outbox stored first.
    const again = pipeline.records([
      purchase('p1', 'm1', 'o1', '2026-11-01', 60_000),
      purchase('p2', 'm1', 'o1', '2026-11-02', 60_000),
      refund('r1', 'm1', 'o1', '2026-11-03', 20_000),
    ]);
    expect((await processBatch(again, pipeline.ports({ ledger: flaky }))).failedSeqs).toEqual([]);
    const member = pipeline.member('m1')!;
    expect(member.lifetimePoints).toBe(400);
    expect(member.purchases.map((p) => [p.orders, p.cents])).toEqual([[1, 60_000]]);
    expect(flaky.orders.get('m1|o1')).toMatchObject({ revokedPoints: 200, claim: { eventId: 'p1', applied: true } });
    expect(figures(pipeline, '2026-11-02')).toEqual({ orders: 0, revenueCents: 0, payingMembers: 0 });
    expect([...pipeline.quarantine.items.values()]).toEqual([]);
  });

  it("records a refund in its purchase's batch on the outbox order, once, and a later repeat of it changes nothing", async () => {
    const pipeline = new MemoryPipeline();
    await pipeline.deliver(
      pipeline.records([
        purchase('p1', 'm1', 'o1', '2026-11-01', 60_000),
        refund('r1', 'm1', 'o1', '2026-11-01', 20_000),
        // the same refund again under another eventId: the refundId makes it a repeat
        refundLine('r2', 'm1', 'o1', '2026-11-01', 20_000, { refundId: 'r1-id' }),
        purchase('p2', 'm1', 'o1', '2026-11-01', 60_000),
      ]),
    );
    expect(pipeline.member('m1')!.lifetimePoints).toBe(400);
    const order = pipeline.ledger.orders.get('m1|o1')!;
    expect(order).toMatchObject({ revokedPoints: 200, claim: { eventId: 'p1', applied: true } });
    expect(Object.keys(order.refunds)).toEqual(['r1-id']);
    expect(order.refunds['r1-id']).toMatchObject({ eventId: 'r1', revokedPoints: 200, applied: true });
    // Replayed at new positions: every record a repeat.
    await pipeline.deliver(
      pipeline.records([purchase('p1', 'm1', 'o1', '2026-11-01', 60_000), refund('r1', 'm1', 'o1', '2026-11-01', 20_000)]),
    );
    expect(pipeline.member('m1')!.lifetimePoints).toBe(400);
    expect(figures(pipeline, '2026-11-01')).toEqual({ orders: 1, revenueCents: 60_000, payingMembers: 1 });
  });

  it('applies an order claimed by the older protocol and never applied, once (items stored before the outbox)', async () => {
    const pipeline = new MemoryPipeline();
    await pipeline.deliver(pipeline.records([open('e1', 'm1', '2026-11-01')]));
    const [record] = pipeline.records([purchase('p1', 'm1', 'o1', '2026-11-02', 60_000)]);
    // What the older protocol left: the claim put, the member transaction never committed.
    await pipeline.ledger.claimPurchase('m1', {
      orderId: 'o1',
      day: 0,
      points: 600,
      eligibleCents: 60_000,
      eligibleSkus: [],
      revokedPoints: 0,
      coins: 0,
      revokedCoins: 0,
      claim: { eventId: 'p1', shardId: record.shardId, seq: record.seq, applied: false },
      refunds: {},
    });
    await pipeline.deliver(pipeline.records([purchase('p1', 'm1', 'o1', '2026-11-02', 60_000)]));
    await pipeline.deliver(pipeline.records([purchase('p1', 'm1', 'o1', '2026-11-02', 60_000)]));
    expect(pipeline.member('m1')!.lifetimePoints).toBe(600);
    expect(pipeline.ledger.orders.get('m1|o1')!.claim.applied).toBe(true);
    expect(pipeline.member('m1')!.ordersOut ?? []).toEqual([]);
  });
});

describe('replaying events the first attempt did apply, after the member moved on', () => {
  it('counts a replayed app_open once when more than 64 newer events of its member came in between', async () => {
    const pipeline = new MemoryPipeline();
    // m1's app_open is applied by the first attempt; m2's write fails, so the batch still ends in the bucket.
    const failed = await giveUp(pipeline, [open('a1', 'm1', '2026-11-01'), open('e1', 'm2', '2026-11-01')], 'm2');
    expect(pipeline.daily('2026-11-01', '2026-11-01')[0].launches).toBe(1);
    // 70 later events of m1 (more than the 64 latest eventIds) before the operator replays.
    await pipeline.deliver(pipeline.records(Array.from({ length: 70 }, (_, i) => open(`x${i}`, 'm1', '2026-11-02'))));
    await pipeline.deliver(pipeline.records(failed));
    const [first, second] = pipeline.daily('2026-11-01', '2026-11-02');
    // a1 once, e1 once (m2's record was never applied before the replay).
    expect(first.launches).toBe(2);
    expect(second.launches).toBe(70);
    expect(pipeline.member('m2')!.activity.activeDays).toBe(1);
  });

  it('keeps eventIds by arrival day: those of the last 3 days before the latest arrival, at least the latest 64', async () => {
    let now = Date.parse('2026-11-01T04:00:00Z');
    const pipeline = new MemoryPipeline(undefined, () => now);
    await pipeline.deliver(pipeline.records([open('a1', 'm1', '2026-11-01')]));
    for (let d = 2; d <= 6; d++) {
      now += 86_400_000;
      await pipeline.deliver(pipeline.records(Array.from({ length: 70 }, (_, i) => open(`x${d}-${i}`, 'm1', `2026-11-0${d}`))));
    }
    // Arrived 11-03 … 11-06: 4 days of 70.
    expect(pipeline.member('m1')!.recentEventIds.length).toBe(280);
    expect(pipeline.member('m1')!.recentEventDays).toHaveLength(280);
    // A day later, one more: 11-04 … 11-07 (3 × 70 + 1).
    now += 86_400_000;
    await pipeline.deliver(pipeline.records([open('b1', 'm1', '2026-11-07')]));
    expect(pipeline.member('m1')!.recentEventIds.length).toBe(211);
    // Many days later the latest 64 stay.
    now += 30 * 86_400_000;
    await pipeline.deliver(pipeline.records([open('c1', 'm1', '2026-12-07')]));
    expect(pipeline.member('m1')!.recentEventIds.length).toBe(64);
  });
});

describe('the member item keeps the ring with its arrival days', () => {
  it('round-trips ids and days (run-length) and reads an item without days as long ago', async () => {
    const { fromMemberItem, toMemberItem } = await import('../../functions/adapters/member-item');
    const { newMember } = await import('../../shared/member/state');
    const state = {
      ...newMember('m1', 20_000),
      version: 1,
      recentEventIds: [11, 22, 33, 44],
      recentEventDays: [20_400, 20_400, 20_401, 20_405],
    };
    const item = toMemberItem(state);
    expect(item.evd).toBe('20400:2,20401:1,20405:1');
    const back = fromMemberItem(item);
    expect(back.recentEventIds).toEqual([11, 22, 33, 44]);
    expect(back.recentEventDays).toEqual([20_400, 20_400, 20_401, 20_405]);
    expect(fromMemberItem({ ...item, evd: undefined }).recentEventDays).toBeUndefined();
  });
});

describe('a replayed purchase earns coins by the tier it is applied at', () => {
  it('uses the tier when the replay applies it, not the tier of the attempt that never wrote the member', async () => {
    const pipeline = new MemoryPipeline();
    await pipeline.deliver(pipeline.records([open('e1', 'm1', '2026-11-01')]));
    // o2 (¥100) is applied while m1 is a `member` (1 coin per yuan), but the member write fails until Lambda gives up.
    const failed = await giveUp(pipeline, [purchase('p2', 'm1', 'o2', '2026-11-02', 10_000)], 'm1');
    expect(pipeline.ledger.orders.get('m1|o2')).toBeUndefined();
    // o1 (¥1,500) arrives next: 1,500 coins at the member rate, and m1 is silver (2 per yuan) after it.
    await pipeline.deliver(pipeline.records([purchase('p1', 'm1', 'o1', '2026-11-03', 150_000)]));
    expect(pipeline.member('m1')!.tier.tier).toBe(1);
    // The replay applies o2 after o1, as it arrives: at silver, like any purchase arriving then.
    await pipeline.deliver(pipeline.records(failed));
    const coins = pipeline.member('m1')!.coins.lots.reduce((sum, lot) => sum + lot.left, 0);
    expect(coins).toBe(1_500 + 200);
    expect(pipeline.ledger.orders.get('m1|o2')).toMatchObject({ coins: 200, claim: { applied: true } });
    // A refund of half of o2 revokes half of what o2 earned.
    await pipeline.deliver(pipeline.records([refund('r1', 'm1', 'o2', '2026-11-04', 5_000)]));
    expect(pipeline.member('m1')!.coins.lots.reduce((sum, lot) => sum + lot.left, 0)).toBe(1_500 + 100);
  });
});
