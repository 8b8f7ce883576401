import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type Construct } from 'constructs';
import { JOB_PROGRESS_PREFIX, COIN_DUE_PREFIX } from '../shared/keys/metrics-keys';
import { AuditTable } from './constructs/audit-table';
import { Buckets } from './constructs/buckets';
import { DailyJobs } from './constructs/daily-jobs';
import { CommandKey } from './constructs/command-key';
import { ErasureSalt } from './constructs/erasure-salt';
import { Handler } from './constructs/handler';
import { HistoryImport } from './constructs/history-import';
import { HttpApi } from './constructs/http-api';
import { acknowledge } from './constructs/ids';
import { allowOnTable, allowPutRecords, MEMBERS_READ, READ } from './constructs/table-access';
import { Monitoring } from './constructs/monitoring';
import { consumeEvents } from './constructs/stream-consumers';
import { Streams } from './constructs/streams';
import { Tables } from './constructs/tables';
import { BATCH_CODE_V8_FLAGS } from './runtime-flags';

/** Repository root, from which handler entries (`functions/*.ts`) are resolved. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const EXPORT_SEGMENT_ENTRY = 'functions/export-segment.ts';

export interface MemberflowStackProps extends StackProps {
  /** Validated programme JSON, inlined into every handler bundle. */
  readonly programJson?: string;
  /** Programme time zone (IANA); default `Asia/Shanghai`. */
  readonly timezone?: string;
  /** Provisioned shards of EventsStream; default 4. */
  readonly eventShards?: number;
  /** Provisioned shards of ActionsStream; default 1. */
  readonly actionShards?: number;
}

/** The whole AWS deployment; logical ids follow docs/architecture.md. */
export class MemberflowStack extends Stack {
  constructor(scope: Construct, id: string, props: MemberflowStackProps = {}) {
    super(scope, id, { description: 'memberflow: membership analytics on Kinesis, Lambda and DynamoDB', ...props });
    const timezone = props.timezone ?? 'Asia/Shanghai';

    const streams = new Streams(this, 'Streams', { eventShards: props.eventShards ?? 4, actionShards: props.actionShards ?? 1 });
    const tables = new Tables(this, 'Tables');
    const buckets = new Buckets(this, 'Buckets');
    const audit = new AuditTable(this, 'Audit');
    const erasureSalt = new ErasureSalt(this, 'Privacy');
    const commandKey = new CommandKey(this, 'Commands');

    // Every handler sees the same resource names (the local runtime does the same); what each
    // may do with them is decided by the grants below.
    const environment: Record<string, string> = {
      MEMBERS_TABLE: tables.members.tableName,
      LEDGER_TABLE: tables.ledger.tableName,
      METRICS_TABLE: tables.metrics.tableName,
      QUARANTINE_TABLE: tables.quarantine.tableName,
      EXPORTS_TABLE: tables.exports.tableName,
      EVENTS_STREAM: streams.events.streamName,
      ACTIONS_STREAM: streams.actions.streamName,
      EXPORTS_BUCKET: buckets.exports.bucketName,
      AUDIT_TABLE: audit.table.tableName,
      ERASURE_SALT_SECRET: erasureSalt.secret.secretName,
      COMMAND_KEY_SECRET: commandKey.secret.secretName,
      POWERTOOLS_SERVICE_NAME: 'memberflow',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      MEMBERFLOW_TZ: timezone,
    };
    const handler = (
      logicalId: string,
      entry: string,
      description: string,
      memorySize: number,
      timeout: Duration,
      v8Flags?: readonly string[],
    ) =>
      new Handler(this, logicalId, {
        repoRoot: REPO_ROOT,
        entry,
        description,
        memorySize,
        timeout,
        environment,
        programJson: props.programJson,
        v8Flags,
      }).fn;
    const indexReason =
      'Scoped to MembersTable: the /index/* wildcard covers only its TierReviewIndex (Query only), ' +
      'which the tier review job queries for due members.';

    // What the consumer's batch code calls wherever it runs (process-events, the import applier),
    // action by action (docs/iam.md); the erasure salt; actions out.
    const memberWriter = (fn: NodejsFunction) => {
      // DeleteItem: an erasure deletes the member item (conditional on its version); BatchWriteItem:
      // it deletes the merge request that names the member.
      allowOnTable(fn, tables.members, [...MEMBERS_READ, 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']);
      // Orders claimed by conditional puts, refunds in transactions, claims marked by updates; tier
      // history and an erasure's deletes in batches.
      allowOnTable(fn, tables.ledger, [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem']);
      // Counter items read in batches; Query: an erasure's sweep of the shards' batch progress
      // records (`bp`); Scan: its one filtered sweep of the job hints naming the member (hints have
      // no index by member); GetItem: the coins job's start mark, read after writing coin-due hints
      // (shared/coins/due-hints.ts).
      allowOnTable(fn, tables.metrics, [
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:PutItem',
        'dynamodb:BatchWriteItem',
      ]);
      // Quarantine entries are batch puts; an erasure queries the member's and deletes them in batches.
      allowOnTable(fn, tables.quarantine, ['dynamodb:Query', 'dynamodb:BatchWriteItem']);
      erasureSalt.secret.grantRead(fn);
      allowPutRecords(fn, streams.actions);
    };

    // Behaviour events and job commands → member state, per-order ledger, counters, quarantine,
    // actions. The only writer of members and counters, which is what makes counting exact.
    const processEvents = handler(
      'ProcessEventsFunction',
      'functions/process-events.ts',
      'EventsStream consumer: applies behaviour events to members and counters',
      1024,
      Duration.minutes(2),
      BATCH_CODE_V8_FLAGS,
    );
    memberWriter(processEvents);
    // Verifies the daily jobs' signature on every command (producers cannot read the key).
    commandKey.grantRead(processEvents);
    // Put on its own stream only to forward a KPL aggregated sub-record to its member's shard
    // (an aggregate lands on one shard; each member keeps a single writer).
    allowPutRecords(processEvents, streams.events, ['kinesis:ListShards']);
    consumeEvents(processEvents, streams.events, buckets.failedBatches);

    // Read-mostly HTTP API; it only writes export requests.
    const api = handler('ApiFunction', 'functions/api.ts', 'HTTP API', 512, Duration.seconds(29));
    // Coin operations (redemption, reversal, adjustment) put the member (conditional on its
    // version) and a coins_settle record; the API stores a ledger record itself only for an
    // operation it drops from the member before the consumer stored it (shared/coins/settle.ts).
    // PutItem on members is unconditional in IAM: a coin operation puts the whole member item (any
    // member, conditional on its version in the request), which also covers the erasure's
    // tombstones (`erased#…`); a LeadingKeys condition cannot narrow it while coins put members.
    // Scan: listing the near-universal segments (base tier, status-active), which have no
    // membership items: the members' own segment lists say it (shared/segments/segments.ts).
    allowOnTable(api, tables.members, [...MEMBERS_READ, 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Scan']);
    // Ledger: a coin operation's item (GetItem, PutItem), the member's ledger (Query); metrics:
    // counter spans, segment memberships, coin-due hints (Query), a coin operation's counters and
    // coin-due hint (PutItem), the coins job's progress and start mark (GetItem).
    allowOnTable(api, tables.ledger, ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem']);
    allowOnTable(api, tables.metrics, ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem']);
    allowOnTable(api, tables.quarantine, ['dynamodb:Query']);
    // Export requests: created (with their audit record) by puts, failed by an update; never deleted.
    allowOnTable(api, tables.exports, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    // The audit log is append-only: reads and PutItem (new seqs only, by its condition), never
    // UpdateItem or DeleteItem.
    allowOnTable(api, audit.table, ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem'], { indexQuery: true });
    acknowledge(
      api.role!,
      'AwsSolutions-IAM5[Resource::<AuditTable.Arn>/index/*]',
      'Scoped to AuditTable: its AuditTimeIndex lists entries by time for GET /audit.',
    );
    erasureSalt.secret.grantRead(api);
    // Erasure and merge: the api writes tombstones (`erased#…`) and merge requests (`merge#…`,
    // `mergedfrom#…`, with a ConditionCheckItem on the member kept) by the PutItem above, and puts the
    // erase_member / member_merge command on EventsStream; the consumer does the rest in stream order.
    // PutRecord: a coin operation's `coins_settle` record (its position names where it is counted).
    allowPutRecords(api, streams.events, ['kinesis:PutRecord']);
    // Pre-signing a download URL needs s3:GetObject on the export objects, nothing more.
    api.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [buckets.exports.arnForObjects('*')] }));
    const exportsReason =
      'Export object keys are generated per request, so access is granted on any key of ' +
      'ExportsBucket only (GetObject for the API, PutObject for the export job).';
    acknowledge(api.role!, 'AwsSolutions-IAM5[Resource::<ExportsBucket.Arn>/*]', exportsReason);

    // Segment export (the handler lands later: included only once its file exists).
    if (existsSync(path.join(REPO_ROOT, EXPORT_SEGMENT_ENTRY))) {
      const exportSegment = handler(
        'ExportSegmentFunction',
        EXPORT_SEGMENT_ENTRY,
        'Writes a segment export to S3',
        1024,
        Duration.minutes(15),
      );
      // Scan: exports of the near-universal segments read their members from MembersTable.
      allowOnTable(exportSegment, tables.members, [...MEMBERS_READ, 'dynamodb:Scan']);
      // The segment's membership items (Query).
      allowOnTable(exportSegment, tables.metrics, ['dynamodb:Query']);
      // Starts, advances, finishes or fails its export record by conditional updates; never deletes.
      allowOnTable(exportSegment, tables.exports, ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
      exportSegment.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: [buckets.exports.arnForObjects('*')],
        }),
      );
      acknowledge(exportSegment.role!, 'AwsSolutions-IAM5[Resource::<ExportsBucket.Arn>/*]', exportsReason);
      // The API starts an export with an asynchronous invoke of exactly this function.
      api.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [exportSegment.functionArn] }));
      api.addEnvironment('EXPORT_SEGMENT_FUNCTION', exportSegment.functionName);
    }

    // Daily jobs: find due members through the sparse index or the consumer's hints and put a
    // command per member on the events stream; they never write member state or counters.
    const job = (
      logicalId: string,
      entry: string,
      description: string,
      opts: { reviewIndex?: boolean; writes?: string[]; scanMembers?: boolean } = {},
    ) => {
      const fn = handler(logicalId, entry, description, 1024, Duration.minutes(15));
      allowOnTable(fn, tables.members, [...MEMBERS_READ, ...(opts.scanMembers ? ['dynamodb:Scan'] : [])], { indexQuery: opts.reviewIndex });
      // Candidate hints live in the metrics table (Query); the job reads (GetItem) and writes only
      // its own progress item (`job#…` keys) and the keys in `writes`, so the consumer stays the
      // only writer of counters.
      allowOnTable(fn, tables.metrics, ['dynamodb:GetItem', 'dynamodb:Query']);
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:PutItem'],
          resources: [tables.metrics.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${JOB_PROGRESS_PREFIX}*`, ...(opts.writes ?? []).map((p) => `${p}*`)] },
          },
        }),
      );
      allowPutRecords(fn, streams.events);
      // Signs the commands it puts on the stream.
      commandKey.grantRead(fn);
      if (opts.reviewIndex) acknowledge(fn.role!, 'AwsSolutions-IAM5[Resource::<MembersTable.Arn>/index/*]', indexReason);
      return fn;
    };
    const tierReview = job('TierReviewFunction', 'functions/tier-review.ts', 'Daily tier review', { reviewIndex: true });
    const winback = job('WinbackFunction', 'functions/winback.ts', 'Daily win-back offers');
    const rfm = job('RfmFunction', 'functions/rfm.ts', 'Daily RFM cut-offs and classes');
    // The coins job hints each member it read again at its next due day (shared/coins/due-hints.ts);
    // Scan: its first run on a stack upgraded from CoinDueIndex reads every member with a lot, once.
    const coins = job('CoinsFunction', 'functions/coins.ts', 'Daily coins: lots available, expired, expiry notices', {
      writes: [COIN_DUE_PREFIX],
      scanMembers: true,
    });
    // A scan out of time goes on in a new asynchronous invocation of the same function
    // (functions/coins.ts). A policy of its own: in the role's default policy, which the function
    // depends on, its own ARN would make a cycle.
    new iam.Policy(this, 'CoinsInvokeAgainPolicy', {
      roles: [coins.role!],
      statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [coins.functionArn] })],
    });
    const dailyJobs = new DailyJobs(this, 'DailyJobs', {
      timezone,
      jobs: [
        { logicalId: 'TierReviewSchedule', job: 'tier-review', handler: tierReview, hour: 0, minute: 15 },
        { logicalId: 'WinbackSchedule', job: 'winback', handler: winback, hour: 0, minute: 30 },
        { logicalId: 'RfmSchedule', job: 'rfm', handler: rfm, hour: 0, minute: 45 },
        // Right after midnight: a lot is spendable from its availableOn day, and the redemption
        // path does not wait for the job (it books what is due itself).
        { logicalId: 'CoinsSchedule', job: 'coins', handler: coins, hour: 0, minute: 5 },
      ],
    });

    // History import from S3 (docs/aws.md#history-import): a Distributed Map stages the objects,
    // one applier (the import use case, the consumer's batch code) applies the days in order.
    const importStage = handler(
      'ImportStageFunction',
      'functions/import-stage.ts',
      'History import: one input object to per-day chunks',
      1024,
      Duration.minutes(5),
    );
    allowOnTable(importStage, tables.quarantine, ['dynamodb:BatchWriteItem']);
    const importApply = handler(
      'ImportApplyFunction',
      'functions/import-apply.ts',
      'History import: the staged days applied in time order, jobs caught up',
      1769,
      Duration.minutes(15),
      BATCH_CODE_V8_FLAGS,
    );
    memberWriter(importApply);
    // Signs its job catch-up's commands and the identity links and forwards it puts (as the consumer verifies).
    commandKey.grantRead(importApply);
    // The jobs' catch-up reads TierReviewIndex (due reviews) and its progress item; the batch code's
    // grants above cover the coin-due hints and the coins job's start mark; Scan: the coins job's
    // once-only read of every member with a lot, should an import be its first run on an upgraded stack.
    allowOnTable(importApply, tables.members, ['dynamodb:Scan'], { indexQuery: true });
    acknowledge(importApply.role!, 'AwsSolutions-IAM5[Resource::<MembersTable.Arn>/index/*]', indexReason);
    new HistoryImport(this, 'HistoryImport', { stage: importStage, apply: importApply, accessLogs: buckets.logs });

    const http = new HttpApi(this, 'Api', { handler: api });
    new Monitoring(this, 'Monitoring', {
      eventsStream: streams.events,
      consumer: processEvents,
      failedBatches: buckets.failedBatches,
      httpApi: http.api,
      jobs: { failures: dailyJobs.jobFailures, deadLetters: dailyJobs.scheduleDeadLetters },
    });

    new CfnOutput(this, 'ApiUrl', { value: http.stage.url });
    new CfnOutput(this, 'EventsStreamName', { value: streams.events.streamName });
    new CfnOutput(this, 'ActionsStreamName', { value: streams.actions.streamName });
    new CfnOutput(this, 'ExportsBucketName', { value: buckets.exports.bucketName });
    // docs/api.md#privacy-erasure-and-subject-access: attach one of these to each caller of the API.
    new CfnOutput(this, 'ViewerPolicyArn', {
      value: http.policies.viewer.managedPolicyArn,
      description: 'API viewer role: health, metrics, segment list',
    });
    new CfnOutput(this, 'OperatorPolicyArn', {
      value: http.policies.operator.managedPolicyArn,
      description: 'API operator role: every route',
    });
  }
}
