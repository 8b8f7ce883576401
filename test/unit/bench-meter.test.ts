// The benchmark's capacity meter against DynamoDB's documented billing rules, and its lower-bound
// counter. (The meter's item copies are also checked against the stored items after every bench
// run: `meter check` in its report.)
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { lowerBound } from '../../bench/lower-bound';
import {
  attributeSize,
  indexWriteUnits,
  itemFromDocument,
  itemSize,
  numberSize,
  readUnitsFor,
  valueSize,
  writeUnitsFor,
  type AttrMap,
  type TableInfo,
} from '../../bench/billing';
import { CapacityMeter } from '../../bench/meter';
import { applyUpdate } from '../../bench/update-expression';
import { planBatches } from '../../infra/local/engine/batch-plan';

const S = (s: string) => ({ S: s });
const N = (n: string | number) => ({ N: String(n) });
/** An item of exactly `bytes` bytes: key `id` = "k" (3 bytes) + attribute `p` of bytes − 4 chars. */
const sized = (bytes: number, id = 'k'): AttrMap => ({ id: S(id), p: S('x'.repeat(bytes - 2 - id.length - 1)) });

describe('item sizes (DynamoDB Developer Guide, "DynamoDB item sizes and formats")', () => {
  it('strings: UTF-8 bytes of the name plus UTF-8 bytes of the value', () => {
    expect(attributeSize('name', S('hello'))).toBe(4 + 5);
    expect(attributeSize('会员', S('会员力'))).toBe(6 + 9);
    expect(attributeSize('e', S(''))).toBe(1);
  });

  it('numbers: one byte per two significant digits plus one, leading and trailing zeros trimmed', () => {
    expect(numberSize('7')).toBe(2);
    expect(numberSize('12')).toBe(2);
    expect(numberSize('123')).toBe(3);
    expect(numberSize('-1.50')).toBe(2); // "15"
    expect(numberSize('0.0001')).toBe(2); // "1"
    expect(numberSize('1000000')).toBe(2); // "1"
    expect(numberSize('1020')).toBe(3); // "102"
    expect(numberSize('1E+21')).toBe(2);
    expect(numberSize('12345678901234567890123456789012345678')).toBe(20); // 38 digits
    expect(attributeSize('lp', N(20751))).toBe(2 + 4); // 5 digits: 3 + 1
    expect(attributeSize('lp', N(20750))).toBe(2 + 3); // "2075"
  });

  it('binary: raw bytes (not base64); null and boolean: one byte', () => {
    expect(valueSize({ B: new Uint8Array(16) })).toBe(16);
    expect(valueSize({ B: Buffer.from(new Uint8Array(16)).toString('base64') })).toBe(16);
    expect(attributeSize('ok', { BOOL: true })).toBe(3);
    expect(attributeSize('no', { NULL: true })).toBe(3);
  });

  it('lists and maps: 3 bytes of overhead plus one byte per element; map keys count', () => {
    expect(valueSize({ L: [] })).toBe(3);
    expect(valueSize({ M: {} })).toBe(3);
    expect(valueSize({ L: [S('a'), S('bc')] })).toBe(3 + (1 + 1) + (1 + 2));
    expect(valueSize({ M: { x: S('ab'), yy: N(5) } })).toBe(3 + (1 + 1 + 2) + (1 + 2 + 2));
    expect(valueSize({ M: { m: { L: [N(1)] } } })).toBe(3 + 1 + 1 + (3 + 1 + 2));
  });

  it('sets: the sum of their elements', () => {
    expect(valueSize({ SS: ['a', 'bb'] })).toBe(3);
    expect(valueSize({ NS: ['1', '22', '333'] })).toBe(2 + 2 + 3);
    expect(valueSize({ BS: [new Uint8Array(2), new Uint8Array(3)] })).toBe(5);
  });

  it('an item is the sum of its attributes; document-client values convert to the same sizes', () => {
    const item = { memberId: S('m00001'), v: N(3), rb: { B: new Uint8Array(16) }, m: { M: { dau: N(12) } } };
    expect(itemSize(item)).toBe(8 + 6 + (1 + 2) + (2 + 16) + (1 + 3 + 1 + 3 + 2));
    expect(itemSize(itemFromDocument({ memberId: 'm00001', v: 3, rb: new Uint8Array(16), m: { dau: 12 } }))).toBe(itemSize(item));
    expect(itemSize(sized(1024))).toBe(1024);
  });

  it('write units: ⌈KB⌉ with a minimum of 1; read units: ⌈4 KB⌉, half when eventually consistent', () => {
    expect(writeUnitsFor(0)).toBe(1);
    expect(writeUnitsFor(1024)).toBe(1);
    expect(writeUnitsFor(1025)).toBe(2);
    expect(writeUnitsFor(2500)).toBe(3);
    expect(readUnitsFor(4096, true)).toBe(1);
    expect(readUnitsFor(4097, true)).toBe(2);
    expect(readUnitsFor(100, false)).toBe(0.5);
    expect(readUnitsFor(0, true)).toBe(1);
  });
});

describe('update expressions, evaluated on the meter’s copy of the item', () => {
  it('SET with nested paths, arithmetic, if_not_exists and list_append; REMOVE', () => {
    const before: AttrMap = { memberId: S('m1'), sk: S('o#1'), rv: N(10), rf: { M: {} }, l: { L: [N(1)] }, gone: S('x') };
    const after = applyUpdate(
      before,
      'SET rf.#rid = :refund, rv = rv + :points, ac = if_not_exists(ac, :ac), l = list_append(l, :more) REMOVE gone',
      { '#rid': 'r-1' },
      { ':refund': { M: { p: N(5) } }, ':points': N(5), ':ac': S('wechat'), ':more': { L: [N(2)] } },
    );
    expect(after).toEqual({
      memberId: S('m1'),
      sk: S('o#1'),
      rv: N(15),
      rf: { M: { 'r-1': { M: { p: N(5) } } } },
      l: { L: [N(1), N(2)] },
      ac: S('wechat'),
    });
    expect(before.rv).toEqual(N(10)); // the copy is not mutated
  });

  it('every operand reads the item as it was before the update', () => {
    expect(applyUpdate({ a: N(1), b: N(2) }, 'SET a = b, b = a')).toEqual({ a: N(2), b: N(1) });
  });

  it('ADD to numbers and sets, DELETE from sets (an emptied set disappears)', () => {
    const after = applyUpdate({ k: S('1'), ads: { NS: ['20750'] } }, 'ADD ads :d, n :one, pds :d', undefined, {
      ':d': { NS: ['20750', '20751'] },
      ':one': N(1),
    });
    expect(after).toEqual({ k: S('1'), ads: { NS: ['20750', '20751'] }, n: N(1), pds: { NS: ['20750', '20751'] } });
    expect(applyUpdate(after, 'DELETE pds :d', undefined, { ':d': { NS: ['20750', '20751'] } })).not.toHaveProperty('pds');
    expect(applyUpdate({ k: S('1'), big: N('9007199254740993') }, 'ADD big :one', undefined, { ':one': N(1) }).big).toEqual(
      N('9007199254740994'),
    );
  });
});

const TABLES: Record<string, TableInfo> = {
  T: { keys: ['id'], indexes: [] },
  P: { keys: ['pk', 'sk'], indexes: [] },
  // Like MembersTable: a sparse KEYS_ONLY index on (rvb, rv).
  M: { keys: ['memberId'], indexes: [{ name: 'TierReviewIndex', keys: ['rvb', 'rv'], projection: 'KEYS_ONLY', include: [] }] },
};
const meter = () => CapacityMeter.withTables(TABLES);
const failed = { error: Object.assign(new Error('condition'), { name: 'ConditionalCheckFailedException' }) };

describe('write units by DynamoDB’s rules', () => {
  it('PutItem: the larger of the item before and after, per KB', async () => {
    const m = meter();
    await m.observe('PutItem', { TableName: 'T', Item: sized(1500) }, {});
    expect(m.snapshot().writeUnits).toBe(2);
    await m.observe('PutItem', { TableName: 'T', Item: sized(500) }, {}); // replaces 1.5 KB: 2
    expect(m.snapshot().writeUnits).toBe(4);
    await m.observe('PutItem', { TableName: 'T', Item: sized(500) }, {});
    expect(m.snapshot().writeUnits).toBe(5);
  });

  it('UpdateItem: the larger of before and after, after computed from the expression', async () => {
    const m = meter();
    await m.observe('PutItem', { TableName: 'T', Item: sized(1000) }, {});
    await m.observe(
      'UpdateItem',
      { TableName: 'T', Key: { id: S('k') }, UpdateExpression: 'SET q = :q', ExpressionAttributeValues: { ':q': S('y'.repeat(100)) } },
      {},
    );
    expect(m.snapshot().writeUnits).toBe(1 + 2); // 1000 → 1101 bytes
    await m.observe('UpdateItem', { TableName: 'T', Key: { id: S('k') }, UpdateExpression: 'REMOVE q' }, {});
    expect(m.snapshot().writeUnits).toBe(1 + 2 + 2); // before 1101 bytes
    await m.observe(
      'UpdateItem',
      { TableName: 'T', Key: { id: S('new') }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': N(1) } },
      {},
    );
    expect(m.snapshot().writeUnits).toBe(6); // creates { id, n }
  });

  it('a failed condition costs the existing item’s size (minimum 1) and changes nothing', async () => {
    const m = meter();
    await m.observe('PutItem', { TableName: 'T', Item: sized(2500) }, {});
    await m.observe('PutItem', { TableName: 'T', Item: sized(100), ConditionExpression: 'attribute_not_exists(id)' }, failed);
    await m.observe('PutItem', { TableName: 'T', Item: sized(100, 'other'), ConditionExpression: 'attribute_not_exists(id)' }, failed);
    const t = m.snapshot().byTable.T;
    expect(t.writeUnits).toBe(3 + 3 + 1);
    expect(t.failedConditions).toBe(2);
    await m.observe('DeleteItem', { TableName: 'T', Key: { id: S('k') } }, {});
    expect(m.snapshot().writeUnits).toBe(7 + 3); // a delete costs the deleted item
  });

  it('BatchWriteItem charges each item on its own, not the unprocessed ones', async () => {
    const m = meter();
    const items = [sized(300, 'a'), sized(1100, 'b'), sized(300, 'c')];
    await m.observe(
      'BatchWriteItem',
      { RequestItems: { T: items.map((Item) => ({ PutRequest: { Item } })) } },
      { output: { UnprocessedItems: { T: [{ PutRequest: { Item: items[2] } }] } } },
    );
    expect(m.snapshot().writeUnits).toBe(1 + 2);
  });

  it('TransactWriteItems: twice each action', async () => {
    const m = meter();
    await m.observe(
      'TransactWriteItems',
      {
        TransactItems: [
          { Put: { TableName: 'T', Item: sized(1500, 'a') } },
          {
            Update: {
              TableName: 'P',
              Key: { pk: S('d#1'), sk: S('s0') },
              UpdateExpression: 'ADD dau :one',
              ExpressionAttributeValues: { ':one': N(1) },
            },
          },
          { ConditionCheck: { TableName: 'T', Key: { id: S('zz') }, ConditionExpression: 'attribute_not_exists(id)' } },
        ],
      },
      {},
    );
    expect(m.snapshot().writeUnits).toBe(2 * 2 + 2 * 1 + 2 * 1);
  });

  it('index writes: entering or leaving an index 1, an index key change 2, nothing for unprojected changes', async () => {
    const info = TABLES.M;
    const base = { memberId: S('m1'), v: N(1) };
    const inIndex = { ...base, rvb: S('3'), rv: N(20800) };
    expect(indexWriteUnits(info, undefined, base)).toBe(0);
    expect(indexWriteUnits(info, base, inIndex)).toBe(1);
    expect(indexWriteUnits(info, inIndex, { ...inIndex, v: N(2) })).toBe(0); // KEYS_ONLY: v not projected
    expect(indexWriteUnits(info, inIndex, { ...inIndex, rv: N(20900) })).toBe(2);
    expect(indexWriteUnits(info, inIndex, base)).toBe(1);
    const all = { keys: ['memberId'], indexes: [{ name: 'A', keys: ['rvb', 'rv'], projection: 'ALL' as const, include: [] }] };
    expect(indexWriteUnits(all, inIndex, { ...inIndex, v: N(2) })).toBe(1);
    const m = meter();
    await m.observe('PutItem', { TableName: 'M', Item: inIndex }, {});
    expect(m.snapshot().byTable.M).toMatchObject({ writeUnits: 2, indexWriteUnits: 1 });
  });
});

describe('read units by DynamoDB’s rules', () => {
  it('GetItem and BatchGetItem round each item to 4 KB; a missing item costs the minimum', async () => {
    const m = meter();
    await m.observe('PutItem', { TableName: 'T', Item: sized(1536, 'a') }, {});
    await m.observe('PutItem', { TableName: 'T', Item: sized(6656, 'b') }, {});
    await m.observe('GetItem', { TableName: 'T', Key: { id: S('a') } }, {});
    expect(m.snapshot().readUnits).toBe(0.5);
    // The guide's example: 1.5 KB and 6.5 KB read in one BatchGetItem = 4 KB + 8 KB = 3 units.
    await m.observe(
      'BatchGetItem',
      { RequestItems: { T: { Keys: [{ id: S('a') }, { id: S('b') }], ConsistentRead: true } } },
      { output: {} },
    );
    expect(m.snapshot().readUnits).toBe(0.5 + 3);
    await m.observe('BatchGetItem', { RequestItems: { T: { Keys: [{ id: S('none') }], ConsistentRead: true } } }, { output: {} });
    expect(m.snapshot().readUnits).toBe(4.5);
  });

  it('Query sums the items before rounding (1.5 KB + 6.5 KB = 8 KB = 2 units)', async () => {
    const m = meter();
    const a = sized(1536, 'a');
    const b = sized(6656, 'b');
    await m.observe('Query', { TableName: 'T', ConsistentRead: true }, { output: { Items: [a, b] } });
    expect(m.snapshot().readUnits).toBe(2);
  });
});

describe('the meter as SDK middleware', () => {
  it('sees the document client’s marshalled input and meters without changing the request', async () => {
    const requests: string[] = [];
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      requestHandler: {
        handle: async (request: { body?: string }) => {
          requests.push(String(request.body));
          return {
            response: {
              statusCode: 200,
              headers: { 'content-type': 'application/x-amz-json-1.0' },
              body: Readable.from([Buffer.from('{}')]),
            },
          };
        },
      } as never,
    });
    const m = meter();
    m.attach(client);
    const doc = DynamoDBDocumentClient.from(client);
    await doc.send(new PutCommand({ TableName: 'T', Item: { id: 'k', p: 'x'.repeat(2000) } }));
    await doc.send(new UpdateCommand({ TableName: 'T', Key: { id: 'k' }, UpdateExpression: 'REMOVE p' }));
    expect(m.snapshot().writeUnits).toBe(2 + 2);
    expect(JSON.parse(requests[1])).not.toHaveProperty('ReturnValues');
    m.enabled = false;
    await doc.send(new PutCommand({ TableName: 'T', Item: { id: 'k' } }));
    expect(m.snapshot().writeUnits).toBe(4);
    client.destroy();
  });
});

describe('the lower bound: one unit per (member, batch) with an event not seen before', () => {
  const line = (eventId: string, memberId: string) =>
    JSON.stringify({ eventId, memberId, type: 'app_open', occurredAt: '2026-10-01T00:00:00Z' });

  it('counts members with a new event in each batch, once per batch, skipping repeats and non-events', () => {
    const plan = planBatches(
      [
        line('e1', 'a'),
        line('e2', 'a'),
        line('e3', 'b'), // batch 1: a, b
        line('e1', 'a'),
        line('e4', 'b'),
        'not json', // batch 2: a repeats only; b new
        line('e2', 'a'),
        line('e3', 'b'),
        line('e5', 'c'), // batch 3: only c new
      ],
      { shards: 1, batchSize: 3 },
    );
    expect(lowerBound(plan.batches)).toEqual({ writeUnits: 2 + 1 + 1, refinedWriteUnits: 4, orders: 0, events: 8, repeats: 3, batches: 3 });
  });

  it('refines the bound with one unit per new order, repeats and re-confirmations not counted again', () => {
    const purchase = (eventId: string, memberId: string, orderId: string) =>
      JSON.stringify({ eventId, memberId, orderId, type: 'purchase', occurredAt: '2026-10-01T00:00:00Z' });
    const plan = planBatches(
      [
        purchase('p1', 'a', 'o1'),
        purchase('p2', 'a', 'o2'),
        line('e1', 'b'), // batch 1: a, b; orders o1, o2
        purchase('p1', 'a', 'o1'), // a repeated record
        purchase('p3', 'a', 'o1'), // o1 confirmed again under a new eventId
        purchase('p4', 'b', 'o1'), // another member's o1: a new order
      ],
      { shards: 1, batchSize: 3 },
    );
    expect(lowerBound(plan.batches)).toMatchObject({ writeUnits: 2 + 2, orders: 3, refinedWriteUnits: 4 + 3, repeats: 1 });
  });

  it('adds up over shards', () => {
    const lines = Array.from({ length: 40 }, (_, i) => line(`e${i}`, `m${i % 10}`));
    const plan = planBatches(lines, { shards: 4, batchSize: 40 });
    // Each shard has one batch; every member has new events in it: one unit per member.
    expect(lowerBound(plan.batches).writeUnits).toBe(10);
    const small = planBatches(lines, { shards: 1, batchSize: 10 });
    expect(lowerBound(small.batches).writeUnits).toBe(40);
  });
});
