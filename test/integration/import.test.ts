// `npm run import` against the local stack: a shuffled, partly gzipped history imported through the
// CLI gives every figure that streaming the same events in time order gives; an import killed twice
// and resumed gives the figures of an uninterrupted one (daily jobs caught up in both).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { addDays, dayString, todayIn } from '../../shared/days/days';
import { Rng, eventsToJsonLines, simulate } from '../../simulator';
import { stateDirFor } from '../support/cli-state';
import { appliedSoFar, startImport } from '../support/import-cli';

const TZ = 'Asia/Shanghai';
// DynamoDB Local takes a few hundred writes/s: 50 members over 45 days (~3k events) keeps each
// import under a minute here; the 40k-event figure is a manual run (README).
const MEMBERS = 50;
const DAYS = 45;
const token = 'import-token';
const today = todayIn(TZ);
const start = addDays(today, -DAYS);
const FROM = dayString(start);
const TO = dayString(addDays(today, -1));
const lines = [...eventsToJsonLines(simulate({ members: MEMBERS, days: DAYS, seed: 11, start: FROM, timezone: TZ }))];
const inOrder = lines
  .map((l, i) => ({ l, i, at: Date.parse(JSON.parse(l).occurredAt) }))
  .sort((a, b) => a.at - b.at || a.i - b.i)
  .map((x) => x.l);
const BAD = ['{"type":"app_open"', '{"eventId":"x1","type":"teleport","memberId":"m1","occurredAt":"2026-10-01T00:00:00Z"}'];

function shuffled(): string[] {
  const rng = new Rng(5);
  const out = [...lines];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const stacks: LocalStack[] = [];
async function stack(name: string): Promise<LocalStack> {
  const s = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `imp${name}${process.pid}-`,
    apiPort: 0,
    token,
    withScheduler: false,
    mappingOverrides: { maximumBatchingWindowInSeconds: 0 },
  });
  stacks.push(s);
  return s;
}
// One attached stack per process: each test stops its own.
afterEach(async () => {
  for (const s of stacks.splice(0)) await s.stop();
});

async function get(s: LocalStack, p: string) {
  const res = await fetch(`${s.apiUrl}${p}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, p).toBe(200);
  return res.json();
}

/** Every figure the API answers for the period, and every member's view. */
async function figures(s: LocalStack) {
  const members: Record<string, unknown> = {};
  for (let i = 1; i <= MEMBERS; i++) {
    const id = `m${String(i).padStart(5, '0')}`;
    const res = await fetch(`${s.apiUrl}/members/${id}`, { headers: { authorization: `Bearer ${token}` } });
    members[id] = res.status === 200 ? await res.json() : res.status;
  }
  return {
    daily: await get(s, `/metrics/daily?from=${FROM}&to=${TO}`),
    retention: await get(s, `/metrics/retention?from=${FROM}&to=${TO}`),
    sessions: await get(s, `/metrics/sessions?from=${FROM}&to=${TO}`),
    program: await get(s, '/metrics/program'),
    members,
  };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mf-import-in-'));
  const mixed = shuffled();
  const half = Math.floor(mixed.length / 2);
  writeFileSync(path.join(dir, 'a.jsonl'), [...mixed.slice(0, half), ...BAD].join('\n') + '\n');
  writeFileSync(path.join(dir, 'b.jsonl.gz'), gzipSync(mixed.slice(half).join('\n') + '\n'));
});
const files = () => [path.join(dir, 'a.jsonl'), path.join(dir, 'b.jsonl.gz')];

describe('npm run import', () => {
  it('gives every figure that streaming the same events in time order gives', async () => {
    const streamed = await stack('s');
    await streamed.putRecords(inOrder);
    await streamed.drain({ timeoutMs: 300_000 });

    // One stack at a time (the handlers read process.env): the streamed figures first.
    const a = await figures(streamed);
    await streamed.stop();
    const imported = await stack('i');
    const run = startImport(stateDirFor(imported), [...files(), '--no-jobs', '--batch', '400']);
    const { code, out } = await run.done;
    expect(code, out).toBe(0);
    expect(out).toContain(`import done: ${lines.length} events applied, ${MEMBERS} members, 2 quarantined`);

    const quarantine = (await get(imported, '/quarantine?limit=10')) as { detail: string }[];
    expect(
      quarantine
        .map((q) =>
          q.detail
            .replace(/^.*a\.jsonl:/, 'a.jsonl:')
            .split(':')
            .slice(0, 2)
            .join(':'),
        )
        .sort(),
    ).toEqual([`a.jsonl:${Math.floor(lines.length / 2) + 1}`, `a.jsonl:${Math.floor(lines.length / 2) + 2}`].sort());
    const b = await figures(imported);
    expect(b.program).toEqual(a.program);
    expect(b.daily).toEqual(a.daily);
    expect(b.retention).toEqual(a.retention);
    expect(b.sessions).toEqual(a.sessions);
    expect(b.members).toEqual(a.members);
    expect((a.daily as any).days.some((d: any) => d.dau > 0)).toBe(true);
  }, 600_000);

  it('killed twice and resumed, gives the figures of an uninterrupted import (daily jobs caught up)', async () => {
    const reference = await stack('r');
    const whole = await startImport(stateDirFor(reference), [...files(), '--batch', '200']).done;
    expect(whole.code, whole.out).toBe(0);
    expect(whole.out).toMatch(/job day\(s\) with [1-9]\d* command/);
    const a = await figures(reference);
    await reference.stop();

    const resumed = await stack('k');
    const stateDir = stateDirFor(resumed);
    let killedAt = 0;
    for (const args of [[], ['--resume']]) {
      const run = startImport(stateDir, [...files(), '--batch', '200', ...args]);
      // Kill (no clean shutdown) once a few more batches are committed.
      const target = killedAt + 600;
      while (appliedSoFar(stateDir) < target && run.child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      run.child.kill('SIGKILL');
      await run.done;
      killedAt = appliedSoFar(stateDir);
      expect(killedAt).toBeGreaterThanOrEqual(target);
      expect(killedAt).toBeLessThan(lines.length);
    }
    const refused = await startImport(stateDir, [...files(), '--batch', '200']).done;
    expect(refused.code).not.toBe(0);
    expect(refused.out).toContain('add --resume');
    const last = await startImport(stateDir, [...files(), '--batch', '200', '--resume']).done;
    expect(last.code, last.out).toBe(0);
    expect(last.out).toContain(`(${killedAt} already applied before the resume)`);

    const b = await figures(resumed);
    expect(b).toEqual(a);
    expect(Object.values((a.program as any).byStatus as Record<string, number>).reduce((x, y) => x + y, 0)).toBe(MEMBERS);
  }, 900_000);
});
