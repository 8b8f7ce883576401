// The operator merge through the local stack, over the real socket (docs/api.md#operator-merge):
// roles, the body's errors, the request stored once per mergeId and audited, `merged_into` at once,
// then the consumer's mark, forward and fold (kinesis-mock → the events consumer → DynamoDB Local):
// points, ids and coins on the member kept, the `member_merged` action, later events of the member
// merged away applied to it, and every daily figure as the oracle with the merge.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { actionsOnStream } from '../support/actions-stream';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { buildActivityOracle, type OracleEvent } from '../../harness/oracle/activity-oracle';

const FROM = '2026-11-01';
const TO = '2026-11-12';
const token = 'merge-operator-token';
const viewerToken = 'merge-viewer-token';
let n = 0;
const at = (day: number, hour = 10) => `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00+08:00`;
const ev = (fields: Partial<OracleEvent> & { type: OracleEvent['type'] }, day: number, hour = 10): OracleEvent =>
  ({ eventId: `mg${++n}`, occurredAt: at(day, hour), ...fields }) as OracleEvent;
const purchase = (memberId: string, day: number, orderId: string, cents: number) =>
  ev({ type: 'purchase', memberId, channel: 'store', orderId, lines: [{ sku: 's', category: 'food', amountCents: cents }] }, day);
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
});
