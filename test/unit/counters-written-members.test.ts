// Counters take a member's records only once its write is done (docs/architecture.md#exactly-once):
// a member write that fails on every attempt leaves nothing in the day counters, so the replay from
// the failed-batches bucket books it once (#19 item 2); and the coin counters stay exact when a
// batch that crashed after some member writes is retried in bisected halves (#12).
import { describe, expect, it } from 'vitest';
import { processBatch, type BatchPorts, type MemberPort, type StreamRecord } from '../../shared/batch/process-batch';
import { BATCH_PROGRESS_KEY } from '../../shared/batch/batch-progress';
import type { MemberState } from '../../shared/member/state';
import { openLine, orderLines } from '../support/event-lines';
import { memoryCoinFigures, memoryCoinTotals } from '../support/coin-figures';
import { MemoryPipeline } from '../support/memory-pipeline';
import { dayFigures, oracleFigures, pipelineAfter } from '../support/pipeline-after';

const coinFiguresOf = memoryCoinFigures;

const snapshot = (p: MemoryPipeline) =>
  [...p.members.items.values()]
    .map((m) => ({ ...m, version: 0, highWater: null, coinOut: null, actionsOut: undefined, ordersOut: undefined }))
    .sort((a, b) => a.memberId.localeCompare(b.memberId));

describe('counters of members whose write failed', () => {
  it('books a member whose write failed on every attempt once, when its records are replayed from the failed-batches bucket', async () => {
    const { events, lines, p, records, size, start } = await pipelineAfter(11);

    // In the next batch, the member of its first purchase cannot be written: every attempt fails
    // (retried from the member's first record, as Lambda does), then the batch goes to the bucket.
    const batch = records.slice(start, start + size);
    const inBatch = events.slice(start, start + size);
    const failing = inBatch.find((e) => e.type === 'purchase' && e.memberId)!.memberId!;
    const refuse: MemberPort = {
      getMany: (ids) => p.members.getMany(ids),
      put: async (state: MemberState, applied) => (state.memberId === failing ? false : p.members.put(state, applied)),
    };
    let attempt = batch;
    for (let i = 0; i < 4; i++) {
      const result = await processBatch(attempt, p.ports({ members: refuse }));
      expect(result.failedSeqs).toHaveLength(1);
      attempt = batch.slice(batch.findIndex((r) => r.seq === result.failedSeqs[0]));
    }
    const bucket = lines.slice(start + (size - attempt.length), start + size);
    expect(bucket.length).toBeGreaterThan(0);
    // The shard moves on; then the runbook replays the bucket's records at new positions.
    await p.deliver(records.slice(start + size), size);
    await p.deliver(p.records(bucket), size);

    // The oracle sees what was applied, in the order it was: the failing member's records of the
    // batch arrive with the replay (the other members' records there are repeats).
    const failedIds = new Set(inBatch.filter((e) => e.memberId === failing).map((e) => e.eventId));
    const applied = [
      ...events.filter((e) => !(e.memberId === failing && failedIds.has(e.eventId))),
      ...events.slice(start + (size - attempt.length), start + size),
    ];
    expect(p.member(failing)!.activity.activeDays).toBeGreaterThan(0);
    expect(dayFigures(p)).toEqual(oracleFigures(applied));
  });

  it('keeps the counts of a member write that committed but answered as failed (the SDK retried it and its version condition failed)', async () => {
    // Found by the chaos run: taking the counts of such a write back lost them, as its records are
    // never reduced again (the member's high-water mark covers them).
    const orders = orderLines();
    const lines = [
      orders.purchase('m1', 'o1', '2026-11-01', [['a', 'meat', 10_000]]),
      orders.purchase('m2', 'o1', '2026-11-01', [['a', 'meat', 20_000]]),
    ];
    const clean = new MemoryPipeline();
    await clean.deliver(clean.records(lines));
    const p = new MemoryPipeline();
    let retried = 1;
    const members: MemberPort = {
      getMany: (ids) => p.members.getMany(ids),
      put: async (state, applied) => {
        const ok = await p.members.put(state, applied);
        return state.memberId === 'm2' && retried-- > 0 ? false : ok;
      },
    };
    await p.deliver(p.records(lines), 10, { members });
    expect(retried).toBe(0);
    expect(p.daily('2026-11-01', '2026-11-01')).toEqual(clean.daily('2026-11-01', '2026-11-01'));
    expect(coinFiguresOf(p, '2026-11-01', '2026-11-01')).toEqual(coinFiguresOf(clean, '2026-11-01', '2026-11-01'));
  });

  it('leaves no member write in flight when the batch fails (a bisected half starts at once)', async () => {
    // Found by the chaos run: a write still in flight after the batch had failed committed while
    // the retry's half ran, so the half took back counts of a member that ended up written.
    const orders = orderLines();
    const p = new MemoryPipeline();
    const records = p.records([
      orders.purchase('m1', 'o1', '2026-11-01', [['a', 'meat', 10_000]]),
      orders.purchase('m2', 'o1', '2026-11-01', [['a', 'meat', 20_000]]),
    ]);
    let m1Failed = false;
    let m2Settled = false;
    const members: MemberPort = {
      getMany: async (ids) => {
        if (m1Failed && ids.includes('m1')) throw new Error('injected: read throttled');
        return p.members.getMany(ids);
      },
      put: async (state, applied) => {
        if (state.memberId === 'm1') {
          m1Failed = true;
          throw new Error('injected: write throttled');
        }
        await new Promise((resolve) => setTimeout(resolve, 30));
        const ok = await p.members.put(state, applied);
        m2Settled = true;
        return ok;
      },
    };
    await expect(processBatch(records, p.ports({ members }))).rejects.toThrow('injected: read throttled');
    expect(m2Settled).toBe(true);
  });

  it('keeps the coin counters exact when a batch crashed after some member writes and is retried in bisected halves', async () => {
    const { lines } = splitPurchases();
    const clean = new MemoryPipeline();
    await clean.deliver(clean.records(lines));

    const p = new MemoryPipeline();
    const records = p.records(lines);
    // The first attempt writes two members (m1 with both its purchases, m2), then the process dies.
    await expect(processBatch(records, dyingAfterTwoWrites(p.ports()))).rejects.toThrow('injected');
    expect(p.member('m1')?.lifetimePoints).toBe(400);
    expect(p.member('m3')).toBeUndefined();
    // Lambda bisects the batch on the function error and retries each half in turn.
    await deliverHalf(p, records.slice(0, 2));
    await deliverHalf(p, records.slice(2));

    expect(coinFiguresOf(p, '2026-11-01', '2026-11-02')).toEqual(coinFiguresOf(clean, '2026-11-01', '2026-11-02'));
    expect(memoryCoinTotals(p)).toEqual({ dP: 100 + 200 + 300 + 400 });
    expect(snapshot(p)).toEqual(snapshot(clean));
  });

  it('keeps listed what a bisected half leaves for later when it dies after its counters and Lambda gives up on the batch', async () => {
    // The progress record counts as settled once the totals item names its attempt (batch-progress.ts).
    // A half whose taken-over entries reach beyond it must not name it there: dying before it
    // rewrote the record with those entries, the next batch would find it settled and skip them.
    const { buy, lines } = splitPurchases();
    const p = new MemoryPipeline();
    const records = p.records(lines);
    // The first attempt writes m1 (both purchases) and m2, then dies before its counters.
    await expect(processBatch(records, dyingAfterTwoWrites(p.ports()))).rejects.toThrow('injected');
    // The first half takes m1 over, adds its first purchase and keeps its second (beyond the half)
    // listed — and dies writing the record that keeps it.
    let progressWrites = 0;
    const half: BatchPorts = {
      ...p.ports(),
      metrics: {
        read: (keys, shard) => p.metrics.read(keys, shard),
        write: async (key, shard, item, previous) =>
          key === BATCH_PROGRESS_KEY && progressWrites++ > 0 ? dead() : p.metrics.write(key, shard, item, previous),
      },
    };
    await expect(processBatch(records.slice(0, 2), half)).rejects.toThrow('injected');
    expect(progressWrites).toBe(2);
    // Lambda gives up on the batch; the shard moves on, then the bucket is replayed at new positions.
    await p.deliver(p.records([buy('m4', 'o1', '2026-11-02', 50_000)]));
    await p.deliver(p.records(lines.slice(0, 2)));
    await p.deliver(p.records(lines.slice(2)));
    expect(memoryCoinTotals(p)).toEqual({ dP: 100 + 200 + 300 + 400 + 500 });
  });

  it('adds the outbox an earlier attempt left on a member whose write fails now (a grown retry carried its next records)', async () => {
    // Chaos seed 14 with grown retries: a new member's day-0 counts were never added. The first
    // attempt wrote it and died before its counter writes; the retry, grown by the member's next
    // record, failed to write it, and the items' marks passed the first write's position.
    const lines = [openLine('e1', 'm1', '2026-11-01'), openLine('e2', 'm2', '2026-11-01'), openLine('e3', 'm1', '2026-11-02')];
    const clean = new MemoryPipeline();
    await clean.deliver(clean.records(lines));
    const p = new MemoryPipeline();
    const records = p.records(lines);
    const dead: BatchPorts['metrics'] = {
      read: (keys, shard) => p.metrics.read(keys, shard),
      write: async (key, shard, item, previous) => {
        if (key === BATCH_PROGRESS_KEY) return p.metrics.write(key, shard, item, previous);
        throw new Error('injected: the process is gone');
      },
    };
    await expect(processBatch(records.slice(0, 2), p.ports({ metrics: dead }))).rejects.toThrow('injected');
    expect(p.member('m1')!.coinOut).not.toBeNull();
    // The retry, grown by m1's next record: m1's write fails (the api wrote it first), m2's commits.
    const refuse: MemberPort = {
      getMany: (ids) => p.members.getMany(ids),
      put: async (state, applied) => (state.memberId === 'm1' ? false : p.members.put(state, applied)),
    };
    const result = await processBatch(records, p.ports({ members: refuse }));
    expect(result.failedSeqs).toHaveLength(1);
    await p.deliver(records.slice(records.findIndex((r) => r.seq === result.failedSeqs[0])));
    expect(p.daily('2026-11-01', '2026-11-02')).toEqual(clean.daily('2026-11-01', '2026-11-02'));
  });
});

/** Purchases where m1 has records in both halves of the batch, m2 and m3 in one each (the buyer for more). */
function splitPurchases() {
  const orders = orderLines();
  const buy = (memberId: string, orderId: string, day: string, cents: number) =>
    orders.purchase(memberId, orderId, day, [['a', 'meat', cents]]);
  const lines = [
    buy('m1', 'o1', '2026-11-01', 10_000),
    buy('m2', 'o1', '2026-11-01', 20_000),
    buy('m1', 'o2', '2026-11-01', 30_000),
    buy('m3', 'o1', '2026-11-02', 40_000),
  ];
  return { buy, lines };
}

const dead = () => {
  throw new Error('injected: the process is gone');
};

/** Ports whose process dies after two member writes: every later call fails and the invocation throws. */
function dyingAfterTwoWrites(base: BatchPorts): BatchPorts {
  let writes = 0;
  return {
    ...base,
    members: {
      getMany: (ids) => (writes >= 2 ? dead() : base.members.getMany(ids)),
      put: async (state, applied) => (writes++ >= 2 ? dead() : base.members.put(state, applied)),
    },
    metrics: {
      read: (keys, shard) => base.metrics.read(keys, shard),
      write: async (...args) => (writes >= 2 ? dead() : base.metrics.write(...args)),
    },
  };
}

async function deliverHalf(p: MemoryPipeline, half: StreamRecord[]) {
  await p.deliver(half, half.length);
}
