// DynamoDB grants by action, as the adapters call them (docs/iam.md): CDK's grant*Data helpers add
// Scan, DeleteItem, ConditionCheckItem, DescribeTable and the stream reads, which no handler uses
// (#19 item 14), so every grant here names its actions.
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

/** Point reads, batch reads and key-condition queries. */
export const READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'] as const;
/**
 * MembersTable is read only by batches of keys (functions/adapters/member-store.ts, merge-store.ts,
 * erasure-store.ts, api/coins-expiring.ts): no adapter gets one item or queries the base table (the
 * jobs query its indexes, granted apart).
 */
export const MEMBERS_READ = ['dynamodb:BatchGetItem'] as const;

/** Allows `actions` on the table (none: no statement) and, with `indexQuery`, Query on its indexes. */
export function allowOnTable(
  fn: lambda.IFunction,
  table: dynamodb.ITable,
  actions: readonly string[],
  opts: { indexQuery?: boolean } = {},
): void {
  if (actions.length) fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...actions], resources: [table.tableArn] }));
  if (opts.indexQuery)
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${table.tableArn}/index/*`] }));
}

/**
 * Puts on a stream, as the adapters call them: PutRecords only (functions/adapters/events-producer.ts,
 * stream-shards.ts), plus `extra` (ListShards where a forward finds a shard by hash range). CDK's
 * grantWrite would add PutRecord and ListShards everywhere (the streams use the AWS managed key: no
 * KMS grant is needed).
 */
export function allowPutRecords(fn: lambda.IFunction, stream: kinesis.IStream, extra: readonly string[] = []): void {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kinesis:PutRecords', ...extra], resources: [stream.streamArn] }));
}
