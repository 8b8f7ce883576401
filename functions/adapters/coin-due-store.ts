// The coin-due hints in MetricsTable (shared/coins/due-hints.ts; keys in metrics-keys.ts) and the
// coins job's start mark beside its progress item (`job#coins`, sk `started`). Written by the
// consumer, the api's coin operations and the coins job; read by the job and coins expiring.
import { GetCommand, paginateQuery, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CoinDuePort } from '../../shared/coins/due-hints';
import {
  COINS_JOB_BACKFILLED_KEY,
  COINS_JOB_BACKFILL_FROM_KEY,
  COINS_JOB_START_KEY,
  coinDueHintKey,
  coinDueSpans,
} from '../../shared/keys/metrics-keys';
import { isConditionFailure } from './errors';

export class CoinDueStore implements CoinDuePort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(day: number, source: string, ids: readonly string[], expiresBy: number): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.table, Item: { ...coinDueHintKey(day, source), ids: [...ids], ex: expiresBy } }),
    );
  }

  async membersDue(
    from: number,
    to: number,
    { expiringBy, consistent = true }: { expiringBy?: number; consistent?: boolean } = {},
  ): Promise<string[]> {
    const ids = new Set<string>();
    await Promise.all(
      coinDueSpans(from, to).map(async (span) => {
        const pages = paginateQuery(
          { client: this.client },
          {
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: {
              ':pk': span.pk,
              ':from': span.between[0],
              ':to': span.between[1],
              ...(expiringBy === undefined ? {} : { ':ex': expiringBy }),
            },
            ...(expiringBy === undefined ? {} : { FilterExpression: 'ex <= :ex' }),
            ProjectionExpression: 'pk, sk, ids',
            ConsistentRead: consistent,
          },
        );
        for await (const page of pages)
          for (const item of page.Items ?? []) for (const id of (item.ids as string[] | undefined) ?? []) ids.add(id);
      }),
    );
    return [...ids];
  }

  async started(): Promise<number | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: COINS_JOB_START_KEY, ConsistentRead: true }));
    return (out.Item?.day as number | undefined) ?? null;
  }

  async start(day: number): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...COINS_JOB_START_KEY, day },
          ConditionExpression: 'attribute_not_exists(pk) OR #d < :day',
          ExpressionAttributeNames: { '#d': 'day' },
          ExpressionAttributeValues: { ':day': day },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error; // a run for this day or a later one began before
    }
  }

  async backfilled(): Promise<boolean> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: COINS_JOB_BACKFILLED_KEY, ConsistentRead: true }));
    return !!out.Item;
  }

  async markBackfilled(): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.table, Item: { ...COINS_JOB_BACKFILLED_KEY, at: new Date().toISOString() } }));
  }

  async backfillFrom(): Promise<string | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: COINS_JOB_BACKFILL_FROM_KEY, ConsistentRead: true }));
    return out.Item?.from as string | undefined;
  }

  async saveBackfillFrom(next: string): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.table, Item: { ...COINS_JOB_BACKFILL_FROM_KEY, from: next } }));
  }
}
