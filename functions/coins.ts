// Daily coins job (EventBridge Scheduler): wires the adapters to the use case (shared/jobs/run-coins.ts),
// which puts a coins_day command per member with coin work due (availability, expiry, notices).
import type { Context } from 'aws-lambda';
import { runCoins } from '../shared/jobs/run-coins';
import { loadProgram } from '../shared/programme/load';
import { invokeAgain } from './adapters/invoke-again';
import { jobDay } from './adapters/job-event';
import { createLogger } from './adapters/logger';
import { jobPorts } from './adapters/stores';

const logger = createLogger();

/**
 * Time kept for the run's end once its upgrade scan stops: a scan page's commands and hints (at
 * most 1 MB of members) and the summary, well inside a minute.
 */
const RESERVE_MS = 60_000;

export const handler = async (event: unknown, context?: Context) => {
  if (context) logger.addContext(context);
  const program = loadProgram();
  const summary = await runCoins(program, jobDay(event, program.timezone), jobPorts(), {
    outOfTime: () => !!context && context.getRemainingTimeInMillis() < RESERVE_MS,
  });
  if (summary.backfillDone !== false) {
    logger.info('coins day scheduled', summary);
    return summary;
  }
  // The upgrade scan stopped short of its end: the same day's run goes on from the saved page at
  // once in a new invocation (or, should that invoke fail, at the next scheduled run).
  const continued = await invokeAgain(context, { job: 'coins', asOf: summary.asOf });
  logger.warn('coins upgrade scan stopped before its end', { ...summary, continued });
  return { ...summary, continued };
};
