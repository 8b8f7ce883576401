// History import in AWS, step 2 (ImportStateMachine's apply loop): the staged days applied in time
// order through the import use case (run-import.ts — the consumer's batch code, the daily jobs
// caught up between days), the single writer of the import's synthetic source shard. The
// checkpoint is saved after each committed batch; a call stops at the first day boundary once
// `outOfTime()` says so and answers `done: false`, and the state machine calls it again (a retried
// or repeated call goes on from the checkpoint, counting nothing twice).
import { NEW_CHECKPOINT, runImport, type ImportCheckpoint, type ImportPorts, type ImportSummary } from './run-import';
import { planDays, stagedEvents } from './staging';
import type { ImportStagingPort } from './ports';

export interface ApplyRequest {
  importId: string;
  /** The import's clock (the execution's start, the same in every round). */
  arrivedAt: number;
  batchSize: number;
}

export interface ApplyPorts extends Omit<ImportPorts, 'saveCheckpoint' | 'onBatch'> {
  staging: ImportStagingPort;
  /** Asked at each day boundary: true stops the round there. */
  outOfTime(): boolean;
}

export interface ApplyResult {
  done: boolean;
  applied: number;
  total: number;
  jobsThrough: number | null;
  /** This round's work (zeros when the import was done already). */
  summary: ImportSummary;
}

const NOTHING: ImportSummary = { events: 0, skipped: 0, quarantined: 0, jobDays: 0, jobCommands: 0, jobCommandsByType: {} };

export async function applyStaged(request: ApplyRequest, ports: ApplyPorts): Promise<ApplyResult> {
  const { importId, arrivedAt, batchSize } = request;
  const { staging } = ports;
  const plan = planDays(importId, await staging.listStaged(importId));
  const total = plan.reduce((n, d) => n + d.count, 0);
  const saved = await staging.readCheckpoint(importId);
  if (saved?.done && saved.applied >= total && !saved.pending)
    return { done: true, applied: saved.applied, total, jobsThrough: saved.jobsThrough, summary: NOTHING };

  let checkpoint: ImportCheckpoint = saved
    ? { applied: saved.applied, jobsThrough: saved.jobsThrough, pending: saved.pending }
    : NEW_CHECKPOINT;
  let stopped = false;
  const events = stagedEvents(
    ports.batch.program.timezone,
    plan,
    checkpoint.applied,
    (key) => staging.readChunk(key),
    () => {
      stopped = ports.outOfTime();
      return stopped;
    },
  );
  const save = async (c: ImportCheckpoint, done = false) => {
    checkpoint = c;
    await staging.saveCheckpoint(importId, { ...c, done });
  };
  const summary = await runImport(
    events,
    { sourceId: `import-${importId}`, arrivedAt, batchSize, checkpoint, stoppedEarly: () => stopped },
    { batch: ports.batch, jobs: ports.jobs, saveCheckpoint: (c) => save(c) },
  );
  const done = !stopped;
  if (done) await save({ ...checkpoint, applied: total }, true);
  return { done, applied: done ? total : checkpoint.applied, total, jobsThrough: checkpoint.jobsThrough, summary };
}
