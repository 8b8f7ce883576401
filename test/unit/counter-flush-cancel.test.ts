// Counts that cancel out in one batch (shared/batch/counter-flush.ts): one member's −1 and another's
// +1 on the same counter — a member re-keyed out of a retention cohort and another into it. The
// item is still written, so its mark passes both outboxes; left behind, a later batch took one of
// them up again without the other (found by test/unit/pipeline-giveups.property.test.ts:
// cohort 2026-10-05's onOrAfterDay 1 where the oracle had 2).
import { describe, expect, it } from 'vitest';
import { CounterFlush } from '../../shared/batch/counter-flush';
import { holds, memberTag } from '../../shared/batch/counter-marks';
import { MemoryMetrics } from '../support/memory-ports';

const SHARD = 'shardId-000000000000';
const seq = (n: number) => String(n).padStart(20, '0');

describe('a counter item whose counts cancel out in a batch', () => {
  it('is written all the same, its mark past every outbox the batch added', async () => {
    const metrics = new MemoryMetrics();
    const key = 'd#20761';
    const flush = new CounterFlush(await metrics.read([key], SHARD), { shardId: SHARD, last: seq(10), metrics, concurrency: 2 });
    expect(flush.add({ shardId: SHARD, seq: seq(5), counts: { [key]: { 'ra20731.0.30': -1 } } }, 'a')).toBe(true);
    expect(flush.add({ shardId: SHARD, seq: seq(6), counts: { [key]: { 'ra20731.0.30': 1 } } }, 'b')).toBe(true);
    expect(await flush.write()).toBe(1);
    const item = (await metrics.read([key], SHARD)).get(key);
    expect(item?.hw).toBe(seq(10));
    expect(item?.counters['ra20731.0.30'] ?? 0).toBe(0);
    // A later batch meeting either outbox again (a member rewritten after a give-up) holds it.
    expect(holds(item, memberTag('a'), seq(5))).toBe(true);
    expect(holds(item, memberTag('b'), seq(6))).toBe(true);
  });
});
