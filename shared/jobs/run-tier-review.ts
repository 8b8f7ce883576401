// The tier-review use case: members due (or due within the at-risk notice) through the sparse review
// index get a tier_review command, so the consumer — the only writer of member state — applies it
// exactly once. A day whose run was missed is caught up by the next run, each member reviewed as of
// the day it was due.
import { dayString } from '../days/days';
import type { Program } from '../programme/vocabulary';
import { daysToRun } from './catch-up';
import type { JobPorts } from './ports';
import { reviewCommands, reviewHorizon } from './tier-review';

export async function runTierReview(
  program: Program,
  asOf: number,
  ports: Pick<JobPorts, 'members' | 'reviewIndex' | 'commands' | 'progress' | 'now'>,
) {
  const last = await ports.progress.lastRun('tier-review');
  // A run for a day already done (a retry, `npm run job`) reviews that day again: its commands
  // are idempotent per day (deterministic eventIds).
  const caughtUp = daysToRun(last, asOf);
  const days = caughtUp.length ? caughtUp : [asOf];
  // Everyone due by the last day's horizon; each day then picks its own.
  const candidates = await ports.reviewIndex.membersWithReviewBy(reviewHorizon(program, asOf));
  const members = await ports.members.getMany(candidates);
  const commands = reviewCommands(program, members.values(), days, ports.now());
  await ports.commands.put(commands);
  if (last === null || asOf > last) await ports.progress.recordRun('tier-review', asOf);
  return { asOf: dayString(asOf), days: days.length, candidates: candidates.length, commands: commands.length };
}
