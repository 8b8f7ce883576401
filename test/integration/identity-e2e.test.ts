// OneID through the local stack (kinesis-mock → the events consumer → DynamoDB Local → the HTTP API):
// a visitor counted as a person, identified, its state forwarded to the member's shard and folded in
// once, later events forwarded — every figure as the oracle's — and the design's failure cases
// (docs/architecture.md#identity): a crash between the link's write and its forward, forwarded
// commands repeated, events of the id in flight on its shard, a conflicting identify, a forged absorb.
import { commandKey } from '../../functions/adapters/command-key';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { buildActivityOracle, type OracleEvent } from '../../harness/oracle/activity-oracle';
import { kinesisClient } from '../../functions/adapters/clients';
import { visitorKey } from '../../shared/identity/keys';

const FROM = '2026-11-01';
const TO = '2026-11-12';
const token = 'identity-token';
let n = 0;
const at = (day: number, hour = 10) => `2026-11-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00+08:00`;
const ev = (fields: Partial<OracleEvent> & { type: OracleEvent['type'] }, day: number, hour = 10): OracleEvent =>
  ({ eventId: `ie${++n}`, occurredAt: at(day, hour), ...fields }) as OracleEvent;
const purchase = (who: { memberId?: string; anonymousId?: string }, day: number, orderId: string) =>
  ev({ type: 'purchase', ...who, channel: 'store', orderId, lines: [{ sku: 's', category: 'food', amountCents: 5000 }] }, day);
const json = (events: readonly OracleEvent[]) => events.map((e) => JSON.stringify(e));

// Ten persons who browse anonymously, then join and identify; some keep browsing under the old id.
const visitors = Array.from({ length: 10 }, (_, i) => ({ A: { anonymousId: `wx:v${i}` }, M: { memberId: `im${i}` } }));
const before = visitors.flatMap(({ A }, i) => [
  ev({ type: 'app_open', ...A }, 1 + (i % 3)),
  ev({ type: 'page_view', ...A }, 2 + (i % 3)),
  purchase(A, 2 + (i % 3), `guest-${i}`),
]);
const join = visitors.flatMap(({ A, M }, i) => [ev({ type: 'signup', ...M }, 4 + (i % 2), 9), ev({ type: 'identify', ...M, ...A }, 5, 9)]);
// Sent right behind the identifies: on their shard some are still before the link, some after it.
const inFlight = visitors.flatMap(({ A }, i) => [ev({ type: 'app_open', ...A }, 5, 11), ev({ type: 'page_view', ...A }, 6 + (i % 2))]);
const neverJoin = [ev({ type: 'app_open', anonymousId: 'card:8800' }, 3), purchase({ anonymousId: 'card:8800' }, 3, 'till-1')];
const conflict = [ev({ type: 'identify', memberId: 'im1', anonymousId: 'wx:v0' }, 7)];
const all = [...before, ...join, ...inFlight, ...neverJoin, ...conflict];

let stack: LocalStack;
let absorbCrashes = 0;
/** eventIds of the events the consumer forwarded to a member (identity_forward). */
const forwardedEventIds = new Set<string>();

async function get(path: string) {
  const res = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `ident${process.pid}-`,
    apiPort: 0,
    token,
    withScheduler: false,
    mappingOverrides: { maximumBatchingWindowInSeconds: 0 },
  });
  // The consumer's own Kinesis client (the handler runs in this process): its first forward that
  // carries an identity_absorb fails — the process "died" after the link's member write, before
  // the forward. Lambda retries the batch.
  kinesisClient().middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Records?: { Data?: Uint8Array }[] };
      const texts = (input.Records ?? []).map((r) => (r.Data ? new TextDecoder().decode(r.Data) : ''));
      const carriesAbsorb = texts.some((text) => text.includes('"identity_absorb"'));
      if (context.commandName === 'PutRecordsCommand')
        for (const text of texts) if (text.includes('"identity_forward"')) forwardedEventIds.add(JSON.parse(text).eventId);
      if (context.commandName === 'PutRecordsCommand' && carriesAbsorb && absorbCrashes++ === 0)
        throw new Error('crash before the forward');
      return next(args);
    },
    { step: 'initialize', name: 'crashBeforeAbsorbForward' },
  );
  await stack.putRecords(json([...before, ...neverJoin]));
  await stack.drain({ timeoutMs: 180_000 });
}, 300_000);
afterAll(async () => {
  await stack?.stop();
});

async function figures() {
  return Promise.all(['daily', 'retention', 'sessions'].map(async (name) => (await get(`/metrics/${name}?from=${FROM}&to=${TO}`)).body));
}

describe('identity through the local stack', () => {
  it('counts visitors as persons before any identify', async () => {
    const oracle = buildActivityOracle([...before, ...neverJoin], 'Asia/Shanghai');
    const [daily] = await figures();
    expect(daily.days).toEqual(oracle.daily(FROM, TO).map((row) => ({ ...row })));
    expect(daily.days.reduce((s: number, d: any) => s + d.visitors, 0)).toBeGreaterThan(10);
    expect((await get('/members/wx:v0')).status).toBe(404);
  });

  it('after identifies (one crash before a forward, events in flight, a conflict): every figure equals the oracle', async () => {
    await stack.putRecords(json([...join, ...inFlight]));
    await stack.drain({ timeoutMs: 180_000 });
    await stack.putRecords(json(conflict));
    await stack.drain({ timeoutMs: 180_000 });
    expect(absorbCrashes).toBeGreaterThan(1);
    const oracle = buildActivityOracle(all, 'Asia/Shanghai');
    const [daily, retention, sessions] = await figures();
    expect(daily.days).toEqual(oracle.daily(FROM, TO));
    expect(retention.cohorts).toEqual(oracle.retention(FROM, TO));
    expect(sessions.days).toEqual(oracle.sessions(FROM, TO));
    const program = (await get(`/metrics/program?asOf=${TO}`)).body;
    expect({ customers: program.customers, memberShareOfCustomers: program.kpis.memberShareOfCustomers }).toEqual(oracle.customers(TO));
    expect(program.customers).toBe(11);
    const member = (await get('/members/im0')).body;
    expect(member.identities).toEqual(['wx:v0']);
    expect(member.lifetimePoints).toBe(0);
    expect(member.rfm.frequency).toBe(1);
    // The anonymous id answers for its member; the conflicting identify moved nothing.
    expect((await get('/members/wx:v0')).body.memberId).toBe('im0');
    expect((await get('/members/im1')).body.identities).toEqual(['wx:v1']);
    const reasons = ((await get('/quarantine?limit=20')).body as any[]).map((q) => q.reason);
    expect(reasons).toEqual(['identity_conflict']);
  }, 400_000);

  it('a repeated forward and a forged absorb change nothing', async () => {
    const later = ev({ type: 'page_view', anonymousId: 'wx:v2' }, 8);
    await stack.putRecords(json([later]));
    await stack.drain({ timeoutMs: 120_000 });
    // After the link, the visitor's event went on to its member as a forward.
    expect(forwardedEventIds.has(later.eventId)).toBe(true);
    const [daily] = await figures();
    expect(daily.days).toEqual(buildActivityOracle([...all, later], 'Asia/Shanghai').daily(FROM, TO));
    const member = (await get('/members/im2')).body;
    // Forwards are signed by the consumer that puts them (with the stack's command key).
    const signer = await commandKey();
    await stack.putRecords([
      // A forward put twice (its retry): the same absorb again, the later event's forward again, and
      // an event the visitor's own state holds, forwarded as if it came after the link.
      JSON.stringify({ eventId: 'absorb-again', type: 'identity_absorb', memberId: 'im2', from: visitorKey('wx:v2'), occurredAt: at(6) }),
      JSON.stringify(
        signer.sign({
          eventId: later.eventId,
          type: 'identity_forward',
          memberId: 'im2',
          anonymousId: 'wx:v2',
          occurredAt: later.occurredAt,
          event: later,
        } as never),
      ),
      JSON.stringify(
        signer.sign({
          eventId: before[7].eventId,
          type: 'identity_forward',
          memberId: 'im2',
          anonymousId: 'wx:v2',
          occurredAt: before[7].occurredAt,
          event: before[7],
        } as never),
      ),
      // A producer's forgery: card:8800 is linked to nobody.
      JSON.stringify({ eventId: 'forged', type: 'identity_absorb', memberId: 'im3', from: visitorKey('card:8800'), occurredAt: at(6) }),
    ]);
    await stack.drain({ timeoutMs: 120_000 });
    expect((await figures())[0]).toEqual(daily);
    expect((await get('/members/im2')).body).toEqual(member);
    const reasons = ((await get('/quarantine?limit=20')).body as any[]).map((q) => q.reason).sort();
    expect(reasons).toEqual(['identity_conflict', 'identity_unverified']);
  }, 200_000);
});
