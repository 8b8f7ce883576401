// Least privilege, as an inventory: every action each handler's role allows, on which resource
// (test/infra/stack.test.ts checks the access matrix rule by rule; this lists it whole, so any new
// grant shows up here and has to be reviewed). Plus the other security settings of the issue:
// short-lived export URLs, API throttling, and no request validator on an HTTP API (validation is
// in the handler: test/security/fuzz-api.test.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { downloadUrl } from '../../functions/adapters/export-file';
import { createStack } from '../../infra/synth';

const resources: Record<string, any> = Template.fromStack(createStack()).toJSON().Resources;
const handlers = Object.entries(resources)
  .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['memberflow:entry'])
  .map(([id]) => id);

/** A resource as `LogicalId` or `LogicalId/suffix`; the function's own log group as `own log group`. */
function resourceName(fnId: string, r: unknown): string {
  const ownLogs = resources[fnId].Properties.LoggingConfig.LogGroup.Ref;
  const name = (x: any): string => {
    if (typeof x === 'string') return x;
    if (x['Fn::GetAtt']) return x['Fn::GetAtt'][0] === ownLogs ? 'own log group' : x['Fn::GetAtt'][0];
    if (x.Ref) return x.Ref;
    if (x['Fn::Join']) return x['Fn::Join'][1].map(name).join('');
    return JSON.stringify(x);
  };
  return name(r);
}

type Inventory = Record<string, string[]>;

/** resource → sorted actions, for one function (conditions shown after the resource). */
function inventoryOf(fnId: string): Inventory {
  const roleId = resources[fnId].Properties.Role['Fn::GetAtt'][0];
  const statements = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: any) => x.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
  const out: Record<string, Set<string>> = {};
  for (const s of statements) {
    expect(s.Effect).toBe('Allow');
    for (const resource of [s.Resource].flat()) {
      const key = resourceName(fnId, resource) + (s.Condition ? ` if ${JSON.stringify(s.Condition)}` : '');
      out[key] ??= new Set();
      for (const action of [s.Action].flat()) out[key].add(action);
    }
  }
  return Object.fromEntries(
    Object.entries(out)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [k, [...v].sort()]),
  );
}

// What the adapters call (infra/constructs/table-access.ts; docs/iam.md says why, per function).
// No Scan but the consumer's erasure sweep and the listing of itemless segments (api, export), no DeleteItem but its erasure of the member item, never
// ConditionCheckItem, DescribeTable or the DynamoDB stream reads.
const DDB_READ = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'];
// MembersTable is read by batches of keys only (no GetItem, no Query on the base table).
const BATCH_GET = 'dynamodb:BatchGetItem';
const PUT = 'dynamodb:PutItem';
const UPDATE = 'dynamodb:UpdateItem';
const BATCH_WRITE = 'dynamodb:BatchWriteItem';
const INDEX_QUERY = ['dynamodb:Query'];
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const JOB_PROGRESS = 'MetricsTable if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["job#*"]}}';
const job: Inventory = {
  EventsStream: ['kinesis:PutRecords'],
  MembersTable: [BATCH_GET],
  // Hint lists (Query) and its own progress item (GetItem).
  MetricsTable: ['dynamodb:GetItem', 'dynamodb:Query'],
  [JOB_PROGRESS]: [PUT],
  // Lambda's on-failure destination of the job's asynchronous invocations (send only).
  JobFailuresQueue: ['sqs:SendMessage'],
  // Signs its commands (the consumer applies no unsigned command).
  CommandKeySecret: ['secretsmanager:GetSecretValue'],
  'own log group': LOGS,
};

const EXPECTED: Record<string, Inventory> = {
  // History import (infra/constructs/history-import.ts): stage reads the operator's files and
  // writes per-day chunks, quarantining bad lines; apply is the consumer's batch code (the
  // process-events grants without the stream read) plus its staged chunks and checkpoint.
  ImportStageFunction: {
    'ImportBucket/incoming/*': ['s3:GetObject'],
    'ImportBucket/staged/*': ['s3:PutObject'],
    QuarantineTable: [BATCH_WRITE],
    'own log group': LOGS,
  },
  ImportApplyFunction: {
    ActionsStream: ['kinesis:PutRecords'],
    // Signs its job catch-up's commands and its identity links and forwards.
    CommandKeySecret: ['secretsmanager:GetSecretValue'],
    ErasureSaltSecret: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
    'ImportBucket if {"StringLike":{"s3:prefix":["staged/*"]}}': ['s3:ListBucket'],
    'ImportBucket/staged/*': ['s3:GetObject', 's3:PutObject'],
    // The consumer's batch code (the same grants as process-events), and the jobs' catch-up index reads.
    LedgerTable: [...DDB_READ, PUT, UPDATE, BATCH_WRITE],
    // Scan: the coins job's once-only read of every member with a lot (an upgraded stack).
    MembersTable: [BATCH_GET, PUT, 'dynamodb:DeleteItem', BATCH_WRITE, 'dynamodb:Scan'],
    'MembersTable/index/*': INDEX_QUERY,
    // GetItem: the job catch-up's progress item.
    MetricsTable: [BATCH_GET, 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', PUT, BATCH_WRITE],
    QuarantineTable: ['dynamodb:Query', BATCH_WRITE],
    'own log group': LOGS,
  },
  ProcessEventsFunction: {
    // Put only (actions are outbound), PutRecords only.
    ActionsStream: ['kinesis:PutRecords'],
    // What the event source mapping needs to read the stream (CDK's KinesisEventSource grant),
    // and puts to forward an aggregated sub-record to its member's shard.
    EventsStream: [
      'kinesis:DescribeStream',
      'kinesis:DescribeStreamConsumer',
      'kinesis:DescribeStreamSummary',
      'kinesis:GetRecords',
      'kinesis:GetShardIterator',
      'kinesis:ListShards',
      'kinesis:ListStreams',
      'kinesis:PutRecords',
      'kinesis:SubscribeToShard',
    ],
    // The salt of the erased-member hash (tombstones, member_erased actions).
    ErasureSaltSecret: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
    // Verifies the daily jobs' signature on every command.
    CommandKeySecret: ['secretsmanager:GetSecretValue'],
    FailedBatchesBucket: ['s3:ListBucket'],
    'FailedBatchesBucket/*': ['s3:PutObject'],
    LedgerTable: [...DDB_READ, PUT, UPDATE, BATCH_WRITE],
    // DeleteItem: an erasure deletes the member item; BatchWriteItem: and the merge request naming it.
    MembersTable: [BATCH_GET, PUT, 'dynamodb:DeleteItem', BATCH_WRITE],
    // Query: an erasure's sweep of the batch progress records; Scan: of the job hints naming the
    // member; GetItem: the coins job's start mark, read after writing coin-due hints.
    MetricsTable: [BATCH_GET, 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', PUT, BATCH_WRITE],
    // Batch puts of entries; an erasure queries and batch-deletes the member's.
    QuarantineTable: ['dynamodb:Query', BATCH_WRITE],
    'own log group': LOGS,
  },
  ApiFunction: {
    // Appends to the audit chain (PutItem conditional on the next seq), reads it for GET /audit.
    AuditTable: ['dynamodb:GetItem', 'dynamodb:Query', PUT],
    'AuditTable/index/*': INDEX_QUERY,
    ErasureSaltSecret: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
    // erase_member / member_merge commands go through the stream so the consumer stays the single
    // writer; PutRecord: a coin operation's coins_settle record.
    EventsStream: ['kinesis:PutRecord', 'kinesis:PutRecords'],
    ExportSegmentFunction: ['lambda:InvokeFunction'],
    'ExportsBucket/*': ['s3:GetObject'],
    // Export requests and their audit records: put, read, failed by an update; never deleted.
    ExportsTable: ['dynamodb:GetItem', PUT, UPDATE],
    // PutItem on members, ledger and metrics: a coin redemption/reversal/adjustment is one
    // transaction (member at its version, the operation's ledger item, its coin counters); the
    // members' PutItem also writes erasure tombstones (no narrower grant can coexist with it).
    LedgerTable: ['dynamodb:GetItem', 'dynamodb:Query', PUT],
    // ConditionCheckItem: a merge request's transaction checks the member kept.
    // Scan: listing the segments that have no membership items (base tier, status-active).
    MembersTable: [BATCH_GET, PUT, 'dynamodb:ConditionCheckItem', 'dynamodb:Scan'],
    // GetItem: the coins job's progress and start mark (coins expiring, a coin-due hint).
    MetricsTable: ['dynamodb:GetItem', 'dynamodb:Query', PUT],
    QuarantineTable: ['dynamodb:Query'],
    'own log group': LOGS,
  },
  ExportSegmentFunction: {
    'ExportsBucket/*': ['s3:AbortMultipartUpload', 's3:PutObject'],
    ExportsTable: ['dynamodb:GetItem', UPDATE],
    MembersTable: [BATCH_GET, 'dynamodb:Scan'],
    MetricsTable: ['dynamodb:Query'],
    'own log group': LOGS,
  },
  // Tier review alone queries an index (TierReviewIndex).
  TierReviewFunction: { ...job, 'MembersTable/index/*': INDEX_QUERY },
  WinbackFunction: job,
  RfmFunction: job,
  // The coins job hints each member it read again (coin-due hints, `cd#…`), beside its progress.
  // Scan: its first run on a stack upgraded from CoinDueIndex reads every member with a lot, once;
  // out of time, it invokes itself again to go on (functions/coins.ts).
  CoinsFunction: (({ [JOB_PROGRESS]: _progress, ...rest }) => ({
    ...rest,
    CoinsFunction: ['lambda:InvokeFunction'],
    MembersTable: [BATCH_GET, 'dynamodb:Scan'],
    'MetricsTable if {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["job#*","cd#*"]}}': [PUT],
  }))(job),
};

describe('IAM: every action of every handler, on what', () => {
  it('covers every handler', () => {
    expect(handlers.sort()).toEqual(
      Object.keys(EXPECTED)
        .filter((id) => id in resources)
        .sort(),
    );
  });

  it.each(handlers)('%s may do exactly this', (fnId) => {
    const inventory = inventoryOf(fnId);
    // Printed so a reviewer sees the whole grant set of each function in the test output.
    console.log(
      `${fnId}\n${Object.entries(inventory)
        .map(([r, a]) => `  ${r}: ${a.map((x) => x.replace(/^[a-z0-9]+:/, '')).join(' ')}`)
        .join('\n')}`,
    );
    const expected = { ...EXPECTED[fnId] };
    if (!('ExportSegmentFunction' in resources)) delete expected.ExportSegmentFunction;
    expect(inventory).toEqual(
      Object.fromEntries(
        Object.entries(expected)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => [k, [...v].sort()]),
      ),
    );
  });

  it('no handler may touch a resource outside the stack, or any resource by wildcard', () => {
    for (const fnId of handlers) {
      for (const resource of Object.keys(inventoryOf(fnId)).map((k) => k.replace(/ if .*$/, ''))) {
        // Only the documented object/index scopes end in a wildcard (acknowledged for cdk-nag).
        expect(resource, fnId).not.toMatch(/^\*|arn:aws/);
        if (resource.includes('*'))
          expect(
            [
              'MembersTable/index/*',
              'AuditTable/index/*',
              'ExportsBucket/*',
              'FailedBatchesBucket/*',
              'ImportBucket/incoming/*',
              'ImportBucket/staged/*',
            ],
            fnId,
          ).toContain(resource);
      }
    }
  });
});

describe('docs/iam.md: the inventory as documented', () => {
  /** function logical id → resource → actions, from the doc's table (a blank function cell repeats the one above). */
  function documented(): Record<string, Record<string, string[]>> {
    const text = readFileSync(new URL('../../docs/iam.md', import.meta.url), 'utf8');
    const byName = new Map(handlers.map((id) => [path.basename(resources[id].Metadata['memberflow:entry'], '.ts'), id]));
    const out: Record<string, Record<string, Set<string>>> = {};
    let fns: string[] = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('| ') || line.startsWith('| function ')) continue;
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
      expect(cells, line).toHaveLength(4);
      const [fnCell, resource, actionsCell, why] = cells;
      if (fnCell)
        fns = fnCell.split(',').map((name) => {
          expect(byName.has(name.trim()), `docs/iam.md names no function ${name}`).toBe(true);
          return byName.get(name.trim())!;
        });
      const actions = [...actionsCell.matchAll(/`([a-z0-9-]+:[A-Za-z]+)`/g)].map((m) => m[1]);
      expect(actions.length, line).toBeGreaterThan(0);
      // Every action is listed with why it is needed.
      expect(why.length, line).toBeGreaterThan(10);
      for (const fn of fns) for (const a of actions) ((out[fn] ??= {})[resource] ??= new Set()).add(a);
    }
    return Object.fromEntries(
      Object.entries(out).map(([fn, byResource]) => [
        fn,
        Object.fromEntries(Object.entries(byResource).map(([r, a]) => [r, [...a].sort()])),
      ]),
    );
  }

  it('lists every action of every function on every resource, and none the template does not grant', () => {
    const docs = documented();
    expect(Object.keys(docs).sort()).toEqual([...handlers].sort());
    for (const fn of handlers) {
      // The doc states conditions in words; its own log group is said once for all.
      const granted: Record<string, string[]> = {};
      for (const [key, actions] of Object.entries(inventoryOf(fn))) {
        if (key === 'own log group') continue;
        const resource = key.replace(/ if .*$/, '');
        granted[resource] = [...new Set([...(granted[resource] ?? []), ...actions])].sort();
      }
      expect(docs[fn], fn).toEqual(granted);
    }
  });
});

describe('other security settings', () => {
  it('export download URLs are pre-signed for 15 minutes', async () => {
    const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    const url = new URL(await downloadUrl(s3, 'bucket', 'exports/tier-gold/x.csv'));
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the API stage throttles (100 requests/s, bursts of 200); an HTTP API has no request validators', () => {
    const stage = Object.values(resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 });
    // Request validation lives in the api handler (zod; 400 naming the parameter), fuzzed in fuzz-api.test.ts.
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::RequestValidator')).toEqual([]);
    for (const route of Object.values(resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')) {
      expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
    }
  });
});
