// The history import in AWS (infra/constructs/history-import.ts): ImportStateMachine stages the
// objects under incoming/ with a Distributed Map (one import-stage invocation per object), then
// loops import-apply until it answers done. Assertions on the synthesised template.
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { IMPORT_INCOMING_PREFIX, STAGE_MAX_CONCURRENCY } from '../../infra/constructs/history-import';
import { createStack } from '../../infra/synth';

const template = Template.fromStack(createStack());
const resources: Record<string, any> = template.toJSON().Resources;

/** The state machine's definition with the CloudFormation references replaced by their logical ids. */
function definition(): any {
  const body = resources.ImportStateMachine.Properties.DefinitionString;
  const parts: unknown[] = body['Fn::Join'][1];
  const text = parts
    .map((p: any) => (typeof p === 'string' ? p : p['Fn::GetAtt'] ? `<${p['Fn::GetAtt'][0]}>` : p.Ref ? `<${p.Ref}>` : '<?>'))
    .join('');
  return JSON.parse(text);
}

describe('history import (ImportStateMachine)', () => {
  const def = definition();

  it('stages every object under incoming/ in a Distributed Map, one import-stage invocation per object', () => {
    expect(def.StartAt).toBe('Stage');
    const stage = def.States.Stage;
    expect(stage.Type).toBe('Map');
    expect(stage.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(stage.ItemReader.Resource).toBe('arn:<AWS::Partition>:states:::s3:listObjectsV2');
    expect(stage.ItemReader.Parameters).toEqual({ Bucket: '<ImportBucket>', Prefix: IMPORT_INCOMING_PREFIX });
    expect(stage.MaxConcurrency).toBe(STAGE_MAX_CONCURRENCY);
    expect(stage.ToleratedFailurePercentage ?? 0).toBe(0); // any failed object fails the import
    const item = stage.ItemProcessor.States[stage.ItemProcessor.StartAt];
    expect(item.Resource).toBe('<ImportStageFunction>');
    // The execution's name is the import id and its start the import's clock, for every item.
    expect(item.Parameters).toMatchObject({ 'importId.$': '$$.Execution.Name', 'arrivedAt.$': '$$.Execution.StartTime', 'key.$': '$.Key' });
    expect(stage.Next).toBe('ApplyDays');
  });

  it('then applies the staged days with import-apply, again from its checkpoint until it answers done', () => {
    const apply = def.States.ApplyDays;
    expect(apply.Resource).toBe('<ImportApplyFunction>');
    expect(apply.Parameters).toMatchObject({ 'importId.$': '$$.Execution.Name', 'arrivedAt.$': '$$.Execution.StartTime' });
    expect(apply.Retry.some((r: any) => r.ErrorEquals.includes('States.ALL') && r.MaxAttempts >= 3)).toBe(true);
    expect(apply.Next).toBe('AllDaysApplied');
    const choice = def.States.AllDaysApplied;
    expect(choice.Choices).toEqual([{ Variable: '$.apply.done', BooleanEquals: true, Next: 'Imported' }]);
    expect(choice.Default).toBe('ApplyDays');
    expect(def.States.Imported.Type).toBe('Succeed');
  });

  it('gives the state machine only invoke on the two functions, list on its bucket, and its own child executions', () => {
    const roleId = resources.ImportStateMachine.Properties.RoleArn['Fn::GetAtt'][0];
    const statements = Object.values(resources)
      .filter((r: any) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: any) => x.Ref === roleId))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const actions = [...new Set(statements.flatMap((s: any) => [s.Action].flat()))].sort();
    expect(actions).toEqual([
      'lambda:InvokeFunction',
      's3:ListBucket',
      'states:DescribeExecution',
      'states:RedriveExecution',
      'states:StartExecution',
      'states:StopExecution',
    ]);
    const resourcesOf = (action: string) =>
      statements.filter((s: any) => [s.Action].flat().includes(action)).flatMap((s: any) => [s.Resource].flat());
    expect(JSON.stringify(resourcesOf('lambda:InvokeFunction'))).not.toMatch(/"\*"/);
    expect(resourcesOf('s3:ListBucket')).toEqual([{ 'Fn::GetAtt': ['ImportBucket', 'Arn'] }]);
  });

  it('keeps the import bucket private, encrypted, TLS-only and access-logged; staged files expire', () => {
    const bucket = resources.ImportBucket.Properties;
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.LoggingConfiguration.LogFilePrefix).toBe('import/');
    expect(bucket.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({ Prefix: 'staged/', ExpirationInDays: 14, Status: 'Enabled' }),
    ]);
    template.hasResourceProperties('AWS::S3::BucketPolicy', { Bucket: { Ref: 'ImportBucket' } });
  });
});
