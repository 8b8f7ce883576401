// Daily tier review: finds members due (or due within the at-risk notice) through the sparse
// review index and puts a review command per member on the events stream, so the events consumer
// — the only writer of member state — applies it exactly once. A day whose run was missed is
// caught up by the next run, each member reviewed as of the day it was due.
import { Logger } from '@aws-lambda-powertools/logger';
import { dayString } from '../shared/days/days';
import { daysToRun } from '../shared/jobs/catch-up';
import { reviewCommands, reviewHorizon } from '../shared/jobs/tier-review';
import { loadProgram } from '../shared/programme/load';
import { documentClient, kinesisClient } from './adapters/clients';
import { resourceNames } from './adapters/config';
import { jobDay } from './adapters/job-event';
import { lastRun, recordRun } from './adapters/job-progress';
import { putJsonRecords } from './adapters/events-producer';
import { membersWithReviewBy } from './adapters/review-index';
import { stores } from './adapters/stores';

const logger = new Logger({ serviceName: 'memberflow' });

export const handler = async (event: unknown): Promise<{ asOf: string; days: number; candidates: number; commands: number }> => {
  const program = loadProgram();
  const asOf = jobDay(event, program.timezone);
  const names = resourceNames();
  const last = await lastRun('tier-review');
  // A run for a day already done (a retry, `npm run job`) reviews that day again: its commands
  // are idempotent per day (deterministic eventIds).
  const caughtUp = daysToRun(last, asOf);
  const days = caughtUp.length ? caughtUp : [asOf];
  // Everyone due by the last day's horizon; each day then picks its own.
  const candidates = await membersWithReviewBy(documentClient(), names.membersTable, reviewHorizon(program, asOf));
  const members = await stores().members.getMany(candidates);
  const commands = reviewCommands(program, members.values(), days, Date.now());
  await putJsonRecords(kinesisClient(), names.eventsStream, commands);
  if (last === null || asOf > last) await recordRun('tier-review', asOf);
  const summary = { asOf: dayString(asOf), days: days.length, candidates: candidates.length, commands: commands.length };
  logger.info('tier review scheduled', summary);
  return summary;
};
