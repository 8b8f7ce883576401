// The tier-review job's decision: which candidates need a review command as of day R.
import type { MemberState } from '../member/state';
import type { Program } from '../programme/vocabulary';
import { isAtRisk, isReviewDue } from '../points/tiers';

/** Candidates are read through the sparse review index: tierReviewOn ≤ R + atRiskNoticeDays. */
export function reviewHorizon(program: Program, asOf: number): number {
  return asOf + program.atRiskNoticeDays;
}

export function needsReviewCommand(program: Program, member: MemberState, asOf: number): boolean {
  if (isReviewDue(member.tier, asOf)) return true;
  return member.atRiskNotifiedFor !== member.tier.tierReviewOn && isAtRisk(program, member.tier, member.history, asOf);
}
