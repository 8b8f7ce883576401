// Coins on the local stack over a real socket (docs/rules.md#coins): 50 concurrent redemptions at one
// member while its purchases and refunds stream in — the final ledger equal, entry by entry, to the
// plain reference ledger (harness/reference/coins-reference.ts) replaying the member's stream and
// each redemption where it happened (its `place`), no overdraft, every successful redemption
// counted once, the member's balance equal to its ledger and to /metrics/coins; idempotency on
// redemptionId (same body → 200 and the same answer, another body → 409), 409 insufficient_coins,
// 404 unknown member, 400 naming the field, reversal once, adjustments.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addDays, dayString, todayIn } from '../../shared/days/days';
import { lotId, lotNumber } from '../../shared/coins/lots';
import { kinesisClient } from '../../infra/local/engine/aws';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { placedOperations } from '../../harness/chaos/coin-till';
import { buildCoinsOracle } from '../../harness/chaos/coins-oracle';
import type { RefEntry } from '../../harness/reference/coins-reference';

const token = 'coins-operator-token';
const viewerToken = 'coins-viewer-token';
let stack: LocalStack;
const TZ = 'Asia/Shanghai';
const today = todayIn(TZ, Date.now());
const at = (daysAgo: number, minute = 0) =>
  `${dayString(addDays(today, -daysAgo))}T${String(Math.floor(minute / 60) % 10).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00+08:00`;
let n = 0;
const purchase = (memberId: string, orderId: string, daysAgo: number, cents: number) =>
  JSON.stringify({
    eventId: `cp${++n}`,
    type: 'purchase',
    memberId,
    occurredAt: at(daysAgo, n),
    channel: 'store',
    orderId,
    lines: [{ sku: 'a', category: 'meat', amountCents: cents }],
  });
const refund = (memberId: string, orderId: string, daysAgo: number, cents: number) =>
  JSON.stringify({
    eventId: `cr${++n}`,
    type: 'refund',
    memberId,
    occurredAt: at(daysAgo, n),
    channel: 'store',
    orderId,
    refundId: `f-${orderId}`,
    lines: [{ sku: 'a', amountCents: cents }],
  });

async function api(method: string, path: string, body?: unknown, bearer = token): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `coins${process.pid}-`,
    apiPort: 0,
    token,
    viewerToken,
    withScheduler: false,
    mappingOverrides: { maximumBatchingWindowInSeconds: 0 },
    log: process.env.COINS_TEST_LOG ? (m) => console.error(m) : undefined,
  });
}, 120_000);
afterAll(() => stack?.stop());

/** A ledger entry as the reference lists it: lots by what made them, a lot's own movements by `lot`. */
function normalised(e: { kind: string; coins: number; lotId: string | null; ref: string }, lots: Map<string, string>): RefEntry {
  const lot = e.lotId === null ? null : (lots.get(e.lotId) ?? `unknown ${e.lotId}`);
  const ref = (e.kind === 'available' || e.kind === 'expire') && e.ref === e.lotId ? 'lot' : e.ref;
  return { kind: e.kind as RefEntry['kind'], coins: e.coins, lot, ref };
}
const byContent = (a: RefEntry, b: RefEntry) => JSON.stringify(a).localeCompare(JSON.stringify(b));

/**
 * A till's redemption: a 5xx is retried with the same redemptionId (the idempotency key makes that
 * safe) — `503 busy` (the member changed too often while redeeming) and, on a loaded machine,
 * DynamoDB Local's own transaction lock-wait timeout ("This request will succeed in actual
 * DynamoDB API"), which the api answers 500.
 */
async function redeemAsTill(path: string, body: unknown) {
  for (let attempt = 0; ; attempt++) {
    const res = await api('POST', path, body);
    if (res.status < 500 || attempt === 20) return res;
  }
}

async function ledger(memberId: string) {
  const entries: any[] = [];
  let cursor: string | null = null;
  do {
    const page = await api('GET', `/members/${memberId}/coins/ledger?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    entries.push(...page.body.entries);
    cursor = page.body.nextCursor;
  } while (cursor);
  return entries;
}

/**
 * Drains the stack until the member's ledger holds the earn of every order and the revoke of every
 * refund the test put (at most a minute): under load the consumer may still be on the last records
 * when a drain finds the shards quiet; the comparison that follows is then on everything applied.
 */
async function drainUntilApplied(memberId: string, refs: readonly string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    await stack.drain();
    const booked = new Set((await ledger(memberId)).filter((e) => e.kind === 'earn' || e.kind === 'revoke').map((e) => e.ref));
    if (refs.every((ref) => booked.has(ref)) || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe('coin redemptions at the till', () => {
  it(
    '50 concurrent redemptions while purchases and refunds stream in: the ledger equals the reference entry by entry, no overdraft, each counted once, ledger = balance = metrics',
    { timeout: 300_000 },
    async () => {
      const m = 'm-coins-race';
      // 8 purchases 20 days ago: 100 coins each at the member rate until silver (1000 points), then 200
      const early = Array.from({ length: 8 }, (_, i) => purchase(m, `e${i}`, 20, 10_000));
      await stack.putRecords(early);
      await stack.drain();
      const before = await api('GET', `/members/${m}`);
      expect(before.status).toBe(200);
      const startAvailable = before.body.coins.available;
      expect(startAvailable).toBeGreaterThan(0);

      // the stream keeps going: new (pending) purchases and refunds of the early orders
      const later = [
        ...Array.from({ length: 6 }, (_, i) => purchase(m, `l${i}`, 0, 5_000)),
        ...[0, 1, 2].map((i) => refund(m, `e${i}`, 0, 10_000)),
      ];
      const streaming = (async () => {
        for (const line of later) await stack.putRecords([line]);
      })();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => redeemAsTill(`/members/${m}/coins/redemptions`, { redemptionId: `race-${i}`, coins: 30 })),
      );
      await streaming;
      await drainUntilApplied(m, [
        ...Array.from({ length: 8 }, (_, i) => `e${i}`),
        ...Array.from({ length: 6 }, (_, i) => `l${i}`),
        'f-e0',
        'f-e1',
        'f-e2',
      ]);

      // The reference replays the member's stream and each redemption after the records its write
      // had applied (its place), numbering lots as the product does (lots expiring on one day are
      // spent by lot number): the ledger must be the same, entry by entry.
      const lines = [...early, ...later];
      const kin = kinesisClient(stack.endpoints);
      const placed = await placedOperations(stack, kin, [m], new Set(lines)).finally(() => kin.destroy());
      expect(placed.unplaced).toEqual([]);
      const oracle = buildCoinsOracle(placed.arrivals, placed.ops, TZ, today, lotNumber);
      expect(oracle.problems(m)).toEqual([]);
      const orderIds = [...Array.from({ length: 8 }, (_, i) => `e${i}`), ...Array.from({ length: 6 }, (_, i) => `l${i}`)];
      const lots = new Map(orderIds.map((o) => [lotId(lotNumber('order', o)), `order:${o}`]));
      const mine = (await ledger(m)).map((e) => normalised(e, lots)).sort(byContent);
      expect(mine).toEqual(oracle.ledger(m).sort(byContent));
      expect(mine.filter((e) => e.kind === 'redeem').length).toBeGreaterThan(0);
      expect(oracle.member(m, today)).toMatchObject((await api('GET', `/members/${m}`)).body.coins);

      const ok = results.filter((r) => r.status === 201);
      const refused = results.filter((r) => r.status === 409);
      expect(ok.length + refused.length).toBe(50);
      expect(refused.every((r) => r.body.error.code === 'insufficient_coins')).toBe(true);
      expect(ok.length).toBeGreaterThan(0);
      for (const r of ok) expect(r.body.balance.available).toBeGreaterThanOrEqual(0);
      // never more redeemed than was ever available to spend
      expect(ok.length * 30).toBeLessThanOrEqual(startAvailable);

      const view = (await api('GET', `/members/${m}`)).body.coins;
      expect(view.available).toBeGreaterThanOrEqual(0);
      const entries = await ledger(m);
      const sum = (kind: string) => entries.filter((e) => e.kind === kind).reduce((s, e) => s + e.coins, 0);
      expect(0 - sum('redeem')).toBe(ok.length * 30);
      expect(entries.filter((e) => e.kind === 'earn')).toHaveLength(14);
      // each refund of an early order takes back its lot's coins: one revoke entry per refund
      expect(
        entries
          .filter((e) => e.kind === 'revoke')
          .map((e) => e.ref)
          .sort(),
      ).toEqual(['f-e0', 'f-e1', 'f-e2']);
      const balance = sum('earn') + sum('revoke') + sum('redeem') + sum('reverse') + sum('expire') + sum('adjust');
      expect(balance).toBe(view.available + view.pending - view.debt);

      const metrics = await api(
        'GET',
        `/metrics/coins?from=${dayString(addDays(today, -25))}&to=${dayString(today)}`,
        undefined,
        viewerToken,
      );
      expect(metrics.status).toBe(200);
      const days = metrics.body.days;
      const total = (k: string) => days.reduce((s: number, d: any) => s + d[k], 0);
      expect(total('issued')).toBe(sum('earn'));
      expect(total('redeemed')).toBe(ok.length * 30);
      expect(total('revoked')).toBe(0 - sum('revoke'));
      const last = days[days.length - 1];
      expect(last.outstanding + last.pending - last.debt).toBe(view.available + view.pending - view.debt);
      expect(last.liabilityFen).toBe(last.outstanding + last.pending);

      // a retried redemption gets the same answer; another body under its id is a mismatch
      const first = ok[0];
      const again = await api('POST', `/members/${m}/coins/redemptions`, { redemptionId: first.body.redemptionId, coins: 30 });
      expect(again).toEqual({ status: 200, body: first.body });
      expect(
        (await api('POST', `/members/${m}/coins/redemptions`, { redemptionId: first.body.redemptionId, coins: 31 })).body.error.code,
      ).toBe('idempotency_mismatch');
      const after = (await api('GET', `/members/${m}`)).body.coins;
      expect(after).toEqual(view);
    },
  );

  it('insufficient changes nothing; reversal once; adjustments; 404 and 400 name what is wrong', { timeout: 300_000 }, async () => {
    const m = 'm-coins-ops';
    await stack.putRecords([purchase(m, 'o1', 10, 12_345)]); // 123 coins, available 3 days ago
    await stack.drain();
    expect((await api('GET', `/members/${m}`)).body.coins).toMatchObject({ available: 123, pending: 0, debt: 0 });
    expect((await api('POST', `/members/${m}/coins/redemptions`, { redemptionId: 'too-much', coins: 124 })).body.error.code).toBe(
      'insufficient_coins',
    );
    expect((await api('GET', `/members/${m}`)).body.coins.available).toBe(123);
    const r = await api('POST', `/members/${m}/coins/redemptions`, { redemptionId: 'r1', coins: 100, orderId: 'till-9' });
    expect(r).toEqual({
      status: 201,
      body: { redemptionId: 'r1', coins: 100, valueFen: 100, balance: { available: 23, pending: 0, debt: 0 } },
    });
    const rev = await api('POST', `/members/${m}/coins/redemptions/r1/reversal`);
    expect(rev.status).toBe(200);
    expect(rev.body.balance.available).toBe(123);
    expect((await api('POST', `/members/${m}/coins/redemptions/r1/reversal`)).body.balance.available).toBe(123);
    expect((await api('POST', `/members/${m}/coins/redemptions/nope/reversal`)).status).toBe(404);
    const adj = await api('POST', `/members/${m}/coins/adjustments`, { adjustmentId: 'a1', coins: 50, reason: 'goodwill' });
    expect(adj.status).toBe(201);
    expect((await api('POST', `/members/${m}/coins/adjustments`, { adjustmentId: 'a1', coins: 50, reason: 'goodwill' })).status).toBe(200);
    expect((await api('GET', `/members/${m}`)).body.coins.available).toBe(173);
    expect((await api('POST', `/members/nobody/coins/redemptions`, { redemptionId: 'x', coins: 1 })).status).toBe(404);
    const bad = await api('POST', `/members/${m}/coins/redemptions`, { redemptionId: 'x', coins: 1.5 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^coins: /);
    expect((await api('POST', `/members/${m}/coins/redemptions`, { redemptionId: 'x', coins: 1 }, viewerToken)).status).toBe(403);
    const kinds = (await ledger(m)).map((e) => `${e.kind} ${e.coins}`);
    expect(kinds).toEqual(expect.arrayContaining(['earn 123', 'redeem -100', 'reverse 100', 'adjust 50']));
  });
});
