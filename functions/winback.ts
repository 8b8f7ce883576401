// Daily status and win-back job: finds the members whose silence just reached a threshold
// (through the consumer's last-active-day hints, never a scan) and puts a status_check command
// per member on the events stream. A skipped day catches up.
import { Logger } from '@aws-lambda-powertools/logger';
import { dayString } from '../shared/days/days';
import { statusCheckCommand } from '../shared/jobs/commands';
import { daysToRun, silenceThresholds } from '../shared/jobs/winback';
import type { JobCommand } from '../shared/events/events';
import { lastActiveHintKey } from '../shared/keys/metrics-keys';
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
  const days = daysToRun(await lastRun('winback'), asOf);
  const now = Date.now();
  const commands: JobCommand[] = [];
  let candidates = 0;
  for (const day of days) {
    const wanted = new Map<string, number>();
    await forEachLimited(silenceThresholds(program), 4, async (k) => {
      for (const id of await hints.hintIds(lastActiveHintKey(day - k))) wanted.set(id, day - k);
    });
    candidates += wanted.size;
    const found = await members.getMany([...wanted.keys()]);
    for (const [id, state] of found) {
      // Still silent since that day (a later event moved lastActiveOn on, and the hint is stale).
      if (state.activity.lastActiveOn === wanted.get(id)) commands.push(statusCheckCommand(id, day, now));
    }
  }
  await putJsonRecords(kinesisClient(), resourceNames().eventsStream, commands);
  await recordRun('winback', asOf);
  const summary = { asOf: dayString(asOf), days: days.length, candidates, commands: commands.length };
  logger.info('status and win-back checks scheduled', summary);
  return summary;
};
