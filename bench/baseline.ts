// The reference design AWS documentation recommends for a Kinesis consumer that must not apply an
// event twice: Powertools `BatchProcessor` + `processPartialResponse` (partial batch responses),
// each record made idempotent with `makeIdempotent` and the DynamoDB persistence layer, keyed on
// the event's `eventId` (JMESPath `eventId` on the decoded payload) — then, per event, one
// `UpdateItem` on the member and one `ADD` on the counters it affects.
//
// Kept as good as that design allows:
//  - records are processed in parallel (the BatchProcessor default): every write below commutes
//    (set and number ADDs, if_not_exists), so the result does not depend on their order;
//  - the counters an event affects live in one item per day and are added in one UpdateItem;
//  - the member update returns the old active-day set (ReturnValues UPDATED_OLD), so DAU,
//    new members and paying members are counted only when the event makes them true, with no
//    extra read;
//  - `new` is kept on the member's earliest day: an event that moves the earliest day moves the
//    count (−1 on the old day, +1 on the new one), so it is exact under any order.
// What it maintains: per day `dau`, `new`, `launches`, `sessions`, `sessionSeconds`, `pageViews`,
// `orders`, `revenueCents`, `payingMembers`, `b0`…`b5` (the same figures memberflow's day items
// give for these names); per member the active days, paying days, lifetime points from purchases
// and acquisition channel. It does not keep WAU/MAU, retention, lifecycle, tiers, the per-order
// ledger or refunds' revocations, which memberflow does — that only makes it cheaper.
import { CreateTableCommand, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { dayKey } from '../shared/keys/metrics-keys';
import { COUNTER, type ContributionCounter, SESSION_BUCKETS, sessionBucketCounter } from '../shared/metrics/catalogue';
import { sessionBucket } from '../shared/metrics/contribution';
import { dayOf } from '../shared/days/days';
import { parseEvent, type StreamEvent } from '../shared/events/events';
import { purchasePoints } from '../shared/points/points';
import type { Program } from '../shared/programme/vocabulary';

export interface BaselineTables {
  idempotency: string;
  members: string;
  counters: string;
}

/** The per-day figures both designs keep, by memberflow's counter names (shared/metrics/catalogue.ts). */
export const SIMPLE_COUNTERS = [
  COUNTER.dau,
  COUNTER.newMembers,
  ...(['launches', 'sessions', 'sessionSeconds', 'pageViews', 'orders', 'revenueCents', 'payingMembers'] satisfies ContributionCounter[]),
  ...SESSION_BUCKETS.map((_, bucket) => sessionBucketCounter(bucket)),
];

export const dayItemKey = dayKey;

export async function createBaselineTables(client: DynamoDBClient, prefix: string): Promise<BaselineTables> {
  const tables: BaselineTables = {
    idempotency: `${prefix}BaselineIdempotency`,
    members: `${prefix}BaselineMembers`,
    counters: `${prefix}BaselineCounters`,
  };
  const create = (name: string, key: string) =>
    client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
      }),
    );
  await create(tables.idempotency, 'id');
  await create(tables.members, 'memberId');
  await create(tables.counters, 'pk');
  // Powertools' record expiry attribute is `expiration` (epoch seconds): the table's TTL.
  await client.send(
    new UpdateTimeToLiveCommand({ TableName: tables.idempotency, TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true } }),
  );
  return tables;
}

/** A Lambda context for local invocations (the idempotency layer reads the remaining time). */
export function localContext(timeoutMs = 120_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'baseline',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:baseline',
    memoryLimitInMB: '1024',
    awsRequestId: `local-${deadline}`,
    logGroupName: '/aws/lambda/baseline',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Deltas by counter name: the catalogue's contribution counters, `dau` and `new`. */
type Counters = Partial<Record<ContributionCounter | typeof COUNTER.dau | typeof COUNTER.newMembers, number>>;

export function makeBaselineHandler(opts: { client: DynamoDBClient; tables: BaselineTables; program: Program }) {
  const { tables, program } = opts;
  const doc = DynamoDBDocumentClient.from(opts.client, { marshallOptions: { removeUndefinedValues: true } });
  const persistenceStore = new DynamoDBPersistenceLayer({ tableName: tables.idempotency, awsSdkV3Client: opts.client });
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'eventId', throwOnNoIdempotencyKey: true });
  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  const tz = program.timezone;

  const addCounters = async (day: number, counters: Counters) => {
    const entries = Object.entries(counters).filter(([, v]) => v !== 0);
    if (!entries.length) return;
    await doc.send(
      new UpdateCommand({
        TableName: tables.counters,
        Key: { pk: dayItemKey(day) },
        UpdateExpression: `ADD ${entries.map((_, i) => `#c${i} :c${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(entries.map(([name], i) => [`#c${i}`, name])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:c${i}`, v])),
      }),
    );
  };

  /** Everything one event changes; made idempotent on its eventId below. */
  const applyEvent = async (event: StreamEvent): Promise<void> => {
    // Refunds and job commands are not activity and feed none of these counters.
    if (event.type === 'refund' || event.type === 'tier_review') return;
    const day = dayOf(event.occurredAt, tz);
    const counters: Counters = {};
    const purchase = event.type === 'purchase';
    const sets = ['ads :d'];
    const values: Record<string, unknown> = { ':d': new Set([day]) };
    let setClause = '';
    if (purchase) {
      sets.push('pds :d', 'lp :pts');
      values[':pts'] = purchasePoints(program, event).points;
    }
    if (event.type === 'signup' && event.acquisitionChannel) {
      setClause = ' SET ac = if_not_exists(ac, :ac)';
      values[':ac'] = event.acquisitionChannel;
    }
    const out = await doc.send(
      new UpdateCommand({
        TableName: tables.members,
        Key: { memberId: event.memberId },
        UpdateExpression: `ADD ${sets.join(', ')}${setClause}`,
        ExpressionAttributeValues: values,
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    const oldDays = out.Attributes?.ads as Set<number> | undefined;
    const oldPaying = out.Attributes?.pds as Set<number> | undefined;
    const newDay = !oldDays?.has(day);
    if (newDay) counters[COUNTER.dau] = 1;
    let movedFrom: number | null = null;
    if (!oldDays) counters[COUNTER.newMembers] = 1;
    else if (newDay) {
      const earliest = Math.min(...oldDays);
      if (day < earliest) {
        counters[COUNTER.newMembers] = 1;
        movedFrom = earliest;
      }
    }
    switch (event.type) {
      case 'app_open':
        counters.launches = 1;
        break;
      case 'page_view':
        counters.pageViews = 1;
        break;
      case 'session_end': {
        counters.sessions = 1;
        counters.sessionSeconds = event.durationSeconds;
        const bucket = sessionBucket(event.pageViews);
        if (bucket >= 0) counters[sessionBucketCounter(bucket)] = 1;
        break;
      }
      case 'purchase':
        counters.orders = 1;
        counters.revenueCents = event.lines.reduce((sum, line) => sum + line.amountCents, 0);
        if (!oldPaying?.has(day)) counters.payingMembers = 1;
        break;
      default:
        break;
    }
    await addCounters(day, counters);
    if (movedFrom !== null) await addCounters(movedFrom, { [COUNTER.newMembers]: -1 });
  };

  const applyOnce = makeIdempotent(applyEvent, { persistenceStore, config });

  const recordHandler = async (record: KinesisStreamRecord): Promise<void> => {
    const payload = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
    const parsed = parseEvent(payload);
    // A deployment would send it to a dead-letter destination; memberflow quarantines it.
    if (!parsed.ok || parsed.event.type === 'erase_member' || parsed.event.type === 'coins_settle') return;
    await applyOnce(parsed.event);
  };

  return async (event: KinesisStreamEvent, context: Context = localContext()): Promise<KinesisStreamBatchResponse> => {
    config.registerLambdaContext(context);
    return processPartialResponse(event, recordHandler, processor, { context });
  };
}

/** The baseline's day items (missing days read as empty). */
export async function readBaselineDays(
  client: DynamoDBClient,
  tables: BaselineTables,
  days: readonly number[],
): Promise<Map<number, Counters>> {
  const doc = DynamoDBDocumentClient.from(client);
  const out = new Map<number, Counters>(days.map((d) => [d, {}]));
  for (let i = 0; i < days.length; i += 100) {
    const keys = days.slice(i, i + 100).map((d) => ({ pk: dayItemKey(d) }));
    const page = await doc.send(new BatchGetCommand({ RequestItems: { [tables.counters]: { Keys: keys, ConsistentRead: true } } }));
    for (const item of page.Responses?.[tables.counters] ?? []) {
      const { pk, ...counters } = item as { pk: string } & Counters;
      out.set(Number(pk.slice(2)), counters);
    }
  }
  return out;
}
