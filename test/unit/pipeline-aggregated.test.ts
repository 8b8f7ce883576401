// KPL aggregated records through the batch path over in-memory ports: the same figures and member
// state as one event per record, under retries, partial failures, replays, a corrupt aggregate, and
// sub-records of another shard's members (forwarded, never applied where they landed).
import { describe, expect, it } from 'vitest';
import { aggregateEntries, type ShardRange } from '../../producer';
import { processBatch, type ForwardedRecord, type StreamRecord } from '../../shared/batch/process-batch';
import { hashKeyOf, isAggregated } from '../../shared/stream/kpl-aggregate';
import { compareSeq, parentSeq, subRecordSeq } from '../../shared/stream/position';
import { eventsToJsonLines, simulate } from '../../simulator';
import { buildActivityOracle, type OracleEvent } from '../../harness/oracle/activity-oracle';
import { MemoryPipeline } from '../support/memory-pipeline';

const events = [...simulate({ members: 120, days: 40, seed: 11 })] as unknown as OracleEvent[];
const lines = [...eventsToJsonLines(events as never)];
const oracle = buildActivityOracle(events, 'Asia/Shanghai');
const FROM = '2026-10-01';
const TO = '2026-11-09';
const enc = new TextEncoder();
const WHOLE: ShardRange[] = [{ shardId: 'shardId-000000000000', start: 0n, end: 2n ** 128n - 1n }];
const keyOf = (line: string): string => {
  try {
    return String(JSON.parse(line).memberId);
  } catch {
    return 'unparsable'; // a producer still needs some key for a line that is not JSON
  }
};

/** The lines as a producer with aggregation puts them: KPL aggregates of up to `maxBytes`. */
function aggregated(pipeline: MemoryPipeline, input: readonly string[], maxBytes = 4096, shardId = 'shardId-000000000000'): StreamRecord[] {
  const entries = aggregateEntries(
    input.map((l) => ({ partitionKey: keyOf(l), data: enc.encode(l) })),
    WHOLE,
    maxBytes,
  );
  const records = pipeline.records(
    entries.map(() => ''),
    shardId,
  );
  return records.map((r, i) => ({ ...r, data: entries[i].data }));
}

function figures(pipeline: MemoryPipeline) {
  return { daily: pipeline.daily(FROM, TO), retention: pipeline.retention(FROM, TO), sessions: pipeline.sessions(FROM, TO) };
}

/** Stream positions differ between the two ways by design (`<seq>.<index>` inside aggregates): blanked. */
function withoutPositions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPositions);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, withoutPositions(v)]));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'seq' || k === 'shardId' ? '' : withoutPositions(v)]));
  return value;
}

function memberSnapshot(pipeline: MemoryPipeline) {
  return (
    [...pipeline.members.items.values()]
      // coinOut, actionsOut and ordersOut are the latest write's outboxes (per batch, like the high-water mark).
      .map(
        (m) =>
          withoutPositions({
            ...m,
            version: 0,
            highWater: null,
            recentEventIds: [],
            recentEventDays: undefined,
            coinOut: null,
            actionsOut: undefined,
            ordersOut: undefined,
          }) as {
            memberId: string;
          },
      )
      .sort((a, b) => a.memberId.localeCompare(b.memberId))
  );
}

const reasons = (pipeline: MemoryPipeline) => [...pipeline.quarantine.items.values()].map((q) => `${q.reason}:${q.eventId ?? ''}`).sort();

describe('sub-record positions', () => {
  it('orders a sub-record after its parent and earlier records, before the next record', () => {
    const a = '49660000000000000000000000000000000000000000000000000001';
    const b = '49660000000000000000000000000000000000000000000000000002';
    const sorted = [b, subRecordSeq(a, 10), subRecordSeq(b, 0), a, subRecordSeq(a, 2), subRecordSeq(a, 9)].sort(compareSeq);
    expect(sorted).toEqual([a, subRecordSeq(a, 2), subRecordSeq(a, 9), subRecordSeq(a, 10), b, subRecordSeq(b, 0)]);
    expect(compareSeq('99', subRecordSeq('100', 0))).toBeLessThan(0);
    expect(parentSeq(subRecordSeq(a, 7))).toBe(a);
    expect(parentSeq(a)).toBe(a);
  });
});

describe('aggregated records through the batch path', () => {
  it('gives every figure and every member exactly as one event per record', async () => {
    const plain = new MemoryPipeline();
    await plain.deliver(plain.records(lines), 200);
    const agg = new MemoryPipeline();
    const records = aggregated(agg, lines);
    expect(records.length).toBeLessThan(lines.length / 10);
    expect(records.every((r) => isAggregated(r.data))).toBe(true);
    await agg.deliver(records, 7);
    expect(figures(agg)).toEqual({
      daily: oracle.daily(FROM, TO),
      retention: oracle.retention(FROM, TO),
      sessions: oracle.sessions(FROM, TO),
    });
    expect(figures(agg)).toEqual(figures(plain));
    expect(memberSnapshot(agg)).toEqual(memberSnapshot(plain));
    expect([...agg.ledger.orders.keys()].sort()).toEqual([...plain.ledger.orders.keys()].sort());
  });

  it('names the parent record on a partial failure and never double-applies its sub-records on retry or replay', async () => {
    const plain = new MemoryPipeline();
    await plain.deliver(plain.records(lines), 200);
    const agg = new MemoryPipeline();
    const records = aggregated(agg, lines);
    const reported: string[] = [];
    let writes = 0;
    let counterWrites = 0;
    const flaky = {
      members: {
        getMany: (ids: readonly string[]) => agg.members.getMany(ids),
        put: async (...[state, applied]: Parameters<typeof agg.members.put>) => {
          if (++writes % 5 === 0) throw new Error('injected: member write timed out');
          return agg.members.put(state, applied);
        },
      },
      metrics: {
        read: agg.metrics.read.bind(agg.metrics),
        write: async (...args: Parameters<typeof agg.metrics.write>) => {
          if (++counterWrites % 13 === 0) throw new Error('injected: counter write throttled');
          return agg.metrics.write(...args);
        },
      },
    };
    const seqs = new Set(records.map((r) => r.seq));
    // The pipeline retries from the reported record: it must be one of the stream's own records.
    const watch = async (batch: readonly StreamRecord[]) => {
      const result = await processBatch(batch, agg.ports(flaky)).catch(() => ({ failedSeqs: [batch[0].seq] }));
      reported.push(...result.failedSeqs);
      return result;
    };
    let at = 0;
    while (at < records.length) {
      const batch = records.slice(at, at + 6);
      const { failedSeqs } = await watch(batch);
      at = failedSeqs.length ? records.findIndex((r) => r.seq === failedSeqs[0]) : at + batch.length;
    }
    expect(reported.length).toBeGreaterThan(10);
    expect(reported.every((s) => seqs.has(s))).toBe(true);
    // Replays: the whole stream again, and a bisected re-delivery of its first part.
    await agg.deliver(records, 11);
    await agg.deliver(records.slice(0, 20), 3);
    expect(figures(agg)).toEqual(figures(plain));
    expect(memberSnapshot(agg)).toEqual(memberSnapshot(plain));
  });

  it('quarantines a corrupt aggregate whole, with its own reason, and applies nothing from it', async () => {
    const pipeline = new MemoryPipeline();
    const [good, bad] = aggregated(pipeline, lines.slice(0, 60), 2048);
    const broken = bad.data.slice();
    broken[broken.length - 20] ^= 0xff;
    const result = await processBatch([good, { ...bad, data: broken }], pipeline.ports());
    expect(result.quarantined).toBe(1);
    const [item] = [...pipeline.quarantine.items.values()];
    expect(item).toMatchObject({ reason: 'corrupt_aggregate', seq: bad.seq, shardId: bad.shardId });
    expect(item.detail).toMatch(/checksum/);
    // Only the good aggregate's members changed.
    const goodMembers = new Set(lines.slice(0, 60).map(keyOf));
    expect([...pipeline.members.items.keys()].every((m) => goodMembers.has(m))).toBe(true);
    expect(result.events).toBe(1 + (await import('../../shared/stream/kpl-aggregate')).decodeAggregate(good.data).length);
  });

  it('quarantines bad events inside an aggregate one by one, like plain records', async () => {
    const bad = ['{"eventId":"b1","type":"app_open","memberId":"m 1","occurredAt":"2026-10-01T00:00:00Z"}', 'not json'];
    const mixed = [...lines.slice(0, 30), ...bad];
    const plain = new MemoryPipeline();
    await plain.deliver(plain.records(mixed), 50);
    const agg = new MemoryPipeline();
    const records = aggregated(agg, mixed, 1 << 20);
    expect(records.length).toBe(1);
    await agg.deliver(records, 5);
    expect(reasons(agg)).toEqual(reasons(plain));
    expect(reasons(agg)).toEqual(['invalid_event:b1', 'not_json:']);
    expect(memberSnapshot(agg)).toEqual(memberSnapshot(plain));
  });

  it("forwards sub-records of another shard's members instead of applying them, and they count once there", async () => {
    const half = 2n ** 127n;
    const own = { start: 0n, end: half - 1n };
    const plain = new MemoryPipeline();
    await plain.deliver(plain.records(lines), 200);
    const agg = new MemoryPipeline();
    const forwarded: ForwardedRecord[] = [];
    // A stale producer map put every member on shard 0, which now owns only the lower half.
    const records = aggregated(agg, lines);
    await agg.deliver(records, 9, { shards: { rangeOf: async () => own }, forward: { put: async (r) => void forwarded.push(...r) } });
    const foreign = lines.filter((l) => hashKeyOf(keyOf(l)) >= half);
    expect(foreign.length).toBeGreaterThan(100);
    // Forwarded once per first delivery (retries would add duplicates the member's shard absorbs).
    expect(forwarded.length).toBe(foreign.length);
    for (const r of forwarded) expect(hashKeyOf(r.partitionKey) >= half).toBe(true);
    expect([...agg.members.items.keys()].every((m) => hashKeyOf(m) < half)).toBe(true);
    // The other shard receives them as plain records, in stream order.
    await agg.deliver(
      agg.records(
        forwarded.map((r) => new TextDecoder().decode(r.data)),
        'shardId-000000000001',
      ),
      100,
    );
    expect(figures(agg)).toEqual(figures(plain));
    expect(memberSnapshot(agg)).toEqual(memberSnapshot(plain));
  });

  it('quarantines such a sub-record as misrouted when there is nowhere to forward it', async () => {
    const agg = new MemoryPipeline();
    const records = aggregated(agg, lines.slice(0, 200));
    const result = await processBatch(records, agg.ports({ shards: { rangeOf: async () => ({ start: 0n, end: 2n ** 127n - 1n }) } }));
    const misrouted = [...agg.quarantine.items.values()].filter((q) => q.reason === 'misrouted_record');
    expect(misrouted.length).toBe(lines.slice(0, 200).filter((l) => hashKeyOf(keyOf(l)) >= 2n ** 127n).length);
    expect(misrouted.every((q) => q.seq.includes('.') && seqsOf(records).has(parentSeq(q.seq)))).toBe(true);
    expect(result.quarantined).toBe(misrouted.length);
  });
});

const seqsOf = (records: readonly StreamRecord[]) => new Set(records.map((r) => r.seq));
