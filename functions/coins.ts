// Daily coins job (EventBridge Scheduler): wires the adapters to the use case (shared/jobs/run-coins.ts),
// which puts a coins_day command per member with coin work due (availability, expiry, notices).
import { runCoins } from '../shared/jobs/run-coins';
import { loadProgram } from '../shared/programme/load';
import { jobDay } from './adapters/job-event';
import { createLogger } from './adapters/logger';
import { jobPorts } from './adapters/stores';

const logger = createLogger();

export const handler = async (event: unknown) => {
  const program = loadProgram();
  const summary = await runCoins(program, jobDay(event, program.timezone), jobPorts());
  logger.info('coins day scheduled', summary);
  return summary;
};
