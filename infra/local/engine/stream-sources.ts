// Shard-level reader for the local event source mappings: Kinesis (kinesis-mock), turning its
// records into the exact Lambda event record shape.
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { compareSeq } from '../../../shared/stream/position';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './aws';

export interface SourceRecord {
  sequenceNumber: string;
  /** Arrival time, ms since epoch: drives MaximumRecordAge. */
  arrivalMs: number;
  /** Serialised size of the Lambda record, for the 6 MB invocation payload limit. */
  sizeBytes: number;
  lambdaRecord: KinesisStreamRecord;
}

export interface ShardDesc {
  shardId: string;
  parentShardId?: string;
  adjacentParentShardId?: string;
}

export type IteratorStart = { type: 'TRIM_HORIZON' | 'LATEST' } | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string };

export interface ReadResult {
  records: SourceRecord[];
  /** undefined: the shard is closed and fully read. */
  nextIterator?: string;
  /** Kinesis only: > 0 means more data is waiting even if this page was empty. */
  millisBehindLatest?: number;
}

export interface StreamSource {
  kind: 'kinesis';
  /** eventSourceARN in the Lambda records. */
  arn: string;
  /** Largest GetRecords Limit the service accepts. */
  maxLimit: number;
  listShards(): Promise<ShardDesc[]>;
  getIterator(shardId: string, start: IteratorStart): Promise<string | undefined>;
  read(iterator: string, limit: number, shardId: string): Promise<ReadResult>;
}

/** The one ordering of sequence numbers (shared with the consumer). */
export { compareSeq };

const INVOKE_IDENTITY = `arn:aws:iam::${LOCAL_ACCOUNT}:role/memberflow-local`;

export function kinesisSource(client: KinesisClient, streamName: string, streamArn: string): StreamSource {
  return {
    kind: 'kinesis',
    arn: streamArn,
    maxLimit: 10_000,
    async listShards() {
      const shards: ShardDesc[] = [];
      let NextToken: string | undefined;
      do {
        const res = await client.send(new ListShardsCommand(NextToken ? { NextToken } : { StreamName: streamName }));
        for (const s of res.Shards ?? []) {
          shards.push({ shardId: s.ShardId!, parentShardId: s.ParentShardId, adjacentParentShardId: s.AdjacentParentShardId });
        }
        NextToken = res.NextToken;
      } while (NextToken);
      return shards;
    },
    async getIterator(shardId, start) {
      const res = await client.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shardId,
          ShardIteratorType: start.type,
          StartingSequenceNumber: start.type === 'AFTER_SEQUENCE_NUMBER' ? start.sequenceNumber : undefined,
        }),
      );
      return res.ShardIterator;
    },
    async read(iterator, limit, shardId) {
      const res = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(limit, 10_000) }));
      return {
        records: (res.Records ?? []).map((r) => toKinesisRecord(r, shardId, streamArn)),
        nextIterator: res.NextShardIterator ?? undefined,
        millisBehindLatest: res.MillisBehindLatest,
      };
    },
  };
}

function toKinesisRecord(r: KinesisRecord, shardId: string, arn: string): SourceRecord {
  const arrival = r.ApproximateArrivalTimestamp ? new Date(r.ApproximateArrivalTimestamp).getTime() : Date.now();
  const lambdaRecord: KinesisStreamRecord = {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: r.PartitionKey!,
      sequenceNumber: r.SequenceNumber!,
      data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: arrival / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${r.SequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: INVOKE_IDENTITY,
    awsRegion: LOCAL_REGION,
    eventSourceARN: arn,
  };
  return { sequenceNumber: r.SequenceNumber!, arrivalMs: arrival, sizeBytes: JSON.stringify(lambdaRecord).length, lambdaRecord };
}
