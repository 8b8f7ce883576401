// Daily RFM job (EventBridge Scheduler): wires the adapters to the use case (shared/jobs/run-rfm.ts),
// which scores every purchaser of the window and puts an rfm_update command per changed member.
import { runRfm } from '../shared/jobs/run-rfm';
import { loadProgram } from '../shared/programme/load';
import { jobDay } from './adapters/job-event';
import { createLogger } from './adapters/logger';
import { jobPorts } from './adapters/stores';

const logger = createLogger();

export const handler = async (event: unknown) => {
  const program = loadProgram();
  const summary = await runRfm(program, jobDay(event, program.timezone), jobPorts());
  logger.info('rfm scored', summary);
  return summary;
};
