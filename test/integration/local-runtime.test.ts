// The local runtime against the real local services (started once by test/global-setup.ts):
// resources from a template, and the event source mapping semantics with a test handler.
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, HeadBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { KinesisStreamRecord } from 'aws-lambda';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { dynamoClient, kinesisClient, s3Client, sleep } from '../../infra/local/engine/aws';
import { mappingUuid } from '../../infra/local/engine/failure-destination';
import { interpretResponse } from '../../infra/local/engine/shard-worker';
import { attachLocalStack, type AttachOptions, type LocalStack } from '../../infra/local/engine/stack';
import type { SourceRecord } from '../../infra/local/engine/stream-sources';
import { calls } from '../fixtures/local-runtime/recording-handler';
import { fixtureTemplate } from '../fixtures/local-runtime/template';

const endpoints = inject('endpoints');
const ddb = dynamoClient(endpoints);
const kin = kinesisClient(endpoints);
const s3 = s3Client(endpoints);
let counter = 0;
const newPrefix = () => `lr${process.pid}n${++counter}-`;
const stacks: LocalStack[] = [];

async function attach(template: Record<string, any>, extra: Partial<AttachOptions> = {}): Promise<LocalStack> {
  const stack = await attachLocalStack({ endpoints, prefix: newPrefix(), template, withApi: false, withScheduler: false, ...extra });
  stacks.push(stack);
  return stack;
}

afterEach(async () => {
  for (const s of stacks.splice(0).reverse()) await s.stop();
});
afterAll(() => {
  for (const c of [ddb, kin, s3]) c.destroy();
});

const line = (t: string, i: number, fail?: string) => JSON.stringify({ t, i, memberId: `m${i % 3}`, fail });
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const seqOf = (r: KinesisStreamRecord) => r.kinesis.sequenceNumber;

async function failureObjects(stack: LocalStack): Promise<Array<{ key: string; doc: any }>> {
  const Bucket = stack.names.buckets.FailedBatchesBucket;
  const list = await s3.send(new ListObjectsV2Command({ Bucket }));
  const out: Array<{ key: string; doc: any }> = [];
  for (const o of list.Contents ?? []) {
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: o.Key! }));
    out.push({ key: o.Key!, doc: JSON.parse(await got.Body!.transformToString()) });
  }
  return out;
}

const decode = (r: any) => JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8'));

/** The key Lambda gives a failure object: `aws/lambda/<mapping-uuid>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>`. */
function expectAwsKey(stack: LocalStack, key: string, shardId = 'shardId-000000000000'): void {
  const uuid = mappingUuid('EventsMapping', stack.names.streamArns.EventsStream);
  const uuidRe = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
  expect(uuid).toMatch(new RegExp(`^${uuidRe}$`));
  expect(key).toMatch(
    new RegExp(`^aws/lambda/${uuid}/${shardId}/(\\d{4})/(\\d{2})/(\\d{2})/\\1-\\2-\\3T\\d{2}\\.\\d{2}\\.\\d{2}-${uuidRe}$`),
  );
}

describe('resources from the template', () => {
  it('creates tables, streams and buckets under <prefix><LogicalId> and resolves the environment', async () => {
    const stack = await attach(fixtureTemplate(), { withPollers: false });
    const p = stack.prefix;
    expect(stack.names.tables).toEqual({ MembersTable: `${p}MembersTable`, QuarantineTable: `${p}QuarantineTable` });

    const members = (await ddb.send(new DescribeTableCommand({ TableName: `${p}MembersTable` }))).Table!;
    expect(members.KeySchema).toEqual([{ AttributeName: 'memberId', KeyType: 'HASH' }]);
    expect(members.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(members.GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: 'TierReviewIndex',
      KeySchema: [
        { AttributeName: 'rvb', KeyType: 'HASH' },
        { AttributeName: 'rv', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
    const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName: `${p}QuarantineTable` }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLED' });

    const events = await kin.send(new DescribeStreamSummaryCommand({ StreamName: `${p}EventsStream` }));
    expect(events.StreamDescriptionSummary).toMatchObject({ StreamStatus: 'ACTIVE', OpenShardCount: 1 });
    const actions = await kin.send(new DescribeStreamSummaryCommand({ StreamName: `${p}ActionsStream` }));
    expect(actions.StreamDescriptionSummary?.OpenShardCount).toBe(2);

    const bucket = stack.names.buckets.FailedBatchesBucket;
    expect(bucket).toBe(`${p}FailedBatchesBucket`.toLowerCase());
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));

    expect(stack.env).toMatchObject({
      MEMBERS_TABLE: `${p}MembersTable`,
      EVENTS_ARN: stack.names.streamArns.EventsStream,
      MEMBERS_STREAM_ARN: members.LatestStreamArn,
      JOINED: `${bucket}/us-east-1/x`,
      SUBBED: `${p}ActionsStream@000000000000`,
      MEMBERFLOW_TZ: 'Asia/Shanghai',
      MEMBERFLOW_EVENTS_STREAM: `${p}EventsStream`,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      AWS_REGION: 'us-east-1',
      MEMBERFLOW_LOCAL: '1',
    });
    expect(process.env.MEMBERS_TABLE).toBe(`${p}MembersTable`);
  });
});

describe('Kinesis event source mapping', () => {
  it('delivers Lambda-shaped records and checkpoints at the lowest reported failure', async () => {
    const stack = await attach(fixtureTemplate({ events: { BatchSize: 10, MaximumBatchingWindowInSeconds: 1 } }));
    const lines = range(10).map((i) => line('partial', i, i === 4 || i === 7 ? 'partial-once' : undefined));
    await stack.putRecords(lines);
    await stack.drain({ timeoutMs: 30_000 });

    // Failures 7 and 4 reported (in that order): redelivery starts at 4, not 7.
    expect(calls('partial').map((c) => c.ids)).toEqual([range(10), range(6, 4)]);
    const r = calls('partial')[0].records[0] as KinesisStreamRecord;
    expect(r).toMatchObject({
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventName: 'aws:kinesis:record',
      awsRegion: 'us-east-1',
      eventSourceARN: stack.names.streamArns.EventsStream,
      eventID: `shardId-000000000000:${r.kinesis.sequenceNumber}`,
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'm0' },
    });
    expect(Buffer.from(r.kinesis.data, 'base64').toString('utf8')).toBe(lines[0]);
    expect(Math.abs(r.kinesis.approximateArrivalTimestamp - Date.now() / 1000)).toBeLessThan(60);
    expect(await failureObjects(stack)).toEqual([]);
  });

  it('bisects a failing batch, retries the poison record a bounded number of times, then sends it to S3', async () => {
    const stack = await attach(
      fixtureTemplate({
        events: { BatchSize: 8, MaximumBatchingWindowInSeconds: 1, BisectBatchOnFunctionError: true, MaximumRetryAttempts: 2 },
      }),
    );
    await stack.putRecords(range(8).map((i) => line('bisect', i, i === 5 ? 'throw' : undefined)));
    await stack.drain({ timeoutMs: 30_000 });

    // Halving does not count as a retry; the single poison record gets 1 + 2 attempts.
    expect(calls('bisect').map((c) => c.ids)).toEqual([range(8), range(4), range(4, 4), [4, 5], [4], [5], [5], [5], [6, 7]]);
    const poison = calls('bisect')[5].records[0];
    const failed = await failureObjects(stack);
    expect(failed).toHaveLength(1);
    expectAwsKey(stack, failed[0].key);
    const doc = failed[0].doc;
    expect(Object.keys(doc).sort()).toEqual(['KinesisBatchInfo', 'payload', 'requestContext', 'responseContext', 'timestamp', 'version']);
    expect(doc.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 });
    // No error text (AWS writes none: the error is in the function's log).
    expect(doc.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
    expect(JSON.stringify(doc)).not.toContain('poison record');
    expect(doc.requestContext.functionArn).toContain(`${stack.prefix}ProcessEventsFunction`);
    expect(doc.KinesisBatchInfo).toMatchObject({ shardId: 'shardId-000000000000', batchSize: 1, startSequenceNumber: seqOf(poison) });
    expect(doc.payload.Records.map(decode)).toEqual([{ t: 'bisect', i: 5, memberId: 'm2', fail: 'throw' }]);
  });

  it('without bisect, retries the whole batch MaximumRetryAttempts times, then moves past it', async () => {
    const stack = await attach(
      fixtureTemplate({
        events: { BatchSize: 10, MaximumBatchingWindowInSeconds: 1, BisectBatchOnFunctionError: false, MaximumRetryAttempts: 1 },
      }),
    );
    await stack.putRecords(range(4).map((i) => line('whole', i, i === 2 ? 'throw' : undefined)));
    await stack.drain({ timeoutMs: 30_000 });
    expect(calls('whole').map((c) => c.ids)).toEqual([range(4), range(4)]);
    const [failed] = await failureObjects(stack);
    const seqs = calls('whole')[0].records.map(seqOf);
    expectAwsKey(stack, failed.key);
    expect(failed.doc.KinesisBatchInfo).toMatchObject({ startSequenceNumber: seqs[0], endSequenceNumber: seqs[3], batchSize: 4 });
    expect(failed.doc.payload.Records.map(decode).map((b: any) => b.i)).toEqual(range(4));
    expect(failed.doc.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });

    // The shard is not blocked: later records flow.
    await stack.putRecords([line('whole', 4)]);
    await stack.drain({ timeoutMs: 30_000 });
    expect(calls('whole').at(-1)!.ids).toEqual([4]);
  });

  it('treats a malformed batch response as a whole-batch failure', async () => {
    const stack = await attach(
      fixtureTemplate({
        events: { BatchSize: 10, MaximumBatchingWindowInSeconds: 1, BisectBatchOnFunctionError: false, MaximumRetryAttempts: 0 },
      }),
    );
    await stack.putRecords(range(3).map((i) => line('malformed', i, i === 1 ? 'malformed' : undefined)));
    await stack.drain({ timeoutMs: 30_000 });
    expect(calls('malformed').map((c) => c.ids)).toEqual([range(3)]);
    const failed = await failureObjects(stack);
    expect(failed).toHaveLength(1);
    expect(failed[0].doc.KinesisBatchInfo.batchSize).toBe(3);
  });

  it('honours the batch size and gathers records for the batching window', async () => {
    const stack = await attach(fixtureTemplate({ events: { BatchSize: 10, MaximumBatchingWindowInSeconds: 1 } }));
    await stack.putRecords(range(25).map((i) => line('window', i)));
    await stack.drain({ timeoutMs: 30_000 });
    expect(calls('window').map((c) => c.ids.length)).toEqual([10, 10, 5]);
    expect(calls('window').flatMap((c) => c.ids)).toEqual(range(25));

    await stack.putRecords([line('window', 25), line('window', 26)]);
    await sleep(300);
    await stack.putRecords([line('window', 27), line('window', 28)]);
    await stack.drain({ timeoutMs: 30_000 });
    expect(
      calls('window')
        .slice(3)
        .map((c) => c.ids),
    ).toEqual([[25, 26, 27, 28]]);
  });

  it('sends records older than MaximumRecordAgeInSeconds to the destination without invoking', async () => {
    const template = fixtureTemplate({ events: { BatchSize: 10, MaximumRecordAgeInSeconds: 1 } });
    const prefix = newPrefix();
    const producer = await attach(template, { prefix, withPollers: false });
    await producer.putRecords(range(3).map((i) => line('age', i)));
    await sleep(1500);
    await producer.stop(); // one attached stack per process; its stream and records stay
    const consumer = await attach(template, { prefix });
    await consumer.drain({ timeoutMs: 30_000 });
    expect(calls('age')).toEqual([]);
    const failed = await failureObjects(consumer);
    expect(failed).toHaveLength(1);
    expect(failed[0].doc.requestContext.condition).toBe('RecordAgeExceeded');
    // Never invoked: no response context.
    expect(failed[0].doc.responseContext).toBeUndefined();
    expect(failed[0].doc.payload.Records.map(decode).map((b: any) => b.i)).toEqual([0, 1, 2]);
  });

  it('after partial batch responses, the failure object says functionError null', async () => {
    const stack = await attach(
      fixtureTemplate({
        events: { BatchSize: 10, MaximumBatchingWindowInSeconds: 1, BisectBatchOnFunctionError: true, MaximumRetryAttempts: 1 },
      }),
    );
    await stack.putRecords(range(3).map((i) => line('exhausted-partial', i, i === 1 ? 'partial' : undefined)));
    await stack.drain({ timeoutMs: 30_000 });
    // Checkpoint at the failed record, then its retry; both report it again.
    expect(calls('exhausted-partial').map((c) => c.ids)).toEqual([range(3), [1, 2]]);
    const [failed] = await failureObjects(stack);
    expectAwsKey(stack, failed.key);
    expect(failed.doc.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 });
    expect(failed.doc.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST', functionError: null });
    expect(failed.doc.payload.Records.map(decode).map((b: any) => b.i)).toEqual([1, 2]);
  });

  it('growRetries: a retry re-reads from the checkpoint with a larger batch', async () => {
    const stack = await attach(fixtureTemplate({ events: { BatchSize: 8, MaximumBatchingWindowInSeconds: 1 } }), {
      pollerOptions: { growRetries: true },
    });
    await stack.putRecords(range(8).map((i) => line('grow', i, i === 1 ? 'partial-once' : undefined)));
    await stack.drain({ timeoutMs: 30_000 });
    // The first attempt is cut short (half the batch size); its retry starts at the failed record
    // and carries the records that followed, up to the batch size.
    expect(calls('grow').map((c) => c.ids)).toEqual([range(4), range(7, 1)]);
    const stats = stack.poller!.mappings[0].stats;
    expect(stats).toMatchObject({ grownRetries: 1, recordsAddedOnRetry: 4, recordsToDestination: 0 });
    expect(await failureObjects(stack)).toEqual([]);
  });
});

describe('partial batch response rules', () => {
  const batch = ['100', '200', '300'].map((sequenceNumber) => ({ sequenceNumber }) as SourceRecord);
  it.each([
    ['undefined', undefined, { kind: 'ok' }],
    ['null', null, { kind: 'ok' }],
    ['an empty object', {}, { kind: 'ok' }],
    ['an empty string', '', { kind: 'ok' }],
    ['an empty array', [], { kind: 'ok' }],
    ['a null list', { batchItemFailures: null }, { kind: 'ok' }],
    ['an empty list', { batchItemFailures: [] }, { kind: 'ok' }],
    [
      'failures (lowest wins)',
      { batchItemFailures: [{ itemIdentifier: '300' }, { itemIdentifier: '200' }] },
      { kind: 'partial', index: 1 },
    ],
  ])('%s', (_name, response, expected) => {
    expect(interpretResponse(response, batch, true)).toEqual(expected);
  });
  it.each([
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a missing itemIdentifier', { batchItemFailures: [{ id: '100' }] }],
    ['an unknown sequence number', { batchItemFailures: [{ itemIdentifier: '999' }] }],
    ['a non-list', { batchItemFailures: 'x' }],
    ['a string', 'ok'],
    ['a non-empty array', [{ itemIdentifier: '100' }]],
  ])('%s is a whole-batch failure', (_name, response) => {
    expect(interpretResponse(response, batch, true).kind).toBe('error');
  });
  it('ignores the response without ReportBatchItemFailures', () => {
    expect(interpretResponse({ batchItemFailures: [{ itemIdentifier: '100' }] }, batch, false)).toEqual({ kind: 'ok' });
  });
});
