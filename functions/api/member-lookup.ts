// A member read that also sees its tombstone (docs/api.md#privacy-erasure-and-subject-access): once an erasure is accepted the member
// answers 404 member_erased, even before the consumer has applied it.
import { tombstoneKey } from '../../shared/keys/members-keys';
import type { MemberState } from '../../shared/member/state';
import { erasureAdapter } from '../adapters/erasure-store';
import { fromMemberItem, type MemberItem } from '../adapters/member-item';
import type { MemberStore } from '../adapters/member-store';
import { HttpError } from './http';

export const erasedError = () => new HttpError(404, 'member_erased', 'memberId: this member was erased');

/** The member item and whether the member is erased, in one batch read. */
export async function memberOrTombstone(
  members: Pick<MemberStore, 'getItems'>,
  memberId: string,
  memberHash: string,
): Promise<{ state: MemberState | null; erased: boolean }> {
  const items = await members.getItems([memberId, tombstoneKey(memberHash)]);
  const item = items.get(memberId);
  return { state: item ? fromMemberItem(item as MemberItem) : null, erased: items.has(tombstoneKey(memberHash)) };
}

/** The member's state (null when unknown); throws 404 member_erased for an erased member. */
export async function assertNotErased(members: Pick<MemberStore, 'getItems'>, memberId: string): Promise<MemberState | null> {
  const erasure = await erasureAdapter();
  const { state, erased } = await memberOrTombstone(members, memberId, erasure.hash(memberId));
  if (erased) throw erasedError();
  return state;
}
