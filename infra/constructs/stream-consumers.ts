import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  KinesisEventSource, S3OnFailureDestination, type StreamEventSourceProps,
} from 'aws-cdk-lib/aws-lambda-event-sources';
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
    handler.addToRolePolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [this.target.bucketArn],
    }));
    handler.addToRolePolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      resources: [this.target.arnForObjects('*')],
    }));
    return { destination: this.target.bucketArn };
  }
}

/**
 * Shared mapping settings (docs/architecture.md): finite retries and record age, bisect on error,
 * partial batch responses and an S3 copy of anything given up on, so one bad record never blocks
 * a shard.
 */
function mappingSettings(failedBatches: s3.IBucket): StreamEventSourceProps {
  return {
    startingPosition: lambda.StartingPosition.TRIM_HORIZON,
    batchSize: 500,
    maxBatchingWindow: Duration.seconds(2),
    bisectBatchOnError: true,
    reportBatchItemFailures: true,
    retryAttempts: 5,
    maxRecordAge: Duration.days(1),
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
  acknowledge(roleOf(fn), 'AwsSolutions-IAM5[Resource::<FailedBatchesBucket.Arn>/*]',
    'Lambda names each failed-batch object itself, so s3:PutObject (and nothing else) is granted on '
    + 'any key of the FailedBatchesBucket.');
}

/** Findings about a function's policy sit on its role's DefaultPolicy, so acknowledge them there. */
function roleOf(fn: lambda.Function): iam.IRole {
  if (!fn.role) throw new Error(`${fn.node.path} has no role`);
  return fn.role;
}
