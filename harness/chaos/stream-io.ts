// The chaos run's own Kinesis I/O: records sent in order with retries (or KPL-aggregated through
// the producer), and a stream read back whole.
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { sleep } from '../../infra/local/engine/aws';
import { partitionKeyFor } from '../../infra/local/engine/kinesis-producer';
import { Producer } from '../../producer';
import { decodeAggregate, hashKeyOf, isAggregated } from '../../shared/stream/kpl-aggregate';
import { subRecordSeq } from '../../shared/stream/position';
import type { SendRecord } from './plan';

/**
 * The records through the producer library with KPL aggregation: each chunk's records of one shard
 * packed into aggregated Kinesis records, in order; failed entries sent again (its own retry).
 */
export async function sendAggregated(client: KinesisClient, streamName: string, records: readonly SendRecord[]): Promise<number> {
  const producer = new Producer({ client, streamName, aggregate: true, maxAttempts: 10 });
  await producer.send(records.map((r) => ({ data: r.data, partitionKey: r.memberId ?? partitionKeyFor(r.data.toString('utf8')) })));
  return producer.counters.kinesisRecords;
}

/**
 * PutRecords in order, ≤ 500 records / 5 MB a call; failed entries (or calls) sent again. Returns
 * where each record landed (`shardId/seq`, in the order given).
 */
export async function sendRecords(client: KinesisClient, StreamName: string, records: readonly SendRecord[]): Promise<string[]> {
  let chunk: PutRecordsRequestEntry[] = [];
  let bytes = 0;
  const places: string[] = [];
  let sent = 0;
  const flush = async () => {
    let pending = chunk.map((entry, i) => ({ entry, index: sent + i }));
    sent += chunk.length;
    for (let attempt = 1; pending.length; attempt++) {
      try {
        const res = await client.send(new PutRecordsCommand({ StreamName, Records: pending.map((p) => p.entry) }));
        pending.forEach((p, i) => {
          const r = res.Records?.[i];
          if (r && !r.ErrorCode && r.ShardId && r.SequenceNumber) places[p.index] = `${r.ShardId}/${r.SequenceNumber}`;
        });
        pending = res.FailedRecordCount ? pending.filter((_, i) => res.Records?.[i]?.ErrorCode) : [];
      } catch (err) {
        if (attempt >= 10) throw err;
      }
      if (pending.length) {
        if (attempt >= 10) throw new Error(`${pending.length} records still failing after ${attempt} PutRecords calls`);
        await sleep(Math.min(100 * 2 ** attempt, 2000));
      }
    }
    chunk = [];
    bytes = 0;
  };
  for (const r of records) {
    const PartitionKey = r.memberId ?? partitionKeyFor(r.data.toString('utf8'));
    const size = r.data.length + Buffer.byteLength(PartitionKey);
    if (chunk.length >= 500 || bytes + size > 4.5 * 1024 * 1024) await flush();
    chunk.push({ Data: r.data, PartitionKey });
    bytes += size;
  }
  await flush();
  return places;
}

/** A record as read back: its text, arrival time and place (an aggregate's sub-records: the aggregate's). */
export interface StreamRecordRead {
  data: string;
  arrivedAt: number;
  shardId: string;
  seq: string;
}

/** Every record on a stream, from the trim horizon, parsed. */
export async function readStream(client: KinesisClient, StreamName: string): Promise<any[]> {
  return (await readStreamRecords(client, StreamName)).map((r) => JSON.parse(r.data));
}

/**
 * Every record on a stream as sent (UTF-8 text) with its arrival time: shard by shard, in order —
 * each member's records in the order its shard's consumer met them. A KPL aggregate counts as its
 * sub-records of the shard's own members (the consumer forwards the others to their shard, where
 * they arrive as records of their own).
 */
export async function readStreamRecords(client: KinesisClient, StreamName: string): Promise<StreamRecordRead[]> {
  const out: StreamRecordRead[] = [];
  const push = (bytes: Uint8Array, arrivedAt: number, range: { start: bigint; end: bigint }, shardId: string, seq: string) => {
    if (!isAggregated(bytes)) {
      out.push({ data: Buffer.from(bytes).toString('utf8'), arrivedAt, shardId, seq });
      return;
    }
    // Each sub-record at its own position, as the consumer places it (shared/stream/position.ts).
    for (const [i, sub] of decodeAggregate(bytes).entries()) {
      const data = Buffer.from(sub.data).toString('utf8');
      let memberId: unknown;
      try {
        memberId = JSON.parse(data)?.memberId;
      } catch {
        memberId = undefined;
      }
      const hash = typeof memberId === 'string' ? hashKeyOf(memberId) : null;
      if (hash === null || (hash >= range.start && hash <= range.end)) out.push({ data, arrivedAt, shardId, seq: subRecordSeq(seq, i) });
    }
  };
  const shards = await client.send(new ListShardsCommand({ StreamName }));
  for (const shard of shards.Shards ?? []) {
    const range = { start: BigInt(shard.HashKeyRange!.StartingHashKey!), end: BigInt(shard.HashKeyRange!.EndingHashKey!) };
    let iterator = (
      await client.send(new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))
    ).ShardIterator;
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of page.Records ?? []) push(r.Data!, r.ApproximateArrivalTimestamp!.getTime(), range, shard.ShardId!, r.SequenceNumber!);
      if (!page.Records?.length && !page.MillisBehindLatest) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}
