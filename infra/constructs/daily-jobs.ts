import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';

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

/** EventBridge Scheduler schedules: one daily invocation per job, each with its own invoke-only role. */
export class DailyJobs extends Construct {
  readonly schedules: scheduler.CfnSchedule[] = [];

  constructor(scope: Construct, id: string, props: DailyJobsProps) {
    super(scope, id);
    for (const job of props.jobs) {
      const role = new iam.Role(this, `${job.logicalId}Role`, {
        // Confused-deputy guard: only schedules in this account may assume the role.
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
        description: `memberflow scheduler: invoke the ${job.job} job`,
      });
      // Exactly the one function (no `:*` qualifiers), unlike grantInvoke.
      role.addToPolicy(new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [job.handler.functionArn],
      }));
      const schedule = new scheduler.CfnSchedule(this, job.logicalId, {
        description: `memberflow daily ${job.job} job`,
        scheduleExpression: `cron(${job.minute} ${job.hour} * * ? *)`,
        scheduleExpressionTimezone: props.timezone,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: job.handler.functionArn,
          roleArn: role.roleArn,
          input: JSON.stringify({ job: job.job }),
          // Jobs are idempotent per day, so retrying within the hour is safe.
          retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        },
      });
      schedule.overrideLogicalId(job.logicalId);
      this.schedules.push(schedule);
    }
  }
}
