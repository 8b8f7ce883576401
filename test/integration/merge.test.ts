// The operator merge through the local stack, over the real socket (docs/api.md#operator-merge):
// roles, the body's errors, the request stored once per mergeId and audited, `merged_into` at once,
// then the consumer's mark, forward and fold (kinesis-mock → the events consumer → DynamoDB Local):
// points, ids and coins on the member kept, the `member_merged` action, later events of the member
// merged away applied to it, and every daily figure as the oracle with the merge; then the reads of the
// member kept (coin ledger, tier history, subject access) include the items of the ids folded into it,
// and its erasure removes them too.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { actionsOnStream } from '../support/actions-stream';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { buildActivityOracle, type OracleEvent } from '../../harness/oracle/activity-oracle';
import { dynamoClient } from '../../infra/local/engine/aws';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { kinesisClient } from '../../functions/adapters/clients';

const FROM = '2026-11-01';
const TO = '2026-11-12';
const token = 'merge-operator-token';
const viewerToken = 'merge-viewer-token';
let n = 0;
const at = (day: number, hour = 10) => `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00+08:00`;
const ev = (fields: Partial<OracleEvent> & { type: OracleEvent['type'] }, day: number, hour = 10): OracleEvent =>
  ({ eventId: `mg${++n}`, occurredAt: at(day, hour), ...fields }) as OracleEvent;
const purchaseAs = (who: { memberId?: string; anonymousId?: string }, day: number, orderId: string, cents: number) =>
  ev({ type: 'purchase', ...who, channel: 'store', orderId, lines: [{ sku: 's', category: 'food', amountCents: cents }] }, day);
const purchase = (memberId: string, day: number, orderId: string, cents: number) => purchaseAs({ memberId }, day, orderId, cents);
const refund = (memberId: string, day: number, orderId: string, cents: number) =>
  ev({ type: 'refund', memberId, channel: 'store', orderId, lines: [{ sku: 's', amountCents: cents }] }, day);
const json = (events: readonly OracleEvent[]) => events.map((e) => JSON.stringify(e));

const before = [
  ev({ type: 'signup', memberId: 'gone-1', acquisitionChannel: 'sem' }, 1),
  ev({ type: 'identify', memberId: 'gone-1', anonymousId: 'wx:g1' }, 1, 11),
  purchase('gone-1', 2, 'g-1', 120_000),
  ev({ type: 'app_open', anonymousId: 'wx:g1' }, 3),
  ev({ type: 'signup', memberId: 'kept-1' }, 3),
  purchase('kept-1', 3, 'k-1', 30_000),
  ev({ type: 'page_view', memberId: 'kept-1' }, 4),
];
const later = [ev({ type: 'app_open', memberId: 'gone-1' }, 6), purchase('gone-1', 6, 'g-2', 10_000)];

let stack: LocalStack;

async function call(method: string, path: string, body?: unknown, as = token) {
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${as}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}
const merge = (body: unknown, into = 'kept-1', as = token) => call('POST', `/members/${into}/merge`, body, as);

beforeAll(async () => {
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `merge${process.pid}-`,
    apiPort: 0,
    token,
    viewerToken,
    withScheduler: false,
    mappingOverrides: { maximumBatchingWindowInSeconds: 0 },
  });
  await stack.putRecords(json(before));
  await stack.drain({ timeoutMs: 180_000 });
}, 300_000);
afterAll(async () => {
  await stack?.stop();
});

describe('operator merge through the local stack', () => {
  it('refuses the viewer, a bad body, a merge into itself and unknown members, naming the field', async () => {
    expect(await merge({ mergeId: 'mg-1', fromMemberId: 'gone-1' }, 'kept-1', viewerToken)).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    });
    const bad = async (body: unknown, field: string, into = 'kept-1') => {
      const res = await merge(body, into);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message.startsWith(`${field}:`), res.body.error.message).toBe(true);
    };
    await bad('not json', 'body');
    await bad({ fromMemberId: 'gone-1' }, 'mergeId');
    await bad({ mergeId: 'mg-1' }, 'fromMemberId');
    await bad({ mergeId: 'mg 1', fromMemberId: 'gone-1' }, 'mergeId');
    await bad({ mergeId: 'mg-1', fromMemberId: 'gone-1', extra: 1 }, 'extra');
    await bad({ mergeId: 'mg-1', fromMemberId: 'kept-1' }, 'fromMemberId');
    await bad({ mergeId: 'mg-1', fromMemberId: 'gone-1' }, 'memberId', 'bad id!');
    expect(await merge({ mergeId: 'mg-1', fromMemberId: 'nobody' })).toMatchObject({
      status: 404,
      body: { error: { code: 'member_not_found', message: 'fromMemberId: no member nobody' } },
    });
    expect((await merge({ mergeId: 'mg-1', fromMemberId: 'gone-1' }, 'nobody')).body.error.code).toBe('member_not_found');
  });

  it('accepts once per mergeId, audited; the member merged away answers merged_into at once', async () => {
    const accepted = await merge({ mergeId: 'mg-1', fromMemberId: 'gone-1' });
    expect(accepted).toEqual({ status: 202, body: { mergeId: 'mg-1', memberId: 'kept-1', fromMemberId: 'gone-1', status: 'accepted' } });
    expect(await merge({ mergeId: 'mg-1', fromMemberId: 'gone-1' })).toEqual(accepted);
    expect(await merge({ mergeId: 'mg-1', fromMemberId: 'other' })).toMatchObject({
      status: 409,
      body: { error: { code: 'idempotency_mismatch' } },
    });
    expect(await merge({ mergeId: 'mg-2', fromMemberId: 'gone-1' })).toMatchObject({
      status: 409,
      body: { error: { code: 'already_merged', mergedInto: 'kept-1' } },
    });
    for (const path of ['/members/gone-1', '/members/gone-1/data', '/members/gone-1/coins/ledger']) {
      expect(await call('GET', path), path).toMatchObject({ status: 404, body: { error: { code: 'merged_into', mergedInto: 'kept-1' } } });
    }
    // Nor may anything be merged into it.
    expect((await merge({ mergeId: 'mg-3', fromMemberId: 'kept-1' }, 'gone-1')).body.error.code).toBe('merged_into');
    const audit = await call('GET', '/audit');
    const entries = audit.body.entries.filter((e: any) => e.action === 'member_merge_requested');
    expect(entries).toHaveLength(1);
    expect(JSON.stringify(entries[0])).not.toContain('gone-1');
    expect(entries[0].details).toMatchObject({ mergeId: 'mg-1' });
  });

  it('folds the member merged away into the member kept, once; its later events apply there; figures as the oracle', async () => {
    await stack.drain({ timeoutMs: 180_000 });
    const kept = await call('GET', '/members/kept-1?asOf=2026-11-05');
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({
      joinedOn: '2026-11-01',
      lifetimePoints: 1500,
      tier: 'silver',
      identities: ['wx:g1'],
      mergedMembers: ['gone-1'],
    });
    expect(kept.body.coins.pending + kept.body.coins.available).toBe(1500);
    expect((await call('GET', '/members/kept-1')).body).toMatchObject({ tier: 'silver', tierSince: '2026-11-02' });
    // The anonymous id linked to the member merged away answers for the member kept.
    expect((await call('GET', '/members/wx:g1')).body.memberId).toBe('kept-1');

    await stack.putRecords(json(later));
    await stack.drain({ timeoutMs: 180_000 });
    expect((await call('GET', '/members/kept-1')).body.lifetimePoints).toBe(1600);
    const merged = (await actionsOnStream(stack)).filter((a) => a.type === 'member_merged');
    expect(merged).toEqual([
      expect.objectContaining({ memberId: 'kept-1', details: expect.objectContaining({ fromMemberId: 'gone-1', mergeId: 'mg-1' }) }),
    ]);
    const oracle = buildActivityOracle([...before, ...later], 'Asia/Shanghai', [{ into: 'kept-1', from: 'gone-1' }]);
    const daily = await call('GET', `/metrics/daily?from=${FROM}&to=${TO}`);
    expect(daily.body.days).toEqual(oracle.daily(FROM, TO));
    const program = await call('GET', '/metrics/program');
    expect(program.body.members).toBe(1);
    expect((await call('GET', '/quarantine')).body).toEqual([]);
  });

  it("the member kept's coin ledger, tier history and subject access include the merged member's and anonymous id's items, marked", async () => {
    // A refund of the merged member's pre-merge order (claimed under its key), and a guest order
    // under an anonymous id identified to the member kept afterwards (kept under the visitor key).
    await stack.putRecords(
      json([
        refund('gone-1', 7, 'g-1', 20_000),
        purchaseAs({ anonymousId: 'card:k2' }, 7, 'guest-1', 5_000),
        ev({ type: 'identify', memberId: 'kept-1', anonymousId: 'card:k2' }, 8),
      ]),
    );
    await stack.drain({ timeoutMs: 180_000 });
    const member = (await call('GET', '/members/kept-1')).body;
    expect(member).toMatchObject({ identities: ['wx:g1', 'card:k2'], mergedMembers: ['gone-1'], lifetimePoints: 1400 });
    expect(member.tierHistory).toEqual([
      { day: '2026-11-02', from: 'member', to: 'silver', reason: 'merge' },
      { day: '2026-11-02', from: 'member', to: 'silver', reason: 'earn', mergedFrom: 'gone-1' },
    ]);

    const entries: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await call('GET', `/members/kept-1/coins/ledger?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body;
      entries.push(...page.entries);
      cursor = page.nextCursor;
    } while (cursor);
    expect(entries.map((e) => [e.kind, e.ref, e.coins, e.mergedFrom ?? null])).toEqual([
      // g-2 came after the merge, at the member kept's silver rate, its order claimed under gone-1
      ['earn', 'g-2', 200, 'gone-1'],
      ['earn', 'k-1', 300, null],
      ['revoke', expect.any(String), -200, 'gone-1'],
      ['earn', 'g-1', 1200, 'gone-1'],
    ]);
    const balance = entries.reduce((sum, e) => sum + e.coins, 0);
    expect(balance).toBe(member.coins.available + member.coins.pending - member.coins.debt);
    expect(balance).toBe(1500);

    const data = (await call('GET', '/members/kept-1/data')).body;
    expect(data).toMatchObject({ memberId: 'kept-1', identities: ['wx:g1', 'card:k2'], mergedMembers: ['gone-1'] });
    const orders = Object.fromEntries(data.orders.map((o: any) => [o.orderId, o]));
    expect(Object.keys(orders).sort()).toEqual(['g-1', 'g-2', 'guest-1', 'k-1']);
    expect(orders['g-1']).toMatchObject({ mergedFrom: 'gone-1', points: 1200, revokedPoints: 200, refunds: [expect.any(Object)] });
    expect(orders['g-2']).toMatchObject({ mergedFrom: 'gone-1', points: 100 });
    expect(orders['guest-1']).toMatchObject({ anonymousId: 'card:k2', points: 0 });
    expect(orders['k-1']).not.toHaveProperty('mergedFrom');
    expect(data.tierHistory.map((c: any) => [c.reason, c.mergedFrom ?? null])).toEqual([
      ['merge', null],
      ['earn', 'gone-1'],
    ]);
    // The merged member's tier action was sent under its own id: derived with it.
    expect(data.actions.derived.map((a: any) => a.memberId).sort()).toEqual(['gone-1', 'kept-1']);
  });

  it('erasing the member kept erases the merged member and the anonymous ids with it, and all their ledger items', async () => {
    const accepted = await call('POST', '/members/kept-1/erasure', { erasureId: 'er-1', reason: 'asked by the person' });
    expect(accepted.status).toBe(202);
    await stack.drain({ timeoutMs: 180_000 });
    for (const id of ['kept-1', 'gone-1', 'wx:g1', 'card:k2'])
      expect((await call('GET', `/members/${id}`)).body.error?.code, id).toBe('member_erased');
    const doc = DynamoDBDocumentClient.from(dynamoClient(stack.endpoints));
    for (const table of ['LedgerTable', 'MembersTable']) {
      const items = (await doc.send(new ScanCommand({ TableName: stack.names.tables[table], ConsistentRead: true }))).Items ?? [];
      const text = JSON.stringify(items);
      for (const id of ['kept-1', 'gone-1', 'wx:g1', 'card:k2', 'g-1', 'guest-1']) expect(text, `${table} ${id}`).not.toContain(id);
    }
  });

  it('failure cases of the merge: a crash between the mark and its forward, the command put twice, events of the merged member in flight — folded once, none lost', async () => {
    // A second pair, on its own: gone-2's events before the merge, one put right before the request
    // (on its shard before the mark: applied to gone-2, then folded) and two right behind it (after
    // the mark: forwarded to kept-2, with their points).
    await stack.putRecords(
      json([
        ev({ type: 'signup', memberId: 'gone-2' }, 1),
        purchase('gone-2', 2, 'g2-1', 40_000),
        ev({ type: 'signup', memberId: 'kept-2' }, 2),
        purchase('kept-2', 3, 'k2-1', 50_000),
      ]),
    );
    await stack.drain({ timeoutMs: 180_000 });
    // The consumer's first put of gone-2's absorb fails: it "died" after writing the mark.
    let crashes = 0;
    let forwardedFromGone = 0;
    kinesisClient().middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Records?: { Data?: Uint8Array }[] };
        const text = (input.Records ?? []).map((r) => (r.Data ? new TextDecoder().decode(r.Data) : '')).join('\n');
        if (context.commandName === 'PutRecordsCommand' && text.includes('"fromMemberId":"gone-2"')) forwardedFromGone += 1;
        if (
          context.commandName === 'PutRecordsCommand' &&
          text.includes('"identity_absorb"') &&
          text.includes('"gone-2"') &&
          crashes++ === 0
        )
          throw new Error('crash between the mark and its forward');
        return next(args);
      },
      { step: 'initialize', name: 'crashBeforeMergeForward' },
    );
    try {
      await stack.putRecords(json([purchase('gone-2', 5, 'g2-2', 30_000)]));
      expect((await merge({ mergeId: 'mg-2b', fromMemberId: 'gone-2' }, 'kept-2')).status).toBe(202);
      const inFlight = [ev({ type: 'app_open', memberId: 'gone-2' }, 6), purchase('gone-2', 6, 'g2-3', 20_000)];
      await stack.putRecords(json(inFlight));
      // The operator's retry: the same request puts the same command again.
      expect((await merge({ mergeId: 'mg-2b', fromMemberId: 'gone-2' }, 'kept-2')).status).toBe(202);
      await stack.drain({ timeoutMs: 180_000 });
    } finally {
      kinesisClient().middlewareStack.remove('crashBeforeMergeForward');
    }
    expect(crashes).toBeGreaterThan(1);
    // The events behind the merge command went on to kept-2 (identity_forward from gone-2).
    expect(forwardedFromGone).toBeGreaterThan(0);
    const kept = (await call('GET', '/members/kept-2')).body;
    // 400 + 300 + 500 points, silver by the combined points at the merge, then 200 more: each once.
    expect(kept).toMatchObject({
      joinedOn: '2026-11-01',
      lifetimePoints: 1400,
      tier: 'silver',
      lastActiveOn: '2026-11-06',
      mergedMembers: ['gone-2'],
    });
    expect((await call('GET', '/members/gone-2')).body.error).toMatchObject({ code: 'merged_into', mergedInto: 'kept-2' });
    const merged = (await actionsOnStream(stack)).filter((a) => a.type === 'member_merged' && a.memberId === 'kept-2');
    expect(merged.map((a) => a.details.mergeId)).toEqual(['mg-2b']);
    expect((await call('GET', '/quarantine')).body).toEqual([]);
  }, 400_000);
});
