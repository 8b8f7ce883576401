// A batch's job hints of one day are one item (metrics-keys.ts dayHintsKey): the purchasers and
// the members whose last active day became the day, where there were two items. Last-active
// lists stored before in their own `la#<day>` items are still read.
import { describe, expect, it } from 'vitest';
import { processBatch } from '../../shared/batch/process-batch';
import { dayNumber } from '../../shared/days/days';
import { dayHintsKey, lastActiveHintKey, purchaseHintKey } from '../../shared/keys/metrics-keys';
import { openLine, orderLines } from '../support/event-lines';
import { MemoryPipeline } from '../support/memory-pipeline';

const DAY = '2027-01-05';
const orders = orderLines();
const open = (id: string) => openLine(`o-${id}`, id, DAY);
const purchase = (id: string) => orders.purchase(id, `order-${id}`, DAY, [['s1', 'shoes', 12_000]]);

describe('job hints', () => {
  it('are one item per batch and day, holding the purchasers and the newly last-active members', async () => {
    const p = new MemoryPipeline(undefined, () => Date.parse('2027-03-01T00:00:00Z'));
    const result = await processBatch(p.records([open('m1'), purchase('m1'), open('m2'), purchase('m3')]), p.ports());
    expect(result.failedSeqs).toEqual([]);
    const day = dayNumber(DAY);
    expect([...p.hints.items.keys()]).toEqual([dayHintsKey(day)]);
    const items = [...p.hints.items.get(dayHintsKey(day))!.values()];
    expect(items).toHaveLength(1);
    expect({ ids: [...items[0].ids].sort(), la: [...(items[0].la ?? [])].sort() }).toEqual({ ids: ['m1', 'm3'], la: ['m1', 'm2', 'm3'] });
    expect(p.hints.ids(purchaseHintKey(day)).sort()).toEqual(['m1', 'm3']);
    expect(p.hints.ids(lastActiveHintKey(day)).sort()).toEqual(['m1', 'm2', 'm3']);
  });

  it('read last-active lists stored before in their own items as well', async () => {
    const p = new MemoryPipeline(undefined, () => Date.parse('2027-03-01T00:00:00Z'));
    const day = dayNumber(DAY);
    p.hints.items.set(lastActiveHintKey(day), new Map([['shardId-000000000000#1#old', { ids: ['m9'] }]]));
    await processBatch(p.records([open('m1')]), p.ports());
    expect(p.hints.ids(lastActiveHintKey(day)).sort()).toEqual(['m1', 'm9']);
    expect(p.hints.ids(purchaseHintKey(day))).toEqual([]);
  });
});
