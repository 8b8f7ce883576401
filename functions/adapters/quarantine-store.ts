// Quarantine table: bad records with their reason, kept 30 days. Keys are derived from the
// record's stream position, so a retried batch rewrites the same item instead of adding one.
import { BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { hashHex } from '../../shared/util/hash';
import type { QuarantineItem, QuarantinePort } from '../../shared/batch/process-batch';
import { QUARANTINE_TTL_DAYS, quarantineDayKey, quarantineSortKey } from '../../shared/keys/quarantine-keys';
import { chunks, untilDone } from './retry';

export type QuarantineEntry = QuarantineItem;

export class QuarantineStore implements QuarantinePort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async putAll(entries: readonly QuarantineEntry[]): Promise<void> {
    for (const batch of chunks(entries, 25)) {
      const requests = batch.map((entry) => ({
        PutRequest: {
          Item: {
            pk: quarantineDayKey(entry.receivedAt.slice(0, 10)),
            sk: quarantineSortKey(entry.receivedAt, hashHex(`${entry.shardId}/${entry.seq}`)),
            ...entry,
            expiresAt: Math.floor(Date.parse(entry.receivedAt) / 1000) + QUARANTINE_TTL_DAYS * 86_400,
          },
        },
      }));
      await untilDone(
        requests,
        async (pending) => {
          const out = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending } }));
          return (out.UnprocessedItems?.[this.table] ?? []) as typeof requests;
        },
        'BatchWriteItem quarantine',
      );
    }
  }

  /**
   * Newest first, walking back one UTC day partition at a time, from just after `after` (the
   * position of the last entry of an earlier page) when given. Yields one entry at a time with its
   * position, so the caller can stop at a size as well as at a count.
   */
  async *newestFrom(
    now = Date.now(),
    after?: QuarantinePosition,
  ): AsyncGenerator<{ entry: QuarantineEntry; position: QuarantinePosition }> {
    const firstDay = after ? Date.parse(`${after.day}T00:00:00Z`) : now;
    for (let back = 0; back <= QUARANTINE_TTL_DAYS; back++) {
      const day = new Date(firstDay - back * 86_400_000).toISOString().slice(0, 10);
      if (Date.parse(`${day}T00:00:00Z`) < now - (QUARANTINE_TTL_DAYS + 1) * 86_400_000) return;
      let startKey: Record<string, unknown> | undefined = back === 0 && after ? { pk: quarantineDayKey(day), sk: after.sk } : undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': quarantineDayKey(day) },
            ScanIndexForward: false,
            Limit: 100,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const { pk: _pk, sk, expiresAt: _expiresAt, ...entry } = item;
          yield { entry: entry as QuarantineEntry, position: { day, sk: sk as string } };
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
  }

  /** Newest first, at most `limit`. */
  async newest(limit: number, now = Date.now()): Promise<QuarantineEntry[]> {
    const out: QuarantineEntry[] = [];
    if (limit <= 0) return out;
    for await (const { entry } of this.newestFrom(now)) if (out.push(entry) >= limit) break;
    return out;
  }
}

/** Where a page of the quarantine ended: the UTC day partition and the entry's sort key. */
export interface QuarantinePosition {
  day: string;
  sk: string;
}
