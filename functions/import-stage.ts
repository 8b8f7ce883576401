// History import in AWS, step 1 (the item processor of ImportStateMachine's Distributed Map, one
// invocation per input object under `incoming/`): reads the object (gunzipped when it ends in .gz),
// quarantines its bad lines with `key:line` as `npm run import` does, and writes its valid lines as
// one chunk per programme day under `staged/<importId>/` (shared/import/staging.ts). Idempotent: a
// retried item writes the same chunks under the same keys.
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { chunkKey, stageLines } from '../shared/import/staging';
import { loadProgram } from '../shared/programme/load';
import { s3Client } from './adapters/clients';
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

export interface StageResult {
  key: string;
  events: number;
  quarantined: number;
  days: number;
}

export const handler = async (event: unknown, context?: Context): Promise<StageResult> => {
  if (context) logger.addContext(context);
  const { bucket, key, importId, arrivedAt } = StageEvent.parse(event);
  const program = loadProgram();
  const nowMs = Date.parse(arrivedAt);
  const s3 = s3Client();
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = Buffer.from(await object.Body!.transformToByteArray());
  const text = (key.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  const staged = stageLines(key, text.split(/\r?\n/), { nowMs, timezone: program.timezone });

  const quarantine = stores().quarantine;
  const receivedAt = new Date(nowMs).toISOString();
  for (let i = 0; i < staged.bad.length; i += 100) {
    await quarantine.putAll(
      staged.bad.slice(i, i + 100).map((b) => ({
        receivedAt,
        reason: b.reason,
        detail: `${key}:${b.n}: ${b.detail}`,
        raw: b.raw,
        eventId: b.eventId,
        memberId: b.memberId,
        shardId: `import-${importId}`,
        seq: `${key}:${b.n}`,
      })),
    );
  }
  const chunkId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  for (const [day, lines] of staged.days) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: chunkKey(importId, day, chunkId, lines.length),
        Body: lines.map((l) => JSON.stringify(l)).join('\n'),
        ContentType: 'application/x-ndjson',
      }),
    );
  }
  logger.info('import object staged', { key, events: staged.events, quarantined: staged.bad.length, days: staged.days.size });
  return { key, events: staged.events, quarantined: staged.bad.length, days: staged.days.size };
};
