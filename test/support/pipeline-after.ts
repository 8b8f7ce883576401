// The set-up the given-up-batch tests share (replay-counters-given-up, counters-written-members): a
// 30-member × 10-day simulation on a MemoryPipeline with its first batches delivered, and the day
// figures compared with the activity oracle.
import { eventsToJsonLines, simulate } from '../../simulator';
import { buildActivityOracle, type OracleEvent } from '../../harness/oracle/activity-oracle';
import type { StreamRecord } from '../../shared/batch/process-batch';
import { MemoryPipeline } from './memory-pipeline';

/** The simulated window (the simulator's default start, 10 days). */
export const FROM = '2026-10-01';
export const TO = '2026-10-10';

export interface PipelineAfter {
  events: OracleEvent[];
  lines: string[];
  p: MemoryPipeline;
  /** Every line as a record of the pipeline's shard (none delivered past `start`). */
  records: StreamRecord[];
  size: number;
  /** Records delivered so far: `batches × size`. */
  start: number;
}

/** The simulation of `seed`, its first `batches` batches of `size` records delivered. */
export async function pipelineAfter(seed: number, batches = 3, size = 100): Promise<PipelineAfter> {
  const events = [...simulate({ members: 30, days: 10, seed })] as unknown as OracleEvent[];
  const lines = [...eventsToJsonLines(events as never)];
  const p = new MemoryPipeline();
  const records = p.records(lines);
  const start = batches * size;
  await p.deliver(records.slice(0, start), size);
  return { events, lines, p, records, size, start };
}

/** The pipeline's daily, retention and session figures over the window. */
export const dayFigures = (p: MemoryPipeline) => ({
  daily: p.daily(FROM, TO),
  retention: p.retention(FROM, TO),
  sessions: p.sessions(FROM, TO),
});

/** The same figures by the activity oracle, fed the events as they were applied. */
export function oracleFigures(applied: readonly OracleEvent[]) {
  const oracle = buildActivityOracle(applied, 'Asia/Shanghai');
  return { daily: oracle.daily(FROM, TO), retention: oracle.retention(FROM, TO), sessions: oracle.sessions(FROM, TO) };
}
