// joinedOn is the member's first day in time order (docs/rules.md#activity-and-status): a record
// dated before it that counts as activity, however late it arrives, moves it back. The counters
// follow in shared/metrics/deltas.ts (the old and new joinedOn of one write).
import type { MemberState } from './state';

/**
 * Moves joinedOn back to `day` when that is earlier; the base tier held since joining moves with it
 * (held now, or held before the latest upgrade and restored by a refund revert), as the tier
 * history replayed from joinedOn has it (shared/member/as-of.ts).
 */
export function joinedBy(state: MemberState, day: number): void {
  if (day >= state.joinedOn) return;
  const t = state.tier;
  if (t.tier === 0 && t.tierSince === state.joinedOn) state.tier = { ...state.tier, tierSince: day };
  if (t.tierBeforeUpgrade === 0 && t.sinceBeforeUpgrade === state.joinedOn) state.tier = { ...state.tier, sinceBeforeUpgrade: day };
  state.joinedOn = day;
}
