// The reducer copies a member's points history and purchase stats shallowly (their entries are
// replaced when they change, never changed in place: #16's handler CPU). These tests fail if an
// entry of the caller's state is changed.
import { describe, expect, it } from 'vitest';
import { decodeBatch } from '../../shared/batch/decode';
import { dayNumber } from '../../shared/days/days';
import { purchaseHintKey } from '../../shared/keys/metrics-keys';
import { applyRecords } from '../../shared/member/reducer';
import { orderLines } from '../support/event-lines';
import { MemoryPipeline } from '../support/memory-pipeline';

const orders = orderLines();

describe('the reducer leaves the state it was given as it was', () => {
  it('a second purchase of the day and a refund change neither the stored history nor the purchase stats', async () => {
    const pipeline = new MemoryPipeline();
    await pipeline.deliver(pipeline.records([orders.purchase('m1', 'o1', '2026-11-01', [['a', 'meat', 30_000]])]));
    const stored = pipeline.member('m1')!;
    const before = structuredClone(stored);
    const { byMember } = await decodeBatch(
      pipeline.records([
        orders.purchase('m1', 'o2', '2026-11-01', [['b', 'meat', 20_000]]),
        orders.refund('m1', 'o1', '2026-11-01', [['a', 10_000]], 'rf1'),
      ]),
      { canForward: false },
    );
    const outcome = await applyRecords('m1', stored, byMember.get('m1')!, { program: pipeline.program, ledger: pipeline.ledger });
    expect(outcome.rejections).toEqual([]);
    expect(outcome.state.purchases).not.toEqual(before.purchases);
    expect(outcome.state.history).not.toEqual(before.history);
    expect(stored).toEqual(before);
  });

  it('notes the purchase hint of a day whose order count a later batch raises', async () => {
    const pipeline = new MemoryPipeline();
    await pipeline.deliver(pipeline.records([orders.purchase('m2', 'o1', '2026-11-01', [['a', 'meat', 30_000]])]));
    await pipeline.deliver(pipeline.records([orders.purchase('m2', 'o2', '2026-11-01', [['b', 'meat', 20_000]])]));
    // One hint list per batch that changed the day's purchases (writeHints compares stored and final).
    expect(pipeline.hints.items.get(purchaseHintKey(dayNumber('2026-11-01')))?.size).toBe(2);
  });
});
