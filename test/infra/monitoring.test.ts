// Operations (infra/constructs/monitoring.ts): alarms on consumer lag, batches given up on,
// handler errors and throttles, DynamoDB throttles and API 5xx, all notifying one encrypted
// TLS-only SNS topic, and a dashboard.
import { describe, expect, it } from 'vitest';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  FAILED_BATCHES_METRICS_FILTER,
  ITERATOR_AGE_ALARM_MS,
  ITERATOR_AGE_CRITICAL_MS,
  METRICS_NAMESPACE,
  QUARANTINE_ALARM_PER_HOUR,
} from '../../infra/constructs/monitoring';
import { createStack } from '../../infra/synth';

const template = Template.fromStack(createStack());
const resources: Record<string, any> = template.toJSON().Resources;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const alarms = ofType('AWS::CloudWatch::Alarm').map(([id, r]) => ({ id, ...r.Properties }));
const topicId = ofType('AWS::SNS::Topic')[0]?.[0];
const functionIds = ofType('AWS::Lambda::Function')
  .filter(([, r]) => r.Metadata?.['memberflow:entry'])
  .map(([id]) => id);
const tableIds = ofType('AWS::DynamoDB::Table').map(([id]) => id);

/** The alarm on a plain metric with these name/namespace and a dimension naming `ref`. */
function alarmOn(metricName: string, namespace: string, dimension?: { Name: string; Value: unknown }) {
  return alarms.filter(
    (a) =>
      a.MetricName === metricName &&
      a.Namespace === namespace &&
      (!dimension || JSON.stringify(a.Dimensions ?? []).includes(JSON.stringify(dimension))),
  );
}

describe('alarm notifications', () => {
  it('go to one SNS topic, encrypted with a rotated customer managed key, TLS only', () => {
    expect(ofType('AWS::SNS::Topic')).toHaveLength(1);
    const topic = resources[topicId].Properties;
    const keyId = topic.KmsMasterKeyId['Fn::GetAtt'][0];
    expect(resources[keyId].Type).toBe('AWS::KMS::Key');
    expect(resources[keyId].Properties.EnableKeyRotation).toBe(true);
    // CloudWatch may use the key to publish (an AWS managed aws/sns key would not let it).
    expect(JSON.stringify(resources[keyId].Properties.KeyPolicy)).toContain('cloudwatch.amazonaws.com');
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('every alarm notifies the topic on ALARM and on OK, and missing data is not a breach', () => {
    expect(alarms.length).toBeGreaterThan(10);
    for (const a of alarms) {
      expect(a.AlarmActions, a.id).toEqual([{ Ref: topicId }]);
      expect(a.OKActions, a.id).toEqual([{ Ref: topicId }]);
      expect(a.TreatMissingData, a.id).toBe('notBreaching');
      expect(a.AlarmDescription, a.id).toEqual(expect.any(String));
    }
  });
});

describe('the events consumer', () => {
  it('alarms when process-events is over a minute behind for 5 minutes (Lambda IteratorAge)', () => {
    const [a] = alarmOn('IteratorAge', 'AWS/Lambda', { Name: 'FunctionName', Value: { Ref: 'ProcessEventsFunction' } }).filter(
      (x) => x.Threshold === ITERATOR_AGE_ALARM_MS,
    );
    expect(a).toMatchObject({
      Statistic: 'Maximum',
      Period: 60,
      Threshold: ITERATOR_AGE_ALARM_MS,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms critically when process-events is over an hour behind (long before the 12-hour record age)', () => {
    const [a] = alarmOn('IteratorAge', 'AWS/Lambda', { Name: 'FunctionName', Value: { Ref: 'ProcessEventsFunction' } }).filter(
      (x) => x.Threshold === ITERATOR_AGE_CRITICAL_MS,
    );
    expect(a).toMatchObject({
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 3_600_000,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(a.AlarmDescription).toMatch(/12 hours.*7 days/);
  });

  it('alarms on the stream side too (Kinesis GetRecords.IteratorAgeMilliseconds of EventsStream)', () => {
    const [a] = alarmOn('GetRecords.IteratorAgeMilliseconds', 'AWS/Kinesis', { Name: 'StreamName', Value: { Ref: 'EventsStream' } });
    expect(a).toMatchObject({ Statistic: 'Maximum', Threshold: ITERATOR_AGE_ALARM_MS, EvaluationPeriods: 5 });
  });

  it('alarms on any write to FailedBatchesBucket (S3 request metrics enabled on the bucket)', () => {
    expect(resources.FailedBatchesBucket.Properties.MetricsConfigurations).toEqual([{ Id: FAILED_BATCHES_METRICS_FILTER }]);
    const [a] = alarmOn('PutRequests', 'AWS/S3');
    expect(a.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'BucketName', Value: { Ref: 'FailedBatchesBucket' } },
        { Name: 'FilterId', Value: FAILED_BATCHES_METRICS_FILTER },
      ]),
    );
    expect(a).toMatchObject({ Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  it('alarms when a failed batch could not be delivered to the destination at all', () => {
    expect(
      alarmOn('DestinationDeliveryFailures', 'AWS/Lambda', { Name: 'FunctionName', Value: { Ref: 'ProcessEventsFunction' } }),
    ).toHaveLength(1);
  });

  it('alarms when the quarantine grows (a metric filter on the consumer\'s "batch processed" log line)', () => {
    const filters = ofType('AWS::Logs::MetricFilter').map(([, r]) => r.Properties);
    expect(filters).toHaveLength(1);
    expect(filters[0]).toMatchObject({
      LogGroupName: { Ref: resources.ProcessEventsFunction.Properties.LoggingConfig.LogGroup.Ref },
      FilterPattern: '{ ($.message = "batch processed") && ($.quarantined > 0) }',
      MetricTransformations: [{ MetricNamespace: METRICS_NAMESPACE, MetricName: 'QuarantinedRecords', MetricValue: '$.quarantined' }],
    });
    const [a] = alarmOn('QuarantinedRecords', METRICS_NAMESPACE);
    expect(a).toMatchObject({ Statistic: 'Sum', Period: 3600, Threshold: QUARANTINE_ALARM_PER_HOUR });
  });

  it('alarms when producers are throttled on EventsStream', () => {
    expect(
      alarmOn('WriteProvisionedThroughputExceeded', 'AWS/Kinesis', { Name: 'StreamName', Value: { Ref: 'EventsStream' } }),
    ).toHaveLength(1);
  });
});

describe('daily jobs', () => {
  it.each(['JobFailuresQueue', 'ScheduleDeadLetterQueue'])('alarms as soon as a message is in %s', (queueId) => {
    const mine = alarmOn('ApproximateNumberOfMessagesVisible', 'AWS/SQS', {
      Name: 'QueueName',
      Value: { 'Fn::GetAtt': [queueId, 'QueueName'] },
    });
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
    });
  });
});

describe('handlers, tables and the API', () => {
  it('finds every handler', () => {
    expect(functionIds).toEqual(
      expect.arrayContaining([
        'ProcessEventsFunction',
        'ApiFunction',
        'TierReviewFunction',
        'WinbackFunction',
        'RfmFunction',
        'CoinsFunction',
      ]),
    );
  });

  it.each(functionIds)('%s has an errors and a throttles alarm', (fnId) => {
    const dim = { Name: 'FunctionName', Value: { Ref: fnId } };
    const [errors] = alarmOn('Errors', 'AWS/Lambda', dim);
    const [throttles] = alarmOn('Throttles', 'AWS/Lambda', dim);
    expect(errors).toMatchObject({ Statistic: 'Sum', Threshold: 1 });
    expect(throttles).toMatchObject({ Statistic: 'Sum', Threshold: 1, EvaluationPeriods: 1 });
    // A retried batch is normal for the consumer: only errors in 3 periods in a row alarm.
    expect(errors.EvaluationPeriods).toBe(fnId === 'ProcessEventsFunction' ? 3 : 1);
  });

  it.each(tableIds)('%s has a throttled reads + writes alarm', (tableId) => {
    const mine = alarms.filter((a) =>
      JSON.stringify(a.Metrics ?? []).includes(JSON.stringify({ Name: 'TableName', Value: { Ref: tableId } })),
    );
    expect(mine).toHaveLength(1);
    const names = mine[0].Metrics.filter((m: any) => m.MetricStat)
      .map((m: any) => m.MetricStat.Metric.MetricName)
      .sort();
    expect(names).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents']);
    expect(mine[0].Metrics.find((m: any) => m.Expression)?.ReturnData).not.toBe(false);
  });

  it('alarms on any API 5xx', () => {
    const [a] = alarmOn('5xx', 'AWS/ApiGateway', { Name: 'ApiId', Value: { Ref: 'HttpApi' } });
    expect(a).toMatchObject({ Statistic: 'Sum', Threshold: 1 });
  });

  it('API Gateway throttles the stage (100 requests/s, bursts of 200)', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: 'HttpApi' },
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
  });
});

describe('the dashboard', () => {
  it('shows the alarms, consumer lag, handler, table, stream and API metrics', () => {
    const dashboards = ofType('AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0][1].Properties.DashboardBody);
    for (const needle of [
      'IteratorAge',
      'GetRecords.IteratorAgeMilliseconds',
      'PutRequests',
      'DestinationDeliveryFailures',
      'Errors',
      'Throttles',
      'Duration',
      'ReadThrottleEvents',
      'ConsumedWriteCapacityUnits',
      'IncomingRecords',
      'QuarantinedRecords',
      'ApproximateNumberOfMessagesVisible',
      '5xx',
      '4xx',
      'Latency',
      '"type\\":\\"alarm\\"',
    ]) {
      expect(body, needle).toContain(needle);
    }
  });
});
