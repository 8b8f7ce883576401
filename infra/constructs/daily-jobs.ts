import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge, pinLogicalId } from './ids';

export interface DailyJob {
  /** Pinned logical id of the schedule, e.g. `TierReviewSchedule`. */
  readonly logicalId: string;
  /** Job name passed to the handler as `{"job": name}`. */
  readonly job: string;
  readonly handler: lambda.IFunction;
  /** Local time of day in the programme time zone. */
  readonly hour: number;
  readonly minute: number;
}

export interface DailyJobsProps {
  /** IANA zone the cron is evaluated in, so "daily" means the programme's calendar day. */
  readonly timezone: string;
  readonly jobs: readonly DailyJob[];
}

/**
 * Scheduler substitutes this with the time the run was scheduled for (e.g. 2026-12-02T16:15:00Z),
 * the same on every delivery attempt and every Lambda retry of that run, so a job derives its day
 * from it rather than from the clock it happens to run at (docs/aws.md).
 */
export const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';

/**
 * Function errors of a scheduled job: EventBridge Scheduler invokes asynchronously, so its retry
 * policy covers delivery only and a job that throws gets Lambda's asynchronous retries. Set
 * explicitly (AWS's defaults, and each the maximum): two retries, and an event kept up to 6 hours
 * (throttled runs wait in Lambda's queue); then the event goes to JobFailuresQueue.
 */
export const JOB_RETRY_ATTEMPTS = 2;
export const JOB_MAX_EVENT_AGE = Duration.hours(6);

/** Delivery retries of a schedule (Lambda unreachable, throttled Invoke calls); then ScheduleDeadLetterQueue. */
export const SCHEDULE_RETRY = { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 };

/** A queue that only collects failures for an operator: encrypted (SSE-SQS), TLS only, kept 14 days. */
function failureQueue(scope: Construct, logicalId: string): sqs.Queue {
  const queue = new sqs.Queue(scope, logicalId, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  pinLogicalId(queue, logicalId);
  acknowledge(
    queue,
    'AwsSolutions-SQS3',
    'This queue is itself the end of the line: the failure destination of the daily jobs or the dead-letter ' +
      'queue of their schedules, read by an operator (README, Runbook); a DLQ of a DLQ would only move the problem.',
  );
  return queue;
}

/**
 * On-failure destination that grants the function only sqs:SendMessage on the queue (the CDK's
 * SqsDestination also grants GetQueueAttributes and GetQueueUrl, which Lambda does not need).
 */
class SendOnlySqsDestination implements lambda.IDestination {
  constructor(private readonly queue: sqs.IQueue) {}

  bind(_scope: Construct, fn: lambda.IFunction): lambda.DestinationConfig {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
    return { destination: this.queue.queueArn };
  }
}

/**
 * EventBridge Scheduler schedules: one daily invocation per job, each with its own invoke-only
 * role; the jobs' asynchronous invoke config (retries, event age, JobFailuresQueue) and the
 * schedules' dead-letter queue.
 */
export class DailyJobs extends Construct {
  readonly schedules: scheduler.CfnSchedule[] = [];
  /** Lambda's on-failure destination of every job: a run that still failed after its retries. */
  readonly jobFailures: sqs.Queue;
  /** The schedules' dead-letter queue: a run Scheduler could not deliver to Lambda at all. */
  readonly scheduleDeadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: DailyJobsProps) {
    super(scope, id);
    this.jobFailures = failureQueue(this, 'JobFailuresQueue');
    this.scheduleDeadLetters = failureQueue(this, 'ScheduleDeadLetterQueue');
    const onFailure = new SendOnlySqsDestination(this.jobFailures);

    for (const job of props.jobs) {
      job.handler.configureAsyncInvoke({ retryAttempts: JOB_RETRY_ATTEMPTS, maxEventAge: JOB_MAX_EVENT_AGE, onFailure });
      const role = new iam.Role(this, `${job.logicalId}Role`, {
        // Confused-deputy guard: only schedules in this account may assume the role.
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
        description: `memberflow scheduler: invoke the ${job.job} job`,
      });
      // Exactly the one function (no `:*` qualifiers), unlike grantInvoke.
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [job.handler.functionArn],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['sqs:SendMessage'],
          resources: [this.scheduleDeadLetters.queueArn],
        }),
      );
      const schedule = new scheduler.CfnSchedule(this, job.logicalId, {
        description: `memberflow daily ${job.job} job`,
        scheduleExpression: `cron(${job.minute} ${job.hour} * * ? *)`,
        scheduleExpressionTimezone: props.timezone,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: job.handler.functionArn,
          roleArn: role.roleArn,
          input: JSON.stringify({ job: job.job, scheduledTime: SCHEDULED_TIME }),
          // Delivery only (the invoke is asynchronous): jobs are idempotent per day, so a repeated
          // delivery is harmless.
          retryPolicy: SCHEDULE_RETRY,
          deadLetterConfig: { arn: this.scheduleDeadLetters.queueArn },
        },
      });
      schedule.overrideLogicalId(job.logicalId);
      this.schedules.push(schedule);
    }
  }
}
