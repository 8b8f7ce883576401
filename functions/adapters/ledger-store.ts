// Ledger table: one earn record per order (sk `o#<orderId>`) with the running total its refunds
// revoked; each refund its own item (sk `rf#…`, ledger-keys.ts), so no order's item grows with them.
// A refund an orders outbox stores after its order item (`x`) is in its own item only: the order's
// totals are the item's plus those refunds'.
// The one reader of these items: the consumer's order reads and the coin ledger route both go
// through toRecord (an order with its refunds, wherever they are stored).
import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  COIN_PREFIX,
  ORDER_PREFIX,
  orderIdOf,
  orderKey,
  REFUND_PREFIX,
  refundIdsOf,
  refundKey,
  refundKeyPrefix,
  TIER_CHANGE_PREFIX,
  tierChangeKeys,
} from '../../shared/keys/ledger-keys';
import {
  itemRevokedPoints,
  newRefunds,
  type LedgerPort,
  type MemberOrders,
  type OrderRecord,
  type RefundClaim,
} from '../../shared/member/ledger';
import { forEachLimited } from '../../shared/util/limit';
import { movesAsEntries, orderCoinEntries, type CoinLedgerReader } from '../../shared/coins/ledger-view';
import { packMoves, unpackMoves } from './coin-moves-codec';
import type { OperationRecord, RedemptionRecord, StoredEntry } from '../../shared/coins/operation-records';
import type { TillRecordsPort } from '../../shared/coins/settle';
import type { TierChange } from '../../shared/points/tiers';
import type { BookedMove } from '../../shared/coins/outbox';
import { chunks, untilDone } from './retry';
import { isCancelledByCondition, isConditionFailure } from './errors';

interface OrderItem {
  memberId: string;
  sk: string;
  day: number;
  pts: number;
  ec: number;
  skus: string[];
  rv: number;
  /** coins the order earned, and revoked so far (absent on orders stored before coins) */
  co?: number;
  rc?: number;
  ce: string;
  cs: string;
  cq: string;
  /** the claim was applied by a member write (set in its transaction); absent on older items */
  ca?: boolean;
  /** refunds recorded on the order item itself (items written before refunds had their own) */
  rf?: Record<string, RefundFields>;
}

interface RefundFields {
  e: string;
  s: string;
  q: string;
  p: number;
  c?: number;
  a?: boolean;
  /** stored from an orders outbox after the order item: not in the item's `rv` / `rc` */
  x?: boolean;
}

/** A refund's own item: sk `rf#…` (refundKey), the claim and what it revoked. */
type RefundItem = RefundFields & { memberId: string; sk: string; refundId: string };

function toRecord(item: OrderItem, refundItems: readonly RefundItem[] = []): OrderRecord {
  const refunds: OrderRecord['refunds'] = {};
  const entries: [string, RefundFields][] = [
    ...Object.entries(item.rf ?? {}),
    ...refundItems.map((r) => [r.refundId, r] as [string, RefundFields]),
  ];
  let revokedPoints = item.rv;
  let revokedCoins = item.rc ?? 0;
  for (const [refundId, r] of entries) {
    refunds[refundId] = { eventId: r.e, shardId: r.s, seq: r.q, applied: r.a, revokedPoints: r.p, revokedCoins: r.c ?? 0 };
    if (!r.x) continue;
    refunds[refundId].afterOrder = true;
    revokedPoints += r.p;
    revokedCoins += r.c ?? 0;
  }
  return {
    orderId: orderIdOf(item.sk),
    day: item.day,
    points: item.pts,
    eligibleCents: item.ec,
    eligibleSkus: item.skus ?? [],
    revokedPoints,
    coins: item.co ?? 0,
    revokedCoins,
    claim: { eventId: item.ce, shardId: item.cs, seq: item.cq, applied: item.ca },
    refunds,
  };
}

function orderItem(memberId: string, order: OrderRecord): OrderItem {
  return {
    memberId,
    sk: orderKey(order.orderId),
    day: order.day,
    pts: order.points,
    ec: order.eligibleCents,
    skus: order.eligibleSkus,
    rv: order.revokedPoints,
    co: order.coins,
    rc: order.revokedCoins,
    ce: order.claim.eventId,
    cs: order.claim.shardId,
    cq: order.claim.seq,
    ca: order.claim.applied ?? false,
  };
}

/**
 * Stores a till operation's record unless its operation is stored: a new one only if absent, a
 * reversal only over a record not reversed yet. False when it was.
 *
 * A reversal is an update that keeps the redemption's count place and counts (`cs`, `cc`): its
 * record was built from the redemption as read before the reversal committed, and the consumer may
 * have claimed the redemption's place since (shared/coins/settle.ts). Replacing the item would
 * drop that claim, and the redemption's next settle record would claim and count it again.
 */
export async function putOperationRecord(client: DynamoDBDocumentClient, table: string, record: OperationRecord): Promise<boolean> {
  try {
    if (record.kind === 'redemption' && record.reversed) await client.send(new UpdateCommand(reversalUpdate(table, record)));
    else await client.send(new PutCommand({ TableName: table, Item: record, ConditionExpression: 'attribute_not_exists(sk)' }));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Every attribute of the reversed record set, but the place and counts of the redemption a claim may have set first. */
function reversalUpdate(table: string, record: RedemptionRecord) {
  const { memberId, sk, ...rest } = record;
  const kept = new Set(['cs', 'cc']);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':f': false };
  const sets = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([name, value], i) => {
      names[`#a${i}`] = name;
      values[`:a${i}`] = value;
      return kept.has(name) ? `#a${i} = if_not_exists(#a${i}, :a${i})` : `#a${i} = :a${i}`;
    });
  return {
    TableName: table,
    Key: { memberId, sk },
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: 'attribute_not_exists(sk) OR reversed = :f',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** The items that store an outbox entry: the order's (its refunds are put first), or its new refunds'. */
const itemKeys = (order: OrderRecord): string[] =>
  order.ledgerRefunds ? newRefunds(order).map(([id]) => refundKey(order.orderId, id)) : [orderKey(order.orderId)];

export class DynamoLedger implements LedgerPort, CoinLedgerReader, TillRecordsPort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async claimPurchase(memberId: string, order: OrderRecord): Promise<OrderRecord> {
    const item = orderItem(memberId, { ...order, revokedPoints: 0, revokedCoins: 0, claim: { ...order.claim, applied: false } });
    try {
      await this.client.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(sk)' }));
      return toRecord(item);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const stored = await this.getOrder(memberId, order.orderId);
      if (!stored) throw new Error('order claim conflicted but the order cannot be read back');
      return stored;
    }
  }

  async storeOrders(outboxes: readonly MemberOrders[]): Promise<void> {
    // One consistent read per 100 items of all the members (usually they are there: stored right
    // after the write), then the missing items. An order's item makes it complete (its refunds are
    // put first); an entry of refunds to an order on the ledger is its refund items.
    const present = new Set<string>();
    const id = (memberId: string, sk: string) => `${memberId}\u0000${sk}`;
    const keys = [
      ...new Map(
        outboxes.flatMap(({ memberId, orders }) => orders.flatMap((o) => itemKeys(o).map((sk) => [id(memberId, sk), { memberId, sk }]))),
      ).values(),
    ];
    for (const batch of chunks(keys, 100)) {
      await untilDone(
        batch,
        async (pending) => {
          const out = await this.client.send(
            new BatchGetCommand({
              RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: 'memberId, sk' } },
            }),
          );
          for (const item of out.Responses?.[this.table] ?? []) present.add(id(item.memberId as string, item.sk as string));
          return (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as typeof pending;
        },
        'BatchGetItem orders',
      );
    }
    await forEachLimited(outboxes, 16, ({ memberId, orders }) =>
      this.putOrders(
        memberId,
        orders.flatMap((o) => {
          if (!o.ledgerRefunds) return present.has(id(memberId, orderKey(o.orderId))) ? [] : [o];
          const refunds = newRefunds(o).filter(([refundId]) => !present.has(id(memberId, refundKey(o.orderId, refundId))));
          return refunds.length ? [{ ...o, refunds: Object.fromEntries(refunds) }] : [];
        }),
      ),
    );
  }

  async storeNewOrders(memberId: string, orders: readonly OrderRecord[]): Promise<void> {
    await this.putOrders(memberId, orders);
  }

  /**
   * Each order's refunds first, then the order item (which makes it complete); an order on the
   * ledger already gets its new refunds only. A repeat keeps what is stored.
   */
  private async putOrders(memberId: string, orders: readonly OrderRecord[]): Promise<void> {
    for (const order of orders) {
      for (const [refundId, r] of newRefunds(order)) {
        const refund: RefundItem = {
          memberId,
          sk: refundKey(order.orderId, refundId),
          refundId,
          e: r.eventId,
          s: r.shardId,
          q: r.seq,
          p: r.revokedPoints,
          c: r.revokedCoins,
          a: true,
          ...(order.ledgerRefunds ? { x: true } : {}),
        };
        await this.putNew(refund);
      }
      if (!order.ledgerRefunds) await this.putNew(orderItem(memberId, { ...order, claim: { ...order.claim, applied: true } }));
    }
  }

  /** Puts the item unless one with its key exists (a repeat keeps what is stored). */
  private async putNew(item: OrderItem | RefundItem): Promise<void> {
    try {
      await this.client.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(sk)' }));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async getOrder(memberId: string, orderId: string): Promise<OrderRecord | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { memberId, sk: orderKey(orderId) }, ConsistentRead: true }),
    );
    if (!out.Item) return null;
    return toRecord(out.Item as OrderItem, await this.refundItems(memberId, orderId));
  }

  private refundItems(memberId: string, orderId: string): Promise<RefundItem[]> {
    return this.query<RefundItem>(memberId, refundKeyPrefix(orderId), true);
  }

  /** Every item of the member whose sort key starts with `prefix` (every item without one), all pages. */
  private async query<T>(memberId: string, prefix: string | undefined, consistent = false): Promise<T[]> {
    const items: T[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: prefix === undefined ? 'memberId = :m' : 'memberId = :m AND begins_with(sk, :p)',
          ExpressionAttributeValues: prefix === undefined ? { ':m': memberId } : { ':m': memberId, ':p': prefix },
          ConsistentRead: consistent,
          ExclusiveStartKey,
        }),
      );
      items.push(...((page.Items ?? []) as T[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  /**
   * The member's coin movements: each order's earn and revokes (the order read as the consumer
   * reads it, refunds from the order item and from their own items) and the `entries` of every
   * coin item (the API's operations, the consumer's booked movements).
   */
  async coinLedger(memberId: string): Promise<StoredEntry[]> {
    const [orders, refunds, coinItems] = await Promise.all([
      this.query<OrderItem>(memberId, ORDER_PREFIX),
      this.query<RefundItem>(memberId, REFUND_PREFIX),
      this.query<{ entries?: StoredEntry[]; mz?: Uint8Array }>(memberId, COIN_PREFIX),
    ]);
    const refundsOf = new Map<string, RefundItem[]>();
    for (const r of refunds) {
      const { orderId } = refundIdsOf(r.sk);
      refundsOf.set(orderId, [...(refundsOf.get(orderId) ?? []), r]);
    }
    return [
      ...orders.flatMap((o) => orderCoinEntries(toRecord(o, refundsOf.get(orderIdOf(o.sk)) ?? []))),
      ...coinItems.flatMap((item) => item.entries ?? (item.mz ? movesAsEntries(unpackMoves(item.mz)) : [])),
    ];
  }

  async claimRefund(memberId: string, orderId: string, refundId: string, refund: RefundClaim, expected: OrderRecord): Promise<OrderRecord> {
    // The refund's own item and the order's running total, at once: the total guards the cap (a
    // refund an outbox stored after the order item is not in it: itemRevokedPoints).
    const item: RefundItem = {
      memberId,
      sk: refundKey(orderId, refundId),
      refundId,
      e: refund.eventId,
      s: refund.shardId,
      q: refund.seq,
      p: refund.revokedPoints,
      c: refund.revokedCoins,
      a: false,
    };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(sk)' } },
            {
              Update: {
                TableName: this.table,
                Key: { memberId, sk: orderKey(orderId) },
                UpdateExpression: 'SET rv = rv + :points, rc = if_not_exists(rc, :zero) + :coins',
                ConditionExpression: 'rv = :expected AND attribute_not_exists(rf.#rid)',
                ExpressionAttributeNames: { '#rid': refundId },
                ExpressionAttributeValues: {
                  ':points': refund.revokedPoints,
                  ':coins': refund.revokedCoins,
                  ':zero': 0,
                  ':expected': itemRevokedPoints(expected),
                },
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error) && !isCancelledByCondition(error)) throw error;
    }
    const stored = await this.getOrder(memberId, orderId);
    if (!stored?.refunds[refundId]) throw new Error('refund claim raced with another refund of the same order; retrying the record');
    return stored;
  }

  async recordTierChanges(memberId: string, changes: readonly TierChange[]): Promise<void> {
    const keys = tierChangeKeys(changes);
    for (const batch of chunks(
      changes.map((change, i) => ({ change, sk: keys[i] })),
      25,
    )) {
      const requests = batch.map(({ change, sk }) => ({ PutRequest: { Item: { memberId, sk, ...change } } }));
      await untilDone(
        requests,
        async (pending) => {
          const out = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending } }));
          return (out.UnprocessedItems?.[this.table] ?? []) as typeof requests;
        },
        'BatchWriteItem tier history',
      );
    }
  }

  async tierHistory(memberId: string): Promise<TierChange[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'memberId = :m AND begins_with(sk, :t)',
        ExpressionAttributeValues: { ':m': memberId, ':t': TIER_CHANGE_PREFIX },
      }),
    );
    return (out.Items ?? []).map(
      (item) => ({ kind: item.kind, reason: item.reason, from: item.from, to: item.to, day: item.day }) as TierChange,
    );
  }

  /**
   * The consumer's `available` / `expire` movements of one batch, packed (coin-moves-codec.ts); the
   * coin ledger reads them as entries, `at` the start of the movement's day.
   */
  async putCoinMoves(memberId: string, key: string, moves: readonly BookedMove[]): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.table, Item: { memberId, sk: key, kind: 'moves', mz: packMoves(moves) } }));
  }

  async operation(memberId: string, sk: string): Promise<OperationRecord | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: { memberId, sk }, ConsistentRead: true }));
    return (out.Item as OperationRecord) ?? null;
  }

  storeOperation(record: OperationRecord): Promise<boolean> {
    return putOperationRecord(this.client, this.table, record);
  }

  async claimPlace(memberId: string, sk: string, op: string, at: string): Promise<boolean> {
    // A reversal's place on a reversed record; the operation's own otherwise (shared/coins/settle.ts).
    const field = op.startsWith('v#') ? 'vs' : 'cs';
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { memberId, sk },
          UpdateExpression: `SET ${field} = :at`,
          ConditionExpression:
            field === 'vs'
              ? 'attribute_exists(sk) AND reversed = :t AND attribute_not_exists(vs)'
              : 'attribute_exists(sk) AND attribute_not_exists(cs)',
          ExpressionAttributeValues: field === 'vs' ? { ':at': at, ':t': true } : { ':at': at },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async hasCoinMoves(memberId: string, key: string): Promise<boolean> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { memberId, sk: key }, ConsistentRead: true, ProjectionExpression: 'sk' }),
    );
    return !!out.Item;
  }

  /**
   * Every item stored under each of a person's ledger keys (shared/identity/person-ledger.ts), as
   * stored: each keeps its `memberId`, the key it lies under (subject access).
   */
  async itemsOf(keys: readonly string[]): Promise<(Record<string, unknown> & { memberId: string; sk: string })[]> {
    const items: (Record<string, unknown> & { memberId: string; sk: string })[] = [];
    for (const memberId of keys) items.push(...(await this.query<(typeof items)[number]>(memberId, undefined, true)));
    // Packed coin moves as the entries they hold: the document shows every record readable.
    return items.map((item) => (item.mz instanceof Uint8Array ? withMovesUnpacked(item, item.mz) : item));
  }
}

/** A coin moves item with its packed moves (`mz`) as the `entries` items written before held. */
function withMovesUnpacked<T extends { memberId: string; sk: string }>(item: T, mz: Uint8Array): T {
  const { mz: _packed, ...rest } = item as T & { mz?: Uint8Array };
  return { ...rest, entries: movesAsEntries(unpackMoves(mz)) } as unknown as T;
}
