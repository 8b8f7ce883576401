// History import in AWS, step 2 (ImportStateMachine's apply loop): applies the staged days in time
// order through the import use case (shared/import/run-import.ts — the consumer's batch code, the
// daily jobs caught up between days), the single writer of the import's synthetic source shard.
// The checkpoint is saved to S3 after each committed batch; an invocation stops at the first day
// boundary after its time budget and answers `done: false`, and the state machine invokes it again
// (a retried or repeated invocation goes on from the checkpoint, counting nothing twice).
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { NEW_CHECKPOINT, runImport, type ImportCheckpoint } from '../shared/import/run-import';
import { checkpointKey, planDays, stagedEvents, stagingPrefix, type StagedLine } from '../shared/import/staging';
import { loadProgram } from '../shared/programme/load';
import { s3Client } from './adapters/clients';
import { createLogger } from './adapters/logger';
import { jobPorts, stores } from './adapters/stores';
import { commandKey } from './adapters/command-key';

const logger = createLogger();

export const ApplyEvent = z.object({
  bucket: z.string().min(1),
  importId: z.string().regex(/^[\w.-]{1,80}$/),
  arrivedAt: z.string().datetime({ offset: true }),
  batchSize: z.number().int().min(1).max(10_000).default(1000),
  /** Stop at the next day boundary once less than this is left of the invocation (ms). */
  reserveMs: z.number().int().min(0).default(180_000),
});

export interface ApplyResult {
  done: boolean;
  applied: number;
  total: number;
  jobsThrough: number | null;
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let ContinuationToken: string | undefined;
  do {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }));
    for (const o of res.Contents ?? []) keys.push(o.Key!);
    ContinuationToken = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return keys;
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await res.Body!.transformToString();
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

export const handler = async (event: unknown, context?: Context): Promise<ApplyResult> => {
  if (context) logger.addContext(context);
  const { bucket, importId, arrivedAt, batchSize, reserveMs } = ApplyEvent.parse(event);
  const program = loadProgram();
  const s3 = s3Client();
  const plan = planDays(importId, await listKeys(s3, bucket, stagingPrefix(importId)));
  const total = plan.reduce((n, d) => n + d.count, 0);
  const saved = await readText(s3, bucket, checkpointKey(importId));
  let checkpoint: ImportCheckpoint = saved ? JSON.parse(saved) : NEW_CHECKPOINT;
  if (checkpoint.applied >= total && saved && !checkpoint.pending && JSON.parse(saved).done)
    return { done: true, applied: checkpoint.applied, total, jobsThrough: checkpoint.jobsThrough };

  let stopped = false;
  const readChunk = async (key: string): Promise<StagedLine[]> =>
    (await readText(s3, bucket, key))!
      .split('\n')
      .filter((l) => l)
      .map((l) => JSON.parse(l) as StagedLine);
  const events = stagedEvents(program.timezone, plan, checkpoint.applied, readChunk, () => {
    stopped = !!context && context.getRemainingTimeInMillis() < reserveMs;
    return stopped;
  });
  const save = async (c: ImportCheckpoint, done = false) => {
    checkpoint = c;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: checkpointKey(importId), Body: JSON.stringify({ ...c, done }) }));
  };
  const summary = await runImport(
    events,
    { sourceId: `import-${importId}`, arrivedAt: Date.parse(arrivedAt), batchSize, checkpoint },
    // The command key signs the job catch-up's commands and the identity links and forwards it puts.
    { batch: { ...stores(), program, commands: await commandKey() }, jobs: jobPorts(), saveCheckpoint: (c) => save(c) },
  );
  const done = !stopped;
  if (done) await save({ ...checkpoint, applied: total }, true);
  logger.info('import applied', { importId, events: summary.events, quarantined: summary.quarantined, jobDays: summary.jobDays, done });
  return { done, applied: done ? total : checkpoint.applied, total, jobsThrough: checkpoint.jobsThrough };
};
