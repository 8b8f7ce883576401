// What GET /members/{memberId} answers, computed from the stored state as of a day.
import { dayString } from '../days/days';
import type { Program } from '../programme/vocabulary';
import type { MemberState } from './state';
import { lastActiveAsOf, statusAsOf } from './status';
import { memberFacts, rfmInputs } from './facts';
import { memberSegments } from '../segments/segments';
import { anonymousIdOf } from '../identity/keys';
import { pointsRequiredToRemain, pointsToNextTier, qualifyingPoints } from '../points/tiers';

/** R, F, M as of the day; scores and class as the latest rfm job set them (null before it ran). */
function rfmView(program: Program, state: MemberState, asOf: number) {
  const inputs = rfmInputs(program, state.purchases, asOf);
  return {
    recencyDays: inputs?.recencyDays ?? null,
    frequency: inputs?.frequency ?? 0,
    monetaryCents: inputs?.monetaryCents ?? 0,
    r: state.rfm?.r ?? null,
    f: state.rfm?.f ?? null,
    m: state.rfm?.m ?? null,
    segment: state.rfm?.segment ?? null,
  };
}

export function memberView(program: Program, state: MemberState, asOf: number) {
  const tier = program.tiers[state.tier.tier];
  const qualifying = qualifyingPoints(state.history, asOf, program.qualificationWindowDays);
  const lastActive = lastActiveAsOf(state, asOf);
  const status = statusAsOf(program, lastActive, asOf);
  return {
    memberId: state.memberId,
    joinedOn: dayString(state.joinedOn),
    acquisitionChannel: state.acquisitionChannel,
    tier: tier.id,
    tierSince: state.tier.tierSince === null ? null : dayString(state.tier.tierSince),
    tierReviewOn: state.tier.tierReviewOn === null ? null : dayString(state.tier.tierReviewOn),
    qualifyingPoints: qualifying,
    lifetimePoints: state.lifetimePoints,
    pointsToNextTier: pointsToNextTier(program, state.tier, qualifying),
    pointsRequiredToRemain: pointsRequiredToRemain(program, state.tier, state.history, asOf),
    lastActiveOn: state.activity.lastActiveOn === null ? null : dayString(state.activity.lastActiveOn),
    activeDays: state.activity.activeDays,
    status,
    rfm: rfmView(program, state, asOf),
    segments: memberSegments(program, memberFacts(program, state, asOf)),
    /** The anonymous ids linked to the member (docs/rules.md#identity). */
    identities: state.identities.flatMap((key) => anonymousIdOf(key) ?? []),
    /** The members an operator merged into this one (docs/architecture.md#operator-merge). */
    mergedMembers: state.identities.filter((key) => anonymousIdOf(key) === null),
  };
}
