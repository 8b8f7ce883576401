// Creates the template's tables, streams and buckets on the local services under the physical
// names `<prefix><LogicalId>`, and resolves each function's environment to those names.
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, ResourceInUseException as KinesisInUse } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { LOCAL_ACCOUNT, LOCAL_REGION, dynamoClient, kinesisClient, localSdkEnv, s3Client, waitFor, type LocalEndpoints } from './aws';
import type { TemplateModel } from './template';

export interface LocalNames {
  /** logical id → physical name */
  tables: Record<string, string>;
  streams: Record<string, string>;
  buckets: Record<string, string>;
  functions: Record<string, string>;
  /** table logical id → its DynamoDB stream ARN (tables with a StreamSpecification) */
  tableStreamArns: Record<string, string>;
  /** stream logical id → ARN */
  streamArns: Record<string, string>;
}

/** S3 bucket names must be lowercase DNS labels; tables and streams keep the logical id's case. */
export function bucketName(prefix: string, logicalId: string): string {
  let name = `${prefix}${logicalId}`.toLowerCase().replace(/[^a-z0-9.-]+/g, '-');
  name = name.replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '').slice(0, 63);
  return name.length >= 3 ? name : `${name}-bucket`;
}

export function physicalNames(model: TemplateModel, prefix: string): LocalNames {
  const names: LocalNames = { tables: {}, streams: {}, buckets: {}, functions: {}, tableStreamArns: {}, streamArns: {} };
  for (const t of model.tables) names.tables[t.logicalId] = `${prefix}${t.logicalId}`;
  for (const s of model.streams) {
    names.streams[s.logicalId] = `${prefix}${s.logicalId}`;
    names.streamArns[s.logicalId] = `arn:aws:kinesis:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stream/${prefix}${s.logicalId}`;
  }
  for (const b of model.buckets) names.buckets[b] = bucketName(prefix, b);
  for (const f of model.functions) names.functions[f.logicalId] = `${prefix}${f.logicalId}`;
  return names;
}

/** Creates every table, stream and bucket (existing ones are reused) and returns their names. */
export async function createResources(model: TemplateModel, endpoints: LocalEndpoints, prefix = ''): Promise<LocalNames> {
  const names = physicalNames(model, prefix);
  const ddb = dynamoClient(endpoints);
  const kin = kinesisClient(endpoints);
  const s3 = s3Client(endpoints);
  try {
    await Promise.all([
      ...model.tables.map(async (t) => {
        const TableName = names.tables[t.logicalId];
        const input: CreateTableCommandInput = {
          TableName,
          KeySchema: t.keySchema as CreateTableCommandInput['KeySchema'],
          AttributeDefinitions: t.attributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
          BillingMode: 'PAY_PER_REQUEST',
          GlobalSecondaryIndexes: t.globalSecondaryIndexes.length ? (t.globalSecondaryIndexes as any) : undefined,
          LocalSecondaryIndexes: t.localSecondaryIndexes.length ? (t.localSecondaryIndexes as any) : undefined,
          StreamSpecification: t.streamViewType ? { StreamEnabled: true, StreamViewType: t.streamViewType as any } : undefined,
        };
        try {
          await ddb.send(new CreateTableCommand(input));
          if (t.ttlAttribute) {
            await ddb.send(
              new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: t.ttlAttribute, Enabled: true } }),
            );
          }
        } catch (err) {
          if (!(err instanceof ResourceInUseException)) throw new Error(`creating table ${TableName}: ${(err as Error).message}`);
        }
        const desc = await waitFor(
          async () => {
            const d = await ddb.send(new DescribeTableCommand({ TableName }));
            if (d.Table?.TableStatus !== 'ACTIVE') throw new Error(`status ${d.Table?.TableStatus}`);
            return d;
          },
          30_000,
          `table ${TableName}`,
        );
        if (desc.Table?.LatestStreamArn) names.tableStreamArns[t.logicalId] = desc.Table.LatestStreamArn;
      }),
      ...model.streams.map(async (s) => {
        const StreamName = names.streams[s.logicalId];
        try {
          await kin.send(new CreateStreamCommand({ StreamName, ShardCount: s.shardCount }));
        } catch (err) {
          if (!(err instanceof KinesisInUse)) throw new Error(`creating stream ${StreamName}: ${(err as Error).message}`);
        }
        const summary = await waitFor(
          async () => {
            const d = await kin.send(new DescribeStreamSummaryCommand({ StreamName }));
            if (d.StreamDescriptionSummary?.StreamStatus !== 'ACTIVE')
              throw new Error(`status ${d.StreamDescriptionSummary?.StreamStatus}`);
            return d;
          },
          30_000,
          `stream ${StreamName}`,
          50,
        );
        const arn = summary.StreamDescriptionSummary?.StreamARN;
        if (arn) names.streamArns[s.logicalId] = arn;
      }),
      ...model.buckets.map(async (b) => {
        try {
          await s3.send(new CreateBucketCommand({ Bucket: names.buckets[b] }));
        } catch (err) {
          const name = (err as Error).name;
          if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') {
            throw new Error(`creating bucket ${names.buckets[b]}: ${(err as Error).message}`);
          }
        }
      }),
    ]);
  } finally {
    ddb.destroy();
    kin.destroy();
    s3.destroy();
  }
  return names;
}

const PSEUDO: Record<string, string> = {
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'memberflow-local',
  'AWS::NoValue': '',
};

/**
 * Resolves Ref / Fn::GetAtt / Fn::Join / Fn::Sub against the local names. Returns undefined for
 * anything it cannot resolve locally (the caller drops that variable).
 */
export function resolveIntrinsic(expr: unknown, names: LocalNames): string | undefined {
  if (expr === null || expr === undefined) return undefined;
  if (typeof expr !== 'object') return String(expr);
  const obj = expr as Record<string, any>;
  if ('Ref' in obj) return ref(obj.Ref, names);
  if ('Fn::GetAtt' in obj) {
    const [id, attr] = Array.isArray(obj['Fn::GetAtt']) ? obj['Fn::GetAtt'] : String(obj['Fn::GetAtt']).split('.');
    return getAtt(String(id), String(attr), names);
  }
  if ('Fn::Join' in obj) {
    const [sep, parts] = obj['Fn::Join'];
    const resolved = (parts as unknown[]).map((p) => resolveIntrinsic(p, names));
    return resolved.some((r) => r === undefined) ? undefined : resolved.join(sep);
  }
  if ('Fn::Sub' in obj) {
    const [text, vars] = Array.isArray(obj['Fn::Sub']) ? obj['Fn::Sub'] : [obj['Fn::Sub'], {}];
    let failed = false;
    const out = String(text).replace(/\$\{([^}]+)\}/g, (_m, key: string) => {
      if (key.startsWith('!')) return `\${${key.slice(1)}}`;
      const v =
        key in (vars ?? {})
          ? resolveIntrinsic(vars[key], names)
          : key.includes('.')
            ? getAtt(key.split('.')[0], key.split('.').slice(1).join('.'), names)
            : ref(key, names);
      if (v === undefined) failed = true;
      return v ?? '';
    });
    return failed ? undefined : out;
  }
  return undefined;
}

function ref(id: string, names: LocalNames): string | undefined {
  return PSEUDO[id] ?? names.tables[id] ?? names.streams[id] ?? names.buckets[id] ?? names.functions[id];
}

function getAtt(id: string, attr: string, names: LocalNames): string | undefined {
  const arnBase = `${LOCAL_REGION}:${LOCAL_ACCOUNT}`;
  if (names.tables[id]) {
    if (attr === 'Arn') return `arn:aws:dynamodb:${arnBase}:table/${names.tables[id]}`;
    if (attr === 'StreamArn') return names.tableStreamArns[id];
  }
  if (names.streams[id] && attr === 'Arn') return names.streamArns[id];
  if (names.buckets[id]) {
    if (attr === 'Arn') return `arn:aws:s3:::${names.buckets[id]}`;
    if (attr === 'DomainName' || attr === 'RegionalDomainName') return `${names.buckets[id]}.s3.amazonaws.com`;
  }
  if (names.functions[id] && attr === 'Arn') return `arn:aws:lambda:${arnBase}:function:${names.functions[id]}`;
  return undefined;
}

/**
 * Variables naming a Secrets Manager secret that the handlers do not read locally: with
 * MEMBERFLOW_LOCAL=1 they use a file in the state directory instead (functions/adapters/
 * erasure-salt.ts, command-key.ts). Locally there is no Secrets Manager, so these are dropped
 * without a warning.
 */
export const LOCAL_FILE_SECRETS: ReadonlySet<string> = new Set(['ERASURE_SALT_SECRET', 'COMMAND_KEY_SECRET']);

/**
 * The environment a function sees locally: its template variables resolved to local names, plus
 * the local SDK endpoints and credentials. Unresolvable variables are reported via `warn`, except
 * the secrets read from local files (`LOCAL_FILE_SECRETS`).
 */
export function functionEnvironment(
  fnEnv: Record<string, unknown>,
  names: LocalNames,
  endpoints: LocalEndpoints,
  warn: (msg: string) => void = () => undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(fnEnv)) {
    const resolved = resolveIntrinsic(value, names);
    if (resolved === undefined) {
      if (!LOCAL_FILE_SECRETS.has(key)) warn(`environment variable ${key} cannot be resolved locally: ${JSON.stringify(value)}`);
    } else env[key] = resolved;
  }
  return { ...env, ...localSdkEnv(endpoints) };
}
