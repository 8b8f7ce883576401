// What the owner of a linked id does with its records (docs/architecture.md#identity and
// #operator-merge): a visitor linked to its member, or a member merged into another, is written no
// more; each record after the link goes on to the member it is linked to. Runs before the
// high-water check, so a retry after a crash between the owner's write and its forwards puts them
// again (the receiving owner's idempotency absorbs the repeat).
import { BEHAVIOUR_TYPES, type BehaviourEvent, type StreamEvent } from '../events/events';
import type { IncomingRecord, MemberState } from '../member/state';
import { afterLink } from '../member/repeats';
import { hash48 } from '../util/hash';
import { absorbRecord, forwardRecord, mergedForwardRecord, reforwardRecord, type OutgoingRecord } from './commands';
import { anonymousIdOf } from './keys';

export const isBehaviour = (event: StreamEvent): event is BehaviourEvent => (BEHAVIOUR_TYPES as readonly string[]).includes(event.type);

export interface Routed {
  forwards: OutgoingRecord[];
  conflict?: string;
}

/** The forwards (or the conflict) of a linked id's record; null when the record is the owner's to apply. */
export function routeLinked(ownerKey: string, state: MemberState | null, record: IncomingRecord): Routed | null {
  const to = state?.linkedTo;
  if (!state || !to) return null;
  const { event, position } = record;
  const anonymousId = anonymousIdOf(ownerKey);
  if (event.type === 'identity_link') {
    if (anonymousId === null) return null;
    if (event.memberId === to) return { forwards: [absorbRecord(to, ownerKey, event.occurredAt)] };
    return {
      forwards: [],
      conflict: `anonymousId: ${anonymousId} is already linked to another member; members are joined only by a merge`,
    };
  }
  if (event.type === 'member_merge') {
    if (anonymousId !== null) return null;
    if (event.into === to) return { forwards: [absorbRecord(to, ownerKey, event.occurredAt)] };
    return { forwards: [], conflict: `memberId: ${ownerKey} was already merged into another member` };
  }
  if (!afterLink(state.linkedAt, position)) return null;
  if (isBehaviour(event)) {
    // One applied before the link is a repeat.
    if (state.recentEventIds.includes(hash48(event.eventId))) return { forwards: [] };
    return { forwards: [anonymousId !== null ? forwardRecord(event, to, anonymousId) : mergedForwardRecord(event, to, ownerKey)] };
  }
  // Identity commands addressed to a member merged away since: on to the member it was merged into.
  if (event.type === 'identity_forward') return { forwards: [reforwardRecord(event, to)] };
  if (event.type === 'identity_absorb') return { forwards: [absorbRecord(to, event.from, event.occurredAt)] };
  // A job command for a member merged away: the member it lives on in gets its own.
  return { forwards: [] };
}
