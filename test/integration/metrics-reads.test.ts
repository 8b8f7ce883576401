// The read cost of the metrics routes on DynamoDB Local (issue #16 item 3): a route answers from a
// constant number of DynamoDB requests, the same for 7 days as for 90 (day items are one partition
// per family with the day in the sort key, shared/keys/metrics-keys.ts), and sums every source's
// items. Requests are counted by a middleware on the client the route's stores use.
import type { CoinHoldersPage } from '../../shared/jobs/ports';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { setDocumentClient } from '../../functions/adapters/clients';
import { MetricsStore } from '../../functions/adapters/metrics-store';
import { CoinDueStore } from '../../functions/adapters/coin-due-store';
import { MemberStore } from '../../functions/adapters/member-store';
import { JobProgressStore } from '../../functions/adapters/job-stores';
import { stores } from '../../functions/adapters/stores';
import { getCoinMetrics } from '../../functions/api/coin-routes';
import {
  getDaily,
  getProgram,
  getRetention,
  getRetentionByChannel,
  getSessions,
  getWinback,
  type RouteContext,
} from '../../functions/api/routes';
import { getSegments } from '../../functions/api/segment-routes';
import { dynamoClient } from '../../infra/local/engine/aws';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { dayNumber, dayString } from '../../shared/days/days';
import {
  coinDayKey,
  coinDueSpans,
  dayKey,
  lastActiveHintKey,
  LEGACY_COIN_TOTALS_KEY,
  purchaseHintKey,
  TOTALS_KEY,
} from '../../shared/keys/metrics-keys';
import { loadProgram } from '../../shared/programme/load';
import { toMemberItem } from '../../functions/adapters/member-item';
import { newMember } from '../../shared/member/state';
import type { CoinLot } from '../../shared/coins/lots';
import { COIN_COUNTERS, pastDayName } from '../../shared/coins/outbox';

const SOURCES = ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002'];
const TODAY = dayNumber('2026-11-30');
const FIRST = TODAY - 140;
let stack: LocalStack;
let ctx: RouteContext;
const requests: string[] = [];

/** `dau` of a day in a source's item: distinct per (day, source), so a missed item shows. */
const dauOf = (day: number, source: number) => (day % 7) + 10 * (source + 1);

beforeAll(async () => {
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `mr${process.pid}-`,
    withApi: false,
    withPollers: false,
    withScheduler: false,
  });
  const raw = dynamoClient(inject('endpoints'));
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      requests.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  setDocumentClient(DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }));
  // Three sources' items for every day of 140, and the totals: written as the consumer writes them.
  const store = new MetricsStore(DynamoDBDocumentClient.from(dynamoClient(inject('endpoints'))), stack.names.tables.MetricsTable);
  const writes: (() => Promise<void>)[] = [];
  SOURCES.forEach((source, s) => {
    // Coin totals in the totals items, and in the legacy coin totals items written before.
    writes.push(() =>
      store.write(TOTALS_KEY, source, { hw: '1', counters: { members: 100, 'seg|status-active': 10 * (s + 1), dA: 30 } }, null),
    );
    writes.push(() => store.write(LEGACY_COIN_TOTALS_KEY, source, { hw: '1', counters: { dA: 20 } }, null));
    for (let d = FIRST; d <= TODAY + 1; d++) {
      // Coin day counts in the day items, and in the legacy coin day items written before.
      // The first source's items also hold coins made available two days before (pastDayName).
      const past = s === 0 ? { [pastDayName(COIN_COUNTERS.available, d - 2)]: 7 } : {};
      writes.push(() =>
        store.write(dayKey(d), source, { hw: '1', counters: { dau: dauOf(d, s), new: 1, b2: s, issued: 3, ...past } }, null),
      );
      writes.push(() => store.write(coinDayKey(dayString(d)), source, { hw: '1', counters: { issued: 2 } }, null));
    }
  });
  for (let i = 0; i < writes.length; i += 32) await Promise.all(writes.slice(i, i + 32).map((w) => w()));
  ctx = { program: loadProgram(), stores: stores(), now: () => Date.parse('2026-11-30T04:00:00Z') };
}, 180_000);

afterAll(async () => {
  setDocumentClient(undefined);
  await stack?.stop();
});

const event = (query: Record<string, string>) => ({ queryStringParameters: query }) as unknown as APIGatewayProxyEventV2;
const range = (days: number) => ({ from: dayString(TODAY - days), to: dayString(TODAY - 1) });

/** The route's answer and the DynamoDB requests it made. */
async function counted<T>(call: () => Promise<T>): Promise<{ body: T; requests: string[] }> {
  requests.length = 0;
  const body = await call();
  return { body, requests: [...requests] };
}

describe('metrics reads', () => {
  it('GET /metrics/daily: the same requests for 7 days as for 90, every source summed', async () => {
    const week = await counted(() => getDaily(ctx, event(range(7))));
    const quarter = await counted(() => getDaily(ctx, event(range(90))));
    expect(week.requests).toEqual(['QueryCommand']);
    expect(quarter.requests).toEqual(week.requests);
    expect(quarter.body.days).toHaveLength(90);
    for (const row of [...week.body.days, ...quarter.body.days]) {
      const d = dayNumber(row.day);
      expect(row.dau, row.day).toBe(SOURCES.reduce((sum, _, s) => sum + dauOf(d, s), 0));
      expect(row.newMembers, row.day).toBe(SOURCES.length);
    }
  });

  it.each<[string, (ctx: RouteContext, event: APIGatewayProxyEventV2) => Promise<unknown>]>([
    ['retention', getRetention],
    ['retention-by-channel', getRetentionByChannel],
    ['sessions', getSessions],
    ['winback', getWinback],
    ['coins', getCoinMetrics],
  ])('GET /metrics/%s: the same requests for 7 days as for 90', async (_, route) => {
    const week = await counted(() => route(ctx, event(range(7))));
    const quarter = await counted(() => route(ctx, event(range(90))));
    // coins: the totals and the legacy coin totals (one partition each), the day span and the legacy coin day span.
    expect(week.requests.length).toBeLessThanOrEqual(4);
    expect(quarter.requests).toEqual(week.requests);
  });

  it('GET /metrics/coins sums the coin counts of the day and totals items and of the legacy coin items', async () => {
    const { body } = await counted(() => getCoinMetrics(ctx, event(range(90))));
    expect(body.days).toHaveLength(90);
    for (const row of body.days) {
      expect(row.issued, row.day).toBe(SOURCES.length * (3 + 2));
      // Counted on its own day, though the item two days later holds it.
      expect(row.available, row.day).toBe(7);
      // No day moved the outstanding coins: every day ends with the totals' 30 + legacy 20 per source.
      expect(row.outstanding, row.day).toBe(SOURCES.length * (30 + 20));
    }
  });

  it('GET /metrics/sessions sums every source of every day', async () => {
    const { body } = await counted(() => getSessions(ctx, event(range(90))));
    for (const row of body.days) expect(row.buckets['6-9'], row.day).toBe(0 + 1 + 2);
  });

  it('GET /metrics/program: the same requests a week back as 120 days back, no read per segment or day', async () => {
    const week = await counted(() => getProgram(ctx, event({ asOf: dayString(TODAY - 7) })));
    const year = await counted(() => getProgram(ctx, event({ asOf: dayString(TODAY - 120) })));
    // The totals, the day span, the coin totals, the coin day span.
    expect(week.requests).toEqual(['QueryCommand', 'QueryCommand', 'QueryCommand', 'QueryCommand']);
    expect(year.requests).toEqual(week.requests);
    // Members are the running total less the later days' joiners (3 a day from each day on).
    expect(week.body.members).toBe(300 - 3 * 8);
    expect(year.body.members).toBe(300 - 3 * 121);
  });

  it("GET /metrics/program as of today: coin lots read only of members hinted after the coins job's last run and within the month", async () => {
    // The job ran yesterday: hints of days up to then are behind it (it hinted their members
    // again). 100 members hinted on a day it read, 100 on a day after the month, 120 with a lot
    // becoming available in 3 days (their items are skipped: every lot of theirs expires in a
    // year: unfiltered, 2 BatchGetItem), and one with 250 coins expiring on day +12, hinted with 5 of
    // them (read: 6 members).
    const lot = (seq: number, availableOn: number, expiresOn: number, left: number, booked: boolean): CoinLot => ({
      seq,
      availableOn,
      expiresOn,
      left,
      booked,
      noticed: booked,
    });
    const member = (memberId: string, lots: CoinLot[]) => {
      const state = newMember(memberId, TODAY - 400);
      state.coins = { lots, debt: 0, asOf: TODAY };
      return toMemberItem(state);
    };
    const far = (i: number, prefix: string) => member(`${prefix}-${i}`, [lot(1, TODAY - 30, TODAY + 335, 10, true)]);
    const groups = {
      behind: Array.from({ length: 100 }, (_, i) => far(i, 'behind')),
      later: Array.from({ length: 100 }, (_, i) => far(i, 'later')),
      pending: Array.from({ length: 120 }, (_, i) => member(`pending-${i}`, [lot(1, TODAY + 3, TODAY + 368, 10, false)])),
      expiring: [member('expiring', [lot(2, TODAY - 353, TODAY + 12, 250, true), lot(3, TODAY - 10, TODAY + 355, 40, true)])],
    };
    const client = DynamoDBDocumentClient.from(dynamoClient(inject('endpoints')));
    const items = Object.values(groups).flat();
    for (let i = 0; i < items.length; i += 32)
      await Promise.all(
        items.slice(i, i + 32).map((Item) => client.send(new PutCommand({ TableName: stack.names.tables.MembersTable, Item }))),
      );
    const hints = new CoinDueStore(client, stack.names.tables.MetricsTable);
    const ids = (list: { memberId: string }[]) => list.map((m) => m.memberId);
    await hints.put(TODAY - 5, 'test#behind', ids(groups.behind), TODAY + 335);
    await hints.put(TODAY + 31, 'test#later', ids(groups.later), TODAY + 335);
    await hints.put(TODAY + 3, 'test#pending', ids(groups.pending), TODAY + 368);
    await hints.put(TODAY + 4, 'test#pending-and-expiring', [...ids(groups.pending).slice(0, 5), 'expiring'], TODAY + 12);
    await new JobProgressStore(client, stack.names.tables.MetricsTable).recordRun('coins', TODAY - 1);
    const { body, requests: made } = await counted(() => getProgram(ctx, event({})));
    expect(body.coins.expiringNext30Days).toEqual({ coins: 250, members: 1 });
    // 6 members' lots in one BatchGetItem; 4 counter Queries and one per 14-day period of hints
    // from today to day +30 (3); the job's progress item.
    expect(made.filter((r) => r.startsWith('BatchGet'))).toHaveLength(1);
    expect(made.filter((r) => r === 'QueryCommand')).toHaveLength(4 + coinDueSpans(TODAY, TODAY + 30).length);
    expect(coinDueSpans(TODAY, TODAY + 30).length).toBeLessThanOrEqual(4);
    expect(made.filter((r) => r.startsWith('Get'))).toHaveLength(1);
    // The coins job's upgrade scan (run-coins.ts) pages through every member with a lot, and no other.
    const members = new MemberStore(client, stack.names.tables.MembersTable);
    const idsOf = (page: CoinHoldersPage) => page.members.map((m) => m.memberId);
    const holders: string[] = [];
    for await (const page of members.coinHolders()) holders.push(...idsOf(page));
    expect(holders.sort()).toEqual(ids(items.map((item) => ({ memberId: item.memberId }))).sort());
    // Two items a page: a scan stopped after its first page goes on from that page's `next`; between them, each holder once.
    const first: string[] = [];
    let next: string | undefined;
    for await (const page of members.coinHolders(undefined, 2)) {
      first.push(...idsOf(page));
      next = page.next;
      break;
    }
    expect(next).toBeDefined();
    const rest: string[] = [];
    for await (const page of members.coinHolders(next, 2)) rest.push(...idsOf(page));
    expect(rest.length).toBeGreaterThan(0);
    expect([...first, ...rest].sort()).toEqual(holders);
  });

  it('job hints: one item per batch and day read back as both lists, and last-active items stored before too', async () => {
    const store = new MetricsStore(DynamoDBDocumentClient.from(dynamoClient(inject('endpoints'))), stack.names.tables.MetricsTable);
    const day = TODAY - 200;
    await store.put(day, 'shardId-000000000000#7#a1', { purchased: ['m1'], lastActive: ['m1', 'm2'] });
    await store.put(day, 'shardId-000000000001#3#b2', { purchased: ['m3'], lastActive: [] });
    // A last-active list as consumers before the day items wrote it.
    await DynamoDBDocumentClient.from(dynamoClient(inject('endpoints'))).send(
      new PutCommand({
        TableName: stack.names.tables.MetricsTable,
        Item: { pk: lastActiveHintKey(day), sk: 'shardId-000000000002#1#c3', ids: ['m4'] },
      }),
    );
    expect((await store.hintIds(purchaseHintKey(day))).sort()).toEqual(['m1', 'm3']);
    expect((await store.hintIds(lastActiveHintKey(day))).sort()).toEqual(['m1', 'm2', 'm4']);
  });

  it('GET /segments: one request for every segment size', async () => {
    const { body, requests: made } = await counted(() => getSegments(ctx, event({})));
    expect(made).toEqual(['QueryCommand']);
    expect(body.find((s) => s.id === 'status-active')?.size).toBe(10 + 20 + 30);
  });
});
