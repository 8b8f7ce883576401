import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENTRY_METADATA } from './handler';
import { MAX_RECORD_AGE } from './stream-consumers';
import { EVENTS_RETENTION } from './streams';

export interface MonitoringProps {
  /** The behaviour events stream. */
  readonly eventsStream: kinesis.IStream;
  /** Its consumer (process-events). */
  readonly consumer: lambda.Function;
  /** On-failure destination of the consumer's event source mapping. */
  readonly failedBatches: s3.Bucket;
  readonly httpApi: apigw.HttpApi;
  /** Where failed daily job runs end up (infra/constructs/daily-jobs.ts). */
  readonly jobs: {
    /** Lambda's on-failure destination of the jobs (a run still failing after its retries). */
    readonly failures: sqs.IQueue;
    /** The schedules' dead-letter queue (a run Scheduler could not deliver). */
    readonly deadLetters: sqs.IQueue;
  };
}

/** Filter id of the S3 request metrics of FailedBatchesBucket (the whole bucket). */
export const FAILED_BATCHES_METRICS_FILTER = 'EntireBucket';

/** Iterator age (ms) that means the consumer is falling behind when sustained. */
export const ITERATOR_AGE_ALARM_MS = 60_000;

/**
 * Iterator age (ms) that means act now: an hour behind, with 11 hours left before the oldest
 * records reach the mapping's maximum record age (12 h, then FailedBatchesBucket) and days before
 * EventsStream trims them (7 days). Asserted against both in test/infra/monitoring.test.ts.
 */
export const ITERATOR_AGE_CRITICAL_MS = 3_600_000;

/** Records quarantined in an hour that mean a producer is sending bad data. */
export const QUARANTINE_ALARM_PER_HOUR = 100;

/** Namespace of the metrics memberflow derives from its own logs. */
export const METRICS_NAMESPACE = 'memberflow';

const minutes = (n: number) => Duration.minutes(n);

/** The (pinned) CloudFormation logical id of a construct's resource, e.g. `ProcessEventsFunction`. */
function logicalIdOf(construct: Construct): string {
  return Stack.of(construct).resolve((construct.node.defaultChild as CfnElement).logicalId) as string;
}

/**
 * Operations: CloudWatch alarms on everything that means "data is late, lost or refused", an SNS
 * topic they notify (KMS-encrypted, TLS only), and one dashboard.
 *
 * - the events consumer falling behind: the Lambda `IteratorAge` of the consumer and the stream's
 *   `GetRecords.IteratorAgeMilliseconds`, over a minute for five minutes (a shard stuck), and the
 *   consumer over an hour behind (critical: long before the record age and the stream's retention);
 * - the quarantine growing: a metric filter on the consumer's "batch processed" log line;
 * - batches given up on: S3 has no real-time object count, so FailedBatchesBucket gets S3 request
 *   metrics (1-minute `PutRequests`; the only writer is the mapping's on-failure destination) and
 *   any put alarms; Lambda's `DestinationDeliveryFailures` of the consumer alarms when even the
 *   destination could not be written (records lost until replayed from the stream);
 * - errors and throttles of every handler (the functions carrying `memberflow:entry`, found in the
 *   stack); the consumer's errors alarm only when they persist (a retried batch is normal);
 * - daily job runs given up on: a message in JobFailuresQueue or ScheduleDeadLetterQueue;
 * - DynamoDB read/write throttle events per table; producers throttled on EventsStream;
 * - API Gateway 5xx.
 * Functions and tables are discovered in the stack, so the one line that adds this construct must
 * come after all of them.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // Alarm notifications: a customer managed key (CloudWatch cannot publish to a topic encrypted
    // with the AWS managed aws/sns key), rotated yearly; the topic refuses non-TLS publishers.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'memberflow alarm notifications (SNS server-side encryption)',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'], // in a key policy, "*" is this key
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'memberflow alarms',
      masterKey: key,
      enforceSSL: true,
    });
    const notify = new actions.SnsAction(this.topic);
    const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const a = new cloudwatch.Alarm(this, alarmId, alarmProps);
      a.addAlarmAction(notify);
      a.addOkAction(notify);
      this.alarms.push(a);
      return a;
    };

    const functions = stack.node
      .findAll()
      .filter((c): c is lambda.Function => c instanceof lambda.Function)
      .filter((fn) => (fn.node.defaultChild as lambda.CfnFunction).getMetadata(ENTRY_METADATA) !== undefined)
      .map((fn) => ({ fn, id: logicalIdOf(fn) }));
    const tables = stack.node
      .findAll()
      .filter((c): c is dynamodb.Table => c instanceof dynamodb.Table)
      .map((table) => ({ table, id: logicalIdOf(table) }));

    // ---- the events consumer ----
    const consumerIteratorAge = props.consumer.metric('IteratorAge', { statistic: 'Maximum', period: minutes(1) });
    alarm('ConsumerIteratorAgeAlarm', {
      alarmDescription:
        'process-events is more than a minute behind EventsStream for 5 minutes: a shard may be stuck on a failing batch (see README, Runbook).',
      metric: consumerIteratorAge,
      threshold: ITERATOR_AGE_ALARM_MS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const streamIteratorAge = props.eventsStream.metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum', period: minutes(1) });
    alarm('EventsStreamIteratorAgeAlarm', {
      alarmDescription: 'Records are read from EventsStream more than a minute after they arrived, for 5 minutes.',
      metric: streamIteratorAge,
      threshold: ITERATOR_AGE_ALARM_MS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('ConsumerIteratorAgeCriticalAlarm', {
      alarmDescription: `process-events is over an hour behind EventsStream: records older than ${MAX_RECORD_AGE.toHours()} hours stop being retried and go to FailedBatchesBucket (then replay them), and EventsStream drops records after ${EVENTS_RETENTION.toDays()} days (README, Runbook).`,
      metric: consumerIteratorAge,
      threshold: ITERATOR_AGE_CRITICAL_MS,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const producerThrottles = props.eventsStream.metricWriteProvisionedThroughputExceeded({ statistic: 'Sum', period: minutes(5) });
    alarm('EventsStreamWriteThrottledAlarm', {
      alarmDescription: 'Producers were throttled on EventsStream (add shards).',
      metric: producerThrottles,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // ---- batches given up on ----
    props.failedBatches.addMetric({ id: FAILED_BATCHES_METRICS_FILTER });
    const failedBatchWrites = new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName: 'PutRequests',
      dimensionsMap: { BucketName: props.failedBatches.bucketName, FilterId: FAILED_BATCHES_METRICS_FILTER },
      statistic: 'Sum',
      period: minutes(1),
    });
    alarm('FailedBatchesWrittenAlarm', {
      alarmDescription:
        'A batch of EventsStream went to FailedBatchesBucket (retries or record age exhausted): fix the cause, then replay it (README, Runbook).',
      metric: failedBatchWrites,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const destinationFailures = props.consumer.metric('DestinationDeliveryFailures', { statistic: 'Sum', period: minutes(1) });
    alarm('ConsumerDestinationDeliveryFailuresAlarm', {
      alarmDescription:
        'A failed batch could not even be written to FailedBatchesBucket: replay it from EventsStream before it expires (24 h).',
      metric: destinationFailures,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // ---- daily jobs given up on ----
    const queued = (queue: sqs.IQueue) => queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: minutes(5) });
    const jobFailures = queued(props.jobs.failures);
    const scheduleDeadLetters = queued(props.jobs.deadLetters);
    alarm('JobFailuresQueueAlarm', {
      alarmDescription:
        "A daily job run failed 3 times (Lambda asynchronous retries exhausted) or waited over 6 hours: its event is in JobFailuresQueue, the error in the job's log; fix, then run the job for that day (README, Runbook).",
      metric: jobFailures,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('ScheduleDeadLetterQueueAlarm', {
      alarmDescription:
        'EventBridge Scheduler could not deliver a daily job run to Lambda (retry policy exhausted): the message in ScheduleDeadLetterQueue names the schedule and the error; run the job for that day (README, Runbook).',
      metric: scheduleDeadLetters,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // ---- the quarantine growing ----
    // From the consumer's own log line ({"message":"batch processed", …, "quarantined": n}); a
    // retried batch logs its bad records again, so this over-counts a little: an alarm, not a tally.
    new logs.MetricFilter(this, 'QuarantinedRecordsFilter', {
      logGroup: props.consumer.logGroup,
      filterPattern: logs.FilterPattern.all(
        logs.FilterPattern.stringValue('$.message', '=', 'batch processed'),
        logs.FilterPattern.numberValue('$.quarantined', '>', 0),
      ),
      metricNamespace: METRICS_NAMESPACE,
      metricName: 'QuarantinedRecords',
      metricValue: '$.quarantined',
    });
    const quarantined = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: 'QuarantinedRecords',
      statistic: 'Sum',
      period: Duration.hours(1),
    });
    alarm('QuarantineGrowingAlarm', {
      alarmDescription: `Over ${QUARANTINE_ALARM_PER_HOUR} records quarantined in an hour: see GET /quarantine for the reasons (README, Runbook).`,
      metric: quarantined,
      threshold: QUARANTINE_ALARM_PER_HOUR,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // ---- every handler ----
    for (const { fn, id: fnId } of functions) {
      const isConsumer = fn === props.consumer;
      alarm(`${fnId}ErrorsAlarm`, {
        alarmDescription: isConsumer
          ? 'process-events failed in 3 consecutive 5-minute periods: a batch keeps failing (retries, then bisect, then FailedBatchesBucket).'
          : `${fnId} failed.`,
        metric: fn.metricErrors({ statistic: 'Sum', period: minutes(5) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: isConsumer ? 3 : 1,
        datapointsToAlarm: isConsumer ? 3 : 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm(`${fnId}ThrottlesAlarm`, {
        alarmDescription: `${fnId} was throttled (account or reserved concurrency).`,
        metric: fn.metricThrottles({ statistic: 'Sum', period: minutes(5) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    // ---- DynamoDB ----
    const tableThrottles = tables.map(({ table, id: tableId }, i) => {
      // Ids unique across tables: the dashboard graphs every expression in one widget.
      const expression = new cloudwatch.MathExpression({
        expression: `r${i} + w${i}`,
        usingMetrics: {
          [`r${i}`]: table.metric('ReadThrottleEvents', { statistic: 'Sum', period: minutes(5) }),
          [`w${i}`]: table.metric('WriteThrottleEvents', { statistic: 'Sum', period: minutes(5) }),
        },
        label: `${tableId} throttle events`,
        period: minutes(5),
      });
      alarm(`${tableId}ThrottlesAlarm`, {
        alarmDescription: `${tableId} throttled reads or writes (on-demand: a hot partition or the account's table limit).`,
        metric: expression,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      return expression;
    });

    // ---- the API ----
    const api5xx = props.httpApi.metricServerError({ statistic: 'Sum', period: minutes(5) });
    alarm('Api5xxAlarm', {
      alarmDescription: 'The HTTP API answered 5xx (the contract allows none: every bad request is a 4xx).',
      metric: api5xx,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // ---- the dashboard ----
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }));
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Events consumer: iterator age (ms)',
        left: [consumerIteratorAge, streamIteratorAge],
        leftAnnotations: [
          { value: ITERATOR_AGE_ALARM_MS, label: 'alarm' },
          { value: ITERATOR_AGE_CRITICAL_MS, label: 'critical' },
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Events consumer: invocations, errors, batches given up on',
        left: [props.consumer.metricInvocations({ period: minutes(1) }), props.consumer.metricErrors({ period: minutes(1) })],
        right: [failedBatchWrites, destinationFailures, quarantined.with({ period: minutes(5) })],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Handlers: errors',
        left: functions.map(({ fn, id: fnId }) => fn.metricErrors({ label: fnId, period: minutes(5) })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Handlers: throttles',
        left: functions.map(({ fn, id: fnId }) => fn.metricThrottles({ label: fnId, period: minutes(5) })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Handlers: duration p99 (ms)',
        left: functions.map(({ fn, id: fnId }) => fn.metricDuration({ label: fnId, statistic: 'p99', period: minutes(5) })),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'DynamoDB: throttle events', left: tableThrottles, width: 8 }),
      new cloudwatch.GraphWidget({
        title: 'DynamoDB: consumed write units',
        left: tables.map(({ table, id: tableId }) => table.metricConsumedWriteCapacityUnits({ label: tableId, period: minutes(5) })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'EventsStream: incoming records, producer throttles',
        left: [props.eventsStream.metricIncomingRecords({ period: minutes(5) })],
        right: [producerThrottles],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API: requests, 4xx, 5xx',
        left: [props.httpApi.metricCount({ period: minutes(5) }), props.httpApi.metricClientError({ period: minutes(5) }), api5xx],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'API: latency p50 / p99 (ms)',
        left: [
          props.httpApi.metricLatency({ statistic: 'p50', period: minutes(5) }),
          props.httpApi.metricLatency({ statistic: 'p99', period: minutes(5) }),
        ],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Daily jobs: failed runs (JobFailuresQueue, ScheduleDeadLetterQueue)',
        left: [jobFailures, scheduleDeadLetters],
        width: 24,
      }),
    );
  }
}
