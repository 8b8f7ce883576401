// History import in AWS, step 1 (the item processor of ImportStateMachine's Distributed Map, one
// invocation per input object under `incoming/`): wires ImportBucket and the quarantine to the
// staging use case (shared/import/stage-object.ts).
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { stageObject, type StageResult } from '../shared/import/stage-object';
import { loadProgram } from '../shared/programme/load';
import { s3Client } from './adapters/clients';
import { S3ImportStaging } from './adapters/import-staging';
import { createLogger } from './adapters/logger';
import { stores } from './adapters/stores';

const logger = createLogger();

export const StageEvent = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  importId: z.string().regex(/^[\w.-]{1,80}$/, 'letters, digits, . _ - (at most 80)'),
  /** The import's clock (the execution's start): later lines are future events, as on the stream. */
  arrivedAt: z.string().datetime({ offset: true }),
});

export const handler = async (event: unknown, context?: Context): Promise<StageResult> => {
  if (context) logger.addContext(context);
  const { bucket, key, importId, arrivedAt } = StageEvent.parse(event);
  const result = await stageObject(
    { key, importId, arrivedAt: Date.parse(arrivedAt), timezone: loadProgram().timezone },
    { staging: new S3ImportStaging(s3Client(), bucket), quarantine: stores().quarantine },
  );
  logger.info('import object staged', { ...result });
  return result;
};
