// Daily tier review (EventBridge Scheduler): wires the adapters to the tier-review use case
// (shared/jobs/run-tier-review.ts), which puts a review command per member due on the events stream.
import { runTierReview } from '../shared/jobs/run-tier-review';
import { loadProgram } from '../shared/programme/load';
import { jobDay } from './adapters/job-event';
import { createLogger } from './adapters/logger';
import { jobPorts } from './adapters/stores';

const logger = createLogger();

export const handler = async (event: unknown): Promise<{ asOf: string; days: number; candidates: number; commands: number }> => {
  const program = loadProgram();
  const summary = await runTierReview(program, jobDay(event, program.timezone), jobPorts());
  logger.info('tier review scheduled', summary);
  return summary;
};
