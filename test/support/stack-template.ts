// The synthesised stack that the infra tests read, the logical ids they name, and the policy
// statements of a role or a function.
import { Template } from 'aws-cdk-lib/assertions';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { EXPORT_SEGMENT_ENTRY, REPO_ROOT } from '../../infra/memberflow-stack';
import { createStack } from '../../infra/synth';

export const template = Template.fromStack(createStack());
export const resources: Record<string, any> = template.toJSON().Resources;
export const hasExportSegment = existsSync(path.join(REPO_ROOT, EXPORT_SEGMENT_ENTRY));

export const FUNCTIONS: Record<string, string> = {
  ProcessEventsFunction: 'functions/process-events.ts',
  ApiFunction: 'functions/api.ts',
  TierReviewFunction: 'functions/tier-review.ts',
  WinbackFunction: 'functions/winback.ts',
  RfmFunction: 'functions/rfm.ts',
  CoinsFunction: 'functions/coins.ts',
  ImportStageFunction: 'functions/import-stage.ts',
  ImportApplyFunction: 'functions/import-apply.ts',
  ...(hasExportSegment ? { ExportSegmentFunction: EXPORT_SEGMENT_ENTRY } : {}),
};
export const JOBS = ['TierReviewFunction', 'WinbackFunction', 'RfmFunction', 'CoinsFunction'];
export const arn = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

export type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

export function statementsOfRole(roleId: string): Statement[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: any) => x.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

export function statementsOf(fnId: string): Statement[] {
  return statementsOfRole(resources[fnId].Properties.Role['Fn::GetAtt'][0]);
}
