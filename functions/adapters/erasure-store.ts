// Erasure's storage side (shared/privacy/erasure.ts): tombstones in MembersTable keyed
// `erased#<salted hash>` (a member id never contains '#'), the conditional delete of the member
// item, and the sweep of every other place that can hold the member id.
import { exceptionsAttributes, exceptionsOf, type StoredExceptions } from './counter-exceptions';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { mergedFromKey, mergeIdKey, TOMBSTONE_PREFIX, tombstoneKey } from '../../shared/keys/members-keys';
import { BATCH_PROGRESS_KEY, COIN_DUE_PREFIX } from '../../shared/keys/metrics-keys';
import { entryNamesMember } from '../../shared/coins/settle';
import { QUARANTINE_TTL_DAYS, quarantineDayKey } from '../../shared/keys/quarantine-keys';
import type { ErasurePort } from '../../shared/privacy/erasure';
import type { IdHasher } from '../../shared/privacy/salted-hash';
import { documentClient } from './clients';
import { resourceNames } from './config';
import { memberIdHasher } from './erasure-salt';
import { isConditionFailure } from './errors';
import { chunks, untilDone } from './retry';
import { membershipKey } from './segment-store';

export { tombstoneKey };

export interface Tombstone {
  memberId: string;
  kind: 'tombstone';
  erasureId: string;
  requestedAt: string;
  requestedBy: string;
}

export interface ErasureTables {
  members: string;
  ledger: string;
  metrics: string;
  quarantine: string;
}

type Key = Record<string, unknown>;

export class DynamoErasure implements ErasurePort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tables: ErasureTables,
    readonly hash: IdHasher,
    private readonly now: () => number = Date.now,
  ) {}

  async tombstones(hashes: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const batch of chunks(hashes, 100)) {
      await untilDone(
        batch.map((h) => ({ memberId: tombstoneKey(h) })),
        async (keys) => {
          const out = await this.client.send(
            new BatchGetCommand({
              RequestItems: { [this.tables.members]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'memberId' } },
            }),
          );
          for (const item of out.Responses?.[this.tables.members] ?? [])
            found.add((item.memberId as string).slice(TOMBSTONE_PREFIX.length));
          return (out.UnprocessedKeys?.[this.tables.members]?.Keys ?? []) as { memberId: string }[];
        },
        'BatchGetItem tombstones',
      );
    }
    return found;
  }

  async getTombstone(memberHash: string): Promise<Tombstone | null> {
    const found = await this.client.send(
      new BatchGetCommand({
        RequestItems: { [this.tables.members]: { Keys: [{ memberId: tombstoneKey(memberHash) }], ConsistentRead: true } },
      }),
    );
    return (found.Responses?.[this.tables.members]?.[0] as Tombstone | undefined) ?? null;
  }

  /** Writes the tombstone unless one exists; returns the stored one either way. */
  async putTombstone(memberHash: string, erasureId: string, requestedBy: string, requestedAt: string): Promise<Tombstone> {
    const item: Tombstone = { memberId: tombstoneKey(memberHash), kind: 'tombstone', erasureId, requestedAt, requestedBy };
    try {
      await this.client.send(
        new PutCommand({ TableName: this.tables.members, Item: item, ConditionExpression: 'attribute_not_exists(memberId)' }),
      );
      return item;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const stored = await this.getTombstone(memberHash);
      if (!stored) throw error;
      return stored;
    }
  }

  async deleteMember(memberId: string, version: number): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tables.members,
          Key: { memberId },
          ConditionExpression: 'v = :v',
          ExpressionAttributeValues: { ':v': version },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async sweep(memberId: string, segmentIds: readonly string[]): Promise<void> {
    await Promise.all([
      this.sweepLedger(memberId),
      this.deleteKeys(
        this.tables.metrics,
        segmentIds.map((id) => membershipKey(id, memberId)),
      ),
      this.sweepHints(memberId),
      this.sweepBatchProgress(memberId),
      this.sweepQuarantine(memberId),
      this.sweepMerge(memberId),
    ]);
  }

  /** The request of the merge that merged the member away (it names both members): both its items. */
  private async sweepMerge(memberId: string): Promise<void> {
    const found = await this.client.send(
      new BatchGetCommand({
        RequestItems: { [this.tables.members]: { Keys: [{ memberId: mergedFromKey(memberId) }], ConsistentRead: true } },
      }),
    );
    const item = found.Responses?.[this.tables.members]?.[0] as { mergeId?: string } | undefined;
    if (!item?.mergeId) return;
    await this.deleteKeys(this.tables.members, [{ memberId: mergeIdKey(item.mergeId) }, { memberId: mergedFromKey(memberId) }]);
  }

  /** Every LedgerTable item of the member: orders and refunds, tier history, coins, actions. */
  private async sweepLedger(memberId: string): Promise<void> {
    let start: Key | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tables.ledger,
          KeyConditionExpression: 'memberId = :m',
          ExpressionAttributeValues: { ':m': memberId },
          ProjectionExpression: 'memberId, sk',
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      await this.deleteKeys(this.tables.ledger, (page.Items ?? []) as Key[]);
      start = page.LastEvaluatedKey;
    } while (start);
  }

  /**
   * Job hint lists (`la#…`, `pu#…`, `cd#…` in MetricsTable, lists `ids` and `la`) naming the member are
   * rewritten without it. Hints have no index by member, so this is one filtered scan of the
   * table: erasure is rare.
   */
  private async sweepHints(memberId: string): Promise<void> {
    let start: Key | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tables.metrics,
          FilterExpression:
            '(begins_with(#pk, :la) OR begins_with(#pk, :pu) OR begins_with(#pk, :cd)) AND (contains(#ids, :m) OR contains(#la, :m))',
          ExpressionAttributeNames: { '#pk': 'pk', '#ids': 'ids', '#la': 'la' },
          ExpressionAttributeValues: { ':la': 'la#', ':pu': 'pu#', ':cd': COIN_DUE_PREFIX, ':m': memberId },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const without = (list: unknown) => ((list as string[] | undefined) ?? []).filter((id) => id !== memberId);
        const rewritten = { ...item, ids: without(item.ids), ...(item.la ? { la: without(item.la) } : {}) };
        await this.client.send(new PutCommand({ TableName: this.tables.metrics, Item: rewritten }));
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }

  /**
   * The batch progress records (`bp`, one per source shard: shared/batch/batch-progress.ts) that
   * still list the member (or a till settle record of it) — the shard's latest batch that wrote
   * members, settled or not; its shard may never run a batch again (a parent shard closed by a
   * reshard) — rewritten without it, keeping the attempt they name. Conditional on the record's
   * mark: a consumer that moved the record on meanwhile wrote its own list, which is read again.
   */
  private async sweepBatchProgress(memberId: string): Promise<void> {
    const names = (entry: string) => entryNamesMember(entry, memberId);
    for (let round = 0; round < 10; round++) {
      const listing: Record<string, unknown>[] = [];
      let start: Key | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tables.metrics,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': BATCH_PROGRESS_KEY },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        // One record per source shard: read whole, the member's entries found here.
        listing.push(...(page.Items ?? []).filter((item) => (exceptionsOf(item) ?? []).some(names)));
        start = page.LastEvaluatedKey;
      } while (start);
      let movedOn = false;
      for (const item of listing) {
        const { hx: _hx, hz: _hz, ...rest } = item as StoredExceptions & { hw?: string };
        const left = exceptionsOf(item)!.filter((entry) => !names(entry));
        try {
          await this.client.send(
            new PutCommand({
              TableName: this.tables.metrics,
              Item: { ...rest, ...exceptionsAttributes(left) },
              ConditionExpression: rest.hw === undefined ? 'attribute_not_exists(hw)' : 'hw = :hw',
              ExpressionAttributeValues: rest.hw === undefined ? undefined : { ':hw': rest.hw },
            }),
          );
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          movedOn = true;
        }
      }
      if (!movedOn) return;
    }
    throw new Error('erasure: a batch progress record kept moving on while the member was swept from it');
  }

  /** Quarantined records of the member (by member id, event id or raw text) of the last 30 days (older ones expired). */
  private async sweepQuarantine(memberId: string): Promise<void> {
    for (let back = 0; back <= QUARANTINE_TTL_DAYS + 1; back++) {
      const day = new Date(this.now() - back * 86_400_000).toISOString().slice(0, 10);
      let start: Key | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tables.quarantine,
            KeyConditionExpression: '#pk = :pk',
            // RAW is a DynamoDB reserved word: every attribute goes through a name placeholder.
            FilterExpression: '#m = :m OR contains(#e, :m) OR contains(#r, :m) OR contains(#d, :m)',
            ExpressionAttributeNames: { '#m': 'memberId', '#e': 'eventId', '#r': 'raw', '#d': 'detail', '#pk': 'pk', '#sk': 'sk' },
            ExpressionAttributeValues: { ':pk': quarantineDayKey(day), ':m': memberId },
            ProjectionExpression: '#pk, #sk',
            ExclusiveStartKey: start,
          }),
        );
        await this.deleteKeys(this.tables.quarantine, (page.Items ?? []) as Key[]);
        start = page.LastEvaluatedKey;
      } while (start);
    }
  }

  private async deleteKeys(table: string, keys: readonly Key[]): Promise<void> {
    for (const batch of chunks(
      keys.map((Key) => ({ DeleteRequest: { Key } })),
      25,
    )) {
      await untilDone(
        batch,
        async (pending) => {
          const out = await this.client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
          return (out.UnprocessedItems?.[table] ?? []) as typeof batch;
        },
        `BatchWriteItem erasure deletes on ${table}`,
      );
    }
  }
}

/** The erasure adapter of this stack (loads the salt once per container). */
export async function erasureAdapter(): Promise<DynamoErasure> {
  const names = resourceNames();
  return new DynamoErasure(
    documentClient(),
    { members: names.membersTable, ledger: names.ledgerTable, metrics: names.metricsTable, quarantine: names.quarantineTable },
    await memberIdHasher(),
  );
}
