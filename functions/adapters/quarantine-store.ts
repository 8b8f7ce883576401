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

  /** Newest first, walking back one UTC day partition at a time. */
  async newest(limit: number, now = Date.now()): Promise<QuarantineEntry[]> {
    const out: QuarantineEntry[] = [];
    for (let back = 0; back <= QUARANTINE_TTL_DAYS && out.length < limit; back++) {
      const day = new Date(now - back * 86_400_000).toISOString().slice(0, 10);
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': quarantineDayKey(day) },
            ScanIndexForward: false,
            Limit: limit - out.length,
            ExclusiveStartKey: startKey,
          }),
        );
        out.push(...((page.Items ?? []) as QuarantineEntry[]));
        startKey = page.LastEvaluatedKey;
      } while (startKey && out.length < limit);
    }
    return out.slice(0, limit);
  }
}
