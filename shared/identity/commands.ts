// The identity commands one owner puts on the stream for another (docs/architecture.md#identity).
// Their eventIds are deterministic, so a retried batch forwards the same command again and the
// receiving owner's idempotency (its eventId ring, its `identities`, the visitor's link) absorbs it.
import type { BehaviourEvent, IdentityForward, MemberMergeCommand } from '../events/events';
import { hashHex } from '../util/hash';
import { partitionKeyFor } from './keys';

export interface OutgoingRecord {
  partitionKey: string;
  data: Uint8Array;
}

const encoder = new TextEncoder();

function record(command: {
  eventId: string;
  type: string;
  memberId: string;
  anonymousId?: string;
  [field: string]: unknown;
}): OutgoingRecord {
  return { partitionKey: partitionKeyFor(command)!, data: encoder.encode(JSON.stringify(command)) };
}

/** From an identify, to the anonymous id's owner: link it to the member. */
export function linkRecord(identify: { eventId: string; memberId: string; anonymousId: string; occurredAt: string }): OutgoingRecord {
  return record({
    eventId: `link:${hashHex(`${identify.anonymousId}\u0000${identify.memberId}`)}`,
    type: 'identity_link',
    memberId: identify.memberId,
    anonymousId: identify.anonymousId,
    occurredAt: identify.occurredAt,
  } as const);
}

/** From the linked id's owner, to the member's: fold in the state stored under `from`. */
export function absorbRecord(memberId: string, from: string, occurredAt: string): OutgoingRecord {
  return record({
    eventId: `absorb:${hashHex(`${from}\u0000${memberId}`)}`,
    type: 'identity_absorb',
    memberId,
    from,
    occurredAt,
  } as const);
}

/** A later event of a linked anonymous id, to the member's owner. Same eventId: the ring sees a repeat. */
export function forwardRecord(event: BehaviourEvent, memberId: string, anonymousId: string): OutgoingRecord {
  return record({ eventId: event.eventId, type: 'identity_forward', memberId, anonymousId, occurredAt: event.occurredAt, event } as const);
}

/** A later event of a member merged into `memberId`, to that member's owner: applied in full. */
export function mergedForwardRecord(event: BehaviourEvent, memberId: string, fromMemberId: string): OutgoingRecord {
  return record({ eventId: event.eventId, type: 'identity_forward', memberId, fromMemberId, occurredAt: event.occurredAt, event } as const);
}

/** A forwarded event that reached a member merged away since: on to the member it was merged into. */
export function reforwardRecord(forward: IdentityForward, memberId: string): OutgoingRecord {
  return record({ ...forward, memberId });
}

/** The api's merge command, to the owner of the member merged away (docs/architecture.md#operator-merge). */
export function memberMergeCommand(merge: { mergeId: string; into: string; from: string; occurredAt: string }): MemberMergeCommand {
  return {
    eventId: `member_merge:${merge.mergeId.length <= 115 ? merge.mergeId : hashHex(merge.mergeId)}`,
    type: 'member_merge',
    memberId: merge.from,
    into: merge.into,
    mergeId: merge.mergeId,
    occurredAt: merge.occurredAt,
  };
}
