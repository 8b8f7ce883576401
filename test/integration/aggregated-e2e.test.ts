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

let plain: LocalStack;
let agg: LocalStack;
let producerCounters: Producer['counters'];

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

beforeAll(async () => {
  [plain, agg] = await Promise.all([attach('aggp'), attach('agga')]);
  const half = Math.floor(sample.length / 2);
  await plain.putRecords([...sample, ...bad]);
  // The first half through the producer library, aggregated per destination shard.
  const client = kinesisClient(agg.endpoints);
  const StreamName = agg.names.streams.EventsStream;
  const producer = new Producer({ client, streamName: StreamName, aggregate: { maxBytes: 8 * 1024 } });
  await producer.send(sample.slice(0, half).map(toRecord));
  producerCounters = { ...producer.counters };
  // The second half (and the bad records) as a producer with a stale map would: every member in one
  // aggregate, placed by its first key's hash; most sub-records belong to other shards.
  const stale = aggregateEntries(
    [...sample.slice(half), ...bad].map(toRecord),
    [{ shardId: 'all', start: 0n, end: 2n ** 128n - 1n }],
    8 * 1024,
  );
  await client.send(
    new PutRecordsCommand({
      StreamName,
      Records: stale.map((e) => ({ Data: e.data, PartitionKey: e.partitionKey, ExplicitHashKey: e.explicitHashKey })),
    }),
  );
  client.destroy();
  await Promise.all([plain.drain({ timeoutMs: 180_000 }), agg.drain({ timeoutMs: 180_000 })]);
}, 400_000);
afterAll(async () => {
  await Promise.all([plain?.stop(), agg?.stop()]);
});

describe('aggregated records through the local stack', () => {
  it('were sent as far fewer Kinesis records', () => {
    expect(producerCounters.sent).toBe(Math.floor(sample.length / 2));
    expect(producerCounters.kinesisRecords).toBeLessThan(producerCounters.sent / 5);
  });

  it('give every daily, retention, session, channel, programme and win-back figure of the plain run', async () => {
    const paths = [
      `/metrics/daily?from=${FROM}&to=${TO}`,
      `/metrics/retention?from=${FROM}&to=${TO}`,
      `/metrics/sessions?from=${FROM}&to=${TO}`,
      `/metrics/retention-by-channel?from=${FROM}&to=${TO}`,
      `/metrics/program?asOf=${TO}`,
      `/metrics/winback?from=${FROM}&to=${TO}`,
      '/segments',
    ];
    for (const path of paths) {
      const [a, b] = await Promise.all([get(plain, path), get(agg, path)]);
      expect(a.status, path).toBe(200);
      expect(b.body, path).toEqual(a.body);
    }
    const daily = (await get(agg, `/metrics/daily?from=${FROM}&to=${TO}`)).body.days;
    expect(daily.reduce((n: number, d: any) => n + d.dau, 0)).toBeGreaterThan(50);
  }, 240_000);

  it('give every member of the plain run', async () => {
    const ids = [...new Set(sample.map((l) => JSON.parse(l).memberId as string))];
    expect(ids.length).toBeGreaterThan(20);
    for (const id of ids) {
      const [a, b] = await Promise.all([get(plain, `/members/${id}?asOf=${TO}`), get(agg, `/members/${id}?asOf=${TO}`)]);
      expect(b.body, id).toEqual(a.body);
    }
  }, 240_000);

  it('quarantine the same bad records with the same reasons', async () => {
    const reasons = async (stack: LocalStack) =>
      ((await get(stack, '/quarantine?limit=100')).body as any[]).map((q) => `${q.reason} ${q.eventId ?? ''} ${q.detail}`).sort();
    expect(await reasons(agg)).toEqual(await reasons(plain));
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
