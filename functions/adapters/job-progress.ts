// The last day a daily job ran for, kept in the metrics table (pk `job#<name>`).
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { jobProgressKey } from '../../shared/keys/metrics-keys';
import { documentClient } from './clients';
import { resourceNames } from './config';

export async function lastRun(job: string): Promise<number | null> {
  const out = await documentClient().send(new GetCommand({ TableName: resourceNames().metricsTable, Key: jobProgressKey(job), ConsistentRead: true }));
  return (out.Item?.lastDay as number | undefined) ?? null;
}

export async function recordRun(job: string, day: number, details: Record<string, unknown> = {}): Promise<void> {
  await documentClient().send(new PutCommand({ TableName: resourceNames().metricsTable, Item: { ...jobProgressKey(job), lastDay: day, ...details } }));
}
