// Erasure, subject access and the audit chain on the local stack (DynamoDB Local, kinesis-mock,
// s3rver, the real consumer and api over a socket): the erased member is gone from every table and
// every S3 object written after, past daily figures are identical, totals drop, a replayed file
// never recreates it, and every operator action is one entry of one verified chain.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { auditLog } from '../../functions/adapters/audit-store';
import { dynamoClient, s3Client } from '../../infra/local/engine/aws';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { exceptionsAttributes, exceptionsOf, type StoredExceptions } from '../../functions/adapters/counter-exceptions';
import { dayString, todayIn } from '../../shared/days/days';

const token = 'erasure-test-token';
const TARGET = 'tel:13800138000';
const OTHERS = ['m-keep-1', 'm-keep-2', 'm-keep-3'];
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'memberflow-erasure-'));
process.env.MEMBERFLOW_ERASURE_SALT_FILE = path.join(stateDir, 'erasure-salt');

let stack: LocalStack;
let today: number;
let file: string[];

async function api(method: string, p: string, body?: unknown) {
  const res = await fetch(`${stack.apiUrl}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

function history(): string[] {
  const at = (d: number, hh: string) => `${dayString(d)}T${hh}:00:00+08:00`;
  const lines: string[] = [];
  for (const m of [TARGET, ...OTHERS]) {
    lines.push(
      JSON.stringify({ eventId: `${m}-s`, type: 'signup', memberId: m, occurredAt: at(today - 6, '09'), acquisitionChannel: 'sem' }),
    );
    for (let d = 5; d >= 1; d--)
      lines.push(JSON.stringify({ eventId: `${m}-o${d}`, type: 'app_open', memberId: m, occurredAt: at(today - d, '10') }));
    lines.push(
      JSON.stringify({
        eventId: `${m}-p`,
        type: 'purchase',
        memberId: m,
        occurredAt: at(today - 3, '11'),
        channel: 'store',
        orderId: `${m}-ord`,
        lines: [{ sku: 'k1', category: 'meat', amountCents: 160_000 }],
      }),
    );
    lines.push(
      JSON.stringify({
        eventId: `${m}-r`,
        type: 'refund',
        memberId: m,
        occurredAt: at(today - 2, '11'),
        channel: 'store',
        orderId: `${m}-ord`,
        lines: [{ sku: 'k1', amountCents: 10_000 }],
      }),
    );
  }
  // Bad records of the target: quarantined with their raw payload (until the erasure).
  lines.push(
    JSON.stringify({
      eventId: 'bad-1',
      type: 'purchase',
      memberId: TARGET,
      occurredAt: at(today - 1, '12'),
      channel: 'store',
      orderId: 'x',
      lines: [],
    }),
  );
  lines.push(`{"memberId":"${TARGET}", not json`);
  return lines;
}

/** Every item of every table of the stack and every object of every bucket, as text. */
async function everything(): Promise<{ tables: Record<string, string>; objects: Record<string, string> }> {
  const raw = dynamoClient(stack.endpoints);
  const doc = DynamoDBDocumentClient.from(raw);
  const s3 = s3Client(stack.endpoints);
  const tables: Record<string, string> = {};
  const objects: Record<string, string> = {};
  try {
    for (const [logicalId, name] of Object.entries(stack.names.tables)) {
      const items: unknown[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start, ConsistentRead: true }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      tables[logicalId] = JSON.stringify(items);
    }
    for (const bucket of Object.values(stack.names.buckets)) {
      const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      for (const o of list.Contents ?? []) {
        const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
        objects[`${bucket}/${o.Key}`] = `${o.Key}\n${await body.Body!.transformToString()}`;
      }
    }
  } finally {
    raw.destroy();
    s3.destroy();
  }
  return { tables, objects };
}

const CLOSED_SHARD = 'shardId-000000000099';
const PACKED_SHARD = 'shardId-000000000098';
/** A closed shard's progress listing 40 till settle records, two of them the member's. */
const PACKED_LIST = Array.from({ length: 40 }, (_, i) => {
  const who = i === 7 || i === 30 ? TARGET : OTHERS[i % OTHERS.length];
  return `$496600000000000000000000000000000000000000000000000${String(1000 + i)}$${who}$r#till-${i}`;
}).sort();

async function withDoc<T>(use: (doc: DynamoDBDocumentClient) => Promise<T>): Promise<T> {
  const raw = dynamoClient(stack.endpoints);
  try {
    return await use(DynamoDBDocumentClient.from(raw));
  } finally {
    raw.destroy();
  }
}

const holding = (where: Record<string, string>, needle: string) =>
  Object.entries(where)
    .filter(([, text]) => text.includes(needle))
    .map(([k]) => k);

beforeAll(async () => {
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `er${process.pid}-`,
    apiPort: 0,
    token,
    withScheduler: false,
    asyncRetryDelaysMs: [50, 100],
    mappingOverrides: { maximumBatchingWindowInSeconds: 0 },
  });
  today = todayIn('Asia/Shanghai');
  file = history();
  await stack.putRecords(file);
  await stack.drain({ timeoutMs: 120_000 });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
  delete process.env.MEMBERFLOW_ERASURE_SALT_FILE;
});

describe('erasure on the local stack', () => {
  let dailyBefore: unknown;
  let programBefore: any;
  let segmentsBefore: any[];

  it('before: the member is held in several tables, and subject access returns it as one document (audited)', async () => {
    const held = await everything();
    expect(holding(held.tables, TARGET).sort()).toEqual(
      expect.arrayContaining(['LedgerTable', 'MembersTable', 'MetricsTable', 'QuarantineTable']),
    );
    const doc = await api('GET', `/members/${encodeURIComponent(TARGET)}/data`);
    expect(doc.status).toBe(200);
    expect(doc.body).toMatchObject({
      memberId: TARGET,
      profile: { memberId: TARGET, joinedOn: dayString(today - 6), acquisitionChannel: 'sem', tier: 'silver' },
    });
    expect(doc.body.orders).toEqual([
      expect.objectContaining({
        orderId: `${TARGET}-ord`,
        points: 1600,
        revokedPoints: 100,
        refunds: [expect.objectContaining({ revokedPoints: 100 })],
      }),
    ]);
    expect(doc.body.tierHistory).toEqual([expect.objectContaining({ to: 'silver', kind: 'upgrade' })]);
    expect(doc.body.actions.derived).toEqual([expect.objectContaining({ type: 'tier_upgraded', memberId: TARGET })]);
    expect(doc.body.segments).toEqual(expect.arrayContaining(['tier-silver', 'status-active']));
    expect(doc.body.activity.recentActiveDays.length).toBeGreaterThanOrEqual(6);

    dailyBefore = (await api('GET', `/metrics/daily?from=${dayString(today - 7)}&to=${dayString(today)}`)).body;
    programBefore = (await api('GET', '/metrics/program')).body;
    segmentsBefore = (await api('GET', '/segments')).body;
    expect(programBefore.members).toBe(4);
  });

  it('validation: bad ids, bodies and unknown members are 4xx naming the field', async () => {
    expect((await api('POST', '/members/bad%20id/erasure', { erasureId: 'e', reason: 'r' })).body.error.message).toMatch(/^memberId/);
    expect((await api('POST', `/members/${TARGET}/erasure`, { reason: 'r' })).body.error.message).toMatch(/^erasureId/);
    expect((await api('POST', `/members/${TARGET}/erasure`, { erasureId: 'e-1' })).body.error.message).toMatch(/^reason/);
    expect((await api('POST', `/members/${TARGET}/erasure`, { erasureId: 'e-1', reason: 'r', extra: 1 })).body.error.message).toMatch(
      /^extra/,
    );
    expect((await api('POST', `/members/${TARGET}/erasure`, 'not json')).status).toBe(400);
    expect((await api('POST', '/members/nobody/erasure', { erasureId: 'e-2', reason: 'r' })).body.error.code).toBe('member_not_found');
    expect((await api('GET', '/members/nobody/data')).body.error.code).toBe('member_not_found');
  });

  it('erasure: 202, the member answers 404 member_erased at once, idempotent on erasureId', async () => {
    // A batch progress record that still lists the member (shared/batch/batch-progress.ts): an
    // attempt died on a shard that never ran a batch again (a parent shard closed by a reshard).
    const progress = (sk: string, list: StoredExceptions) =>
      withDoc((doc) =>
        doc.send(
          new PutCommand({
            TableName: stack.names.tables.MetricsTable,
            Item: { pk: 'bp', sk, hw: '49660000000000000000000000000000000000000000000000000099', ...list },
          }),
        ),
      );
    await progress(CLOSED_SHARD, {
      hx: [OTHERS[1], TARGET, `$49660000000000000000000000000000000000000000000000000001$${TARGET}$r#till-1`].sort(),
    });
    // And one long enough to be stored deflated (functions/adapters/counter-exceptions.ts).
    await progress(PACKED_SHARD, exceptionsAttributes(PACKED_LIST));
    const first = await api('POST', `/members/${encodeURIComponent(TARGET)}/erasure`, {
      erasureId: 'er-1',
      reason: `member ${TARGET} asked by phone`,
    });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ erasureId: 'er-1', status: 'accepted' });
    expect((await api('GET', `/members/${encodeURIComponent(TARGET)}`)).body.error.code).toBe('member_erased');
    const again = await api('POST', `/members/${encodeURIComponent(TARGET)}/erasure`, { erasureId: 'er-1', reason: 'again' });
    expect(again).toEqual(first);
    await stack.drain({ timeoutMs: 120_000 });
    expect(
      (await api('POST', `/members/${encodeURIComponent(TARGET)}/erasure`, { erasureId: 'er-2', reason: 'other' })).body.error.code,
    ).toBe('member_erased');
    const member = await api('GET', `/members/${encodeURIComponent(TARGET)}`);
    expect(member).toEqual({ status: 404, body: { error: { code: 'member_erased', message: expect.any(String) } } });
    expect((await api('GET', `/members/${encodeURIComponent(TARGET)}/data`)).body.error.code).toBe('member_erased');
  });

  it('after: past daily figures identical; programme, tier and segment totals drop by one', async () => {
    expect((await api('GET', `/metrics/daily?from=${dayString(today - 7)}&to=${dayString(today)}`)).body).toEqual(dailyBefore);
    const program = (await api('GET', '/metrics/program')).body;
    expect(program.members).toBe(programBefore.members - 1);
    expect(program.byTier.silver).toBe(programBefore.byTier.silver - 1);
    const yesterday = (await api('GET', `/metrics/program?asOf=${dayString(today - 1)}`)).body;
    expect(yesterday.members).toBe(4);
    const sizes = Object.fromEntries(((await api('GET', '/segments')).body as any[]).map((s) => [s.id, s.size]));
    for (const s of segmentsBefore) expect(sizes[s.id], s.id).toBe(['tier-silver', 'status-active'].includes(s.id) ? s.size - 1 : s.size);
    const members = await api('GET', '/segments/status-active/members?limit=100');
    expect(members.body.members.sort()).toEqual([...OTHERS].sort());
  });

  it('an export written after the erasure leaves the member out', async () => {
    const started = await api('POST', '/segments/tier-silver/exports', { format: 'jsonl' });
    expect(started.status).toBe(202);
    await stack.drain({ timeoutMs: 120_000 });
    const done = await api('GET', `/exports/${started.body.exportId}`);
    expect(done.body).toMatchObject({ status: 'done', rowCount: OTHERS.length });
  });

  it('nothing in any table or S3 object holds the id; a replayed file never recreates it', async () => {
    const check = async () => {
      const held = await everything();
      expect(holding(held.tables, TARGET)).toEqual([]);
      expect(holding(held.objects, TARGET)).toEqual([]);
      // The others are still there (the scan does see ids).
      expect(holding(held.tables, OTHERS[0])).toEqual(expect.arrayContaining(['MembersTable', 'LedgerTable']));
      return held;
    };
    await check();
    // The closed shard's batch progress record keeps the others it listed.
    const progress = await withDoc((doc) =>
      doc.send(new GetCommand({ TableName: stack.names.tables.MetricsTable, Key: { pk: 'bp', sk: CLOSED_SHARD }, ConsistentRead: true })),
    );
    expect(progress.Item?.hx).toEqual([OTHERS[1]]);
    const packed = await withDoc((doc) =>
      doc.send(new GetCommand({ TableName: stack.names.tables.MetricsTable, Key: { pk: 'bp', sk: PACKED_SHARD }, ConsistentRead: true })),
    );
    expect(packed.Item?.hz).toBeDefined();
    expect(exceptionsOf(packed.Item!)).toEqual(PACKED_LIST.filter((entry) => !entry.includes(TARGET)));
    await stack.putRecords(file);
    await stack.drain({ timeoutMs: 120_000 });
    const held = await check();
    expect((await api('GET', `/members/${encodeURIComponent(TARGET)}`)).body.error.code).toBe('member_erased');
    const quarantine = (await api('GET', '/quarantine?limit=1000')).body as any[];
    const erased = quarantine.filter((q) => q.reason === 'erased_member');
    // Every replayed line of the target, the bad and the unparseable ones too, kept without payload.
    expect(erased.length).toBe(file.filter((line) => line.includes(TARGET)).length);
    for (const q of erased) expect(q).toMatchObject({ raw: '', memberId: null, eventId: null });
    expect((await api('GET', '/metrics/program')).body.members).toBe(3);
    expect(held.tables.MembersTable).toContain('erased#');
  });

  it('the audit log: one verified chain, member ids only as salted hashes, 20 concurrent operator actions give 20 entries', async () => {
    const entries = (await api('GET', '/audit?limit=1000')).body.entries as any[];
    expect(entries.map((e) => e.action)).toEqual(['subject_access', 'member_erasure_requested', 'segment_export_requested']);
    expect(JSON.stringify(entries)).not.toContain(TARGET);
    expect(entries[1].details.reason).toBe('member [member] asked by phone');
    expect(entries[1].target).toBe(`member:${entries[1].details.memberHash}`);
    expect(entries[0].actor).toMatch(/local-operator|user\//);

    await Promise.all(Array.from({ length: 20 }, () => api('GET', `/members/${OTHERS[0]}/data`)));
    const all = (await api('GET', '/audit?limit=1000')).body.entries as any[];
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(all.filter((e) => e.action === 'subject_access')).toHaveLength(21);
    expect(await auditLog().verify()).toMatchObject({ ok: true, entries: 23 });

    const page1 = (await api('GET', '/audit?limit=10')).body;
    const page2 = (await api('GET', `/audit?limit=10&cursor=${page1.nextCursor}`)).body;
    expect([...page1.entries, ...page2.entries].map((e: any) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await api('GET', `/audit?from=${dayString(today + 1)}&to=${dayString(today + 2)}`)).body.entries).toEqual([]);
    expect((await api('GET', '/audit?limit=0')).body.error.message).toMatch(/^limit/);
    expect((await api('GET', '/audit?cursor=garbage')).body.error.message).toMatch(/^cursor/);
    expect((await api('GET', '/audit?from=2026-13-01')).body.error.message).toMatch(/^from/);
  });
});
