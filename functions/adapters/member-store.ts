// Members table: batched consistent reads and one version-conditioned write per member. A write
// that applies ledger claims (purchases, refunds) marks them applied in the same transaction.
import { isConditionFailure } from './errors';
import {
  BatchGetCommand,
  ScanCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { orderKey, refundKey } from '../../shared/keys/ledger-keys';
import type { AppliedClaim } from '../../shared/member/ledger';
import type { MemberState } from '../../shared/member/state';
import type { MemberPort } from '../../shared/batch/process-batch';
import type { CoinHoldersPage } from '../../shared/jobs/ports';
import { fromMemberItem, toMemberItem, type MemberItem } from './member-item';
import { chunks, untilDone } from './retry';

export class MemberStore implements MemberPort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    /** LedgerTable, whose claims a consumer write marks applied (not needed by readers). */
    private readonly ledgerTable?: string,
  ) {}

  async getMany(memberIds: readonly string[]): Promise<Map<string, MemberState>> {
    const items = await this.getItems(memberIds);
    return new Map([...items].map(([id, item]) => [id, fromMemberItem(item)]));
  }

  /**
   * Every member holding a coin lot (`cm`), a page at a time, from `from` (a page's `next`: its
   * LastEvaluatedKey as JSON) on: the coins job's upgrade scan. `limit`: items read per page (tests).
   */
  async *coinHolders(from?: string, limit?: number): AsyncIterable<CoinHoldersPage> {
    let start = from === undefined ? undefined : (JSON.parse(from) as Record<string, unknown>);
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: 'attribute_exists(cm)',
          ConsistentRead: true,
          ExclusiveStartKey: start,
          Limit: limit,
        }),
      );
      start = page.LastEvaluatedKey;
      yield { members: ((page.Items ?? []) as MemberItem[]).map(fromMemberItem), ...(start ? { next: JSON.stringify(start) } : {}) };
    } while (start);
  }

  async put(state: MemberState, applied: readonly AppliedClaim[] = []): Promise<boolean> {
    const item = toMemberItem(state);
    if (applied.length === 0) return this.putItem(item);
    if (!this.ledgerTable) throw new Error('MemberStore: no ledger table to mark claims applied on');
    const updates = claimUpdates(state.memberId, applied, this.ledgerTable);
    // A transaction holds 100 items: the member and 99 claims. Claims beyond (a member with more
    // than 99 orders and refunds in one batch) are marked right after the write: between the two
    // a crash leaves them applied but unmarked (docs/architecture.md#exactly-once).
    const first = updates.slice(0, MAX_TRANSACTION_ITEMS - 1);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.table, Item: item, ...versionCondition(item) } },
            ...first.map((Update) => ({ Update })),
          ],
        }),
      );
    } catch (error) {
      // The member's condition failed (or a concurrent transaction touched an item): the caller
      // reports the member's records and Lambda re-delivers them.
      if ((error as { name?: string }).name === 'TransactionCanceledException') return false;
      throw error;
    }
    for (const update of updates.slice(first.length)) await this.client.send(new UpdateCommand(update));
    return true;
  }

  async getItems(memberIds: readonly string[]): Promise<Map<string, MemberItem>> {
    const found = new Map<string, MemberItem>();
    for (const batch of chunks(memberIds, 100)) {
      await untilDone(
        batch.map((memberId) => ({ memberId })),
        async (keys) => {
          const out = await this.client.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }));
          for (const item of out.Responses?.[this.table] ?? []) found.set(item.memberId as string, item as MemberItem);
          return (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as { memberId: string }[];
        },
        'BatchGetItem members',
      );
    }
    return found;
  }

  /** Writes `item` if the stored version is still `item.v − 1`; false when someone else wrote first. */
  async putItem(item: MemberItem): Promise<boolean> {
    try {
      await this.client.send(new PutCommand({ TableName: this.table, Item: item, ...versionCondition(item) }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

const MAX_TRANSACTION_ITEMS = 100;

/** The write's condition: no item yet for version 1, else the version it was read at. */
function versionCondition(item: MemberItem) {
  return item.v === 1
    ? { ConditionExpression: 'attribute_not_exists(memberId)' }
    : { ConditionExpression: 'v = :expected', ExpressionAttributeValues: { ':expected': item.v - 1 } };
}

/**
 * One update per claim item (a transaction may not touch an item twice), setting it applied: a
 * purchase's on its order item, a refund's on the refund's own item (ledger-store.ts).
 */
function claimUpdates(memberId: string, applied: readonly AppliedClaim[], table: string) {
  const byItem = new Map<string, { memberId: string; sk: string; field: 'ca' | 'a' }>();
  for (const { ledgerKey, orderId, refundId } of applied) {
    const key = { memberId: ledgerKey ?? memberId, sk: refundId === undefined ? orderKey(orderId) : refundKey(orderId, refundId) };
    byItem.set(`${key.memberId}\u0000${key.sk}`, { ...key, field: refundId === undefined ? 'ca' : 'a' });
  }
  return [...byItem.values()].map(({ memberId: owner, sk, field }) => ({
    TableName: table,
    Key: { memberId: owner, sk },
    UpdateExpression: `SET ${field} = :t`,
    ConditionExpression: 'attribute_exists(sk)',
    ExpressionAttributeValues: { ':t': true },
  }));
}
