// Daily RFM job: reads every member who purchased in the window (through the consumer's purchase
// hints), recomputes the quintile cut-offs, and puts an rfm_update command for each member whose
// scores or class changed. The cut-offs are kept for GET /metrics/program.
import { Logger } from '@aws-lambda-powertools/logger';
import { dayString } from '../shared/days/days';
import { rfmUpdateCommand } from '../shared/jobs/commands';
import { rfmChanges } from '../shared/jobs/rfm';
import { purchaseHintKey } from '../shared/keys/metrics-keys';
import { forEachLimited } from '../shared/util/limit';
import { loadProgram } from '../shared/programme/load';
import { kinesisClient } from './adapters/clients';
import { resourceNames } from './adapters/config';
import { putJsonRecords } from './adapters/events-producer';
import { jobDay } from './adapters/job-event';
import { lastRun, recordRun } from './adapters/job-progress';
import { stores } from './adapters/stores';

const logger = new Logger({ serviceName: 'memberflow' });

export const handler = async (event: unknown) => {
  const program = loadProgram();
  const asOf = jobDay(event, program.timezone);
  const { hints, members } = stores();
  const window = program.qualificationWindowDays;
  const previous = (await lastRun('rfm')) ?? asOf - 1;
  // The window's purchase days, plus the days that left it since the last run.
  const days: number[] = [];
  for (let d = Math.min(previous, asOf - 1) - window + 1; d <= asOf; d++) days.push(d);
  const ids = new Set<string>();
  await forEachLimited(days, 16, async (d) => {
    for (const id of await hints.hintIds(purchaseHintKey(d))) ids.add(id);
  });
  const found = await members.getMany([...ids]);
  const { result, changes } = rfmChanges(program, [...found.values()], asOf);
  const now = Date.now();
  await putJsonRecords(kinesisClient(), resourceNames().eventsStream, changes.map((c) => rfmUpdateCommand(c.memberId, asOf, c.rfm, now)));
  await recordRun('rfm', asOf, { cutoffs: result.cutoffs, means: result.means, purchasers: result.byMember.size });
  const summary = { asOf: dayString(asOf), purchasers: result.byMember.size, commands: changes.length };
  logger.info('rfm scored', summary);
  return summary;
};
