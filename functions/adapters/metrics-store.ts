// Metrics table: counter items per (counter key, source shard), each with the last sequence number
// it includes. Reads of a counter key sum its source items; where the items live is
// keys/metrics-keys.ts's (a span of days is one Query there), how their counters are stored
// counter-codec.ts's.
import { BatchGetCommand, paginateQuery, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CounterItem, HintPort, MetricsPort } from '../../shared/batch/process-batch';
import type { DayHints } from '../../shared/batch/ports';
import { counterItemKey, counterKeyOf, counterSpans, dayHintsKey, hintSources, type CounterSpan } from '../../shared/keys/metrics-keys';
import { COUNTERS_ATTRIBUTE, decodeCounters, encodeCounters } from './counter-codec';
import { decodedCounters } from './decoded-counters';
import { exceptionsAttributes, exceptionsOf, type StoredExceptions } from './counter-exceptions';
import { isConditionFailure } from './errors';
import { CoinDueStore } from './coin-due-store';
import { chunks, untilDone } from './retry';

interface StoredCounterItem extends StoredExceptions {
  pk: string;
  sk: string;
  hw?: string;
  /** The attempt a batch progress record names, or the totals item settled (shared/batch/batch-progress.ts). */
  ba?: string;
  /** The counters, encoded (counter-codec.ts). */
  [COUNTERS_ATTRIBUTE]?: Uint8Array;
}

export class MetricsStore implements MetricsPort, HintPort {
  readonly coinDue: CoinDueStore;
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {
    this.coinDue = new CoinDueStore(client, table);
  }

  async read(keys: readonly string[], shardId: string): Promise<Map<string, CounterItem>> {
    const found = new Map<string, CounterItem>();
    for (const batch of chunks(keys, 100)) {
      await untilDone(
        batch.map((key) => counterItemKey(key, shardId)),
        async (pending) => {
          const out = await this.client.send(
            new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }),
          );
          for (const item of (out.Responses?.[this.table] ?? []) as StoredCounterItem[]) {
            const hx = exceptionsOf(item);
            found.set(counterKeyOf(item), {
              hw: item.hw ?? null,
              counters: decodeCounters(item[COUNTERS_ATTRIBUTE]),
              ...(hx ? { hx } : {}),
              ...(item.ba ? { attempt: item.ba } : {}),
            });
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
          Item: {
            ...counterItemKey(key, shardId),
            hw: item.hw,
            [COUNTERS_ATTRIBUTE]: encodeCounters(item.counters),
            ...exceptionsAttributes(item.hx),
            ...(item.attempt ? { ba: item.attempt } : {}),
          },
          ConditionExpression: previousHw === null ? 'attribute_not_exists(pk)' : 'hw = :previous',
          ExpressionAttributeValues: previousHw === null ? undefined : { ':previous': previousHw },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new Error(`counter item ${key} moved on while this batch was applied`);
      throw error;
    }
  }

  /** A batch's hint lists of a day (see HintPort); `source` = shard, batch and lists, so a retry naming fewer members adds an item. */
  async put(day: number, source: string, lists: DayHints): Promise<void> {
    const la = lists.lastActive.length ? { la: lists.lastActive } : {};
    await this.client.send(
      new PutCommand({ TableName: this.table, Item: { pk: dayHintsKey(day), sk: source, ids: lists.purchased, ...la } }),
    );
  }

  /** The union of a hint key's lists (metrics-keys.ts hintSources: the day's hint items, and older last-active items). */
  async hintIds(key: string): Promise<string[]> {
    const ids = new Set<string>();
    await Promise.all(
      hintSources(key).map(async ({ pk, attribute }) => {
        const pages = paginateQuery(
          { client: this.client },
          {
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ProjectionExpression: '#a',
            ExpressionAttributeNames: { '#a': attribute },
          },
        );
        for await (const page of pages)
          for (const item of page.Items ?? []) for (const id of (item[attribute] as string[]) ?? []) ids.add(id);
      }),
    );
    return [...ids];
  }

  /**
   * Sums the source items of each key (missing keys read as empty). A constant number of Queries
   * whatever the number of days: one per day family over its span, one per other key
   * (metrics-keys.ts `counterSpans`), run in parallel, each paged.
   */
  async sum(keys: readonly string[]): Promise<Map<string, Map<string, number>>> {
    const wanted = new Set(keys);
    const out = new Map<string, Map<string, number>>();
    for (const key of wanted) out.set(key, new Map());
    await Promise.all(
      counterSpans(keys).map((span) =>
        this.querySpan(span, (item) => {
          const total = out.get(counterKeyOf(item));
          if (!total) return; // a day between asked-for days
          const { names, values } = decodedCounters(`${this.table}|${item.pk}|${item.sk}`, item[COUNTERS_ATTRIBUTE]);
          for (let i = 0; i < names.length; i++) total.set(names[i], (total.get(names[i]) ?? 0) + values[i]);
        }),
      ),
    );
    return out;
  }

  private async querySpan(span: CounterSpan, each: (item: StoredCounterItem) => void): Promise<void> {
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.table,
        KeyConditionExpression: span.between ? 'pk = :pk AND sk BETWEEN :from AND :to' : 'pk = :pk',
        ExpressionAttributeValues: span.between ? { ':pk': span.pk, ':from': span.between[0], ':to': span.between[1] } : { ':pk': span.pk },
        ProjectionExpression: `pk, sk, ${COUNTERS_ATTRIBUTE}`,
      },
    );
    for await (const page of pages) for (const item of (page.Items ?? []) as StoredCounterItem[]) each(item);
  }
}
