// The import use case: a history, already in time order, applied through the consumer's own batch
// use case (processBatch) from one synthetic source shard, with the daily jobs caught up between
// days — so the end state is what a live run reaches.
//
// Exactly once across interruptions: every event gets a sequence number from its place in the
// sorted order (importSeq), so members' high-water marks and counter items' marks skip what an
// earlier run applied; the checkpoint (saved after each committed batch) only saves the work.
// The jobs of a day are computed once and saved in the checkpoint before they are applied, so a
// resumed import applies exactly the same command records at exactly the same positions.
//
// Speed (DynamoDB requests are the cost): a day's job commands go into the same batch as the
// day's first events (they sort before them), so a member with both is written once, not twice;
// and the jobs' hint lists are cached (hint-cache.ts) instead of read again for every day.
import { processBatch, type BatchPorts, type BatchResult, type StreamRecord } from '../batch/process-batch';
import { dayOf, MS_PER_DAY, todayIn, zoneOffsetMs } from '../days/days';
import type { JobCommand } from '../events/events';
import type { JobPorts } from '../jobs/ports';
import { runCoins } from '../jobs/run-coins';
import { runRfm } from '../jobs/run-rfm';
import { runTierReview } from '../jobs/run-tier-review';
import { runWinback } from '../jobs/run-winback';
import { hintCache } from './hint-cache';
import { importSeq } from './sequence';
import { byCodeUnits } from '../util/compare';

/** One event line with its occurredAt (epoch ms); the input is sorted by `at`. */
export interface ImportEvent {
  at: number;
  line: string;
}

export interface ImportCheckpoint {
  /** Events (1-based place in the sorted order) up to which every batch is committed. */
  applied: number;
  /** The last day whose daily jobs are applied; null before the first. */
  jobsThrough: number | null;
  /** A day's job commands computed but not yet committed (applied again, identically, on resume). */
  pending: { day: number; after: number; lines: string[]; types?: Record<string, number> } | null;
  /**
   * Identity commands a committed batch put for other owners (links, absorbs, forwarded events),
   * not yet applied: applied (again, identically, on resume) before the next events.
   */
  identity?: { after: number; next: number; lines: string[] } | null;
  // (lines empty: where the last applied ones ended, so the next ones at the same place follow them)
}

export const NEW_CHECKPOINT: ImportCheckpoint = { applied: 0, jobsThrough: null, pending: null };

export interface ImportPorts {
  batch: BatchPorts;
  /** The jobs' read ports; null imports events only (no job catch-up). */
  jobs: Pick<JobPorts, 'members' | 'hints' | 'progress' | 'reviewIndex' | 'coinDue'> | null;
  saveCheckpoint(checkpoint: ImportCheckpoint): Promise<void>;
  onBatch?(progress: { applied: number; result: BatchResult; kind: 'events' | 'jobs' }): void;
}

export interface ImportOptions {
  sourceId: string;
  /** The records' arrival time (the import's clock, the same on every resume). */
  arrivedAt: number;
  batchSize: number;
  checkpoint?: ImportCheckpoint;
  /**
   * Asked when the events end: true leaves the last day's job commands pending in the checkpoint
   * (a round stopped at a day boundary; the next round applies them with that day's first events,
   * as an uninterrupted import does).
   */
  stoppedEarly?: () => boolean;
}

export interface ImportSummary {
  events: number;
  skipped: number;
  quarantined: number;
  jobDays: number;
  jobCommands: number;
  /** The committed job commands by type (tier_review, status_check, rfm_update, coins_day). */
  jobCommandsByType: Record<string, number>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAX_RETRIES = 20;
/** Rounds of identity commands one batch may cause (a link's absorb, an absorb's forwards…). */
const MAX_IDENTITY_ROUNDS = 16;

/** Applies records as Lambda would: a failed member write is retried from the reported record. */
async function applyBatch(records: StreamRecord[], ports: BatchPorts): Promise<BatchResult> {
  let pending = records;
  let quarantined = 0;
  for (let attempt = 0; ; attempt++) {
    const result = await processBatch(pending, ports);
    quarantined += result.quarantined;
    if (!result.failedSeqs.length) return { ...result, events: records.length, quarantined };
    if (attempt >= MAX_RETRIES) throw new Error(`a batch kept failing after ${MAX_RETRIES} retries`);
    const from = pending.findIndex((r) => r.seq === result.failedSeqs[0]);
    pending = pending.slice(Math.max(0, from));
  }
}

/** Local midnight of a programme day: the jobs' commands carry it as occurredAt. */
function startOfDay(day: number, tz: string): number {
  const guess = day * MS_PER_DAY;
  return guess - zoneOffsetMs(tz, guess);
}

export async function runImport(events: AsyncIterable<ImportEvent>, opts: ImportOptions, ports: ImportPorts): Promise<ImportSummary> {
  const program = ports.batch.program;
  const tz = program.timezone;
  const today = todayIn(tz, opts.arrivedAt);
  const checkpoint: ImportCheckpoint = { ...(opts.checkpoint ?? NEW_CHECKPOINT) };
  const summary: ImportSummary = { events: 0, skipped: 0, quarantined: 0, jobDays: 0, jobCommands: 0, jobCommandsByType: {} };
  const hints = ports.jobs ? hintCache(ports.batch.hints, ports.jobs.hints) : null;
  // What a batch puts for other owners (identity commands) is applied by the import itself, right
  // after that batch, where a live run's consumer applies it: before the history's later events.
  // Through the events stream it met them in arrival order instead, behind the import.
  const outgoing: string[] = [];
  const batchPorts: BatchPorts = {
    ...ports.batch,
    ...(hints ? { hints: hints.writer } : {}),
    forward: { put: async (records) => void outgoing.push(...records.map((r) => decoder.decode(r.data))) },
  };
  const identityShard = `${opts.sourceId}-identity`;
  const record = (seq: string, line: string): StreamRecord => ({
    shardId: opts.sourceId,
    seq,
    data: encoder.encode(line),
    arrivedAt: opts.arrivedAt,
  });
  const jobRecords = (pending: NonNullable<ImportCheckpoint['pending']>) =>
    pending.lines.map((line, i) => record(importSeq(pending.after, i + 1), line));
  /** The pending job commands are in a committed batch: the checkpoint says so. */
  const jobsCommitted = () => {
    const pending = checkpoint.pending;
    if (!pending) return;
    Object.assign(checkpoint, { jobsThrough: pending.day, pending: null });
    summary.jobDays++;
    summary.jobCommands += pending.lines.length;
    for (const [type, n] of Object.entries(pending.types ?? {}))
      summary.jobCommandsByType[type] = (summary.jobCommandsByType[type] ?? 0) + n;
  };

  /**
   * The identity commands of the batch just committed, in rounds (what applying them puts comes
   * next), each saved in the checkpoint before it is applied; positions on the import's identity
   * shard grow with the events' (importSeq(after, n)), so a resume skips what it applied.
   */
  const applyIdentity = async (after: number) => {
    if (!checkpoint.identity?.lines.length && !outgoing.length) return;
    // Positions go on after the last ones used at the same place (a batch's, then its day's jobs').
    const last = checkpoint.identity;
    let round = last?.lines.length ? last : { after, next: last?.after === after ? last.next : 1, lines: [] as string[] };
    for (let rounds = 0; ; rounds++) {
      if (outgoing.length) round = { after: round.after, next: round.next, lines: [...round.lines, ...outgoing.splice(0)] };
      if (!round.lines.length) break;
      if (rounds >= MAX_IDENTITY_ROUNDS) throw new Error(`identity commands still coming after ${MAX_IDENTITY_ROUNDS} rounds`);
      checkpoint.identity = round;
      await ports.saveCheckpoint({ ...checkpoint });
      const at = round;
      const records = at.lines.map((line, i) => ({ ...record(importSeq(at.after, at.next + i), line), shardId: identityShard }));
      for (let i = 0; i < records.length; i += opts.batchSize) {
        const result = await applyBatch(records.slice(i, i + opts.batchSize), batchPorts);
        summary.quarantined += result.quarantined;
      }
      round = { after: at.after, next: at.next + at.lines.length, lines: [] };
    }
    checkpoint.identity = round;
  };

  /** A day's commands on their own (no events of that day follow, or the import ends). */
  const applyPendingJobs = async () => {
    const pending = checkpoint.pending;
    if (!pending) return;
    const records = jobRecords(pending);
    for (let i = 0; i < records.length; i += opts.batchSize) {
      const result = await applyBatch(records.slice(i, i + opts.batchSize), batchPorts);
      summary.quarantined += result.quarantined;
      ports.onBatch?.({ applied: checkpoint.applied, result, kind: 'jobs' });
    }
    jobsCommitted();
    await applyIdentity(checkpoint.applied);
    await ports.saveCheckpoint({ ...checkpoint });
  };

  // The jobs as a day's scheduled run sees them: after the previous days' events, before its own.
  const runJobs = async (day: number, after: number) => {
    if (!ports.jobs || !hints || day > today || (checkpoint.jobsThrough !== null && day <= checkpoint.jobsThrough)) return;
    if (checkpoint.pending && checkpoint.pending.day >= day) return; // computed before a resume: applied as saved
    await applyPendingJobs(); // an earlier day's commands (a day without events): the jobs read their effect
    const commands: JobCommand[][] = [];
    const jobPorts = {
      ...ports.jobs,
      hints: hints.reader,
      commands: {
        put: async (c: readonly JobCommand[]) => void commands.push([...c].sort((a, b) => byCodeUnits(a.memberId, b.memberId))),
      },
      now: () => startOfDay(day, tz),
    };
    await runCoins(program, day, jobPorts);
    await runTierReview(program, day, jobPorts);
    await runWinback(program, day, jobPorts);
    await runRfm(program, day, jobPorts);
    // Signed like the scheduled jobs' commands: the batch code applies no other.
    const signer = ports.batch.commands;
    const types: Record<string, number> = {};
    for (const c of commands.flat()) types[c.type] = (types[c.type] ?? 0) + 1;
    const pending = { day, after, lines: commands.flat().map((c) => JSON.stringify(signer ? signer.sign(c) : c)), types };
    Object.assign(checkpoint, { pending });
    await ports.saveCheckpoint({ ...checkpoint });
  };

  let batch: StreamRecord[] = [];
  let index = 0;
  const flush = async () => {
    if (!batch.length) return;
    // The pending commands sort before these events (importSeq(after, n) < importSeq(after + 1)).
    const withJobs = checkpoint.pending ? [...jobRecords(checkpoint.pending), ...batch] : batch;
    const result = await applyBatch(withJobs, batchPorts);
    summary.events += batch.length;
    summary.quarantined += result.quarantined;
    checkpoint.applied = index;
    jobsCommitted();
    batch = [];
    // Saved with the batch's progress, then applied; saved again without them.
    await applyIdentity(index);
    await ports.saveCheckpoint({ ...checkpoint });
    ports.onBatch?.({ applied: index, result, kind: 'events' });
  };

  await applyIdentity(checkpoint.applied); // left by an interrupted run
  let previousDay: number | null = null;
  for await (const event of events) {
    const day = dayOf(event.at, tz);
    if (previousDay !== null && day > previousDay) {
      await flush();
      for (let d = previousDay + 1; d <= day; d++) await runJobs(d, index);
    }
    previousDay = Math.max(previousDay ?? day, day);
    index++;
    if (index <= checkpoint.applied) {
      summary.skipped++;
      continue;
    }
    batch.push(record(importSeq(index), event.line));
    if (batch.length >= opts.batchSize) await flush();
  }
  await flush();
  // The next morning's run after the last imported day (if that day has come).
  if (previousDay !== null) await runJobs(previousDay + 1, index);
  if (!opts.stoppedEarly?.()) await applyPendingJobs();
  return summary;
}
