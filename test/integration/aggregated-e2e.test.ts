// KPL aggregated records through the local stack (kinesis-mock → the events consumer → DynamoDB
// Local → the HTTP API) give every figure exactly as the same events sent one per record: with the
// producer's per-shard aggregation, and with aggregates built from a stale shard map whose
// sub-records the consumer must forward to their members' shards. A corrupt aggregate is quarantined.
import { readFileSync } from 'node:fs';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kinesisClient } from '../../infra/local/engine/aws';
import { partitionKeyFor } from '../../infra/local/engine/kinesis-producer';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { aggregateEntries, Producer } from '../../producer';
import { encodeAggregate } from '../../shared/stream/kpl-aggregate';

const read = (file: string) =>
  readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim());
const sample = read('sample-month.jsonl');
const bad = read('bad-records.jsonl');
const FROM = '2026-10-01';
const TO = '2026-10-31';
const token = 'agg-token';
const enc = new TextEncoder();
const toRecord = (line: string) => ({ partitionKey: partitionKeyFor(line), data: enc.encode(line) });

let agg: LocalStack;
let producerCounters: Producer['counters'];
/** The plain run's answers, recorded before the aggregated stack starts. */
const plainAnswers = new Map<string, unknown>();

const attach = (name: string) =>
  attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `${name}${process.pid}-`,
    apiPort: 0,
    token,
    withScheduler: false,
    mappingOverrides: { maximumBatchingWindowInSeconds: 0 },
  });

async function get(stack: LocalStack, path: string) {
  const res = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as any };
}

const FIGURE_PATHS = [
  `/metrics/daily?from=${FROM}&to=${TO}`,
  `/metrics/retention?from=${FROM}&to=${TO}`,
  `/metrics/sessions?from=${FROM}&to=${TO}`,
  `/metrics/retention-by-channel?from=${FROM}&to=${TO}`,
  `/metrics/program?asOf=${TO}`,
  `/metrics/winback?from=${FROM}&to=${TO}`,
  '/segments',
];
const memberIds = [...new Set(sample.map((l) => JSON.parse(l).memberId as string))];
const memberPath = (id: string) => `/members/${id}?asOf=${TO}`;
const reasons = async (stack: LocalStack) =>
  ((await get(stack, '/quarantine?limit=100')).body as any[]).map((q) => `${q.reason} ${q.eventId ?? ''} ${q.detail}`).sort();

beforeAll(async () => {
  // One stack at a time: a local stack sets the handlers' environment (table and stream names) in
  // process.env, so two attached at once would both write the second one's tables.
  const plain = await attach('aggp');
  try {
    await plain.putRecords([...sample, ...bad]);
    await plain.drain({ timeoutMs: 180_000 });
    for (const path of [...FIGURE_PATHS, ...memberIds.map(memberPath)]) {
      const answer = await get(plain, path);
      expect(answer.status, path).toBe(200);
      plainAnswers.set(path, answer.body);
    }
    plainAnswers.set('quarantine', await reasons(plain));
  } finally {
    await plain.stop();
  }

  agg = await attach('agga');
  // Split by member, so each member's records keep their order in either path (the order they
  // arrive in still decides, e.g., whether a refund finds its purchase or is quarantined as
  // unknown_order, and the 60-day lateness rule; joinedOn does not): half of the members through
  // the producer library, aggregated per destination shard.
  const firstHalf = new Set(memberIds.filter((_, i) => i % 2 === 0));
  const inFirst = (line: string) => firstHalf.has(JSON.parse(line).memberId as string);
  const first = sample.filter(inFirst);
  const second = sample.filter((line) => !inFirst(line));
  const client = kinesisClient(agg.endpoints);
  const StreamName = agg.names.streams.EventsStream;
  const producer = new Producer({ client, streamName: StreamName, aggregate: { maxBytes: 8 * 1024 } });
  await producer.send(first.map(toRecord));
  producerCounters = { ...producer.counters };
  // The other members (and the bad records) as a producer with a stale map would: members three to
  // an aggregate, placed by its first key's hash, so the other two's sub-records mostly belong to
  // other shards and are forwarded. A member's records stay in one aggregate: forwards from two
  // aggregates on two shards may overtake each other, and a refund that overtakes its purchase is
  // quarantined (unknown_order) — the sample has refunds.
  const staleMap = [{ shardId: 'all', start: 0n, end: 2n ** 128n - 1n }];
  const secondMembers = memberIds.filter((id) => !firstHalf.has(id));
  const stale = [];
  for (let i = 0; i < secondMembers.length; i += 3) {
    const group = new Set(secondMembers.slice(i, i + 3));
    const lines = second.filter((line) => group.has(JSON.parse(line).memberId as string));
    const entries = aggregateEntries(lines.map(toRecord), staleMap, 1024 * 1024);
    expect(entries).toHaveLength(1);
    stale.push(...entries);
  }
  stale.push(...aggregateEntries(bad.map(toRecord), staleMap, 8 * 1024));
  await client.send(
    new PutRecordsCommand({
      StreamName,
      Records: stale.map((e) => ({ Data: e.data, PartitionKey: e.partitionKey, ExplicitHashKey: e.explicitHashKey })),
    }),
  );
  client.destroy();
  await agg.drain({ timeoutMs: 180_000 });
}, 600_000);
afterAll(async () => {
  await agg?.stop();
});

describe('aggregated records through the local stack', () => {
  it('were sent as far fewer Kinesis records', () => {
    expect(producerCounters.sent).toBe(sample.filter((l) => memberIds.indexOf(JSON.parse(l).memberId as string) % 2 === 0).length);
    expect(producerCounters.kinesisRecords).toBeLessThan(producerCounters.sent / 5);
  });

  it('give every daily, retention, session, channel, programme and win-back figure of the plain run', async () => {
    for (const path of FIGURE_PATHS) {
      const b = await get(agg, path);
      expect(b.status, path).toBe(200);
      expect(b.body, path).toEqual(plainAnswers.get(path));
    }
    const daily = (await get(agg, `/metrics/daily?from=${FROM}&to=${TO}`)).body.days;
    expect(daily.reduce((n: number, d: any) => n + d.dau, 0)).toBeGreaterThan(50);
  }, 240_000);

  it('give every member of the plain run', async () => {
    expect(memberIds.length).toBeGreaterThan(20);
    for (const id of memberIds) expect((await get(agg, memberPath(id))).body, id).toEqual(plainAnswers.get(memberPath(id)));
  }, 240_000);

  it('quarantine the same bad records with the same reasons', async () => {
    expect(await reasons(agg)).toEqual(plainAnswers.get('quarantine'));
    expect(new Set((await reasons(agg)).map((r) => r.split(' ')[0]))).toEqual(
      new Set(['not_json', 'too_large', 'invalid_event', 'future_occurred_at', 'unknown_order']),
    );
  });

  it('quarantine a corrupt aggregate whole with its own reason', async () => {
    const lines = [0, 1, 2].map((i) =>
      JSON.stringify({ eventId: `corrupt-${i}`, type: 'app_open', memberId: 'corrupt-member', occurredAt: '2026-10-20T08:00:00Z' }),
    );
    const data = encodeAggregate(lines.map(toRecord));
    data[data.length - 1] ^= 0x01; // the last byte of the MD5 checksum
    const client = kinesisClient(agg.endpoints);
    await client.send(
      new PutRecordsCommand({ StreamName: agg.names.streams.EventsStream, Records: [{ Data: data, PartitionKey: 'corrupt-member' }] }),
    );
    client.destroy();
    await agg.drain({ timeoutMs: 60_000 });
    const items = ((await get(agg, '/quarantine?limit=100')).body as any[]).filter((q) => q.reason === 'corrupt_aggregate');
    expect(items).toHaveLength(1);
    expect(items[0].detail).toMatch(/checksum/);
    expect((await get(agg, '/members/corrupt-member')).status).toBe(404);
  });
});
