// The orders outbox's ledger reads (shared/member/orders-outbox.ts): before a batch is reduced, the
// stored outboxes of all its members are checked in one call (the adapter: one BatchGetItem per
// 100 orders, not one per member, which was most of an import's requests); after a member write
// its new orders are put without a read (they were on neither the ledger nor the outbox).
import { describe, expect, it } from 'vitest';
import type { MemberOrders, OrderRecord } from '../../shared/member/ledger';
import { MemoryPipeline } from '../support/memory-pipeline';
import { MemoryLedger } from '../support/memory-ports';
import { purchaseLine as purchase } from '../support/event-lines';

class CountingLedger extends MemoryLedger {
  storeCalls: number[] = [];
  newOrders = 0;
  override async storeOrders(outboxes: readonly MemberOrders[]) {
    this.storeCalls.push(outboxes.length);
    return super.storeOrders(outboxes);
  }
  override async storeNewOrders(memberId: string, orders: readonly OrderRecord[]) {
    this.newOrders += orders.length;
    return super.storeNewOrders(memberId, orders);
  }
}

describe('the orders outbox on the ledger', () => {
  it('checks the stored outboxes of a batch in one call, and puts a write’s new orders without a read', async () => {
    const pipeline = new MemoryPipeline();
    const ledger = new CountingLedger();
    const ids = Array.from({ length: 30 }, (_, i) => `m${i}`);
    const first = ids.map((id, i) => purchase(`p1-${i}`, id, `o1-${i}`, '2026-11-01', 60_000));
    const second = ids.map((id, i) => purchase(`p2-${i}`, id, `o2-${i}`, '2026-11-02', 60_000));
    await pipeline.deliver(pipeline.records(first), 100, { ledger });
    // First batch: no member had an outbox yet; its 30 new orders stored straight after the writes.
    expect(ledger.storeCalls).toEqual([]);
    expect(ledger.newOrders).toBe(30);
    await pipeline.deliver(pipeline.records(second), 100, { ledger });
    // Second batch: the 30 stored outboxes checked together, once.
    expect(ledger.storeCalls).toEqual([30]);
    expect(ledger.newOrders).toBe(60);
    expect(ledger.orders.size).toBe(60);
    expect(pipeline.member('m0')!.lifetimePoints).toBe(1200);
  });
});
