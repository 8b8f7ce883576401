// Win-back (docs/rules.md#win-back): offers at 30 and 60 days of silence, at most one per threshold per
// silence spell; a member active again within 14 days of an offer converts it.
import { makeAction, type Action } from '../actions/actions';
import { C } from '../metrics/catalogue';
import { bump, type Contribution } from '../metrics/contribution';
import type { MemberState } from '../member/state';
import type { Program } from '../programme/vocabulary';

/** The status check as of day `asOf`: sends the offers the silence has reached. */
export function applyWinbackCheck(program: Program, state: MemberState, asOf: number, actions: Action[]): void {
  const la = state.activity.lastActiveOn;
  if (la === null) return;
  const spell = state.winback && state.winback.spellFrom === la ? state.winback : { spellFrom: la, offers: 0, lastOfferOn: la };
  program.winback.offerDays.forEach((days, i) => {
    if (asOf - la < days || spell.offers > i) return;
    const offerDay = la + days;
    spell.offers = i + 1;
    spell.lastOfferOn = offerDay;
    bump(state.contribution, offerDay, C.wbOffers);
    actions.push(makeAction('winback_offer', state.memberId, offerDay, { silenceDays: days, offer: i + 1 }, [la, days]));
  });
  if (spell.offers > 0) state.winback = spell;
}

/** Called when the member becomes active on a day after its last active day `previous`. */
export function endSilence(program: Program, state: MemberState, previous: number | null, day: number, contribution: Contribution): void {
  const spell = state.winback;
  if (!spell || previous === null || spell.spellFrom !== previous) return;
  // Active again on the offer's own day (after the job sent it) converts too: "within 14 days after".
  if (day >= spell.lastOfferOn && day <= spell.lastOfferOn + program.winback.conversionWindowDays)
    bump(contribution, spell.lastOfferOn, C.wbConversions);
  state.winback = null;
}
