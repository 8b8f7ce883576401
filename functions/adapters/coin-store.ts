// The API's coin writes (redemption, reversal, adjustment) and the coin ledger reads.
//
// Two writers own the member item: the events consumer (behaviour and job commands) and the API
// (coin operations at the till). Each reads the item, computes the new state, and writes it with
// a condition on the version it read (`v`), so neither can overwrite the other: the loser re-reads
// and redoes its work on the winner's state (the API here, up to a few times; the consumer by
// reporting the member's records as failed, so Lambda re-delivers them). The API's write is one
// TransactWriteItems: the member (conditional on `v`), the operation's own LedgerTable item
// (conditional on not existing: the exactly-once key, `c#r#<redemptionId>`, `c#a#<adjustmentId>`)
// and one MetricsTable item per coin counter key it moves (source `api#<operation>`, placed by
// keys/metrics-keys.ts: a retried request rewrites the same item, never adds twice).
import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CoinEntry, CoinTake } from '../../shared/coins/ledger';
import { coinCounts } from '../../shared/coins/outbox';
import { hashHex } from '../../shared/util/hash';
import { counterItemKey } from '../../shared/keys/metrics-keys';
import { ORDER_PREFIX, REFUND_PREFIX } from '../../shared/keys/ledger-keys';
import { COUNTERS_ATTRIBUTE, encodeCounters } from './counter-codec';
import type { MemberState } from '../../shared/member/state';
import { toMemberItem } from './member-item';
import type { MemberStore } from './member-store';

export const COIN_OP_PREFIX = 'c#';
export const redemptionKey = (redemptionId: string) => `c#r#${redemptionId}`;
export const adjustmentKey = (adjustmentId: string) => `c#a#${adjustmentId}`;

export interface StoredEntry {
  id: string;
  at: string;
  day: number;
  kind: CoinEntry['kind'];
  coins: number;
  lot: number | null;
  ref: string;
}

/**
 * Where an operation sits among the member's writes: the version its member write created and the
 * last stream record the member had applied then (null before any). With them the chaos oracle
 * puts each redemption and reversal exactly where it happened among the member's events.
 */
export interface OpPlace {
  v: number;
  after: { shardId: string; seq: string } | null;
}

export const placeOf = (state: MemberState): OpPlace => ({
  v: state.version + 1,
  after: state.highWater ? { shardId: state.highWater.shardId, seq: state.highWater.seq } : null,
});

export interface RedemptionItem {
  memberId: string;
  sk: string;
  kind: 'redemption';
  body: { coins: number; orderId?: string };
  answer: unknown;
  takes: CoinTake[];
  reversed: boolean;
  entries: StoredEntry[];
  at: string;
  place?: OpPlace;
  reversedPlace?: OpPlace;
}

export interface AdjustmentItem {
  memberId: string;
  sk: string;
  kind: 'adjustment';
  body: { coins: number; reason: string };
  entries: StoredEntry[];
  at: string;
}

export class TransactionConflict extends Error {}

export const stored = (entries: readonly CoinEntry[], at: string): StoredEntry[] =>
  entries.map((e) => ({ id: e.id, at, day: e.day, kind: e.kind, coins: e.coins, lot: e.lot, ref: e.ref }));

export class CoinStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly names: { members: string; ledger: string; metrics: string },
    readonly members: MemberStore,
  ) {}

  async member(memberId: string): Promise<MemberState | null> {
    return (await this.members.getMany([memberId])).get(memberId) ?? null;
  }

  async op<T>(memberId: string, sk: string): Promise<T | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.names.ledger, Key: { memberId, sk }, ConsistentRead: true }));
    return (out.Item as T) ?? null;
  }

  /**
   * Writes the member (if it is still at the version it was read at), the operation item, and the
   * operation's coin counters, all or nothing. False when the member or the operation item changed
   * first (the caller re-reads and decides again).
   */
  async commit(
    state: MemberState,
    opItem: RedemptionItem | AdjustmentItem,
    entries: readonly CoinEntry[],
    opName: string,
    create: boolean,
  ): Promise<boolean> {
    const item = toMemberItem(state);
    const counts = coinCounts(entries);
    const source = `api#${hashHex(`${state.memberId}|${opName}`)}`;
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.names.members,
                Item: item,
                ConditionExpression: 'v = :v',
                ExpressionAttributeValues: { ':v': state.version },
              },
            },
            create
              ? { Put: { TableName: this.names.ledger, Item: opItem, ConditionExpression: 'attribute_not_exists(sk)' } }
              : {
                  Put: {
                    TableName: this.names.ledger,
                    Item: opItem,
                    ConditionExpression: 'attribute_exists(sk) AND reversed = :f',
                    ExpressionAttributeValues: { ':f': false },
                  },
                },
            ...Object.entries(counts).map(([key, m]) => ({
              Put: {
                TableName: this.names.metrics,
                Item: { ...counterItemKey(key, source), [COUNTERS_ATTRIBUTE]: encodeCounters(m) },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            })),
          ],
        }),
      );
      return true;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TransactionCanceledException' || name === 'TransactionConflictException') return false;
      throw error;
    }
  }

  /** The member's coin ledger items (orders, their refunds, operations, the consumer's booked movements). */
  async ledgerItems(memberId: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (const prefix of [ORDER_PREFIX, REFUND_PREFIX, COIN_OP_PREFIX]) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.names.ledger,
            KeyConditionExpression: 'memberId = :m AND begins_with(sk, :p)',
            ExpressionAttributeValues: { ':m': memberId, ':p': prefix },
            ExclusiveStartKey: startKey,
          }),
        );
        items.push(...((page.Items ?? []) as Record<string, unknown>[]));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return items;
  }
}
