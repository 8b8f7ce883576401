// Reading FailedBatchesBucket back for a replay (README, Runbook): every failure object, in AWS's
// layout (`aws/lambda/<mapping-uuid>/<shard>/YYYY/MM/DD/…`, no error text) or the local runtime's
// earlier one (`<mapping>/<shard>/<first>-<last>.json`, with an error), as Kinesis records in
// stream order — per shard, by sequence number — so a member's records are replayed in the order
// they first arrived.
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamRecord } from 'aws-lambda';
import { compareSeq } from '../../../shared/stream/position';

export interface FailedRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  /** The record's bytes, as the producer put them. */
  data: Buffer;
}

export interface FailureObject {
  key: string;
  condition: string;
  records: FailedRecord[];
}

/** The records of one failure object; throws naming the key when it is not one. */
/** The parts of an on-failure destination object read here (the rest is not needed). */
type FailureDocument = {
  payload?: { Records?: unknown };
  KinesisBatchInfo?: { shardId?: string };
  requestContext?: { condition?: unknown };
} | null;

export function parseFailureObject(key: string, body: string): FailureObject {
  let doc: FailureDocument;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new Error(`${key}: not JSON, not a failure object`);
  }
  const records = doc?.payload?.Records;
  if (!Array.isArray(records))
    throw new Error(`${key}: no payload.Records (an SQS/SNS-style record carries no payload: replay from the stream)`);
  const shardOf = (r: KinesisStreamRecord) => doc?.KinesisBatchInfo?.shardId ?? r.eventID?.slice(0, r.eventID.indexOf(':'));
  return {
    key,
    condition: String(doc?.requestContext?.condition ?? 'unknown'),
    records: records.map((r: KinesisStreamRecord, i: number) => {
      if (typeof r?.kinesis?.data !== 'string' || typeof r.kinesis.sequenceNumber !== 'string')
        throw new Error(`${key}: payload.Records[${i}] is not a Kinesis record`);
      return {
        shardId: shardOf(r),
        sequenceNumber: r.kinesis.sequenceNumber,
        partitionKey: r.kinesis.partitionKey,
        data: Buffer.from(r.kinesis.data, 'base64'),
      };
    }),
  };
}

/** Every record of every failure object, in stream order (shard, then sequence number), each once. */
export function inStreamOrder(objects: readonly FailureObject[]): FailedRecord[] {
  const seen = new Map<string, FailedRecord>();
  for (const o of objects) for (const r of o.records) seen.set(`${r.shardId}/${r.sequenceNumber}`, r);
  return [...seen.values()].sort((a, b) =>
    a.shardId === b.shardId ? compareSeq(a.sequenceNumber, b.sequenceNumber) : a.shardId < b.shardId ? -1 : 1,
  );
}

export async function readFailedBatches(s3: S3Client, bucket: string): Promise<FailureObject[]> {
  const objects: FailureObject[] = [];
  let ContinuationToken: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken }));
    for (const o of page.Contents ?? []) {
      const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }))).Body!.transformToString();
      objects.push(parseFailureObject(o.Key!, body));
    }
    ContinuationToken = page.NextContinuationToken;
  } while (ContinuationToken);
  return objects;
}
