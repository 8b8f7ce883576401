// One person's ledger lies under several keys (docs/architecture.md#operator-merge): a member merged
// away keeps its orders, refunds, tier history and coin operations under its own key (forwarded
// purchases are claimed there too), an anonymous id its orders under its visitor key. The reads of
// the member (coin ledger, tier history, subject access) union them, each item marked by its origin.
import type { MemberState } from '../member/state';
import { anonymousIdOf } from './keys';

/** The LedgerTable keys holding a member's items: its own first, then every id folded into it. */
export function personLedgerKeys(state: Pick<MemberState, 'memberId' | 'identities'>): string[] {
  return [state.memberId, ...state.identities.filter((key) => key !== state.memberId)];
}

/** The merged members among a member's folded-in keys (they are the ones with a tier history). */
export const mergedMemberKeys = (state: Pick<MemberState, 'identities'>) => state.identities.filter((key) => anonymousIdOf(key) === null);

/** Where an item came from: nothing for the member's own, else the merged member or the anonymous id. */
export type Origin = { mergedFrom?: string; anonymousId?: string };

/** The origin of an item stored under `key`, as read for `memberId`. */
export function originOf(memberId: string, key: string): Origin {
  if (key === memberId) return {};
  const anonymousId = anonymousIdOf(key);
  return anonymousId === null ? { mergedFrom: key } : { anonymousId };
}
