// Erasure as the events consumer applies it (docs/api.md#privacy-erasure-and-subject-access). The api has already written the
// member's tombstone (keyed by the salted hash) and put an `erase_member` command on the stream;
// the consumer, the single writer of member state, applies it in stream order:
//  - the member's records before the command are applied as usual (they happened before);
//  - the command books the member out of the running totals (members, tier, segment sizes) on the
//    erasure day, so figures as of earlier days and every per-day aggregate stay as they were;
//  - the member item is deleted and every other trace swept (ErasurePort.sweep);
//  - records after it, and any later or replayed record of the member, are quarantined as
//    `erased_member` without payload, so nothing ever recreates the member.
import { dayString } from '../days/days';
import type { Action } from '../actions/actions';
import type { EraseMemberCommand } from '../events/events';
import { dayKey, TOTALS_KEY } from '../keys/metrics-keys';
import { COUNTER, segmentSizeCounter, tierCounter } from '../metrics/catalogue';
import { add, type Deltas } from '../metrics/deltas';
import type { MemberState } from '../member/state';
import type { StreamPosition } from '../stream/position';

export interface ErasurePort {
  /** The salted hash of a member id (tombstone key, action and audit subject). */
  hash(memberId: string): string;
  /** Which of these hashes have a tombstone. */
  tombstones(hashes: readonly string[]): Promise<Set<string>>;
  /** Deletes the member item if its version is still `version`; false when it moved on. */
  deleteMember(memberId: string, version: number): Promise<boolean>;
  /**
   * Removes every other trace of the member (idempotent): ledger items (orders, refunds, tier
   * history, coins), segment memberships of `segmentIds`, job hints, quarantined records.
   */
  sweep(memberId: string, segmentIds: readonly string[]): Promise<void>;
}

export interface EraseRecord {
  position: StreamPosition;
  command: EraseMemberCommand;
  arrivedAt: number;
}

/** Books the member out of the running totals on `day` (and only there). */
export function erasureDeltas(state: MemberState, day: number, deltas: Deltas): void {
  const total = (counter: string, by: number) => {
    add(deltas, TOTALS_KEY, counter, by);
    add(deltas, dayKey(day), counter, by);
  };
  add(deltas, TOTALS_KEY, COUNTER.members, -1);
  add(deltas, dayKey(day), COUNTER.erased, 1);
  total(tierCounter(state.tier.tier), -1);
  for (const id of state.segments) total(segmentSizeCounter(id), -1);
}

/** The outbound `member_erased` action: the salted hash stands where the member id would. */
export function memberErasedAction(memberHash: string, erasureId: string, day: number): Action {
  return {
    actionId: `member_erased-${memberHash.slice(0, 32)}`,
    type: 'member_erased',
    memberId: memberHash,
    day: dayString(day),
    details: { memberHash, erasureId },
  };
}
