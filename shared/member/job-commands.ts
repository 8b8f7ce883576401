// The daily jobs' commands applied to a member (tier_review, status_check, rfm_update, coins_day):
// they arrive on the events stream so that the reducer stays the only writer of member state.
import { makeAction, type Action } from '../actions/actions';
import { runCoinDay, type CoinEntry } from '../coins/ledger';
import { lotId } from '../coins/lots';
import { dayString } from '../days/days';
import type { JobCommand, StreamEvent } from '../events/events';
import { isAtRisk, pointsRequiredToRemain, reviewTierCatchingUp, type TierChange } from '../points/tiers';
import type { Program } from '../programme/vocabulary';
import { applyWinbackCheck } from '../winback/winback';
import type { MemberState } from './state';

export function isJobCommand(event: StreamEvent): event is JobCommand {
  return event.type === 'tier_review' || event.type === 'status_check' || event.type === 'rfm_update' || event.type === 'coins_day';
}

/** What a command produced besides the state: appended to the batch's lists. */
export interface CommandOutput {
  tierChanges: TierChange[];
  actions: Action[];
  coinEntries: CoinEntry[];
}

/** Applies a job command as of its day R (`asOf`, checked to be no later than today by the caller). */
export function applyJobCommand(state: MemberState, event: JobCommand, asOf: number, program: Program, out: CommandOutput): void {
  if (event.type === 'tier_review') applyReview(state, asOf, program, out.tierChanges, out.actions);
  else if (event.type === 'status_check') applyWinbackCheck(program, state, asOf, out.actions);
  else if (event.type === 'coins_day') applyCoinDay(state, asOf, program, out.actions, out.coinEntries);
  else state.rfm = event.rfm ? { ...event.rfm, asOf } : null;
}

/** The daily coins job as of R: book due lots and expiries, send the due `coins_expiring` notices. */
function applyCoinDay(state: MemberState, asOf: number, program: Program, actions: Action[], coinEntries: CoinEntry[]): void {
  const step = runCoinDay(state.coins, asOf, program.coins);
  state.coins = step.state;
  coinEntries.push(...step.entries);
  for (const n of step.notices) {
    const lot = lotId(n.lot);
    actions.push(
      makeAction('coins_expiring', state.memberId, n.day, { lotId: lot, coins: n.coins, expiresOn: dayString(n.expiresOn) }, [lot]),
    );
  }
}

/** The daily review as of R (docs/rules.md#tiers: "Review" and "At risk"). */
function applyReview(state: MemberState, asOf: number, program: Program, tierChanges: TierChange[], actions: Action[]): void {
  for (const step of reviewTierCatchingUp(program, state.tier, state.history, asOf)) {
    state.tier = step.state;
    if (step.change) tierChanges.push(step.change);
  }
  const reviewOn = state.tier.tierReviewOn;
  if (reviewOn !== null && state.atRiskNotifiedFor !== reviewOn && isAtRisk(program, state.tier, state.history, asOf)) {
    state.atRiskNotifiedFor = reviewOn;
    const tier = program.tiers[state.tier.tier].id;
    actions.push(
      makeAction(
        'tier_at_risk',
        state.memberId,
        asOf,
        {
          tier,
          tierReviewOn: dayString(reviewOn),
          pointsRequiredToRemain: pointsRequiredToRemain(program, state.tier, state.history, asOf),
        },
        [reviewOn, tier],
      ),
    );
  }
}
