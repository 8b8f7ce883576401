// The per-day event counts one member's records contribute to the daily metrics in one batch: a row
// per day, indexed by the catalogue's contribution counters (`C`).
import { CONTRIBUTION_WIDTH } from './catalogue';

/** Day number → counts indexed by `C` (catalogue.ts). */
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
