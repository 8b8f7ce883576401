// Metrics table: counter items per (metric key, source shard), each with the last sequence number
// it includes. Reads of a metric sum its shard items.
import { BatchGetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CounterItem, HintPort, MetricsPort } from '../../shared/batch/process-batch';
import { isConditionFailure } from './errors';
import { chunks, untilDone } from './retry';

interface StoredCounterItem {
  pk: string;
  sk: string;
  hw?: string;
  m?: Record<string, number>;
  hx?: string[];
}

export class MetricsStore implements MetricsPort, HintPort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async read(keys: readonly string[], shardId: string): Promise<Map<string, CounterItem>> {
    const found = new Map<string, CounterItem>();
    for (const batch of chunks(keys, 100)) {
      await untilDone(
        batch.map((pk) => ({ pk, sk: shardId })),
        async (pending) => {
          const out = await this.client.send(
            new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }),
          );
          for (const item of (out.Responses?.[this.table] ?? []) as StoredCounterItem[]) {
            found.set(item.pk, { hw: item.hw ?? null, counters: item.m ?? {}, ...(item.hx?.length ? { hx: item.hx } : {}) });
          }
          return (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as { pk: string; sk: string }[];
        },
        'BatchGetItem metrics',
      );
    }
    return found;
  }

  async write(key: string, shardId: string, item: CounterItem, previousHw: string | null): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: key, sk: shardId, hw: item.hw, m: item.counters, ...(item.hx?.length ? { hx: item.hx } : {}) },
          ConditionExpression: previousHw === null ? 'attribute_not_exists(pk)' : 'hw = :previous',
          ExpressionAttributeValues: previousHw === null ? undefined : { ':previous': previousHw },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new Error(`counter item ${key} moved on while this batch was applied`);
      throw error;
    }
  }

  /** A job hint list (see HintPort); `source` = shard and batch, so a retried batch rewrites it. */
  async put(key: string, source: string, memberIds: readonly string[]): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.table, Item: { pk: key, sk: source, ids: memberIds } }));
  }

  /** The union of a hint key's lists. */
  async hintIds(key: string): Promise<string[]> {
    const ids = new Set<string>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': key },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) for (const id of (item.ids as string[]) ?? []) ids.add(id);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return [...ids];
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
            new QueryCommand({
              TableName: this.table,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': key },
              ExclusiveStartKey: startKey,
            }),
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
