// A fixed delivery plan: records split over N shards by the MD5 of their partition key (as
// Kinesis does), delivered in arrival order in batches of B records per shard, as real
// KinesisStreamEvent objects. The benchmark and the large oracle test use it so their figures are
// deterministic and do not depend on kinesis-mock's speed.
import { createHash } from 'node:crypto';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { aggregateEntries } from '../../../producer/aggregator';
import { payloadUnits, type UserRecordInput } from '../../../producer/batching';
import { partitionKeyFor } from './kinesis-producer';

const HASH_SPACE = 2n ** 128n;

export function shardIndexFor(partitionKey: string, shards: number): number {
  const hash = BigInt(`0x${createHash('md5').update(partitionKey).digest('hex')}`);
  return Number((hash * BigInt(shards)) / HASH_SPACE);
}

export interface BatchPlan {
  shards: number;
  /** Per shard, its batches in order. */
  batches: KinesisStreamEvent[][];
  /** User records (events). */
  records: number;
  /** Kinesis records (fewer than `records` when aggregated). */
  kinesisRecords?: number;
  /** PUT payload units of those records (25 KB each, rounded up per record). */
  payloadUnits?: number;
  /** Bytes put (data + partition key), for the 1 MB/s per shard limit. */
  bytes?: number;
}

/** A record as Lambda hands it to the handler: its sequence number made from the shard and a serial. */
function lambdaRecord(
  shard: number,
  serial: number,
  partitionKey: string,
  data: string,
  arrival: number,
  arn: string,
): KinesisStreamRecord {
  const shardId = `shardId-${String(shard).padStart(12, '0')}`;
  const seq = `4959${String(shard).padStart(4, '0')}${String(serial).padStart(48, '0')}`;
  return {
    kinesis: { kinesisSchemaVersion: '1.0', partitionKey, sequenceNumber: seq, data, approximateArrivalTimestamp: arrival },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${seq}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/local',
    awsRegion: 'us-east-1',
    eventSourceARN: arn,
  };
}

export function planBatches(
  lines: readonly string[],
  opts: { shards?: number; batchSize?: number; streamArn?: string; arrivedAt?: number } = {},
): BatchPlan {
  const shards = opts.shards ?? 4;
  const batchSize = opts.batchSize ?? 500;
  const arn = opts.streamArn ?? 'arn:aws:kinesis:us-east-1:000000000000:stream/EventsStream';
  const arrival = (opts.arrivedAt ?? Date.now()) / 1000;
  const perShard: KinesisStreamRecord[][] = Array.from({ length: shards }, () => []);
  lines.forEach((line, i) => {
    const key = partitionKeyFor(line);
    const shard = shardIndexFor(key, shards);
    perShard[shard].push(lambdaRecord(shard, i + 1, key, Buffer.from(line, 'utf8').toString('base64'), arrival, arn));
  });
  const batches = perShard.map((records) => {
    const out: KinesisStreamEvent[] = [];
    for (let i = 0; i < records.length; i += batchSize) out.push({ Records: records.slice(i, i + batchSize) });
    return out;
  });
  const sizes = lines.map((line) => ({ data: Buffer.from(line, 'utf8'), partitionKey: partitionKeyFor(line) }));
  return {
    shards,
    batches,
    records: lines.length,
    kinesisRecords: lines.length,
    payloadUnits: sizes.reduce((n, e) => n + payloadUnits(e), 0),
    bytes: sizes.reduce((n, e) => n + e.data.byteLength + Buffer.byteLength(e.partitionKey), 0),
  };
}

/**
 * Invokes `handler` over the plan as Lambda would (one batch at a time per shard, shards in
 * parallel), re-delivering from the lowest reported failure. Returns the number of re-deliveries.
 */
export async function deliverPlan(
  plan: BatchPlan,
  handler: (event: KinesisStreamEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] } | void>,
  opts: { onBatch?: (records: number) => void; maxRetries?: number } = {},
): Promise<number> {
  let retries = 0;
  await Promise.all(
    plan.batches.map(async (batches) => {
      const records = batches.flatMap((b) => b.Records);
      const batchSize = Math.max(...batches.map((b) => b.Records.length), 1);
      let at = 0;
      while (at < records.length) {
        const event = { Records: records.slice(at, at + batchSize) };
        let failed: string | undefined;
        try {
          failed = (await handler(event))?.batchItemFailures?.[0]?.itemIdentifier;
        } catch {
          failed = event.Records[0].kinesis.sequenceNumber;
        }
        if (failed === undefined) {
          at += event.Records.length;
          opts.onBatch?.(event.Records.length);
        } else {
          if (++retries > (opts.maxRetries ?? 1000)) throw new Error(`gave up after ${retries} re-deliveries`);
          at = records.findIndex((r) => r.kinesis.sequenceNumber === failed);
        }
      }
    }),
  );
  return retries;
}

/** Lambda's limit on an invocation's payload (6 MB), less room for the event envelope. */
const INVOKE_PAYLOAD_BYTES = 5.5 * 1024 * 1024;

/**
 * The same events as the producer library's aggregation puts them: per shard, KPL aggregated
 * records of up to `maxBytes`, delivered in batches of at most `batchSize` Kinesis records and at
 * most a Lambda payload (base64) per invocation.
 */
export function planAggregatedBatches(
  lines: readonly string[],
  opts: { shards?: number; batchSize?: number; maxBytes?: number; streamArn?: string; arrivedAt?: number } = {},
): BatchPlan {
  const shards = opts.shards ?? 4;
  const batchSize = opts.batchSize ?? 500;
  const arn = opts.streamArn ?? 'arn:aws:kinesis:us-east-1:000000000000:stream/EventsStream';
  const arrival = (opts.arrivedAt ?? Date.now()) / 1000;
  const encoder = new TextEncoder();
  const perShard: UserRecordInput[][] = Array.from({ length: shards }, () => []);
  for (const line of lines) {
    const key = partitionKeyFor(line);
    perShard[shardIndexFor(key, shards)].push({ partitionKey: key, data: encoder.encode(line) });
  }
  let kinesisRecords = 0;
  let units = 0;
  let bytes = 0;
  let n = 0;
  const batches = perShard.map((records, shard) => {
    const shardId = `shardId-${String(shard).padStart(12, '0')}`;
    const whole = [{ shardId, start: 0n, end: HASH_SPACE - 1n }];
    const out: KinesisStreamEvent[] = [];
    let current: KinesisStreamRecord[] = [];
    let payload = 0;
    for (const entry of aggregateEntries(records, whole, opts.maxBytes)) {
      kinesisRecords++;
      units += payloadUnits(entry);
      bytes += entry.data.byteLength + Buffer.byteLength(entry.partitionKey);
      const data = Buffer.from(entry.data).toString('base64');
      if (current.length >= batchSize || (current.length && payload + data.length > INVOKE_PAYLOAD_BYTES)) {
        out.push({ Records: current });
        current = [];
        payload = 0;
      }
      current.push(lambdaRecord(shard, ++n, entry.partitionKey, data, arrival, arn));
      payload += data.length;
    }
    if (current.length) out.push({ Records: current });
    return out;
  });
  return { shards, batches, records: lines.length, kinesisRecords, payloadUnits: units, bytes };
}
