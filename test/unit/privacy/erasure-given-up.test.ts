// An erasure whose batch is given up to the failed-batches bucket and replayed at new positions
// (README runbook; #19): the member is booked out of the totals once, whatever attempt died where
// — its counts follow its last member write as every member's do (shared/batch/counter-flush.ts),
// and that write marks the erasure booked, so a replay of the command books nothing again — and
// no store keeps its id, the batch progress records (`bp`) included.
import { describe, expect, it } from 'vitest';
import { dayNumber, dayString } from '../../../shared/days/days';
import { processBatch, type MemberPort } from '../../../shared/batch/process-batch';
import type { ErasurePort } from '../../../shared/privacy/erasure';
import { MemoryPipeline } from '../../support/memory-pipeline';
import { everything, memoryErasure } from '../../support/memory-erasure';

const A = dayNumber('2026-09-01');
const at = (day: number, hh = '09') => `${dayString(day)}T${hh}:00:00+08:00`;
const open = (m: string, day: number, n: string) =>
  JSON.stringify({ eventId: `${m}-o${n}`, type: 'app_open', memberId: m, occurredAt: at(day) });
const buy = (m: string, day: number, orderId: string, amountCents: number) =>
  JSON.stringify({
    eventId: `${orderId}-e`,
    type: 'purchase',
    memberId: m,
    occurredAt: at(day, '10'),
    channel: 'store',
    orderId,
    lines: [{ sku: 's', category: 'meat', amountCents }],
  });
const erase = (m: string, day: number, erasureId: string) =>
  JSON.stringify({ eventId: `erase_member:${erasureId}`, type: 'erase_member', memberId: m, erasureId, occurredAt: at(day, '12') });

const TODAY = A + 10;
const history = [
  open('alice', A, '1'),
  buy('alice', A, 'o-1', 150_000),
  open('alice', A + 2, '2'),
  open('bob', A, '1'),
  buy('bob', A + 1, 'o-2', 2_000),
];
/** The batch with the command: a record of alice before it, and one of bob. */
const erasing = [open('alice', TODAY, '3'), erase('alice', TODAY, 'er-1'), open('bob', TODAY, '2')];

/** Every counter item's counters summed over its shards, by key. */
const counters = (p: MemoryPipeline) =>
  Object.fromEntries(
    [...p.metrics.items.keys()]
      .filter((key) => key !== 'bp')
      .sort()
      .map((key) => [key, Object.fromEntries([...p.metrics.sum(key)].sort())]),
  );

async function setUp() {
  const p = new MemoryPipeline(undefined, () => Date.parse(at(TODAY, '12')));
  const erasure = memoryErasure(p);
  await p.deliver(p.records(history), 100, { erasure: erasure.port });
  erasure.tombstone('alice');
  return { p, ...erasure };
}

/** The same history and erasure with no fault: what the figures must be. */
async function reference() {
  const { p, port } = await setUp();
  await p.deliver(p.records(erasing), 100, { erasure: port });
  expect(p.member('alice')).toBeUndefined();
  return counters(p);
}

describe('an erasure given up to the failed-batches bucket, then replayed from it', () => {
  it('books the member out once when its delete failed on every attempt', async () => {
    const expected = await reference();
    const { p, port } = await setUp();
    const batch = p.records(erasing);
    // Both attempts (MaximumRetryAttempts 1) die at the member's delete: the batch goes to the bucket.
    const failing: ErasurePort = {
      ...port,
      deleteMember: async () => {
        throw new Error('injected: delete throttled');
      },
    };
    for (let attempt = 0; attempt < 2; attempt++)
      await expect(processBatch(batch, p.ports({ erasure: failing }))).rejects.toThrow('injected');
    expect(p.member('alice')).toBeDefined();
    // The runbook replays the bucket's records at new positions; the delete works now.
    await p.deliver(p.records(erasing), 100, { erasure: port });
    expect(p.member('alice')).toBeUndefined();
    expect(counters(p)).toEqual(expected);
    expect(everything(p)).not.toContain('alice');
  });

  it('books the member out once when the attempts died between its last write and the counters', async () => {
    const expected = await reference();
    const { p, port } = await setUp();
    const batch = p.records(erasing);
    // Every counter write fails: the member writes commit, nothing is counted, nothing deleted.
    for (let attempt = 0; attempt < 2; attempt++)
      await expect(
        processBatch(
          batch,
          p.ports({
            erasure: port,
            metrics: {
              read: (keys, shard) => p.metrics.read(keys, shard),
              write: async () => {
                throw new Error('injected: counters throttled');
              },
            },
          }),
        ),
      ).rejects.toThrow('injected');
    await p.deliver(p.records(erasing), 100, { erasure: port });
    expect(p.member('alice')).toBeUndefined();
    expect(counters(p)).toEqual(expected);
    expect(everything(p)).not.toContain('alice');
  });

  it('books the member out once when its last write failed on every attempt', async () => {
    const expected = await reference();
    const { p, port } = await setUp();
    const batch = p.records(erasing);
    const refuse: MemberPort = {
      getMany: (ids) => p.members.getMany(ids),
      put: async (state, applied) => (state.memberId === 'alice' ? false : p.members.put(state, applied)),
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      const result = await processBatch(batch, p.ports({ erasure: port, members: refuse }));
      expect(result.failedSeqs).toHaveLength(1);
    }
    expect(p.member('alice')).toBeDefined();
    await p.deliver(p.records(erasing), 100, { erasure: port });
    expect(p.member('alice')).toBeUndefined();
    expect(counters(p)).toEqual(expected);
    expect(everything(p)).not.toContain('alice');
  });

  it('a batch progress record stops listing a member erased since (its next attempt drops it)', async () => {
    const { p, port } = await setUp();
    const S0 = 'shardId-000000000000';
    const S1 = 'shardId-000000000001';
    /** Counter writes fail (the batch progress record's pass): the attempt dies between its member writes and its counters. */
    const counterless = {
      erasure: port,
      metrics: {
        read: (keys: readonly string[], shard: string) => p.metrics.read(keys, shard),
        write: async (key: string, shard: string, item: Parameters<typeof p.metrics.write>[2], previous: string | null) => {
          if (key !== 'bp') throw new Error('injected: counters throttled');
          await p.metrics.write(key, shard, item, previous);
        },
      },
    };
    const listed = (shard: string) => p.metrics.items.get('bp')?.get(shard)?.hx ?? [];
    await expect(processBatch(p.records([open('alice', TODAY, '3'), open('bob', TODAY, '2')], S0), p.ports(counterless))).rejects.toThrow(
      'injected',
    );
    expect(listed(S0)).toEqual(['alice', 'bob']);
    // Erased through another shard (after a reshard), while shard 0's record still lists her.
    await p.deliver(p.records([erase('alice', TODAY, 'er-1')], S1), 100, { erasure: port });
    expect(p.member('alice')).toBeUndefined();
    // Shard 0's next attempt dies the same way: it keeps bob listed, not alice.
    await expect(processBatch(p.records([open('bob', TODAY, '4')], S0), p.ports(counterless))).rejects.toThrow('injected');
    expect(listed(S0)).toEqual(['bob']);
  });
});
