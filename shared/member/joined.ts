// joinedOn is the member's first day in time order (docs/rules.md#activity-and-status): a record
// dated before it that counts as activity, however late it arrives, moves it back. The counters
// follow in shared/metrics/deltas.ts (the old and new joinedOn of one write).
import type { MemberState } from './state';

/** Moves joinedOn back to `day` when that is earlier; the base tier held since joining moves with it. */
export function joinedBy(state: MemberState, day: number): void {
  if (day >= state.joinedOn) return;
  if (state.tier.tier === 0 && state.tier.tierSince === state.joinedOn) state.tier = { ...state.tier, tierSince: day };
  state.joinedOn = day;
}
