// Metrics table: counter items per (metric key, source shard), each with the last sequence number
// it includes. Reads of a metric sum its shard items.
import { BatchGetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CounterItem, MetricsPort } from '../../shared/process-batch';
import { isConditionFailure } from './errors';
import { chunks, untilDone } from './retry';

interface StoredCounterItem {
  pk: string;
  sk: string;
  hw?: string;
  m?: Record<string, number>;
}

export class MetricsStore implements MetricsPort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async read(keys: readonly string[], shardId: string): Promise<Map<string, CounterItem>> {
    const found = new Map<string, CounterItem>();
    for (const batch of chunks(keys, 100)) {
      await untilDone(batch.map((pk) => ({ pk, sk: shardId })), async (pending) => {
        const out = await this.client.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }));
        for (const item of (out.Responses?.[this.table] ?? []) as StoredCounterItem[]) {
          found.set(item.pk, { hw: item.hw ?? null, counters: item.m ?? {} });
        }
        return (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as { pk: string; sk: string }[];
      }, 'BatchGetItem metrics');
    }
    return found;
  }

  async write(key: string, shardId: string, item: CounterItem, previousHw: string | null): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: key, sk: shardId, hw: item.hw, m: item.counters },
          ConditionExpression: previousHw === null ? 'attribute_not_exists(pk)' : 'hw = :previous',
          ExpressionAttributeValues: previousHw === null ? undefined : { ':previous': previousHw },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new Error(`counter item ${key} moved on while this batch was applied`);
      throw error;
    }
  }

  /** Sums the shard items of each key (missing keys read as empty). */
  async sum(keys: readonly string[], concurrency = 16): Promise<Map<string, Map<string, number>>> {
    const out = new Map<string, Map<string, number>>();
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const key = keys[next++];
        const total = new Map<string, number>();
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await this.client.send(
            new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': key }, ExclusiveStartKey: startKey }),
          );
          for (const item of (page.Items ?? []) as StoredCounterItem[]) {
            for (const [name, value] of Object.entries(item.m ?? {})) total.set(name, (total.get(name) ?? 0) + value);
          }
          startKey = page.LastEvaluatedKey;
        } while (startKey);
        out.set(key, total);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
    return out;
  }
}
