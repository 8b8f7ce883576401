// The on-failure destination of a local event source mapping: an S3 object per discarded batch,
// shaped like Lambda's S3 destination record (which, unlike SQS/SNS, carries the full payload).
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
  /** Last error message / "partial batch failure" when the handler failed. */
  error?: string;
}

export interface FailureDestination {
  send(batch: FailedBatch): Promise<void>;
}

/** Object key: `<mapping>/<shardId>/<firstSeq>-<lastSeq>.json`. */
export function failureKey(batch: Pick<FailedBatch, 'mapping' | 'shardId' | 'records'>): string {
  const first = batch.records[0].sequenceNumber;
  const last = batch.records[batch.records.length - 1].sequenceNumber;
  return `${batch.mapping}/${batch.shardId}/${first}-${last}.json`;
}

export function failureDocument(batch: FailedBatch): Record<string, unknown> {
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
      requestId: crypto.randomUUID(),
      functionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${batch.functionName}`,
      condition: batch.condition,
      approximateInvokeCount: batch.approximateInvokeCount,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      functionError: batch.error ? 'Unhandled' : undefined,
      error: batch.error,
    },
    version: '1.0',
    timestamp: new Date().toISOString(),
    [batch.sourceKind === 'kinesis' ? 'KinesisBatchInfo' : 'DDBStreamBatchInfo']: info,
    payload: { Records: batch.records.map((r) => r.lambdaRecord) },
  };
}

export function s3FailureDestination(client: S3Client, bucket: string): FailureDestination {
  return {
    async send(batch) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: failureKey(batch),
          Body: JSON.stringify(failureDocument(batch)),
          ContentType: 'application/json',
        }),
      );
    },
  };
}
