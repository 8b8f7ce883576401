// A member read that also sees its tombstone (docs/api.md#privacy-erasure-and-subject-access) and its
// merge (docs/api.md#operator-merge): once an erasure or a merge is accepted the member answers 404
// member_erased or merged_into, even before the consumer has applied it.
import { isVisitorKey } from '../../shared/identity/keys';
import { mergedFromKey, tombstoneKey } from '../../shared/keys/members-keys';
import type { MemberState } from '../../shared/member/state';
import { erasureAdapter } from '../adapters/erasure-store';
import { fromMemberItem, type MemberItem } from '../adapters/member-item';
import type { MemberStore } from '../adapters/member-store';
import { HttpError } from './http';

export const erasedError = (field = 'memberId') => new HttpError(404, 'member_erased', `${field}: this member was erased`);

/** 404 `merged_into`, naming the member it was merged into (also as `mergedInto`). */
export const mergedError = (memberId: string, into: string) =>
  new HttpError(404, 'merged_into', `memberId: ${memberId} was merged into ${into}`, { mergedInto: into });

export interface MemberLookup {
  state: MemberState | null;
  erased: boolean;
  /** The member it was merged into (the merge accepted, or applied), or null. */
  mergedInto: string | null;
}

/** The member item, whether the member is erased and whether it was merged away, in one batch read. */
export async function memberOrTombstone(
  members: Pick<MemberStore, 'getItems'>,
  memberId: string,
  memberHash: string,
): Promise<MemberLookup> {
  const items = await members.getItems([memberId, tombstoneKey(memberHash), mergedFromKey(memberId)]);
  const item = items.get(memberId);
  const state = item ? fromMemberItem(item as MemberItem) : null;
  // A visitor's link is no merge: it answers for its member (routes.ts).
  const request = items.get(mergedFromKey(memberId)) as { into?: string } | undefined;
  const mergedInto = isVisitorKey(memberId) ? null : (state?.linkedTo ?? request?.into ?? null);
  return { state, erased: items.has(tombstoneKey(memberHash)), mergedInto };
}

/** The member it is being merged into, by the api's accepted request; null when none. */
export async function mergeRequestOf(members: Pick<MemberStore, 'getItems'>, memberId: string): Promise<string | null> {
  const item = (await members.getItems([mergedFromKey(memberId)])).get(mergedFromKey(memberId)) as { into?: string } | undefined;
  return item?.into ?? null;
}

/**
 * The member's state (null when unknown); throws 404 member_erased for an erased member and 404
 * merged_into for one merged into another.
 */
export async function assertNotErased(members: Pick<MemberStore, 'getItems'>, memberId: string): Promise<MemberState | null> {
  const erasure = await erasureAdapter();
  const { state, erased, mergedInto } = await memberOrTombstone(members, memberId, erasure.hash(memberId));
  if (erased) throw erasedError();
  if (mergedInto) throw mergedError(memberId, mergedInto);
  return state;
}
