// Shard-level readers for the local event source mappings: Kinesis (kinesis-mock) and DynamoDB
// Streams (DynamoDB Local). Each turns service records into the exact Lambda event record shapes.
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand as DdbGetRecords,
  GetShardIteratorCommand as DdbGetShardIterator,
  type DynamoDBStreamsClient,
  type _Record as DdbStreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis';
import type { DynamoDBRecord, KinesisStreamRecord } from 'aws-lambda';
import { compareSeq } from '../../shared/stream/position';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './aws';

export interface SourceRecord {
  sequenceNumber: string;
  /** Arrival (Kinesis) or creation (DynamoDB) time, ms since epoch: drives MaximumRecordAge. */
  arrivalMs: number;
  /** Serialised size of the Lambda record, for the 6 MB invocation payload limit. */
  sizeBytes: number;
  lambdaRecord: KinesisStreamRecord | DynamoDBRecord;
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
  kind: 'kinesis' | 'dynamodb';
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

/** The table's stream ARN is only known once DynamoDB Local has created the table. */
export async function dynamoStreamSource(ddb: DynamoDBClient, streams: DynamoDBStreamsClient, tableName: string): Promise<StreamSource> {
  const desc = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = desc.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${tableName} has no stream (StreamSpecification missing?)`);
  return {
    kind: 'dynamodb',
    arn: streamArn,
    maxLimit: 1000,
    async listShards() {
      const shards: ShardDesc[] = [];
      let ExclusiveStartShardId: string | undefined;
      do {
        const res = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId }));
        for (const s of res.StreamDescription?.Shards ?? []) shards.push({ shardId: s.ShardId!, parentShardId: s.ParentShardId });
        ExclusiveStartShardId = res.StreamDescription?.LastEvaluatedShardId;
      } while (ExclusiveStartShardId);
      return shards;
    },
    async getIterator(shardId, start) {
      const res = await streams.send(
        new DdbGetShardIterator({
          StreamArn: streamArn,
          ShardId: shardId,
          ShardIteratorType: start.type,
          SequenceNumber: start.type === 'AFTER_SEQUENCE_NUMBER' ? start.sequenceNumber : undefined,
        }),
      );
      return res.ShardIterator;
    },
    async read(iterator, limit) {
      const res = await streams.send(new DdbGetRecords({ ShardIterator: iterator, Limit: Math.min(limit, 1000) }));
      return {
        records: (res.Records ?? []).map((r) => toDynamoRecord(r, streamArn)),
        nextIterator: res.NextShardIterator ?? undefined,
      };
    },
  };
}

function toDynamoRecord(r: DdbStreamRecord, arn: string): SourceRecord {
  const d = r.dynamodb ?? {};
  const created = d.ApproximateCreationDateTime ? new Date(d.ApproximateCreationDateTime).getTime() : Date.now();
  const lambdaRecord: DynamoDBRecord = {
    eventID: r.eventID,
    eventName: r.eventName as DynamoDBRecord['eventName'],
    eventVersion: r.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: LOCAL_REGION,
    dynamodb: {
      // Lambda delivers epoch seconds, the SDK a Date.
      ApproximateCreationDateTime: Math.floor(created / 1000),
      Keys: toLambdaImage(d.Keys),
      NewImage: toLambdaImage(d.NewImage),
      OldImage: toLambdaImage(d.OldImage),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType as NonNullable<DynamoDBRecord['dynamodb']>['StreamViewType'],
    },
    eventSourceARN: arn,
  };
  if (r.userIdentity) lambdaRecord.userIdentity = r.userIdentity;
  for (const k of ['Keys', 'NewImage', 'OldImage'] as const) if (!lambdaRecord.dynamodb![k]) delete lambdaRecord.dynamodb![k];
  return { sequenceNumber: d.SequenceNumber!, arrivalMs: created, sizeBytes: JSON.stringify(lambdaRecord).length, lambdaRecord };
}

/** SDK attribute values hold binaries as Uint8Array; Lambda's JSON event holds base64 strings. */
function toLambdaImage(image: Record<string, any> | undefined): Record<string, any> | undefined {
  if (!image) return undefined;
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(image)) out[k] = toLambdaValue(v);
  return out;
}

function toLambdaValue(v: any): any {
  if (!v || typeof v !== 'object') return v;
  if (v.B instanceof Uint8Array) return { B: Buffer.from(v.B).toString('base64') };
  if (Array.isArray(v.BS)) return { BS: v.BS.map((b: Uint8Array) => Buffer.from(b).toString('base64')) };
  if (Array.isArray(v.L)) return { L: v.L.map(toLambdaValue) };
  if (v.M && typeof v.M === 'object') return { M: toLambdaImage(v.M) };
  const clean: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined && k !== '$unknown') clean[k] = x;
  return clean;
}
