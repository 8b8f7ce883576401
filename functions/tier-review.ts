// Daily tier review: finds members due (or due within the at-risk notice) through the sparse
// review index and puts a review command per member on the events stream, so the events consumer
// — the only writer of member state — applies it exactly once.
import { Logger } from '@aws-lambda-powertools/logger';
import { dayString } from '../shared/days/days';
import { tierReviewCommand } from '../shared/jobs/commands';
import { needsReviewCommand, reviewHorizon } from '../shared/jobs/tier-review';
import { loadProgram } from '../shared/programme/load';
import { documentClient, kinesisClient } from './adapters/clients';
import { resourceNames } from './adapters/config';
import { jobDay } from './adapters/job-event';
import { putJsonRecords } from './adapters/events-producer';
import { membersWithReviewBy } from './adapters/review-index';
import { stores } from './adapters/stores';

const logger = new Logger({ serviceName: 'memberflow' });

export const handler = async (event: unknown): Promise<{ asOf: string; candidates: number; commands: number }> => {
  const program = loadProgram();
  const asOf = jobDay(event, program.timezone);
  const names = resourceNames();
  const candidates = await membersWithReviewBy(documentClient(), names.membersTable, reviewHorizon(program, asOf));
  const members = await stores().members.getMany(candidates);
  const now = Date.now();
  const commands = [...members.values()].filter((m) => needsReviewCommand(program, m, asOf)).map((m) => tierReviewCommand(m.memberId, asOf, now));
  await putJsonRecords(kinesisClient(), names.eventsStream, commands);
  const summary = { asOf: dayString(asOf), candidates: candidates.length, commands: commands.length };
  logger.info('tier review scheduled', summary);
  return summary;
};
