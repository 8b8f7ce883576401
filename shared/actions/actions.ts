// Outbound actions (docs/events.md#outbound-actions) with deterministic ids: a retried batch or job re-sends the same
// action, never a different one.
import { dayString } from '../days/days';
import { hashHex } from '../util/hash';
import type { Program } from '../programme/vocabulary';
import type { TierChange } from '../points/tiers';

export type ActionType =
  | 'tier_upgraded'
  | 'tier_downgraded'
  | 'tier_at_risk'
  | 'winback_offer'
  | 'segment_entered'
  | 'segment_exited'
  | 'coins_expiring'
  | 'member_erased'
  | 'member_merged';

export interface Action {
  actionId: string;
  type: ActionType;
  memberId: string;
  day: string;
  details: Record<string, unknown>;
}

/** `identity` lists what makes this action unique besides its type and member. */
export function makeAction(
  type: ActionType,
  memberId: string,
  day: number,
  details: Record<string, unknown>,
  identity: readonly (string | number)[],
): Action {
  return { actionId: `${type}-${hashHex([memberId, ...identity].join('|'))}`, type, memberId, day: dayString(day), details };
}

export function tierAction(program: Program, memberId: string, change: TierChange): Action {
  const from = program.tiers[change.from].id;
  const to = program.tiers[change.to].id;
  return makeAction(
    change.kind === 'upgrade' ? 'tier_upgraded' : 'tier_downgraded',
    memberId,
    change.day,
    { from, to, reason: change.reason },
    [change.day, from, to, change.reason],
  );
}
