// Daily status and win-back job (EventBridge Scheduler): wires the adapters to the use case
// (shared/jobs/run-winback.ts), which puts a status_check command per member whose silence just
// reached a threshold on the events stream.
import { runWinback } from '../shared/jobs/run-winback';
import { loadProgram } from '../shared/programme/load';
import { jobDay } from './adapters/job-event';
import { createLogger } from './adapters/logger';
import { jobPorts } from './adapters/stores';

const logger = createLogger();

export const handler = async (event: unknown) => {
  const program = loadProgram();
  const summary = await runWinback(program, jobDay(event, program.timezone), jobPorts());
  logger.info('status and win-back checks scheduled', summary);
  return summary;
};
