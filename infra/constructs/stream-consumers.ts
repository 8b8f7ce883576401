import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KinesisEventSource, S3OnFailureDestination, type StreamEventSourceProps } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge, pinLogicalId } from './ids';

/**
 * S3 on-failure destination that grants only what Lambda needs to write a failed batch
 * (s3:PutObject, s3:ListBucket) instead of the base class's grantReadWrite.
 */
class PutOnlyS3OnFailureDestination extends S3OnFailureDestination {
  constructor(private readonly target: s3.IBucket) {
    super(target);
  }

  override bind(_mapping: lambda.IEventSourceMapping, handler: lambda.IFunction): lambda.DlqDestinationConfig {
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.target.bucketArn],
      }),
    );
    handler.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.target.arnForObjects('*')],
      }),
    );
    return { destination: this.target.bucketArn };
  }
}

/**
 * A record older than this is not invoked any more: its batch goes to FailedBatchesBucket and the
 * shard moves on. It bounds how long one failing batch can hold its shard (half a day: a night
 * without an operator, and yesterday's figures complete by midday), and it is the limit that
 * binds the retries (`RETRY_ATTEMPTS`). Far below EventsStream's retention (`EVENTS_RETENTION`,
 * 7 days), so a record is given up on, with a failure object, long before Kinesis trims it.
 */
export const MAX_RECORD_AGE = Duration.hours(12);

/**
 * Retries of a failing batch (10,000, the most a Kinesis mapping allows). AWS documents neither
 * the backoff between stream retries nor how retries are counted across bisected halves, so a
 * small count could be spent in seconds on an outage that lasts minutes (a DynamoDB throttling
 * burst, a deployment). With this count an outage is ridden out for at least 10,000 attempts, and
 * unless Lambda retries faster than one attempt every 4.32 s the record age above is what ends the
 * retries. Bisecting does not use the retry quota (docs/aws.md).
 */
export const RETRY_ATTEMPTS = 10_000;

/** How long a stream mapping gathers records before it invokes (the benchmarks run with it too). */
export const MAX_BATCHING_WINDOW_SECONDS = 2;

/**
 * Shared mapping settings (docs/architecture.md, docs/aws.md): retries bounded by record age,
 * bisect on error, partial batch responses and an S3 copy of anything given up on, so one bad
 * record never blocks a shard for longer than the record age.
 */
function mappingSettings(failedBatches: s3.IBucket): StreamEventSourceProps {
  return {
    startingPosition: lambda.StartingPosition.TRIM_HORIZON,
    batchSize: 500,
    maxBatchingWindow: Duration.seconds(MAX_BATCHING_WINDOW_SECONDS),
    bisectBatchOnError: true,
    reportBatchItemFailures: true,
    retryAttempts: RETRY_ATTEMPTS,
    maxRecordAge: MAX_RECORD_AGE,
    parallelizationFactor: 1,
    onFailure: new PutOnlyS3OnFailureDestination(failedBatches),
  };
}

/** EventsStream → process-events, with the mapping pinned as `EventsMapping`. */
export function consumeEvents(fn: lambda.Function, stream: kinesis.IStream, failedBatches: s3.IBucket): void {
  fn.addEventSource(new KinesisEventSource(stream, mappingSettings(failedBatches)));
  pinMapping(fn, 'EventsMapping');
  acknowledgeFailedBatchWrites(fn);
}

function pinMapping(fn: lambda.Function, logicalId: string): void {
  const mappings = fn.node.children.filter((c): c is lambda.EventSourceMapping => c instanceof lambda.EventSourceMapping);
  if (mappings.length !== 1) throw new Error(`${fn.node.path}: expected one event source mapping`);
  pinLogicalId(mappings[0], logicalId);
}

function acknowledgeFailedBatchWrites(fn: lambda.Function): void {
  acknowledge(
    roleOf(fn),
    'AwsSolutions-IAM5[Resource::<FailedBatchesBucket.Arn>/*]',
    'Lambda names each failed-batch object itself, so s3:PutObject (and nothing else) is granted on ' +
      'any key of the FailedBatchesBucket.',
  );
}

/** Findings about a function's policy sit on its role's DefaultPolicy, so acknowledge them there. */
function roleOf(fn: lambda.Function): iam.IRole {
  if (!fn.role) throw new Error(`${fn.node.path} has no role`);
  return fn.role;
}
