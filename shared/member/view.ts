// What GET /members/{memberId} answers, computed from the stored state as of a day.
import { dayString } from '../days/days';
import type { MemberState } from './reducer';
import type { MemberStatus, Program } from '../programme/programme';
import { memberFacts, rfmInputs } from './facts';
import { memberSegments } from '../segments/segments';
import { pointsRequiredToRemain, pointsToNextTier, qualifyingPoints } from '../points/tiers';

/** The member's latest active day on or before `asOf`, as far as the state can tell. */
export function lastActiveAsOf(state: MemberState, asOf: number): number | null {
  const { lastActiveOn, recent } = state.activity;
  if (lastActiveOn === null) return null;
  if (lastActiveOn <= asOf) return lastActiveOn;
  for (let i = recent.length - 1; i >= 0; i--) if (recent[i] <= asOf) return recent[i];
  return null;
}

export function statusAsOf(program: Program, lastActive: number | null, asOf: number): MemberStatus {
  if (lastActive === null) return 'churned';
  const silence = asOf - lastActive;
  if (silence < program.status.silentAfterDays) return 'active';
  if (silence < program.status.churnedAfterDays) return 'silent';
  return 'churned';
}

/** R, F, M as of the day; scores and class as the latest rfm job set them (null before it ran). */
function rfmView(program: Program, state: MemberState, asOf: number) {
  const inputs = rfmInputs(program, state.purchases, asOf);
  if (!inputs && !state.rfm) return null;
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
  };
}
