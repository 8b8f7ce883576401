// What happens to a record or a job run that keeps failing, as deployed (issue 17 items 1, 3, 5;
// docs/aws.md names the AWS behaviour behind each setting).
import { describe, expect, it } from 'vitest';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { JOB_MAX_EVENT_AGE, JOB_RETRY_ATTEMPTS, SCHEDULED_TIME } from '../../infra/constructs/daily-jobs';
import { ITERATOR_AGE_ALARM_MS, ITERATOR_AGE_CRITICAL_MS } from '../../infra/constructs/monitoring';
import { MAX_RECORD_AGE, RETRY_ATTEMPTS } from '../../infra/constructs/stream-consumers';
import { EVENTS_RETENTION } from '../../infra/constructs/streams';
import { createStack } from '../../infra/synth';

const template = Template.fromStack(createStack());
const resources: Record<string, any> = template.toJSON().Resources;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const arn = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const HOUR = 3600;
const JOBS = [
  ['TierReviewSchedule', 'TierReviewFunction'],
  ['WinbackSchedule', 'WinbackFunction'],
  ['RfmSchedule', 'RfmFunction'],
  ['CoinsSchedule', 'CoinsFunction'],
];

describe("records cannot expire unseen (stream retention vs the mapping's record age)", () => {
  const retentionSeconds = resources.EventsStream.Properties.RetentionPeriodHours * HOUR;
  const mapping = resources.EventsMapping.Properties;

  it('EventsStream keeps records 7 days; EventsMapping gives up on a record after 12 hours', () => {
    expect(resources.EventsStream.Properties.RetentionPeriodHours).toBe(168);
    expect(mapping.MaximumRecordAgeInSeconds).toBe(12 * HOUR);
    expect(retentionSeconds).toBe(EVENTS_RETENTION.toSeconds());
    expect(mapping.MaximumRecordAgeInSeconds).toBe(MAX_RECORD_AGE.toSeconds());
  });

  it('a record reaches the failure destination days before Kinesis would trim it', () => {
    // Trimmed records are lost without a failure object; the margin also leaves time to replay a
    // batch from the stream when even the destination could not be written.
    expect(retentionSeconds - mapping.MaximumRecordAgeInSeconds).toBeGreaterThanOrEqual(6 * 24 * HOUR);
  });

  it('iterator age alarms long before either: a warning after a minute, critical after an hour', () => {
    const iteratorAlarms = ofType('AWS::CloudWatch::Alarm')
      .map(([, r]) => r.Properties)
      .filter(
        (a) =>
          a.MetricName === 'IteratorAge' &&
          JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: { Ref: 'ProcessEventsFunction' } }]),
      );
    expect(iteratorAlarms.map((a) => a.Threshold).sort((a, b) => a - b)).toEqual([ITERATOR_AGE_ALARM_MS, ITERATOR_AGE_CRITICAL_MS]);
    const critical = iteratorAlarms.find((a) => a.Threshold === ITERATOR_AGE_CRITICAL_MS);
    expect(critical).toMatchObject({ Statistic: 'Maximum', EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanThreshold' });
    // Alarm time (threshold + evaluation) leaves most of the record age to act in.
    const criticalAfterSeconds = critical.Threshold / 1000 + critical.Period * critical.EvaluationPeriods;
    expect(criticalAfterSeconds).toBeLessThanOrEqual(mapping.MaximumRecordAgeInSeconds / 8);
    expect(ITERATOR_AGE_ALARM_MS).toBeLessThan(ITERATOR_AGE_CRITICAL_MS);
  });

  it('ActionsStream (read outside memberflow) keeps the 24-hour default', () => {
    expect(resources.ActionsStream.Properties.RetentionPeriodHours).toBe(24);
  });
});

describe('retry budget: many retries, bounded by record age', () => {
  it('EventsMapping retries a failing batch up to 10,000 times (the maximum), so the 12-hour record age is the usual bound', () => {
    const mapping = resources.EventsMapping.Properties;
    expect(mapping.MaximumRetryAttempts).toBe(10_000);
    expect(mapping.MaximumRetryAttempts).toBe(RETRY_ATTEMPTS);
    // Bisecting isolates a bad record without using the retry quota; partial responses
    // checkpoint at the first failed record, so a retry restarts there, in order.
    expect(mapping).toMatchObject({
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ParallelizationFactor: 1,
    });
    // At one attempt every 4.32 s or slower, the count lasts the whole record age.
    expect(mapping.MaximumRetryAttempts * 4.32).toBeGreaterThanOrEqual(mapping.MaximumRecordAgeInSeconds);
  });
});

describe('daily jobs: asynchronous invoke config, failure destination, schedule dead-letter queue', () => {
  const invokeConfigs = ofType('AWS::Lambda::EventInvokeConfig').map(([, r]) => r.Properties);

  it.each(JOBS)('%s → %s: function errors get 2 retries, events wait up to 6 hours, then JobFailuresQueue', (_schedule, fnId) => {
    const mine = invokeConfigs.filter((c) => c.FunctionName.Ref === fnId);
    expect(mine).toEqual([
      {
        FunctionName: { Ref: fnId },
        // The schedule invokes the unqualified function, i.e. $LATEST, which this config covers.
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 6 * HOUR,
        DestinationConfig: { OnFailure: { Destination: arn('JobFailuresQueue') } },
      },
    ]);
    expect(JOB_RETRY_ATTEMPTS).toBe(2);
    expect(JOB_MAX_EVENT_AGE.toSeconds()).toBe(6 * HOUR);
  });

  it('only the scheduled jobs have an asynchronous invoke config', () => {
    expect(invokeConfigs.map((c) => c.FunctionName.Ref).sort()).toEqual(JOBS.map(([, fnId]) => fnId).sort());
  });

  it.each(JOBS)('%s: delivery retries, then ScheduleDeadLetterQueue; the input carries the scheduled time', (scheduleId, fnId) => {
    const target = resources[scheduleId].Properties.Target;
    expect(target.Arn).toEqual(arn(fnId));
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: HOUR });
    expect(target.DeadLetterConfig).toEqual({ Arn: arn('ScheduleDeadLetterQueue') });
    expect(JSON.parse(target.Input).scheduledTime).toBe(SCHEDULED_TIME);
    expect(SCHEDULED_TIME).toBe('<aws.scheduler.scheduled-time>');
  });

  it.each(['JobFailuresQueue', 'ScheduleDeadLetterQueue'])('%s: standard queue, SSE-SQS encrypted, TLS only, kept 14 days', (queueId) => {
    expect(resources[queueId].Type).toBe('AWS::SQS::Queue');
    expect(resources[queueId].Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * HOUR });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('only the job functions may send to JobFailuresQueue, only the schedule roles to ScheduleDeadLetterQueue, and only SendMessage', () => {
    const senders: Record<string, string[]> = { JobFailuresQueue: [], ScheduleDeadLetterQueue: [] };
    for (const [, policy] of ofType('AWS::IAM::Policy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        for (const queueId of Object.keys(senders)) {
          if (JSON.stringify(statement.Resource) !== JSON.stringify(arn(queueId))) continue;
          expect(statement.Action).toBe('sqs:SendMessage');
          senders[queueId].push(...policy.Properties.Roles.map((r: { Ref: string }) => r.Ref));
        }
      }
    }
    const roleOf = (fnId: string) => resources[fnId].Properties.Role['Fn::GetAtt'][0];
    const scheduleRoleOf = (scheduleId: string) => resources[scheduleId].Properties.Target.RoleArn['Fn::GetAtt'][0];
    expect(senders.JobFailuresQueue.sort()).toEqual(JOBS.map(([, fnId]) => roleOf(fnId)).sort());
    expect(senders.ScheduleDeadLetterQueue.sort()).toEqual(JOBS.map(([scheduleId]) => scheduleRoleOf(scheduleId)).sort());
  });
});
