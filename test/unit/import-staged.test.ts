// The history import's AWS use cases over in-memory ports (shared/import/stage-object.ts,
// apply-staged.ts): objects staged per day with their bad lines quarantined as `key:line`, a retried
// object staging the same chunks, and the staged days applied in rounds that stop at every day
// boundary and go on from the checkpoint — ending exactly where a single round ends; a round after
// the import is done changes nothing. (The S3 adapter and gzip: test/integration/import-aws.test.ts.)
import { describe, expect, it } from 'vitest';
import { applyStaged, type ApplyResult } from '../../shared/import/apply-staged';
import type { ImportStagingPort, StoredCheckpoint } from '../../shared/import/ports';
import { stageObject } from '../../shared/import/stage-object';
import { checkpointKey, chunkKey, stagingPrefix, type StagedLine } from '../../shared/import/staging';
import { hashHex } from '../../shared/util/hash';
import { eventsToJsonLines, simulate } from '../../simulator';
import { MemoryPipeline } from '../support/memory-pipeline';
import { MemoryJobProgress, MemoryReviewIndex } from '../support/memory-ports';

class MemoryImportStaging implements ImportStagingPort {
  readonly inputs = new Map<string, string>();
  readonly objects = new Map<string, string>();
  async readInput(key: string) {
    return this.inputs.get(key)!;
  }
  async writeChunk(importId: string, day: number, source: string, lines: readonly StagedLine[]) {
    this.objects.set(chunkKey(importId, day, hashHex(source), lines.length), JSON.stringify(lines));
  }
  async listStaged(importId: string) {
    return [...this.objects.keys()].filter((k) => k.startsWith(stagingPrefix(importId)));
  }
  async readChunk(key: string) {
    return JSON.parse(this.objects.get(key)!) as StagedLine[];
  }
  async readCheckpoint(importId: string) {
    const text = this.objects.get(checkpointKey(importId));
    return text === undefined ? undefined : (JSON.parse(text) as StoredCheckpoint);
  }
  async saveCheckpoint(importId: string, checkpoint: StoredCheckpoint) {
    this.objects.set(checkpointKey(importId), JSON.stringify(checkpoint));
  }
}

const DAYS = 8;
const lines = [...eventsToJsonLines(simulate({ members: 12, days: DAYS, seed: 5, start: '2027-05-20', timezone: 'Asia/Shanghai' }))];
const half = Math.floor(lines.length / 2);
const BAD = ['{"type":"app_open"', '{"eventId":"x1","type":"teleport","memberId":"m1","occurredAt":"2027-05-21T00:00:00Z"}'];
// Newest first in one object, shuffled by halves across two: staging puts them back in time order.
const INPUTS = {
  'incoming/a.jsonl': [...lines.slice(0, half).reverse(), ...BAD].join('\n'),
  'incoming/b.jsonl': lines.slice(half).join('\n'),
};
const importId = 'exec-1';

async function staged() {
  const p = new MemoryPipeline();
  const staging = new MemoryImportStaging();
  for (const [key, text] of Object.entries(INPUTS)) staging.inputs.set(key, text);
  const results = [];
  for (const key of Object.keys(INPUTS))
    results.push(
      await stageObject({ key, importId, arrivedAt: p.now(), timezone: p.program.timezone }, { staging, quarantine: p.quarantine }),
    );
  const progress = new MemoryJobProgress();
  const apply = (outOfTime: () => boolean) =>
    applyStaged(
      { importId, arrivedAt: p.now(), batchSize: 50 },
      {
        staging,
        batch: p.ports(),
        jobs: {
          members: p.members,
          hints: { hintIds: async (key) => p.hints.ids(key) },
          progress,
          reviewIndex: new MemoryReviewIndex(p.members),
          coinDue: p.hints.coinDue,
        },
        outOfTime,
      },
    );
  const state = () =>
    structuredClone({ members: p.members.items, metrics: p.metrics.items, actions: p.actions.byId, progress: progress.items });
  return { p, staging, results, apply, state };
}

describe('history import in AWS: the stage and apply use cases', () => {
  it('stages each object per day, quarantines bad lines as key:line, and a retried object stages the same chunks', async () => {
    const { p, staging, results } = await staged();
    expect(results.map((r) => [r.key, r.events, r.quarantined])).toEqual([
      ['incoming/a.jsonl', half, 2],
      ['incoming/b.jsonl', lines.length - half, 0],
    ]);
    expect(results[0].days).toBeGreaterThanOrEqual(DAYS / 2);
    const bad = [...p.quarantine.items.values()];
    expect(bad.map((q) => [q.shardId, q.seq, q.detail.split(': ')[0]])).toEqual([
      [`import-${importId}`, `incoming/a.jsonl:${half + 1}`, `incoming/a.jsonl:${half + 1}`],
      [`import-${importId}`, `incoming/a.jsonl:${half + 2}`, `incoming/a.jsonl:${half + 2}`],
    ]);
    const before = new Map(staging.objects);
    await stageObject(
      { key: 'incoming/b.jsonl', importId, arrivedAt: p.now(), timezone: p.program.timezone },
      { staging, quarantine: p.quarantine },
    );
    expect(staging.objects).toEqual(before);
  });

  it('applied in rounds stopped at every day boundary, it ends where one round ends; a round after done changes nothing', async () => {
    const once = await staged();
    const single = await once.apply(() => false);
    expect(single).toMatchObject({ done: true, applied: lines.length, total: lines.length });
    expect(single.summary).toMatchObject({ events: lines.length, skipped: 0 });
    expect(single.summary.jobDays).toBe(DAYS); // each day after the first, and the morning after the last

    const rounds = await staged();
    const results: ApplyResult[] = [];
    do results.push(await rounds.apply(() => true));
    while (!results.at(-1)!.done && results.length < DAYS + 5);
    expect(results.at(-1)).toMatchObject({ done: true, applied: lines.length, total: lines.length });
    expect(results.length).toBeGreaterThan(DAYS / 2); // it stopped at day boundaries and went on
    // Every event applied once over the rounds, none skipped twice over.
    expect(results.reduce((n, r) => n + r.summary.events, 0)).toBe(lines.length);
    expect(rounds.state()).toEqual(once.state());
    expect(rounds.p.member('m00001')).toBeDefined();

    const after = once.state();
    expect(await once.apply(() => false)).toMatchObject({ done: true, applied: lines.length, summary: { events: 0, jobDays: 0 } });
    expect(once.state()).toEqual(after);
  });
});
