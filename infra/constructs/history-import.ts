import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledge, pinLogicalId } from './ids';

export interface HistoryImportProps {
  /** functions/import-stage.ts: one input object → per-day chunks under staged/<importId>/. */
  readonly stage: lambda.IFunction;
  /** functions/import-apply.ts: the staged days applied in time order, from its checkpoint. */
  readonly apply: lambda.IFunction;
  /** Where the bucket's access logs go. */
  readonly accessLogs: s3.IBucket;
}

/** Input objects: s3://ImportBucket/incoming/<anything>; staging and checkpoints under staged/. */
export const IMPORT_INCOMING_PREFIX = 'incoming/';
/** Parallel stage items (each reads one object; Lambda concurrency is the real limit). */
export const STAGE_MAX_CONCURRENCY = 100;

/**
 * `npm run import` in AWS (docs/aws.md#history-import): ImportStateMachine, started with
 * `{}` after the history's JSON-lines files (optionally .gz) are put under `incoming/` of
 * ImportBucket:
 *  1. Stage — a Distributed Map over the objects (S3 ListObjectsV2 item reader), one
 *     import-stage invocation per object, up to STAGE_MAX_CONCURRENCY at once: bad lines
 *     quarantined with key:line, valid lines cut into per-day chunks;
 *  2. Apply — import-apply, the single writer, in a loop until it answers done: the days in time
 *     order through the consumer's batch code with the daily jobs caught up between days, a
 *     checkpoint after each batch (a retry or the next round goes on from it).
 * The execution's name is the import id; its start time is the import's clock.
 */
export class HistoryImport extends Construct {
  readonly bucket: s3.Bucket;
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: HistoryImportProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'ImportBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'import/',
      // Staged chunks and checkpoints are working files of one import.
      lifecycleRules: [{ prefix: 'staged/', expiration: Duration.days(14) }],
    });
    pinLogicalId(this.bucket, 'ImportBucket');

    // Least privilege: stage reads incoming/ and writes staged/; apply reads and lists staged/ and
    // writes its checkpoint there. Neither can touch the other's inputs beyond that.
    props.stage.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(`${IMPORT_INCOMING_PREFIX}*`)] }),
    );
    props.stage.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('staged/*')] }));
    props.apply.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [this.bucket.arnForObjects('staged/*')] }),
    );
    props.apply.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['staged/*'] } },
      }),
    );
    const objectsReason =
      "Scoped to one prefix of ImportBucket: object keys are the operator's files (incoming/) or per-import " +
      'working files (staged/<import id>/), not known when the stack is deployed.';
    acknowledge(props.stage.role!, 'AwsSolutions-IAM5[Resource::<ImportBucket.Arn>/incoming/*]', objectsReason);
    acknowledge(props.stage.role!, 'AwsSolutions-IAM5[Resource::<ImportBucket.Arn>/staged/*]', objectsReason);
    acknowledge(props.apply.role!, 'AwsSolutions-IAM5[Resource::<ImportBucket.Arn>/staged/*]', objectsReason);

    const clock = {
      bucket: this.bucket.bucketName,
      importId: sfn.JsonPath.stringAt('$$.Execution.Name'),
      arrivedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
    };
    const stageItem = new tasks.LambdaInvoke(this, 'StageObject', {
      lambdaFunction: props.stage,
      payload: sfn.TaskInput.fromObject({ ...clock, key: sfn.JsonPath.stringAt('$.Key') }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    const stage = new sfn.DistributedMap(this, 'Stage', {
      itemReader: new sfn.S3ObjectsItemReader({ bucket: this.bucket, prefix: IMPORT_INCOMING_PREFIX }),
      itemSelector: { Key: sfn.JsonPath.stringAt('$$.Map.Item.Value.Key') },
      maxConcurrency: STAGE_MAX_CONCURRENCY,
      toleratedFailurePercentage: 0,
      resultPath: sfn.JsonPath.DISCARD,
    });
    stage.itemProcessor(stageItem);

    const apply = new tasks.LambdaInvoke(this, 'ApplyDays', {
      lambdaFunction: props.apply,
      payload: sfn.TaskInput.fromObject(clock),
      payloadResponseOnly: true,
      resultPath: '$.apply',
      retryOnServiceExceptions: true,
    });
    // A failed round (a throttled table, a timeout) goes on from the checkpoint.
    apply.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(10), backoffRate: 2, maxAttempts: 4 });
    const done = new sfn.Succeed(this, 'Imported');
    const more = new sfn.Choice(this, 'AllDaysApplied').when(sfn.Condition.booleanEquals('$.apply.done', true), done).otherwise(apply);

    this.stateMachine = new sfn.StateMachine(this, 'ImportStateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(stage.next(apply).next(more)),
      timeout: Duration.days(2),
    });
    pinLogicalId(this.stateMachine, 'ImportStateMachine');
    // Vended logs and X-Ray need actions on Resource "*" (logs:CreateLogDelivery…,
    // xray:PutTraceSegments), which this stack grants nowhere.
    acknowledge(
      this.stateMachine,
      'AwsSolutions-SF1',
      'Not logged to CloudWatch Logs: that needs log-delivery actions on Resource "*". Each state is a Lambda ' +
        'with its own log group (every staged object, every applied round), and Step Functions keeps the execution ' +
        'history (90 days).',
    );
    acknowledge(
      this.stateMachine,
      'AwsSolutions-SF2',
      'No X-Ray tracing: it needs xray:PutTraceSegments on Resource "*"; the Lambda logs and the execution history ' + 'cover an import.',
    );
    const role = this.stateMachine.role;
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::<ImportStageFunction.Arn>:*]',
      'Invoke of import-stage only, any version or alias of it (the CDK LambdaInvoke grant).',
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::<ImportApplyFunction.Arn>:*]',
      'Invoke of import-apply only, any version or alias of it (the CDK LambdaInvoke grant).',
    );
    const childReason =
      'The Distributed Map runs its items as child executions of this state machine only; their names are ' +
      'generated by Step Functions (the grant CDK adds for a DistributedMap).';
    const childPolicy = this.stateMachine.node.findChild('DistributedMapPolicy');
    for (const suffix of [':*', '/*:*'])
      acknowledge(
        childPolicy,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"ImportStateMachine"}]}]}${suffix}]`,
        childReason,
      );
  }
}
