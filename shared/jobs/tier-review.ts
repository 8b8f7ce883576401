// The tier-review job's decision: which candidates need a review command as of day R.
import { dayString } from '../days';
import type { JobCommand } from '../events';
import type { MemberState } from '../member';
import type { Program } from '../programme';
import { isAtRisk, isReviewDue } from '../tiers';

/** Candidates are read through the sparse review index: tierReviewOn ≤ R + atRiskNoticeDays. */
export function reviewHorizon(program: Program, asOf: number): number {
  return asOf + program.atRiskNoticeDays;
}

export function needsReviewCommand(program: Program, member: MemberState, asOf: number): boolean {
  if (isReviewDue(member.tier, asOf)) return true;
  return member.atRiskNotifiedFor !== member.tier.tierReviewOn && isAtRisk(program, member.tier, member.history, asOf);
}

/** Deterministic eventId: the same job day never applies twice (the member's eventId ring). */
export function tierReviewCommand(memberId: string, asOf: number, nowMs: number): JobCommand {
  const day = dayString(asOf);
  return { type: 'tier_review', eventId: `tier-review:${day}:${memberId}`.slice(0, 128), memberId, asOf: day, occurredAt: new Date(nowMs).toISOString() };
}
