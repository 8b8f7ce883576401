// LedgerTable (pk memberId): the sort keys of its two item kinds.
import type { TierChange } from '../points/tiers';

/** Order earn records: `o#<orderId>`. */
export const ORDER_PREFIX = 'o#';
/** Tier history entries: `t#<day, 6 digits>#<kind>#<reason>#<from>-<to>`. */
export const TIER_CHANGE_PREFIX = 't#';

/**
 * Refund records, one item each (#19 item 5: an order's refunds on its own item could pass 400 KB):
 * `rf#<orderId length>:<orderId>#<refundId>`; the length makes an order's prefix its own.
 */
export const REFUND_PREFIX = 'rf#';

export const orderKey = (orderId: string) => `${ORDER_PREFIX}${orderId}`;
export const refundKeyPrefix = (orderId: string) => `${REFUND_PREFIX}${orderId.length}:${orderId}#`;
export const refundKey = (orderId: string, refundId: string) => `${refundKeyPrefix(orderId)}${refundId}`;
/** The order and refund ids of a refund item's key. */
export function refundIdsOf(sk: string): { orderId: string; refundId: string } {
  const colon = sk.indexOf(':');
  const length = Number(sk.slice(REFUND_PREFIX.length, colon));
  return { orderId: sk.slice(colon + 1, colon + 1 + length), refundId: sk.slice(colon + 2 + length) };
}
export const orderIdOf = (sk: string) => sk.slice(ORDER_PREFIX.length);

/** Sort key and identity of a history entry: a retried batch rewrites the same key. */
export function tierChangeKey(change: TierChange): string {
  return `${TIER_CHANGE_PREFIX}${String(change.day).padStart(6, '0')}#${change.kind}#${change.reason}#${change.from}-${change.to}`;
}

/**
 * The keys of one batch's changes of a member, in order. The same change can happen twice in a
 * batch (an upgrade refunded and earned again on one day): the repeats get `#2`, `#3`, … so each
 * is its own entry, and a BatchWriteItem never names one key twice (DynamoDB rejects the whole
 * request: "Provided list of item keys contains duplicates"). A retried batch gives the same keys.
 */
export function tierChangeKeys(changes: readonly TierChange[]): string[] {
  const seen = new Map<string, number>();
  return changes.map((change) => {
    const key = tierChangeKey(change);
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return n === 1 ? key : `${key}#${n}`;
  });
}

/**
 * Coin items: the API's operations (`c#r#<redemptionId>`, `c#a#<adjustmentId>`) and the consumer's
 * booked movements (`c#m#<shard>#<seq>`, shared/coins/outbox.ts).
 */
export const COIN_PREFIX = 'c#';
export const REDEMPTION_PREFIX = 'c#r#';
export const redemptionKey = (redemptionId: string) => `${REDEMPTION_PREFIX}${redemptionId}`;
export const adjustmentKey = (adjustmentId: string) => `c#a#${adjustmentId}`;
