// The import's staging area in ImportBucket (the ImportStagingPort): input objects under
// `incoming/`, per-day chunks and the checkpoint under `staged/<importId>/` (the key layout:
// shared/import/staging.ts). A chunk is named by a digest of its input object's key, so a retried
// item overwrites its own chunks and never adds a second copy.
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ImportStagingPort, StoredCheckpoint } from '../../shared/import/ports';
import { checkpointKey, chunkKey, stagingPrefix, type StagedLine } from '../../shared/import/staging';

export class S3ImportStaging implements ImportStagingPort {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async readInput(key: string): Promise<string> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    return (key.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  }

  async writeChunk(importId: string, day: number, source: string, lines: readonly StagedLine[]): Promise<void> {
    const chunkId = createHash('sha256').update(source).digest('hex').slice(0, 16);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: chunkKey(importId, day, chunkId, lines.length),
        Body: lines.map((l) => JSON.stringify(l)).join('\n'),
        ContentType: 'application/x-ndjson',
      }),
    );
  }

  async listStaged(importId: string): Promise<string[]> {
    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const res = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: stagingPrefix(importId), ContinuationToken }));
      for (const o of res.Contents ?? []) keys.push(o.Key!);
      ContinuationToken = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return keys;
  }

  async readChunk(key: string): Promise<StagedLine[]> {
    const text = await this.readText(key);
    if (text === undefined) throw new Error(`staged chunk ${key} is missing`);
    return text
      .split('\n')
      .filter((l) => l)
      .map((l) => JSON.parse(l) as StagedLine);
  }

  async readCheckpoint(importId: string): Promise<StoredCheckpoint | undefined> {
    const text = await this.readText(checkpointKey(importId));
    return text === undefined ? undefined : ({ done: false, ...(JSON.parse(text) as Partial<StoredCheckpoint>) } as StoredCheckpoint);
  }

  async saveCheckpoint(importId: string, checkpoint: StoredCheckpoint): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: checkpointKey(importId), Body: JSON.stringify(checkpoint) }));
  }

  private async readText(key: string): Promise<string | undefined> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await res.Body!.transformToString();
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }
}
