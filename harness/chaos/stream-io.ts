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

/** PutRecords in order, ≤ 500 records / 5 MB a call; failed entries (or calls) sent again. */
export async function sendRecords(client: KinesisClient, StreamName: string, records: readonly SendRecord[]): Promise<void> {
  let chunk: PutRecordsRequestEntry[] = [];
  let bytes = 0;
  const flush = async () => {
    let pending = chunk;
    for (let attempt = 1; pending.length; attempt++) {
      try {
        const res = await client.send(new PutRecordsCommand({ StreamName, Records: pending }));
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
}

/** Every record on a stream, from the trim horizon. */
export async function readStream(client: KinesisClient, StreamName: string): Promise<any[]> {
  const out: any[] = [];
  const shards = await client.send(new ListShardsCommand({ StreamName }));
  for (const shard of shards.Shards ?? []) {
    let iterator = (
      await client.send(new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))
    ).ShardIterator;
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of page.Records ?? []) out.push(JSON.parse(Buffer.from(r.Data!).toString('utf8')));
      if (!page.Records?.length && !page.MillisBehindLatest) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}
