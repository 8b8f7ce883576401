// Segments and exports on the local stack: 10,000 seeded members, cursor pages over the HTTP API,
// asynchronous exports through the local Lambda Invoke endpoint into s3rver, downloads with the
// pre-signed URL, the audit trail, idempotent re-runs and the validation errors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { BatchWriteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { documentClient } from '../../functions/adapters/clients';
import { encodeCounters } from '../../functions/adapters/counter-codec';
import { exportsStore } from '../../functions/adapters/exports-table';
import type { ExportRecord } from '../../shared/exports/export-record';
import { toMemberItem } from '../../functions/adapters/member-item';
import { chunks } from '../../functions/adapters/retry';
import { stores } from '../../functions/adapters/stores';
import { LOCAL_CREDENTIALS, LOCAL_REGION, sleep } from '../../infra/local/engine/aws';
import { TOKEN_NAME } from '../../infra/local/engine/http-server';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { dayNumber, todayIn } from '../../shared/days/days';
import { EXPORT_COLUMNS } from '../../shared/exports/export-format';
import { newMember, type MemberState } from '../../shared/member/state';
import { memberView } from '../../shared/member/view';
import { loadProgram } from '../../shared/programme/load';
import { RFM_CLASSES, type Program } from '../../shared/programme/vocabulary';
import { allSegments } from '../../shared/segments/segments';

const token = 'exports-test-token';
const MEMBERS = 10_000;
const ALL = 'all-members'; // custom segment of this test's programme: every member
const SMALL = 'tier-platinum'; // a quarter of them
const memberId = (i: number) => `ex-${String(i).padStart(5, '0')}`;

const dir = mkdtempSync(path.join(os.tmpdir(), 'memberflow-exports-'));
const programPath = path.join(dir, 'programme.json');
{
  const base = JSON.parse(readFileSync(new URL('../../programme/default.json', import.meta.url), 'utf8'));
  base.segments.push({ id: ALL, name: 'Every member', rule: { field: 'lifetimePoints', op: 'gte', value: 0 } });
  writeFileSync(programPath, JSON.stringify(base));
}

let stack: LocalStack;
let program: Program;
let today: number;
const auth = { authorization: `Bearer ${token}` };

async function api(method: string, p: string, body?: string) {
  const res = await fetch(`${stack.apiUrl}${p}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body,
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function parallel<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** Varied members: tiers round-robin, a fifth never active, a third with an RFM class. */
function seededMember(i: number): MemberState {
  const state = newMember(memberId(i), today - 400 + (i % 365));
  state.acquisitionChannel = i % 2 ? 'sem' : 'weibo';
  state.tier.tier = i % 4;
  state.tier.tierSince = state.joinedOn;
  const points = [0, 1500, 6000, 20000][i % 4] + (i % 97);
  state.history = [{ day: today - (i % 300), points }];
  state.lifetimePoints = points + (i % 13) * 100;
  if (i % 5 !== 0) {
    const last = today - (i % 120);
    state.activity = { lastActiveOn: last, recent: [last - 3, last], activeDays: 2 + (i % 7) };
  }
  // The segments the consumer would have given them: the near-universal ones have no membership
  // items (shared/segments/segments.ts), only the member's own list.
  state.segments = [...(state.tier.tier === 0 ? ['tier-member'] : []), ...(i % 5 !== 0 ? ['status-active'] : [])];
  if (i % 3 === 0) {
    state.purchases = [{ day: today - (i % 300), orders: 1 + (i % 4), cents: 10_000 + i }];
    state.rfm = {
      recencyDays: i % 300,
      frequency: 1 + (i % 4),
      monetaryCents: 10_000 + i,
      r: 1 + (i % 5),
      f: 1 + (i % 3),
      m: 1 + (i % 5),
      segment: RFM_CLASSES[i % RFM_CLASSES.length],
      asOf: today,
    };
  }
  return state;
}

async function seed(): Promise<void> {
  const client = documentClient();
  const members = Array.from({ length: MEMBERS }, (_, i) => seededMember(i));
  const table = stack.names.tables.MembersTable;
  await parallel(chunks(members, 25), 16, async (batch) => {
    let pending = batch.map((m) => ({ PutRequest: { Item: toMemberItem(m) } }));
    while (pending.length) {
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  });
  const changes = members.map((m) => ({
    memberId: m.memberId,
    entered: [...m.segments, ...(m.tier.tier === 3 ? [ALL, SMALL] : [ALL])],
    exited: [],
  }));
  await parallel(chunks(changes, 100), 16, (batch) => stores().segments.apply(batch));
  // The consumer's segment size counters (`seg|<id>` in the `totals` item, one item per shard).
  await client.send(
    new PutCommand({
      TableName: stack.names.tables.MetricsTable,
      Item: { pk: 'totals', sk: 'shardId-000000000000', hw: '0', z: encodeCounters({ [`seg|${ALL}`]: 6000, [`seg|${SMALL}`]: 2500 }) },
    }),
  );
  await client.send(
    new PutCommand({
      TableName: stack.names.tables.MetricsTable,
      Item: { pk: 'totals', sk: 'shardId-000000000001', hw: '0', z: encodeCounters({ [`seg|${ALL}`]: 4000 }) },
    }),
  );
}

beforeAll(async () => {
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `ex${process.pid}-`,
    apiPort: 0,
    token,
    programPath,
    withPollers: false,
    withScheduler: false,
    asyncRetryDelaysMs: [50, 100],
  });
  program = loadProgram();
  today = todayIn(program.timezone);
  await seed();
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Polls GET /exports/{id} until done or failed. */
async function finished(exportId: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await api('GET', `/exports/${exportId}`);
    expect(res.status).toBe(200);
    if (res.body.status === 'done' || res.body.status === 'failed') return res.body;
    if (Date.now() > deadline) throw new Error(`export ${exportId} still ${res.body.status}`);
    await sleep(100);
  }
}

/** The row the export should hold for a member, straight from the member view. */
function expectedRow(state: MemberState, asOf: number): Record<string, string | number | null> {
  const view = memberView(program, state, asOf);
  return {
    memberId: view.memberId,
    tier: view.tier,
    qualifyingPoints: view.qualifyingPoints,
    lifetimePoints: view.lifetimePoints,
    lastActiveOn: view.lastActiveOn,
    status: view.status,
    rfmSegment: view.rfm?.segment ?? null,
    joinedOn: view.joinedOn,
  };
}

async function startExport(segmentId: string, format: string) {
  const res = await api('POST', `/segments/${segmentId}/exports`, JSON.stringify({ format }));
  expect(res.status).toBe(202);
  expect(res.body).toEqual({ exportId: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'pending' });
  return res.body.exportId as string;
}

describe('GET /segments', () => {
  it('lists every segment of the programme with its size from the totals counters', async () => {
    const res = await api('GET', '/segments');
    expect(res.status).toBe(200);
    expect(res.body.map((s: any) => s.id)).toEqual(allSegments(program).map((s) => s.id));
    const size = (id: string) => res.body.find((s: any) => s.id === id).size;
    expect(size(ALL)).toBe(MEMBERS);
    expect(size(SMALL)).toBe(2500);
    expect(size('tier-gold')).toBe(0); // no counter: 0
    expect(res.body.find((s: any) => s.id === ALL)).toEqual({ id: ALL, name: 'Every member', size: MEMBERS });
  });
});

/** Every member of a segment, 777 a page, following the cursors (at most 100 pages). */
async function pageAll(segmentId: string): Promise<{ seen: string[]; pages: number }> {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await api('GET', `/segments/${segmentId}/members?limit=777${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    expect(res.body.members.length).toBeLessThanOrEqual(777);
    seen.push(...res.body.members);
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return { seen, pages };
}

describe('GET /segments/{id}/members', () => {
  it('pages through 10,000 members, each exactly once (limit 777, following cursors)', async () => {
    const { seen, pages } = await pageAll(ALL);
    expect(seen).toHaveLength(MEMBERS);
    expect(new Set(seen).size).toBe(MEMBERS);
    expect([...seen].sort()).toEqual(Array.from({ length: MEMBERS }, (_, i) => memberId(i)));
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(MEMBERS / 777));
  });

  it('lists the base tier and status-active from the members themselves: each member once, no membership items', async () => {
    const expected = {
      'status-active': Array.from({ length: MEMBERS }, (_, i) => i).filter((i) => i % 5 !== 0),
      'tier-member': Array.from({ length: MEMBERS }, (_, i) => i).filter((i) => i % 4 === 0),
    };
    for (const [id, indexes] of Object.entries(expected)) {
      const { seen } = await pageAll(id);
      expect(seen.length, id).toBe(indexes.length);
      expect([...seen].sort(), id).toEqual(indexes.map(memberId));
    }
    const items = await documentClient().send(
      new ScanCommand({
        TableName: stack.names.tables.MetricsTable,
        FilterExpression: 'begins_with(pk, :a) OR begins_with(pk, :b)',
        ExpressionAttributeValues: { ':a': 'sm#status-active#', ':b': 'sm#tier-member#' },
      }),
    );
    expect(items.Items ?? []).toHaveLength(0);
  });

  it('defaults to 100 members a page', async () => {
    const res = await api('GET', `/segments/${SMALL}/members`);
    expect(res.body.members).toHaveLength(100);
    expect(typeof res.body.nextCursor).toBe('string');
  });

  it('404 for an unknown segment, 400 naming a bad cursor or limit', async () => {
    const unknown = await api('GET', '/segments/no-such-segment/members');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('segment_not_found');
    // Cursors are signed (#19 item 14): a hand-made one (a valid position in the old, unsigned
    // format), an altered one and one of another segment are all refused naming `cursor`.
    const real = (await api('GET', `/segments/${SMALL}/members`)).body.nextCursor as string;
    const [payload, mac] = real.split('.');
    const altered = `${Buffer.from(Buffer.from(payload, 'base64url').toString('utf8').replace(/.$/, '~')).toString('base64url')}.${mac}`;
    for (const bad of [
      'garbage',
      Buffer.from('{"b":99}').toString('base64url'),
      Buffer.from('{"b":3}').toString('base64url'),
      altered,
      real,
    ]) {
      const res = await api('GET', `/segments/${ALL}/members?cursor=${bad}`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/^cursor: /);
    }
    expect((await api('GET', `/segments/${SMALL}/members?cursor=${real}`)).status).toBe(200);
    for (const limit of ['0', '1001', '2.5', 'x']) {
      const res = await api('GET', `/segments/${ALL}/members?limit=${limit}`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/^limit: /);
    }
  });
});

describe('segment exports', () => {
  let csvExport: any;

  it('exports 10,000 members as CSV (multipart upload) and serves them through a pre-signed URL', async () => {
    process.env.MEMBERFLOW_EXPORT_PART_BYTES = String(128 * 1024); // force several parts
    let exportId: string;
    try {
      exportId = await startExport(ALL, 'csv');
      csvExport = await finished(exportId);
    } finally {
      delete process.env.MEMBERFLOW_EXPORT_PART_BYTES;
    }
    expect(csvExport).toMatchObject({ exportId, segmentId: ALL, format: 'csv', status: 'done', rowCount: MEMBERS });
    expect(Object.keys(csvExport).sort()).toEqual(
      ['createdAt', 'exportId', 'format', 'requestedBy', 'rowCount', 'segmentId', 'status', 'url'].sort(),
    );
    expect(csvExport.requestedBy).toBe(`arn:aws:iam::000000000000:user/${TOKEN_NAME}`);
    expect(csvExport.requestedBy).toContain(TOKEN_NAME);
    expect(new Date(csvExport.createdAt).toISOString()).toBe(csvExport.createdAt);
    expect(new URL(csvExport.url).searchParams.get('X-Amz-Expires')).toBe('900');

    const download = await fetch(csvExport.url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await download.text();
    expect(text.length).toBeGreaterThan(3 * 128 * 1024); // it did take several parts
    const lines = text.split('\r\n');
    expect(lines.pop()).toBe(''); // every line ends with CRLF
    expect(lines[0]).toBe(EXPORT_COLUMNS.join(','));
    expect(lines[0]).toBe('memberId,tier,qualifyingPoints,lifetimePoints,lastActiveOn,status,rfmSegment,joinedOn');
    const rows = lines.slice(1);
    expect(rows).toHaveLength(MEMBERS);
    const byId = new Map(rows.map((line) => [line.split(',')[0], line]));
    expect(byId.size).toBe(MEMBERS);

    const record = (await exportsStore().get(exportId))!;
    expect(record.objectKey).toBe(`exports/${ALL}/${exportId}.csv`);
    const asOf = dayNumber(record.asOf!);
    const sample = Array.from({ length: 60 }, (_, k) => memberId((k * 167) % MEMBERS));
    const states = await stores().members.getMany(sample);
    for (const id of sample) {
      const expected = expectedRow(states.get(id)!, asOf);
      expect(byId.get(id)).toBe(EXPORT_COLUMNS.map((c) => (expected[c] === null ? '' : String(expected[c]))).join(','));
    }
    // The columns carry what was seeded.
    const cells = (id: string) =>
      Object.fromEntries(
        byId
          .get(id)!
          .split(',')
          .map((v, i) => [EXPORT_COLUMNS[i], v]),
      );
    expect(cells(memberId(3))).toMatchObject({ tier: 'platinum', rfmSegment: RFM_CLASSES[3], lifetimePoints: String(20000 + 3 + 300) });
    expect(cells(memberId(10))).toMatchObject({ tier: 'gold', lastActiveOn: '', status: 'churned', rfmSegment: '' });
    expect(new Set(rows.map((r) => r.split(',')[5]))).toEqual(new Set(['active', 'silent', 'churned']));
  }, 180_000);

  it('exports a smaller segment as JSON Lines (single upload), every row equal to the member view', async () => {
    const exportId = await startExport(SMALL, 'jsonl');
    await stack.drain({ timeoutMs: 120_000 }); // drain() waits for asynchronous invocations too
    const done = await finished(exportId, 1000);
    expect(done).toMatchObject({ segmentId: SMALL, format: 'jsonl', status: 'done', rowCount: 2500 });
    const download = await fetch(done.url);
    expect(download.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const text = await download.text();
    expect(text.endsWith('\n')).toBe(true);
    const rows = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2500);
    for (const row of rows) expect(Object.keys(row)).toEqual([...EXPORT_COLUMNS]);

    const record = (await exportsStore().get(exportId))!;
    expect(record.objectKey).toBe(`exports/${SMALL}/${exportId}.jsonl`);
    const states = await stores().members.getMany(rows.map((r) => r.memberId));
    for (const row of rows) expect(row).toEqual(expectedRow(states.get(row.memberId)!, dayNumber(record.asOf!)));
    expect(new Set(rows.map((r) => r.tier))).toEqual(new Set(['platinum']));
  }, 180_000);

  it('keeps an audit record of every export, written with the request', async () => {
    const client = documentClient();
    const scan = await client.send(new ScanCommand({ TableName: stack.names.tables.ExportsTable }));
    const items = scan.Items ?? [];
    const exportsMade = items.filter((i) => i.kind === 'export') as ExportRecord[];
    const audits = items.filter((i) => i.kind === 'audit');
    expect(exportsMade.length).toBeGreaterThanOrEqual(2);
    expect(audits).toHaveLength(exportsMade.length);
    for (const record of exportsMade) {
      const audit = await exportsStore().getAudit(record.createdAt, record.exportId);
      expect(audit).toMatchObject({
        exportId: `audit#${record.createdAt}#${record.exportId}`,
        kind: 'audit',
        action: 'segment_export_requested',
        targetExportId: record.exportId,
        segmentId: record.segmentId,
        format: record.format,
        requestedBy: `arn:aws:iam::000000000000:user/${TOKEN_NAME}`,
        requestedAt: record.createdAt,
      });
      expect(audit!.requestId).toEqual(expect.any(String));
    }
  });

  it('does not redo a done export when the invocation is retried', async () => {
    const before = (await exportsStore().get(csvExport.exportId))!;
    const result = await stack.invoke('ExportSegmentFunction', { exportId: csvExport.exportId });
    expect(result).toEqual({ exportId: csvExport.exportId, status: 'done', rowCount: MEMBERS });
    expect(await exportsStore().get(csvExport.exportId)).toEqual(before);
    expect(before.attempts).toBe(1);
  });

  it('marks an export failed with a reason (and GET says why)', async () => {
    const exportId = '00000000-0000-4000-8000-000000000001';
    const createdAt = new Date().toISOString();
    await exportsStore().create(
      {
        exportId,
        kind: 'export',
        segmentId: 'gone-from-the-programme',
        format: 'csv',
        status: 'pending',
        rowCount: 0,
        requestedBy: 'arn:test',
        createdAt,
        updatedAt: createdAt,
      },
      {
        exportId: `audit#${createdAt}#${exportId}`,
        kind: 'audit',
        action: 'segment_export_requested',
        targetExportId: exportId,
        segmentId: 'gone-from-the-programme',
        format: 'csv',
        requestedBy: 'arn:test',
        requestedAt: createdAt,
        requestId: 'test',
      },
    );
    expect(await stack.invoke('ExportSegmentFunction', { exportId })).toEqual({ exportId, status: 'failed' });
    const res = await api('GET', `/exports/${exportId}`);
    expect(res.body).toMatchObject({ exportId, status: 'failed', url: null, error: expect.stringMatching(/^segment_not_found/) });
  });

  it('validates: unknown segment 404, bad format or body 400 naming the field, unknown export 404', async () => {
    const unknown = await api('POST', '/segments/no-such-segment/exports', JSON.stringify({ format: 'csv' }));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('segment_not_found');

    for (const body of [{ format: 'xlsx' }, {}, { format: 1 }]) {
      const res = await api('POST', `/segments/${ALL}/exports`, JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/^format: /);
    }
    const extra = await api('POST', `/segments/${ALL}/exports`, JSON.stringify({ format: 'csv', email: 'x' }));
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/^email: /);
    for (const body of ['{not json', '', '[1]']) {
      const res = await api('POST', `/segments/${ALL}/exports`, body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/^body: /);
    }

    for (const id of ['5b1c2a34-0000-4000-8000-000000000000', 'not-an-export', encodeURIComponent('audit#x')]) {
      const res = await api('GET', `/exports/${id}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('export_not_found');
    }
    // No GET route there: API Gateway (and the local server) answer 404 without invoking the api.
    expect((await api('GET', `/segments/${ALL}/exports`)).status).toBe(404);
    const noToken = await fetch(`${stack.apiUrl}/segments/${ALL}/exports`, { method: 'POST', body: '{"format":"csv"}' });
    expect(noToken.status).toBe(403);
  });
});

describe('the local Lambda Invoke endpoint', () => {
  const client = () => new LambdaClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: stack.lambdaUrl });

  it('answers synchronous invokes by name or ARN, and ResourceNotFoundException for unknown functions', async () => {
    const lambda = client();
    try {
      const arn = `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:${stack.names.functions.ExportSegmentFunction}`;
      const out = await lambda.send(new InvokeCommand({ FunctionName: arn, Payload: new TextEncoder().encode('{"exportId":"nope"}') }));
      expect(out.StatusCode).toBe(200);
      expect(JSON.parse(new TextDecoder().decode(out.Payload))).toEqual({ exportId: 'nope', status: 'invalid' });
      await expect(lambda.send(new InvokeCommand({ FunctionName: 'NoSuchFunction', InvocationType: 'Event' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
      const dry = await lambda.send(
        new InvokeCommand({ FunctionName: stack.names.functions.ExportSegmentFunction, InvocationType: 'DryRun' }),
      );
      expect(dry.StatusCode).toBe(204);
    } finally {
      lambda.destroy();
    }
  });
});
