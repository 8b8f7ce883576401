// MembersTable (pk memberId): the sparse TierReviewIndex. Only members above the base tier carry its
// keys: `rvb` = bucket "0".."9" (spreads the index's partitions), `rv` = tierReviewOn day number.
export const TIER_REVIEW_INDEX = 'TierReviewIndex';
export const REVIEW_BUCKETS = 10;

/**
 * The sparse CoinDueIndex: only members holding a coin lot carry its keys: `cjb` = bucket
 * "0".."9" (as for reviews), `cj` = the start of the 14-day period of the next day the daily coins
 * job has work for the member (a lot to make available, a notice to send, a lot to expire).
 */
export const COIN_DUE_INDEX = 'CoinDueIndex';

/** Days of CoinDueIndex's granularity (coinIndexDay). */
export const COIN_INDEX_DAYS = 14;

/**
 * The CoinDueIndex day of a member whose next coin work is due on `due`: the start of its 14-day
 * period. Its readers (the coins job, coins expiring) need a day never later than the work and
 * re-read the item to decide; the exact day moved with nearly every purchase of a frequent buyer
 * (each books the lot that came due), and every move of an index key costs two index writes.
 */
export const coinIndexDay = (due: number) => due - (((due % COIN_INDEX_DAYS) + COIN_INDEX_DAYS) % COIN_INDEX_DAYS);

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
