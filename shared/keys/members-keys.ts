// MembersTable (pk memberId): the sparse TierReviewIndex. Only members above the base tier carry its
// keys: `rvb` = bucket "0".."9" (spreads the index's partitions), `rv` = tierReviewOn day number.
export const TIER_REVIEW_INDEX = 'TierReviewIndex';
export const REVIEW_BUCKETS = 10;
