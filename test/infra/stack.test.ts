// The synthesised stack: logical ids, streams, tables, buckets, functions, mappings, the HTTP API and
// the schedules (least-privilege grants are in stack-grants.test.ts).
import { Match, Template } from 'aws-cdk-lib/assertions';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { routeKey, ROUTES } from '../../functions/api/route-table';
import { REPO_ROOT } from '../../infra/memberflow-stack';
import { BATCH_CODE_V8_FLAGS } from '../../infra/runtime-flags';
import { createStack, synthTemplate } from '../../infra/synth';
import { arn, FUNCTIONS, hasExportSegment, resources, statementsOfRole, template } from '../support/stack-template';

describe('logical ids (the contract with the local runtime)', () => {
  it.each([
    ['EventsStream', 'AWS::Kinesis::Stream'],
    ['ActionsStream', 'AWS::Kinesis::Stream'],
    ['MembersTable', 'AWS::DynamoDB::Table'],
    ['LedgerTable', 'AWS::DynamoDB::Table'],
    ['MetricsTable', 'AWS::DynamoDB::Table'],
    ['QuarantineTable', 'AWS::DynamoDB::Table'],
    ['ExportsTable', 'AWS::DynamoDB::Table'],
    ['ExportsBucket', 'AWS::S3::Bucket'],
    ['FailedBatchesBucket', 'AWS::S3::Bucket'],
    ['EventsMapping', 'AWS::Lambda::EventSourceMapping'],
    ['HttpApi', 'AWS::ApiGatewayV2::Api'],
    ['TierReviewSchedule', 'AWS::Scheduler::Schedule'],
    ['WinbackSchedule', 'AWS::Scheduler::Schedule'],
    ['RfmSchedule', 'AWS::Scheduler::Schedule'],
    ['CoinsSchedule', 'AWS::Scheduler::Schedule'],
    ...Object.keys(FUNCTIONS).map((id) => [id, 'AWS::Lambda::Function']),
  ])('%s is a %s', (id, type) => {
    expect(resources[id]?.Type).toBe(type);
  });

  it('has exactly these functions: no aggregate consumer of member changes', () => {
    const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual(Object.keys(FUNCTIONS).sort());
    expect(resources.AggregateMemberChangesFunction).toBeUndefined();
    for (const [id, fn] of functions) expect(fn.Metadata['memberflow:entry'], id).not.toMatch(/aggregate/);
  });

  it('has no MemberChangesMapping: EventsMapping is the only event source mapping', () => {
    expect(resources.MemberChangesMapping).toBeUndefined();
    const mappings = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping');
    expect(mappings.map(([id]) => id)).toEqual(['EventsMapping']);
  });

  it('includes ExportSegmentFunction exactly when its handler file exists', () => {
    expect('ExportSegmentFunction' in resources).toBe(hasExportSegment);
  });

  it('synthTemplate() returns the same template for the local runtime', () => {
    const synthesised = synthTemplate({ timezone: 'Europe/Berlin' });
    expect(Object.keys(synthesised.Resources).sort()).toEqual(Object.keys(resources).sort());
    expect(synthesised.Resources.RfmSchedule.Properties.ScheduleExpressionTimezone).toBe('Europe/Berlin');
  });
});

describe('Kinesis streams', () => {
  it.each(['EventsStream', 'ActionsStream'])('%s is KMS-encrypted and provisioned', (id) => {
    expect(resources[id].Properties).toMatchObject({
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
  });

  it('EventsStream has 4 shards by default, and eventShards configures it', () => {
    expect(resources.EventsStream.Properties.ShardCount).toBe(4);
    const custom = Template.fromStack(createStack({ eventShards: 8 })).toJSON().Resources;
    expect(custom.EventsStream.Properties.ShardCount).toBe(8);
  });
});

describe('DynamoDB tables', () => {
  const key = (hash: string, range?: string) => [
    { AttributeName: hash, KeyType: 'HASH' },
    ...(range ? [{ AttributeName: range, KeyType: 'RANGE' }] : []),
  ];
  it.each([
    ['MembersTable', key('memberId')],
    ['LedgerTable', key('memberId', 'sk')],
    ['MetricsTable', key('pk', 'sk')],
    ['QuarantineTable', key('pk', 'sk')],
    ['ExportsTable', key('exportId')],
  ])('%s: keys, on-demand, PITR, SSE, retained', (id, keySchema) => {
    const table = resources[id];
    expect(table.Properties).toMatchObject({
      KeySchema: keySchema,
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    for (const attr of table.Properties.AttributeDefinitions) {
      expect(attr.AttributeType).toBe(attr.AttributeName === 'rv' ? 'N' : 'S');
    }
    expect(table.DeletionPolicy).toBe('Retain');
  });

  it('MembersTable has no stream and has the sparse TierReviewIndex alone (the coins job reads coin-due hints)', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: key('memberId'),
      StreamSpecification: Match.absent(),
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'rvb', AttributeType: 'S' },
        { AttributeName: 'rv', AttributeType: 'N' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'TierReviewIndex',
          KeySchema: key('rvb', 'rv'),
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
  });

  it('no table has a change stream (the events consumer writes counters itself)', () => {
    for (const [id, r] of Object.entries(resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table')) {
      expect(r.Properties.StreamSpecification, id).toBeUndefined();
    }
  });

  it('QuarantineTable expires items on expiresAt', () => {
    expect(resources.QuarantineTable.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });
});

describe('S3 buckets', () => {
  const logsBucket = Object.keys(resources).find((id) => /AccessLogsBucket[0-9A-F]{8}$/.test(id))!;

  it.each(['ExportsBucket', 'FailedBatchesBucket'])('%s: encrypted, private, access-logged, retained', (id) => {
    expect(resources[id].Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: logsBucket } },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    expect(resources[id].DeletionPolicy).toBe('Retain');
  });

  it.each(['ExportsBucket', 'FailedBatchesBucket', logsBucket])('%s denies non-TLS requests', (id) => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('exports expire after 30 days', () => {
    expect(resources.ExportsBucket.Properties.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({ ExpirationInDays: 30, Status: 'Enabled' }),
    ]);
  });
});

describe('Lambda functions', () => {
  it.each(Object.entries(FUNCTIONS))('%s: nodejs22.x on arm64, entry metadata %s', (id, entry) => {
    const fn = resources[id];
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    expect(fn.Metadata['memberflow:entry']).toBe(entry);
    expect(existsSync(path.join(REPO_ROOT, entry))).toBe(true);
  });

  it.each(Object.keys(FUNCTIONS))('%s has the shared environment', (id) => {
    expect(resources[id].Properties.Environment.Variables).toMatchObject({
      MEMBERS_TABLE: { Ref: 'MembersTable' },
      LEDGER_TABLE: { Ref: 'LedgerTable' },
      METRICS_TABLE: { Ref: 'MetricsTable' },
      QUARANTINE_TABLE: { Ref: 'QuarantineTable' },
      EXPORTS_TABLE: { Ref: 'ExportsTable' },
      EVENTS_STREAM: { Ref: 'EventsStream' },
      ACTIONS_STREAM: { Ref: 'ActionsStream' },
      EXPORTS_BUCKET: { Ref: 'ExportsBucket' },
      POWERTOOLS_SERVICE_NAME: 'memberflow',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      MEMBERFLOW_TZ: 'Asia/Shanghai',
    });
  });

  it('the functions that run the batch code get the V8 flags the bench measures under; the rest only source maps', () => {
    const options = (id: string) => resources[id].Properties.Environment.Variables.NODE_OPTIONS;
    const batchCode = ['ProcessEventsFunction', 'ImportApplyFunction'];
    for (const id of batchCode) expect(options(id)).toBe(['--enable-source-maps', ...BATCH_CODE_V8_FLAGS].join(' '));
    for (const id of Object.keys(FUNCTIONS).filter((id) => !batchCode.includes(id))) expect(options(id)).toBe('--enable-source-maps');
    expect(BATCH_CODE_V8_FLAGS).toContain('--max-semi-space-size=64');
  });

  it('uses no AWS managed policies (each role writes only to its own log group)', () => {
    for (const role of Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Role')) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('event source mappings', () => {
  const settings = {
    BatchSize: 500,
    MaximumBatchingWindowInSeconds: 2,
    BisectBatchOnFunctionError: true,
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    MaximumRetryAttempts: 10000,
    MaximumRecordAgeInSeconds: 43200,
    StartingPosition: 'TRIM_HORIZON',
    ParallelizationFactor: 1,
    DestinationConfig: { OnFailure: { Destination: arn('FailedBatchesBucket') } },
  };

  it('EventsMapping: EventsStream → ProcessEventsFunction', () => {
    expect(resources.EventsMapping.Properties).toEqual({
      ...settings,
      EventSourceArn: arn('EventsStream'),
      FunctionName: { Ref: 'ProcessEventsFunction' },
    });
  });

  it('no mapping reads a DynamoDB stream or ActionsStream', () => {
    for (const r of Object.values(resources).filter((x) => x.Type === 'AWS::Lambda::EventSourceMapping')) {
      expect(r.Properties.EventSourceArn).toEqual(arn('EventsStream'));
    }
  });
});

describe('HTTP API', () => {
  const routes = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route');

  it('has every contract route, each IAM authorised and proxied to ApiFunction (payload v2)', () => {
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(ROUTES.map(routeKey).sort());
    for (const route of routes) {
      expect(route.Properties).toMatchObject({ ApiId: { Ref: 'HttpApi' }, AuthorizationType: 'AWS_IAM' });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      ApiId: { Ref: 'HttpApi' },
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: arn('ApiFunction'),
      PayloadFormatVersion: '2.0',
    });
    expect(resources.HttpApi.Properties.ProtocolType).toBe('HTTP');
  });

  it.each(ROUTES.map((r) => [r.method, r.path]))('routes %s %s', (method, p) => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `${method} ${p}`, AuthorizationType: 'AWS_IAM' });
  });

  // docs/api.md#privacy-erasure-and-subject-access: one managed policy per role, output by the stack, on exactly the role's routes.
  const outputs: Record<string, any> = template.toJSON().Outputs;
  /** A CloudFormation string (Fn::Join / Ref) as text, references as `${Name}`. */
  const render = (v: any): string =>
    typeof v === 'string'
      ? v
      : v.Ref
        ? `\${${v.Ref}}`
        : v['Fn::Join']
          ? v['Fn::Join'][1].map(render).join(v['Fn::Join'][0])
          : JSON.stringify(v);
  const policyOf = (output: string) => {
    const id = outputs[output].Value.Ref as string;
    expect(resources[id].Type).toBe('AWS::IAM::ManagedPolicy');
    const statements = resources[id].Properties.PolicyDocument.Statement as any[];
    expect(statements.map((st) => [st.Effect, st.Action])).toEqual([['Allow', 'execute-api:Invoke']]);
    return (statements[0].Resource as any[]).map(render).sort();
  };
  const viewer = policyOf('ViewerPolicyArn');
  const operator = policyOf('OperatorPolicyArn');
  const invokeArn = (method: string, p: string) =>
    `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${HttpApi}/*/${method}${p.replace(/\{[^}]+\}/g, '*')}`;

  it.each(ROUTES.map((r) => [r.method, r.path, r.role]))(
    '%s %s (%s): in the operator policy, in the viewer policy only if a viewer route',
    (method, p, role) => {
      expect(operator).toContain(invokeArn(method, p));
      if (role === 'viewer') expect(viewer).toContain(invokeArn(method, p));
      else expect(viewer).not.toContain(invokeArn(method, p));
    },
  );

  it('grants nothing beyond the route table; the viewer only health, metrics, the segment list and the console', () => {
    expect(operator).toEqual(ROUTES.map((r) => invokeArn(r.method, r.path)).sort());
    expect(viewer).toEqual(
      ROUTES.filter((r) => r.role === 'viewer')
        .map((r) => invokeArn(r.method, r.path))
        .sort(),
    );
    for (const arnText of viewer) {
      expect(arnText.split('/*/')[1], arnText).toMatch(/^GET\/(health|metrics\/[a-z-]+|segments|console\/\*|)$/);
    }
    expect(viewer.length).toBeGreaterThan(3);
  });

  it('default stage throttles and writes access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: 'HttpApi' },
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: Match.anyValue(), ThrottlingRateLimit: Match.anyValue() },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('AccessLogs'), 'Arn'] },
        Format: Match.stringLikeRegexp('\\$context\\.requestId'),
      },
    });
  });

  it('API Gateway may invoke only ApiFunction', () => {
    const permissions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Permission');
    expect(permissions).toHaveLength(1);
    expect(permissions[0].Properties).toMatchObject({
      FunctionName: arn('ApiFunction'),
      Principal: 'apigateway.amazonaws.com',
    });
  });
});

describe('daily schedules', () => {
  it.each([
    ['TierReviewSchedule', 'TierReviewFunction', 'tier-review', 'cron(15 0 * * ? *)'],
    ['WinbackSchedule', 'WinbackFunction', 'winback', 'cron(30 0 * * ? *)'],
    ['RfmSchedule', 'RfmFunction', 'rfm', 'cron(45 0 * * ? *)'],
    ['CoinsSchedule', 'CoinsFunction', 'coins', 'cron(5 0 * * ? *)'],
  ])('%s invokes %s daily in the programme time zone', (id, fnId, job, cron) => {
    const props = resources[id].Properties;
    expect(props).toMatchObject({
      ScheduleExpression: cron,
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: { Arn: arn(fnId), RetryPolicy: { MaximumRetryAttempts: expect.any(Number) } },
    });
    expect(JSON.parse(props.Target.Input)).toEqual({ job, scheduledTime: '<aws.scheduler.scheduled-time>' });
    // The schedule's role may invoke exactly that one function and nothing else.
    const roleId = props.Target.RoleArn['Fn::GetAtt'][0];
    expect(resources[roleId].Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    expect(statementsOfRole(roleId)).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: arn(fnId) },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arn('ScheduleDeadLetterQueue') },
    ]);
  });

  it('follows the timezone prop', () => {
    const custom = Template.fromStack(createStack({ timezone: 'America/New_York' }));
    custom.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpressionTimezone: 'America/New_York' });
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MEMBERFLOW_TZ: 'America/New_York' }) },
    });
  });
});
