// LedgerTable (pk memberId): the sort keys of its two item kinds.
import type { TierChange } from '../points/tiers';

/** Order earn records: `o#<orderId>`. */
export const ORDER_PREFIX = 'o#';
/** Tier history entries: `t#<day, 6 digits>#<kind>#<reason>#<from>-<to>`. */
export const TIER_CHANGE_PREFIX = 't#';

export const orderKey = (orderId: string) => `${ORDER_PREFIX}${orderId}`;
export const orderIdOf = (sk: string) => sk.slice(ORDER_PREFIX.length);

/** Sort key and identity of a history entry: a retried batch rewrites the same key. */
export function tierChangeKey(change: TierChange): string {
  return `${TIER_CHANGE_PREFIX}${String(change.day).padStart(6, '0')}#${change.kind}#${change.reason}#${change.from}-${change.to}`;
}
