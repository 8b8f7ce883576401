// History import in AWS, step 2 (ImportStateMachine's apply loop): wires ImportBucket, the stores
// and the jobs' ports to the apply use case (shared/import/apply-staged.ts). A round stops at the
// first day boundary once less than `reserveMs` is left of the invocation.
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { applyStaged } from '../shared/import/apply-staged';
import { loadProgram } from '../shared/programme/load';
import { s3Client } from './adapters/clients';
import { commandKey } from './adapters/command-key';
import { S3ImportStaging } from './adapters/import-staging';
import { createLogger } from './adapters/logger';
import { jobPorts, stores } from './adapters/stores';

const logger = createLogger();

export const ApplyEvent = z.object({
  bucket: z.string().min(1),
  importId: z.string().regex(/^[\w.-]{1,80}$/),
  arrivedAt: z.string().datetime({ offset: true }),
  batchSize: z.number().int().min(1).max(10_000).default(1000),
  /** Stop at the next day boundary once less than this is left of the invocation (ms). */
  reserveMs: z.number().int().min(0).default(180_000),
});

export const handler = async (event: unknown, context?: Context) => {
  if (context) logger.addContext(context);
  const { bucket, importId, arrivedAt, batchSize, reserveMs } = ApplyEvent.parse(event);
  const { summary, ...result } = await applyStaged(
    { importId, arrivedAt: Date.parse(arrivedAt), batchSize },
    {
      staging: new S3ImportStaging(s3Client(), bucket),
      // The command key signs the job catch-up's commands and the identity links and forwards it puts.
      batch: { ...stores(), program: loadProgram(), commands: await commandKey() },
      jobs: jobPorts(),
      outOfTime: () => !!context && context.getRemainingTimeInMillis() < reserveMs,
    },
  );
  logger.info('import applied', { importId, ...summary, done: result.done });
  return result;
};
