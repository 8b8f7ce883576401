// The replay reads failure objects in both layouts — AWS's (what the local runtime writes now) and
// the local runtime's earlier one — and hands back the records in stream order (issue 17 item 4).
import { describe, expect, it } from 'vitest';
import { failureDocument, failureKey, type FailedBatch } from '../../infra/local/engine/failure-destination';
import { inStreamOrder, parseFailureObject } from '../../infra/local/engine/failed-batches';
import type { SourceRecord } from '../../infra/local/engine/stream-sources';

const ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/p-EventsStream';
const rec = (shardId: string, seq: string, line: object): SourceRecord => ({
  sequenceNumber: seq,
  arrivalMs: Date.parse('2026-12-01T10:00:00Z'),
  sizeBytes: 100,
  lambdaRecord: {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'm1',
      sequenceNumber: seq,
      data: Buffer.from(JSON.stringify(line)).toString('base64'),
      approximateArrivalTimestamp: 1_764_583_200,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${seq}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/x',
    awsRegion: 'us-east-1',
    eventSourceARN: ARN,
  },
});
const batch = (shardId: string, records: SourceRecord[], extra: Partial<FailedBatch> = {}): FailedBatch => ({
  mapping: 'EventsMapping',
  functionName: 'p-ProcessEventsFunction',
  sourceKind: 'kinesis',
  sourceArn: ARN,
  shardId,
  condition: 'RetryAttemptsExhausted',
  records,
  approximateInvokeCount: 3,
  lastOutcome: 'error',
  ...extra,
});

/** What the local runtime wrote before it wrote AWS's layout. */
function oldLocalObject(b: FailedBatch) {
  const key = `${b.mapping}/${b.shardId}/${b.records[0].sequenceNumber}-${b.records.at(-1)!.sequenceNumber}.json`;
  const doc = {
    ...failureDocument(b, new Date()),
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled', error: 'Error: boom' },
  };
  return { key, body: JSON.stringify(doc) };
}

describe('failure objects', () => {
  it('AWS layout: key, no error text, functionError by outcome, no responseContext for aged-out records', () => {
    const at = new Date('2026-12-01T23:59:58.123Z');
    const b = batch('shardId-000000000001', [rec('shardId-000000000001', '0001', { i: 1 })]);
    expect(failureKey(b, at)).toMatch(
      /^aws\/lambda\/[0-9a-f-]{36}\/shardId-000000000001\/2026\/12\/01\/2026-12-01T23\.59\.58-[0-9a-f-]{36}$/,
    );
    expect(failureDocument(b, at)).toMatchObject({
      version: '1.0',
      timestamp: '2026-12-01T23:59:58.123Z',
      responseContext: { functionError: 'Unhandled' },
    });
    expect(failureDocument({ ...b, lastOutcome: 'partial' }, at).responseContext).toEqual({
      statusCode: 200,
      executedVersion: '$LATEST',
      functionError: null,
    });
    expect(failureDocument({ ...b, condition: 'RecordAgeExceeded', lastOutcome: undefined }, at).responseContext).toBeUndefined();
    expect(JSON.stringify(failureDocument(b, at))).not.toMatch(/"error"/);
  });

  it('the replay reads both layouts and returns every record once, per shard in sequence order', () => {
    const s0 = 'shardId-000000000000';
    const s1 = 'shardId-000000000001';
    const awsObject = (b: FailedBatch) => ({ key: failureKey(b, new Date()), body: JSON.stringify(failureDocument(b, new Date())) });
    const objects = [
      awsObject(batch(s0, [rec(s0, '0030', { i: 30 }), rec(s0, '0031', { i: 31 })])),
      oldLocalObject(batch(s1, [rec(s1, '0005', { i: 5 })])),
      oldLocalObject(batch(s0, [rec(s0, '0010', { i: 10 }), rec(s0, '0011', { i: 11 })])),
      awsObject(batch(s0, [rec(s0, '0011', { i: 11 })], { condition: 'RecordAgeExceeded', lastOutcome: undefined })),
    ].map((o) => parseFailureObject(o.key, o.body));
    expect(objects.map((o) => o.condition)).toEqual([
      'RetryAttemptsExhausted',
      'RetryAttemptsExhausted',
      'RetryAttemptsExhausted',
      'RecordAgeExceeded',
    ]);
    const ordered = inStreamOrder(objects);
    expect(ordered.map((r) => [r.shardId, r.sequenceNumber, JSON.parse(r.data.toString('utf8')).i])).toEqual([
      [s0, '0010', 10],
      [s0, '0011', 11],
      [s0, '0030', 30],
      [s0, '0031', 31],
      [s1, '0005', 5],
    ]);
    expect(ordered[0].partitionKey).toBe('m1');
  });

  it('names the object that is not a failure record', () => {
    expect(() => parseFailureObject('x.json', 'nope')).toThrow('x.json: not JSON');
    expect(() => parseFailureObject('y.json', JSON.stringify({ requestContext: {} }))).toThrow(/^y\.json: no payload\.Records/);
  });
});
