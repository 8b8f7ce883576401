// A replay from the failed-batches bucket on DynamoDB Local (#19 item 2): the member write marks the
// ledger claims it applies in the same transaction, so a claim made by an attempt that never wrote
// the member is finished by the replay (new stream position), once; and a write whose version
// condition fails marks nothing.
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoLedger } from '../../functions/adapters/ledger-store';
import { MemberStore } from '../../functions/adapters/member-store';
import { dynamoClient } from '../../infra/local/engine/aws';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { processBatch, type BatchPorts, type MemberPort, type StreamRecord } from '../../shared/batch/process-batch';
import { orderKey, redemptionKey, refundKey } from '../../shared/keys/ledger-keys';
import { defaultProgram } from '../../shared/programme/load';
import type { OrderRecord } from '../../shared/member/ledger';
import { MemoryActions, MemoryHints, MemoryMetrics, MemoryQuarantine, MemorySegments } from '../support/memory-ports';
import { openLine as open, purchaseLine as purchase, refundLine as refund } from '../support/event-lines';

let stack: LocalStack;
let raw: ReturnType<typeof dynamoClient>;
let doc: DynamoDBDocumentClient;
let members: MemberStore;
let ledger: DynamoLedger;
let seq = 0;

const records = (lines: string[]): StreamRecord[] =>
  lines.map((line) => ({
    shardId: 'shardId-000000000000',
    seq: String(++seq).padStart(20, '0'),
    data: new TextEncoder().encode(line),
    arrivedAt: Date.parse('2026-11-20T00:00:00Z'),
  }));

const ports = (memberPort: MemberPort = members): BatchPorts => ({
  members: memberPort,
  ledger,
  quarantine: new MemoryQuarantine(),
  metrics: new MemoryMetrics(),
  actions: new MemoryActions(),
  segments: new MemorySegments(),
  hints: new MemoryHints(),
  program: defaultProgram(),
});

/** The member's writes fail (false, as a failed version condition) while everyone else's go through. */
const failingFor = (memberId: string): MemberPort => ({
  getMany: (ids) => members.getMany(ids),
  put: (state, applied) => (state.memberId === memberId ? Promise.resolve(false) : members.put(state, applied)),
});

const orderItem = async (memberId: string, orderId: string) =>
  (
    await doc.send(
      new GetCommand({ TableName: stack.names.tables.LedgerTable, Key: { memberId, sk: orderKey(orderId) }, ConsistentRead: true }),
    )
  ).Item as Record<string, any>;
const refundItem = async (memberId: string, orderId: string, refundId: string) =>
  (
    await doc.send(
      new GetCommand({
        TableName: stack.names.tables.LedgerTable,
        Key: { memberId, sk: refundKey(orderId, refundId) },
        ConsistentRead: true,
      }),
    )
  ).Item as Record<string, any>;
const points = async (memberId: string) => (await members.getMany([memberId])).get(memberId)!.lifetimePoints;

beforeAll(async () => {
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `replayclaims${process.pid}-`,
    apiPort: 0,
    token: 't',
    withScheduler: false,
  });
  raw = dynamoClient(stack.endpoints);
  doc = DynamoDBDocumentClient.from(raw);
  members = new MemberStore(doc, stack.names.tables.MembersTable, stack.names.tables.LedgerTable);
  ledger = new DynamoLedger(doc, stack.names.tables.LedgerTable);
}, 120_000);
afterAll(async () => {
  raw?.destroy();
  await stack?.stop();
});

describe('ledger claims finished by a replay (DynamoDB Local)', () => {
  it('applies a purchase and a refund whose first attempts never wrote the member on their replays, once', async () => {
    await processBatch(records([open('a1', 'r1', '2026-11-01')]), ports());
    // The purchase's batch fails for r1 until Lambda gives up; the shard moves on.
    const failedPurchase = [purchase('a2', 'r1', 'o1', '2026-11-02', 60_000)];
    for (let i = 0; i < 2; i++) expect((await processBatch(records(failedPurchase), ports(failingFor('r1')))).failedSeqs).toHaveLength(1);
    // The order rides on the member write: an attempt that never wrote the member stored nothing.
    expect(await orderItem('r1', 'o1')).toBeUndefined();
    await processBatch(records([open('a3', 'r1', '2026-11-03')]), ports());
    expect(await points('r1')).toBe(0);

    // The runbook's replay (new positions), twice.
    await processBatch(records(failedPurchase), ports());
    await processBatch(records(failedPurchase), ports());
    expect(await points('r1')).toBe(600);
    expect(await orderItem('r1', 'o1')).toMatchObject({ ca: true });

    // A refund of the stored order rides on the member write too: a failed attempt stores nothing.
    const failedRefund = [refund('a4', 'r1', 'o1', '2026-11-04', 20_000)];
    expect((await processBatch(records(failedRefund), ports(failingFor('r1')))).failedSeqs).toHaveLength(1);
    expect(await refundItem('r1', 'o1', 'a4')).toBeUndefined();
    await processBatch(records([open('a5', 'r1', '2026-11-05')]), ports());
    await processBatch(records(failedRefund), ports());
    await processBatch(records(failedRefund), ports());
    expect(await points('r1')).toBe(400);
    // Its own item, stored after the order's (`x`): the order item is not written again.
    expect(await refundItem('r1', 'o1', 'a4')).toMatchObject({ p: 200, a: true, x: true });
    expect(await orderItem('r1', 'o1')).toMatchObject({ rv: 0 });
    expect(await ledger.getOrder('r1', 'o1')).toMatchObject({ revokedPoints: 200, revokedCoins: 600 - 400 });
  });

  it('finishes a refund an older consumer claimed but never applied, once, in the member write’s transaction', async () => {
    await processBatch(records([purchase('g1', 'r7', 'o1', '2026-11-01', 60_000)]), ports());
    const order = (await ledger.getOrder('r7', 'o1'))!;
    // A refund claimed as an older consumer claimed them (the claim protocol, kept for another key's orders).
    const claim = (refundId: string, seq: string, revoked: number, as: OrderRecord) =>
      ledger.claimRefund(
        'r7',
        'o1',
        refundId,
        { eventId: refundId, shardId: 'shardId-000000000000', seq, applied: false, revokedPoints: revoked, revokedCoins: revoked },
        as,
      );
    await claim('g2', '1', 200, order);
    expect(await refundItem('r7', 'o1', 'g2')).toMatchObject({ a: false });
    const claimed = [refund('g2', 'r7', 'o1', '2026-11-02', 20_000)];
    await processBatch(records(claimed), ports());
    await processBatch(records(claimed), ports());
    expect(await points('r7')).toBe(400);
    expect(await refundItem('r7', 'o1', 'g2')).toMatchObject({ a: true });
    expect((await refundItem('r7', 'o1', 'g2')).x).toBeUndefined();
    expect(await orderItem('r7', 'o1')).toMatchObject({ rv: 200 });
    // A later refund goes through the outbox, and the claim protocol's guard still reads the order right.
    await processBatch(records([refund('g3', 'r7', 'o1', '2026-11-03', 10_000)]), ports());
    expect(await points('r7')).toBe(300);
    const after = (await ledger.getOrder('r7', 'o1'))!;
    expect(after.revokedPoints).toBe(300);
    await claim('g4', '9', 100, after);
    expect(await ledger.getOrder('r7', 'o1')).toMatchObject({ revokedPoints: 400 });
  });

  it('stores the coins a replayed purchase earns at its tier then on its order', async () => {
    await processBatch(records([open('f1', 'r6', '2026-11-01')]), ports());
    // o2 (¥100) applied at the member rate by attempts that never wrote r6: no order stored.
    const failed = [purchase('f2', 'r6', 'o2', '2026-11-02', 10_000)];
    for (let i = 0; i < 2; i++) expect((await processBatch(records(failed), ports(failingFor('r6')))).failedSeqs).toHaveLength(1);
    expect(await orderItem('r6', 'o2')).toBeUndefined();
    // o1 (¥1,500) makes r6 silver (2 coins per yuan) before the replay.
    await processBatch(records([purchase('f3', 'r6', 'o1', '2026-11-03', 150_000)]), ports());
    await processBatch(records(failed), ports());
    expect(await orderItem('r6', 'o2')).toMatchObject({ co: 200 });
    const coins = (await members.getMany(['r6'])).get('r6')!.coins.lots.reduce((sum, lot) => sum + lot.left, 0);
    expect(coins).toBe(1_500 + 200);
  });

  it('marks nothing when the member write loses its version condition (one transaction)', async () => {
    await processBatch(records([open('b1', 'r2', '2026-11-01')]), ports());
    const stale = (await members.getMany(['r2'])).get('r2')!;
    await processBatch(records([open('b2', 'r2', '2026-11-02')]), ports()); // the member moves on
    await ledger.claimPurchase('r2', {
      orderId: 'o9',
      day: 0,
      points: 1,
      eligibleCents: 100,
      eligibleSkus: [],
      revokedPoints: 0,
      coins: 0,
      revokedCoins: 0,
      claim: { eventId: 'b3', shardId: 'shardId-000000000000', seq: '1', applied: false },
      refunds: {},
    });
    expect(await members.put({ ...stale, lifetimePoints: 1 }, [{ orderId: 'o9' }])).toBe(false);
    expect(await orderItem('r2', 'o9')).toMatchObject({ ca: false });
    expect(await points('r2')).toBe(0);
  });

  it('keeps an order item the same size however many refunds it has: each refund is its own item (#19 item 5)', async () => {
    await processBatch(records([purchase('c1', 'r3', 'o1', '2026-11-01', 1_000_000)]), ports());
    const before = await orderItem('r3', 'o1');
    // 40 one-yuan refunds with the longest ids the schema allows (each ~300 bytes on one item before).
    const ids = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(125)}`);
    await processBatch(records(ids.map((id) => refund(id, 'r3', 'o1', '2026-11-02', 100))), ports());
    // Refunds of a stored order leave its item as it was: their own items hold them.
    expect(await orderItem('r3', 'o1')).toEqual(before);
    expect(await points('r3')).toBe(10_000 - 40);
    const order = (await ledger.getOrder('r3', 'o1'))!;
    expect(order.revokedPoints).toBe(40);
    expect(Object.keys(order.refunds).sort()).toEqual(ids);
    expect(Object.values(order.refunds).every((r) => r.applied === true && r.revokedPoints === 1 && r.afterOrder)).toBe(true);
    // A repeat of every refund changes nothing.
    await processBatch(records(ids.map((id) => refund(id, 'r3', 'o1', '2026-11-02', 100))), ports());
    expect(await points('r3')).toBe(10_000 - 40);
    expect((await ledger.getOrder('r3', 'o1'))!.revokedPoints).toBe(40);
  });

  it('lists coin movements through the one reader the consumer also reads orders with: refunds on the order item and on their own', async () => {
    const table = stack.names.tables.LedgerTable;
    // An order stored before refunds had their own items (its refund `old` on the item, `rf`) and a
    // refund stored after (its own item, claimed through the store), a redemption and booked moves.
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: {
          memberId: 'r4',
          sk: orderKey('o1'),
          day: 20_400,
          pts: 100,
          ec: 10_000,
          skus: [],
          rv: 10,
          co: 100,
          rc: 10,
          ce: 'e1',
          cs: 's',
          cq: '1',
          ca: true,
          rf: { old: { e: 'e2', s: 's', q: '2', p: 10, c: 10, a: true } },
        },
      }),
    );
    await ledger.claimRefund(
      'r4',
      'o1',
      'new',
      { eventId: 'e3', shardId: 's', seq: '3', revokedPoints: 20, revokedCoins: 20 },
      (await ledger.getOrder('r4', 'o1'))!,
    );
    const entry = (id: string, kind: string, coins: number) => ({
      id,
      at: '2025-11-10T08:00:00.000Z',
      day: 20_402,
      kind,
      coins,
      lot: 7,
      ref: 'x',
    });
    await doc.send(
      new PutCommand({ TableName: table, Item: { memberId: 'r4', sk: redemptionKey('x'), entries: [entry('redeem:x:L7', 'redeem', -5)] } }),
    );
    await doc.send(
      new PutCommand({ TableName: table, Item: { memberId: 'r4', sk: 'c#m#s#9', entries: [entry('available:L7', 'available', 5)] } }),
    );
    const byId = new Map((await ledger.coinLedger('r4')).map((e) => [e.id, e]));
    expect([...byId.keys()].sort()).toEqual(['available:L7', 'earn:o1', 'redeem:x:L7', 'revoke:o1:new', 'revoke:o1:old']);
    expect(byId.get('earn:o1')).toMatchObject({ kind: 'earn', coins: 100, day: 20_400, ref: 'o1' });
    expect(byId.get('revoke:o1:old')).toMatchObject({ kind: 'revoke', coins: -10, ref: 'old' });
    expect(byId.get('revoke:o1:new')).toMatchObject({ kind: 'revoke', coins: -20, ref: 'new' });
    // The consumer's read of the same order sees the same two refunds.
    expect(Object.keys((await ledger.getOrder('r4', 'o1'))!.refunds).sort()).toEqual(['new', 'old']);
  });

  it('stores the orders outbox of a write whose order puts never happened, before the member is reduced again', async () => {
    // The puts after the member write fail (the invocation dies there): the orders ride on the member.
    class DeadAfterWrite extends DynamoLedger {
      override async storeNewOrders(): Promise<void> {
        throw new Error('injected: gone after the member write');
      }
    }
    const dying = { ...ports(), ledger: new DeadAfterWrite(doc, stack.names.tables.LedgerTable) };
    const lines = [purchase('d1', 'r5', 'o1', '2026-11-01', 60_000), refund('d2', 'r5', 'o1', '2026-11-01', 20_000)];
    expect((await processBatch(records(lines), dying)).failedSeqs).toHaveLength(1);
    expect(await points('r5')).toBe(400);
    expect(await orderItem('r5', 'o1')).toBeUndefined();
    // The redelivery (then a replay at new positions, and a repeat of the order under another
    // eventId): the outbox is stored first — the order with its refund, applied — and nothing twice.
    await processBatch(records(lines), ports());
    await processBatch(records([...lines, purchase('d3', 'r5', 'o1', '2026-11-02', 60_000)]), ports());
    expect(await points('r5')).toBe(400);
    expect(await orderItem('r5', 'o1')).toMatchObject({ ca: true, pts: 600, rv: 200, ce: 'd1' });
    expect(await refundItem('r5', 'o1', 'd2')).toMatchObject({ a: true, p: 200, e: 'd2' });
    const member = (await members.getMany(['r5'])).get('r5')!;
    expect(member.purchases.map((p) => p.orders)).toEqual([1]);
    // A refund in a later batch reads the stored order and takes what is left of it.
    await processBatch(records([refund('d4', 'r5', 'o1', '2026-11-03', 40_000)]), ports());
    expect(await points('r5')).toBe(0);
    expect(await orderItem('r5', 'o1')).toMatchObject({ rv: 200 });
    expect(await refundItem('r5', 'o1', 'd4')).toMatchObject({ p: 400, x: true });
    expect((await ledger.getOrder('r5', 'o1'))!.revokedPoints).toBe(600);
  });

  it('stores a refund of a stored order whose puts never happened before the member is reduced again, once', async () => {
    class DeadAfterWrite extends DynamoLedger {
      override async storeNewOrders(): Promise<void> {
        throw new Error('injected: gone after the member write');
      }
    }
    await processBatch(records([purchase('h1', 'r8', 'o1', '2026-11-01', 60_000)]), ports());
    const dying = { ...ports(), ledger: new DeadAfterWrite(doc, stack.names.tables.LedgerTable) };
    const lines = [refund('h2', 'r8', 'o1', '2026-11-02', 20_000), refund('h3', 'r8', 'o1', '2026-11-02', 10_000)];
    expect((await processBatch(records(lines), dying)).failedSeqs).toHaveLength(1);
    expect(await points('r8')).toBe(300);
    expect(await refundItem('r8', 'o1', 'h2')).toBeUndefined();
    // The redelivery stores both from the member's outbox first, then finds them repeats; a third
    // refund in the same batch reads the stored order with both.
    await processBatch(records([...lines, refund('h4', 'r8', 'o1', '2026-11-03', 60_000)]), ports());
    expect(await points('r8')).toBe(0);
    expect(await refundItem('r8', 'o1', 'h2')).toMatchObject({ p: 200, x: true, a: true });
    expect(await refundItem('r8', 'o1', 'h3')).toMatchObject({ p: 100, x: true, a: true });
    expect(await refundItem('r8', 'o1', 'h4')).toMatchObject({ p: 300, x: true, a: true });
    expect(await orderItem('r8', 'o1')).toMatchObject({ rv: 0, rc: 0 });
    expect(await ledger.getOrder('r8', 'o1')).toMatchObject({ revokedPoints: 600, revokedCoins: 600 });
    const coins = (await members.getMany(['r8'])).get('r8')!.coins;
    expect(coins.lots.reduce((sum, lot) => sum + lot.left, 0) - coins.debt).toBe(0);
  });
});
