// The on-failure destination of a local event source mapping: an S3 object per discarded batch,
// written as Lambda writes it (docs/aws.md, "On-failure destination"): the key
// `aws/lambda/<mapping-uuid>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>`, the invocation
// record with the batch's records (S3 destinations, unlike SQS/SNS, carry the payload), and no
// error text — the error is in the function's log.
import { createHash, randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './aws';
import type { SourceRecord } from './stream-sources';

export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

export interface FailedBatch {
  mapping: string;
  functionName: string;
  sourceKind: 'kinesis' | 'dynamodb';
  sourceArn: string;
  shardId: string;
  condition: FailureCondition;
  records: SourceRecord[];
  approximateInvokeCount: number;
  /** How the last invocation ended (RetryAttemptsExhausted): a function error or a partial batch response. */
  lastOutcome?: 'partial' | 'error';
}

export interface FailureDestination {
  send(batch: FailedBatch): Promise<void>;
}

/** The mapping's UUID: stable for a mapping of a stack (its logical id and its source's ARN). */
export function mappingUuid(mapping: string, sourceArn: string): string {
  const h = createHash('sha256').update(`${sourceArn}|${mapping}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `aws/lambda/<mapping-uuid>/<shardId>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random uuid>` (UTC). */
export function failureKey(batch: Pick<FailedBatch, 'mapping' | 'sourceArn' | 'shardId'>, at: Date): string {
  const [y, m, d] = [at.getUTCFullYear(), pad(at.getUTCMonth() + 1), pad(at.getUTCDate())];
  const time = `${y}-${m}-${d}T${pad(at.getUTCHours())}.${pad(at.getUTCMinutes())}.${pad(at.getUTCSeconds())}`;
  return `aws/lambda/${mappingUuid(batch.mapping, batch.sourceArn)}/${batch.shardId}/${y}/${m}/${d}/${time}-${randomUUID()}`;
}

export function failureDocument(batch: FailedBatch, at: Date): Record<string, unknown> {
  const first = batch.records[0];
  const last = batch.records[batch.records.length - 1];
  const info = {
    shardId: batch.shardId,
    startSequenceNumber: first.sequenceNumber,
    endSequenceNumber: last.sequenceNumber,
    approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
    approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
    batchSize: batch.records.length,
    streamArn: batch.sourceArn,
  };
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${batch.functionName}`,
      condition: batch.condition,
      approximateInvokeCount: batch.approximateInvokeCount,
    },
    // Records that aged out carry no response; otherwise the last one, without its error text:
    // "Unhandled" for a function error, null for a partial batch response.
    ...(batch.condition === 'RecordAgeExceeded'
      ? {}
      : {
          responseContext: {
            statusCode: 200,
            executedVersion: '$LATEST',
            functionError: batch.lastOutcome === 'error' ? 'Unhandled' : null,
          },
        }),
    version: '1.0',
    timestamp: at.toISOString(),
    [batch.sourceKind === 'kinesis' ? 'KinesisBatchInfo' : 'DDBStreamBatchInfo']: info,
    payload: { Records: batch.records.map((r) => r.lambdaRecord) },
  };
}

export function s3FailureDestination(client: S3Client, bucket: string): FailureDestination {
  return {
    async send(batch) {
      const at = new Date();
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: failureKey(batch, at),
          Body: JSON.stringify(failureDocument(batch, at)),
          ContentType: 'application/json',
        }),
      );
    },
  };
}
