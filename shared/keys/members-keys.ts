// MembersTable (pk memberId): the sparse TierReviewIndex. Only members above the base tier carry its
// keys: `rvb` = bucket "0".."9" (spreads the index's partitions), `rv` = tierReviewOn day number.
export const TIER_REVIEW_INDEX = 'TierReviewIndex';
export const REVIEW_BUCKETS = 10;

/**
 * An erased member's tombstone (`erased#<salted hash>`; a member id never contains '#'): written
 * once by the api when it accepts an erasure, read by the consumer and the api. The api may write
 * only these keys.
 */
export const TOMBSTONE_PREFIX = 'erased#';
export const tombstoneKey = (memberHash: string) => `${TOMBSTONE_PREFIX}${memberHash}`;

/**
 * An operator merge's request (docs/architecture.md#operator-merge), written once by the api in one
 * transaction: `merge#<mergeId>` (idempotency: once per mergeId) and `mergedfrom#<memberId>` (the
 * member merged away: once per member, read by the consumer to verify the merge command and by the
 * api to answer `merged_into` at once). The api may write only these keys and the tombstones.
 */
export const MERGE_ID_PREFIX = 'merge#';
export const MERGED_FROM_PREFIX = 'mergedfrom#';
export const mergeIdKey = (mergeId: string) => `${MERGE_ID_PREFIX}${mergeId}`;
export const mergedFromKey = (memberId: string) => `${MERGED_FROM_PREFIX}${memberId}`;
