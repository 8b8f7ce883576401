// The per-day event counts one member's records contribute to the daily metrics in one batch.
export const C = {
  launches: 0,
  sessions: 1,
  sessionSeconds: 2,
  pageViews: 3,
  orders: 4,
  revenueCents: 5,
  payingMembers: 6,
  lateActivity: 7,
  /** Sessions by pages per session: six buckets from here on. */
  bucketBase: 8,
  winbackOffers: 14,
  winbackConversions: 15,
} as const;
export const CONTRIBUTION_WIDTH = 16;
export const SESSION_BUCKETS = ['1-2', '3-5', '6-9', '10-29', '30-50', '51+'] as const;

/** Day number → counts indexed by `C`. */
export type Contribution = Map<number, number[]>;

/** Index of the pages-per-session bucket, or -1 for a session without pages. */
export function sessionBucket(pageViews: number): number {
  if (pageViews <= 0) return -1;
  if (pageViews <= 2) return 0;
  if (pageViews <= 5) return 1;
  if (pageViews <= 9) return 2;
  if (pageViews <= 29) return 3;
  if (pageViews <= 50) return 4;
  return 5;
}

export function bump(contribution: Contribution, day: number, index: number, by = 1): void {
  let row = contribution.get(day);
  if (!row) {
    row = new Array<number>(CONTRIBUTION_WIDTH).fill(0);
    contribution.set(day, row);
  }
  row[index] += by;
}
