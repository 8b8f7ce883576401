// The tier-review job's decision: which candidates need a review command as of day R.
import type { JobCommand } from '../events/events';
import type { MemberState } from '../member/state';
import { tierReviewCommand } from './commands';
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

/**
 * The review commands for each day to run (ascending; more than one when missed days are caught
 * up). A member due on a missed day is reviewed as of that day — a review as of a later day would
 * count a different points window and move the next review date. The consumer applies a member's
 * commands in order, and a review that is no longer due is a no-op.
 */
export function reviewCommands(program: Program, members: Iterable<MemberState>, days: readonly number[], nowMs: number): JobCommand[] {
  const commands: JobCommand[] = [];
  for (const member of members) {
    for (const day of days) if (needsReviewCommand(program, member, day)) commands.push(tierReviewCommand(member.memberId, day, nowMs));
  }
  return commands;
}
