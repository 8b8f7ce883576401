// The daily coins job's ports over the in-memory pipeline: its members, its coin-due hints, its own
// progress, and the commands it puts (collected in `sent`, for the test to deliver).
import type { JobCommand } from '../../shared/events/events';
import type { MemoryPipeline } from './memory-pipeline';
import { MemoryJobProgress } from './memory-ports';

/** Records arrive after every day the job runs for (a command for a future day is refused). */
export const COINS_JOB_NOW = Date.parse('2028-01-01T00:00:00Z');

export function coinsJobPorts(p: MemoryPipeline) {
  const progress = new MemoryJobProgress();
  const sent: JobCommand[] = [];
  const ports = {
    members: p.members,
    coinDue: p.hints.coinDue,
    commands: { put: async (c: readonly JobCommand[]) => void sent.push(...c) },
    progress,
    now: () => COINS_JOB_NOW,
  };
  return { ports, progress, sent };
}
