// The two steps of an operator merge as the owners apply them (docs/architecture.md#operator-merge):
// the member merged away marks itself merged (once the api's stored request matches the command),
// and the member kept folds in a linked id's state (a visitor's, or a merged member's).
import { makeAction, type Action } from '../actions/actions';
import type { IdentityCommand } from '../events/events';
import type { MemberState } from '../member/state';
import type { TierChange } from '../points/tiers';
import type { Program } from '../programme/vocabulary';
import type { StreamPosition } from '../stream/position';
import { absorbRecord, type OutgoingRecord } from './commands';
import { foldInto } from './fold';
import { isVisitorKey } from './keys';
import { foldMember } from './merge-fold';
import type { MergeRequest } from './merge-request';

type MemberMerge = Extract<IdentityCommand, { type: 'member_merge' }>;
type Absorb = Extract<IdentityCommand, { type: 'identity_absorb' }>;

/**
 * The member merged away: verified against the api's request, marked merged into the member kept
 * (its later records are forwarded there, shared/identity/route.ts), out of its segments now (no
 * longer listed; its other counts leave with the fold), its state forwarded as an absorb.
 * Returns the reason it is refused, or null.
 */
export function markMerged(
  state: MemberState | null,
  event: MemberMerge,
  position: StreamPosition,
  mergedOn: number,
  request: MergeRequest | undefined,
  out: { actions: Action[]; forwards: OutgoingRecord[] },
): string | null {
  if (!state || event.into === state.memberId || request?.mergeId !== event.mergeId || request.into !== event.into)
    return `mergeId: no merge ${event.mergeId} of this member into ${event.into} was accepted by the api`;
  state.linkedTo = event.into;
  state.linkedAt = position;
  state.mergeId = event.mergeId;
  for (const segmentId of state.segments)
    out.actions.push(makeAction('segment_exited', state.memberId, mergedOn, { segmentId }, [segmentId, event.eventId]));
  state.segments = [];
  state.segmentsOn = mergedOn;
  out.forwards.push(absorbRecord(event.into, state.memberId, event.occurredAt));
  return null;
}

/**
 * The member kept folds in `event.from` once: a visitor linked to it, a member merged into it, or an
 * id linked to a member merged into it (forwarded on by that member's owner). Returns the reason it
 * is refused, or null.
 */
export function absorb(
  state: MemberState | null,
  event: Absorb,
  source: MemberState | undefined,
  day: number,
  program: Program,
  out: { actions: Action[]; tierChanges: TierChange[] },
): string | null {
  const linked = source?.linkedTo && state && (source.linkedTo === state.memberId || state.identities.includes(source.linkedTo));
  if (!state || !source || !linked) return `from: ${event.from} is not marked as linked to this member`;
  if (state.identities.includes(event.from)) return null;
  if (isVisitorKey(event.from)) foldInto(state, source, event.from, program);
  else {
    const fold = foldMember(state, source, event.from, program, day);
    out.tierChanges.push(...fold.tierChanges);
    out.actions.push(fold.action);
  }
  return null;
}
