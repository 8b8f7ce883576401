// Reads the synthesised CloudFormation template into what the local runtime needs. Pure: no I/O.
// The template is the single source of truth, so local and AWS cannot drift apart.
import type { MappingSettings } from './mapping-config';

export type CfnTemplate = { Resources?: Record<string, CfnResource>; [key: string]: unknown };
export type CfnResource = { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, any> };

export interface TableDef {
  logicalId: string;
  keySchema: Array<{ AttributeName: string; KeyType: string }>;
  attributeDefinitions: Array<{ AttributeName: string; AttributeType: string }>;
  globalSecondaryIndexes: Array<{ IndexName: string; KeySchema: any[]; Projection: any }>;
  localSecondaryIndexes: Array<{ IndexName: string; KeySchema: any[]; Projection: any }>;
  streamViewType?: string;
  ttlAttribute?: string;
}

export interface StreamDef {
  logicalId: string;
  shardCount: number;
}

export interface FunctionDef {
  logicalId: string;
  /** Repo-relative handler file from the `memberflow:entry` metadata. */
  entry: string;
  /** Raw Environment.Variables (intrinsics unresolved). */
  environment: Record<string, unknown>;
  timeoutSeconds: number;
  memoryMb: number;
}

export type MappingSourceDef = { kind: 'kinesis'; streamLogicalId: string };

export interface MappingDef extends MappingSettings {
  logicalId: string;
  functionLogicalId: string;
  source: MappingSourceDef;
  onFailureBucketLogicalId?: string;
  enabled: boolean;
}

export interface ScheduleDef {
  logicalId: string;
  functionLogicalId: string;
  expression: string;
  timezone: string;
  /** Target.Input parsed as JSON (EventBridge Scheduler delivers it as the event). */
  input: Record<string, unknown>;
  enabled: boolean;
}

export interface TemplateModel {
  tables: TableDef[];
  streams: StreamDef[];
  buckets: string[];
  functions: FunctionDef[];
  mappings: MappingDef[];
  schedules: ScheduleDef[];
  /** HTTP API route keys, e.g. "GET /members/{memberId}" (empty if the template has none). */
  routes: string[];
}

export const ENTRY_METADATA = 'memberflow:entry';

/** Logical ids referenced by Ref / Fn::GetAtt / Fn::Sub anywhere inside `expr`. */
export function referencedIds(expr: unknown, out: string[] = []): string[] {
  if (Array.isArray(expr)) {
    for (const e of expr) referencedIds(e, out);
  } else if (expr && typeof expr === 'object') {
    for (const [k, v] of Object.entries(expr)) {
      if (k === 'Ref' && typeof v === 'string') out.push(v);
      else if (k === 'Fn::GetAtt') out.push(Array.isArray(v) ? String(v[0]) : String(v).split('.')[0]);
      else if (k === 'Fn::Sub') {
        const text = Array.isArray(v) ? String(v[0]) : String(v);
        for (const m of text.matchAll(/\$\{([^}!.]+)[^}]*\}/g)) out.push(m[1]);
        if (Array.isArray(v)) referencedIds(v[1], out);
      } else referencedIds(v, out);
    }
  }
  return out;
}

function firstOfType(resources: Record<string, CfnResource>, expr: unknown, types: string[]): string | undefined {
  return referencedIds(expr).find((id) => types.includes(resources[id]?.Type));
}

const FUNCTION_TYPES = ['AWS::Lambda::Function'];

export function parseTemplate(template: CfnTemplate): TemplateModel {
  const resources = template.Resources ?? {};
  const model: TemplateModel = { tables: [], streams: [], buckets: [], functions: [], mappings: [], schedules: [], routes: [] };
  const deferred: Array<() => void> = [];

  for (const [logicalId, res] of Object.entries(resources)) {
    const p = res.Properties ?? {};
    switch (res.Type) {
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable':
        model.tables.push({
          logicalId,
          keySchema: p.KeySchema ?? [],
          attributeDefinitions: p.AttributeDefinitions ?? [],
          globalSecondaryIndexes: (p.GlobalSecondaryIndexes ?? []).map((g: any) => ({
            IndexName: g.IndexName,
            KeySchema: g.KeySchema,
            Projection: g.Projection ?? { ProjectionType: 'ALL' },
          })),
          localSecondaryIndexes: (p.LocalSecondaryIndexes ?? []).map((g: any) => ({
            IndexName: g.IndexName,
            KeySchema: g.KeySchema,
            Projection: g.Projection ?? { ProjectionType: 'ALL' },
          })),
          streamViewType: p.StreamSpecification?.StreamViewType,
          ttlAttribute: p.TimeToLiveSpecification?.Enabled === false ? undefined : p.TimeToLiveSpecification?.AttributeName,
        });
        break;
      case 'AWS::Kinesis::Stream':
        // On-demand streams start with 4 shards in AWS.
        model.streams.push({ logicalId, shardCount: Number(p.ShardCount ?? 4) });
        break;
      case 'AWS::S3::Bucket':
        model.buckets.push(logicalId);
        break;
      case 'AWS::Lambda::Function': {
        const entry = res.Metadata?.[ENTRY_METADATA];
        if (typeof entry !== 'string') break; // CDK helper functions (custom resources, log retention…)
        model.functions.push({
          logicalId,
          entry,
          environment: p.Environment?.Variables ?? {},
          timeoutSeconds: Number(p.Timeout ?? 3),
          memoryMb: Number(p.MemorySize ?? 128),
        });
        break;
      }
      case 'AWS::Lambda::EventSourceMapping':
        deferred.push(() => {
          const fn = firstOfType(resources, p.FunctionName, FUNCTION_TYPES);
          const streamId = firstOfType(resources, p.EventSourceArn, ['AWS::Kinesis::Stream']);
          // Only Kinesis sources: the stack reads no DynamoDB stream.
          if (!fn || !streamId) return;
          model.mappings.push({
            logicalId,
            functionLogicalId: fn,
            source: { kind: 'kinesis', streamLogicalId: streamId },
            batchSize: Number(p.BatchSize ?? 100),
            maximumBatchingWindowInSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
            bisectBatchOnFunctionError: p.BisectBatchOnFunctionError === true,
            maximumRetryAttempts: Number(p.MaximumRetryAttempts ?? -1),
            maximumRecordAgeInSeconds: Number(p.MaximumRecordAgeInSeconds ?? -1),
            reportBatchItemFailures: (p.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
            startingPosition: p.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
            onFailureBucketLogicalId: firstOfType(resources, p.DestinationConfig?.OnFailure?.Destination, ['AWS::S3::Bucket']),
            enabled: p.Enabled !== false,
          });
        });
        break;
      case 'AWS::Scheduler::Schedule':
        deferred.push(() => {
          const fn = firstOfType(resources, p.Target?.Arn, FUNCTION_TYPES);
          if (!fn || typeof p.ScheduleExpression !== 'string') return;
          let input: Record<string, unknown> = {};
          if (typeof p.Target?.Input === 'string') {
            try {
              input = JSON.parse(p.Target.Input);
            } catch {
              input = {};
            }
          }
          model.schedules.push({
            logicalId,
            functionLogicalId: fn,
            expression: p.ScheduleExpression,
            timezone: p.ScheduleExpressionTimezone ?? 'UTC',
            input,
            enabled: p.State !== 'DISABLED',
          });
        });
        break;
      case 'AWS::ApiGatewayV2::Route':
        if (typeof p.RouteKey === 'string') model.routes.push(p.RouteKey);
        break;
    }
  }
  for (const f of deferred) f();
  return model;
}
