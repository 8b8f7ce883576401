// The history import's AWS item processors run locally (the "local runner" of ImportStateMachine,
// infra/constructs/history-import.ts): a shuffled, partly gzipped history put under incoming/ of
// ImportBucket (s3rver), import-stage invoked once per object as the Distributed Map does, then
// import-apply invoked in rounds until it answers done — each round given too little time, so it
// stops at every day boundary and the next goes on from its checkpoint in S3. Every figure equals
// what `npm run import` of the same files gives.
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { s3Client } from '../../infra/local/engine/aws';
import { loadHandler } from '../../infra/local/engine/lambda';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { addDays, dayString, todayIn } from '../../shared/days/days';
import { Rng, eventsToJsonLines, simulate } from '../../simulator';
import { stateDirFor } from '../support/cli-state';
import { startImport } from '../support/import-cli';

const TZ = 'Asia/Shanghai';
const MEMBERS = 30;
const DAYS = 20;
const token = 'import-aws-token';
const today = todayIn(TZ);
const FROM = dayString(addDays(today, -DAYS));
const TO = dayString(addDays(today, -1));
const lines = [...eventsToJsonLines(simulate({ members: MEMBERS, days: DAYS, seed: 12, start: FROM, timezone: TZ }))];
const BAD = ['{"type":"app_open"', '{"eventId":"x1","type":"teleport","memberId":"m1","occurredAt":"2026-10-01T00:00:00Z"}'];
const rng = new Rng(9);
const mixed = [...lines];
for (let i = mixed.length - 1; i > 0; i--) {
  const j = Math.floor(rng.next() * (i + 1));
  [mixed[i], mixed[j]] = [mixed[j], mixed[i]];
}
const half = Math.floor(mixed.length / 2);
const A = [...mixed.slice(0, half), ...BAD].join('\n') + '\n';
const B = gzipSync(mixed.slice(half).join('\n') + '\n');

const stacks: LocalStack[] = [];
async function stack(name: string): Promise<LocalStack> {
  const s = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `ia${name}${process.pid}-`,
    apiPort: 0,
    token,
    withScheduler: false,
  });
  stacks.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(stacks.map((s) => s.stop()));
});

async function figures(s: LocalStack) {
  const get = async (p: string) => {
    const res = await fetch(`${s.apiUrl}${p}`, { headers: { authorization: `Bearer ${token}` } });
    return res.status === 200 ? res.json() : res.status;
  };
  const members: Record<string, unknown> = {};
  for (let i = 1; i <= MEMBERS; i++) members[i] = await get(`/members/m${String(i).padStart(5, '0')}`);
  return {
    daily: await get(`/metrics/daily?from=${FROM}&to=${TO}`),
    retention: await get(`/metrics/retention?from=${FROM}&to=${TO}`),
    sessions: await get(`/metrics/sessions?from=${FROM}&to=${TO}`),
    program: await get('/metrics/program'),
    members,
  };
}

/** A Lambda context that says time is short: import-apply stops at its next day boundary. */
const shortOfTime = { getRemainingTimeInMillis: () => 1000 } as unknown as Context;

describe('history import in AWS, its item processors run locally', () => {
  it('stages objects, applies the days in rounds from the S3 checkpoint, and gives the figures of npm run import', async () => {
    // Reference: the CLI import of the same two files.
    const reference = await stack('r');
    const dir = mkdtempSync(path.join(tmpdir(), 'mf-import-aws-'));
    writeFileSync(path.join(dir, 'a.jsonl'), A);
    writeFileSync(path.join(dir, 'b.jsonl.gz'), B);
    const cli = await startImport(stateDirFor(reference), [path.join(dir, 'a.jsonl'), path.join(dir, 'b.jsonl.gz')]).done;
    expect(cli.code, cli.out).toBe(0);
    // One stack at a time (the handlers read process.env): the reference's figures first.
    const a = await figures(reference);
    await reference.stop();

    // The state machine's steps, by hand (the handlers read the stack's environment).
    const aws = await stack('a');
    const s3 = s3Client(aws.endpoints);
    const bucket = aws.names.buckets.ImportBucket;
    expect(bucket).toBeTruthy();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'incoming/a.jsonl', Body: A }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'incoming/b.jsonl.gz', Body: B }));
    const clock = { bucket, importId: 'exec-1', arrivedAt: new Date().toISOString() };
    const stage = await loadHandler('functions/import-stage.ts');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'incoming/' }));
    const staged = [];
    for (const o of listed.Contents ?? []) staged.push(await stage({ ...clock, key: o.Key }, shortOfTime));
    expect(staged.map((r: any) => [r.key, r.events, r.quarantined])).toEqual([
      ['incoming/a.jsonl', half, 2],
      ['incoming/b.jsonl.gz', lines.length - half, 0],
    ]);
    // A retried item writes the same chunks (same keys, same bytes).
    await stage({ ...clock, key: 'incoming/b.jsonl.gz' }, shortOfTime);

    const apply = await loadHandler('functions/import-apply.ts');
    let rounds = 0;
    let result: any;
    do {
      result = await apply({ ...clock, batchSize: 100 }, shortOfTime);
      rounds++;
      expect(rounds).toBeLessThan(DAYS + 5);
    } while (!result.done);
    expect(result).toMatchObject({ done: true, applied: lines.length, total: lines.length });
    expect(rounds).toBeGreaterThan(DAYS / 2); // it did stop at day boundaries and resume
    // Invoked again after it finished (a repeated round): nothing more happens.
    expect(await apply({ ...clock }, shortOfTime)).toMatchObject({ done: true, applied: lines.length });
    const checkpoint = JSON.parse(
      await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'staged/exec-1/checkpoint.json' }))).Body!.transformToString(),
    );
    expect(checkpoint.done).toBe(true);
    s3.destroy();

    const b = await figures(aws);
    expect(b).toEqual(a);
    expect(Object.values((a.program as any).byStatus as Record<string, number>).reduce((x, y) => x + y, 0)).toBe(MEMBERS);
  }, 900_000);
});
