// `npm run import` of a history with identities (anonymous browsing, late identifies, guests) gives
// every figure that streaming the same events in time order gives. An identify the import applies
// derives commands for other owners (link, absorb, forwards of the anonymous id's later events):
// they must be applied where a live run applies them, in the history's time order.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { addDays, dayString, todayIn } from '../../shared/days/days';
import { Rng, eventsToJsonLines, simulate, withIdentities } from '../../simulator';
import { stateDirFor } from '../support/cli-state';
import { startImport } from '../support/import-cli';

const TZ = 'Asia/Shanghai';
const MEMBERS = 40;
const DAYS = 30;
const token = 'import-id-token';
const today = todayIn(TZ);
const FROM = dayString(addDays(today, -DAYS));
const TO = dayString(addDays(today, -1));
const events = withIdentities(simulate({ members: MEMBERS, days: DAYS, seed: 23, start: FROM, timezone: TZ }), { seed: 23 });
const lines = [...eventsToJsonLines(events)];
const inOrder = lines
  .map((l, i) => ({ l, i, at: Date.parse(JSON.parse(l).occurredAt) }))
  .sort((a, b) => a.at - b.at || a.i - b.i)
  .map((x) => x.l);

const stacks: LocalStack[] = [];
async function stack(name: string): Promise<LocalStack> {
  const s = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `impid${name}${process.pid}-`,
    apiPort: 0,
    token,
    withScheduler: false,
    mappingOverrides: { maximumBatchingWindowInSeconds: 0 },
  });
  stacks.push(s);
  return s;
}
afterEach(async () => {
  for (const s of stacks.splice(0)) await s.stop();
});

async function get(s: LocalStack, p: string) {
  const res = await fetch(`${s.apiUrl}${p}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, p).toBe(200);
  return res.json();
}

async function figures(s: LocalStack) {
  const members: Record<string, unknown> = {};
  for (let i = 1; i <= MEMBERS; i++) {
    const id = `m${String(i).padStart(5, '0')}`;
    const res = await fetch(`${s.apiUrl}/members/${id}`, { headers: { authorization: `Bearer ${token}` } });
    const view = res.status === 200 ? ((await res.json()) as { identities: string[] }) : null;
    // A member's ids are listed in the order their links were applied: the import applies them in
    // time order, the stream as its shards deliver them. The same set either way.
    members[id] = view ? { ...view, identities: [...view.identities].sort() } : res.status;
  }
  return {
    daily: await get(s, `/metrics/daily?from=${FROM}&to=${TO}`),
    retention: await get(s, `/metrics/retention?from=${FROM}&to=${TO}`),
    sessions: await get(s, `/metrics/sessions?from=${FROM}&to=${TO}`),
    program: await get(s, '/metrics/program'),
    members,
  };
}

describe('npm run import of a history with identities', () => {
  it('gives every figure that streaming the same events in time order gives', async () => {
    expect(events.filter((e) => e.type === 'identify').length).toBeGreaterThan(3);
    const dir = mkdtempSync(path.join(tmpdir(), 'mf-import-id-'));
    const rng = new Rng(9);
    const mixed = [...lines];
    for (let i = mixed.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [mixed[i], mixed[j]] = [mixed[j], mixed[i]];
    }
    writeFileSync(path.join(dir, 'h.jsonl'), mixed.join('\n') + '\n');

    const streamed = await stack('s');
    await streamed.putRecords(inOrder);
    await streamed.drain({ timeoutMs: 300_000 });
    const a = await figures(streamed);
    await streamed.stop();

    const imported = await stack('i');
    const run = startImport(stateDirFor(imported), [path.join(dir, 'h.jsonl'), '--no-jobs', '--batch', '300']);
    const { code, out } = await run.done;
    expect(code, out).toBe(0);
    await imported.drain({ timeoutMs: 300_000 });
    const b = await figures(imported);
    expect(b.program).toEqual(a.program);
    expect(b.daily).toEqual(a.daily);
    expect(b.retention).toEqual(a.retention);
    expect(b.sessions).toEqual(a.sessions);
    expect(b.members).toEqual(a.members);
  }, 900_000);
});
