// The till's ledger records on DynamoDB Local (shared/coins/settle.ts): a record the api stored
// naming no place is claimed once, and a reversal stored over it afterwards — built from the
// redemption as read before the claim — keeps that claim (chaos seed 2026 counted a redemption
// twice when the reversal replaced the item and a redelivered settle record claimed it again).
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoLedger } from '../../functions/adapters/ledger-store';
import { dynamoClient } from '../../infra/local/engine/aws';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import type { RedemptionRecord } from '../../shared/coins/operation-records';
import { redemptionKey } from '../../shared/keys/ledger-keys';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { movesKey, type BookedMove } from '../../shared/coins/outbox';
import { movesAsEntries } from '../../shared/coins/ledger-view';

let stack: LocalStack;
let raw: ReturnType<typeof dynamoClient>;
let ledger: DynamoLedger;

beforeAll(async () => {
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `tillrecords${process.pid}-`,
    apiPort: 0,
    token: 't',
    withScheduler: false,
  });
  raw = dynamoClient(stack.endpoints);
  ledger = new DynamoLedger(DynamoDBDocumentClient.from(raw), stack.names.tables.LedgerTable);
}, 120_000);
afterAll(async () => {
  raw?.destroy();
  await stack?.stop();
});

const redemption = (memberId: string): RedemptionRecord => ({
  memberId,
  sk: redemptionKey('r1'),
  kind: 'redemption',
  body: { coins: 10 },
  answer: { redemptionId: 'r1', coins: 10, valueFen: 100, balance: { available: 90, pending: 0, debt: 0 } },
  takes: [{ lot: 3, availableOn: 20_800, expiresOn: 21_200, coins: 10, noticed: false }],
  reversed: false,
  entries: [{ id: 'redeem:r1:L3', at: '2027-01-10T04:00:00.000Z', day: 20_828, kind: 'redeem', coins: -10, lot: 3, ref: 'r1' }],
  at: '2027-01-10T04:00:00.000Z',
  cc: { 'd#2027-01-10': { 'coins.redeemed': 10 } },
});

const reversalOf = (record: RedemptionRecord): RedemptionRecord => ({
  ...record,
  reversed: true,
  entries: [
    ...record.entries,
    { id: 'reverse:r1:L3', at: '2027-01-10T05:00:00.000Z', day: 20_828, kind: 'reverse', coins: 10, lot: 3, ref: 'r1' },
  ],
  vc: { 'd#2027-01-10': { 'coins.reversed': 10 } },
});

describe('till records on DynamoDB Local', () => {
  it('a reversal stored after the redemption was claimed keeps the claim and its counts; the claim is made once', async () => {
    const unnamed = redemption('t1');
    expect(await ledger.storeOperation(unnamed)).toBe(true);
    // The reversal is built from the record as read now (no place yet)...
    const reversal = reversalOf((await ledger.operation('t1', unnamed.sk)) as RedemptionRecord);
    // ...then the consumer claims the redemption's place, and then the reversal is stored.
    expect(await ledger.claimPlace('t1', unnamed.sk, 'r#r1', 'shard-0|100')).toBe(true);
    expect(await ledger.storeOperation(reversal)).toBe(true);
    const stored = (await ledger.operation('t1', unnamed.sk)) as RedemptionRecord;
    expect(stored).toMatchObject({ reversed: true, cs: 'shard-0|100', cc: unnamed.cc, vc: reversal.vc });
    expect(stored.entries.map((e) => e.id)).toEqual(['redeem:r1:L3', 'reverse:r1:L3']);
    // Another settle record of the redemption (a redelivery) finds it claimed.
    expect(await ledger.claimPlace('t1', unnamed.sk, 'r#r1', 'shard-0|200')).toBe(false);
    // The reversal's own place is claimed once too, and the reversal is never stored twice.
    expect(await ledger.claimPlace('t1', unnamed.sk, 'v#r1', 'shard-0|300')).toBe(true);
    expect(await ledger.claimPlace('t1', unnamed.sk, 'v#r1', 'shard-0|400')).toBe(false);
    expect(await ledger.storeOperation(reversal)).toBe(false);
    expect(await ledger.operation('t1', unnamed.sk)).toMatchObject({ cs: 'shard-0|100', vs: 'shard-0|300' });
  });

  it('a reversal stored by the consumer names its own place and keeps the one the redemption was stored with', async () => {
    const named = { ...redemption('t2'), cs: 'shard-0|5' };
    expect(await ledger.storeOperation(named)).toBe(true);
    expect(await ledger.storeOperation(named)).toBe(false);
    // A reversal built from a stale read that lacks the place still keeps it.
    const { cs: _dropped, ...stale } = named;
    expect(await ledger.storeOperation({ ...reversalOf(stale), vs: 'shard-0|9' })).toBe(true);
    expect(await ledger.operation('t2', named.sk)).toMatchObject({ reversed: true, cs: 'shard-0|5', vs: 'shard-0|9' });
  });

  it('the consumer’s booked moves are stored packed and read back as ledger entries, by the coin ledger and subject access', async () => {
    const moves: BookedMove[] = [
      { id: 'available:L3', day: 20_830, kind: 'available', coins: 40, lot: 3, ref: 'L3' },
      { id: 'expire:L2', day: 20_831, kind: 'expire', coins: -5, lot: 2, ref: 'L2' },
    ];
    const key = movesKey({ shardId: 'shardId-000000000001', seq: '4966' });
    await ledger.putCoinMoves('t3', key, moves);
    expect(await ledger.hasCoinMoves('t3', key)).toBe(true);
    const stored = await raw.send(
      new GetItemCommand({ TableName: stack.names.tables.LedgerTable, Key: { memberId: { S: 't3' }, sk: { S: key } } }),
    );
    expect(Object.keys(stored.Item!).sort()).toEqual(['kind', 'memberId', 'mz', 'sk']);
    expect(await ledger.coinLedger('t3')).toEqual(movesAsEntries(moves));
    expect(await ledger.itemsOf(['t3'])).toEqual([{ memberId: 't3', sk: key, kind: 'moves', entries: movesAsEntries(moves) }]);
  });
});
