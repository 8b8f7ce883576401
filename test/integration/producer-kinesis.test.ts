// The producer against kinesis-mock (real SDK), with partial PutRecords failures injected by
// aws-sdk-client-mock in front of the real client (a real service will not throttle on demand).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type PutRecordsCommandInput,
  type PutRecordsCommandOutput,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kinesisClient, waitFor } from '../../infra/local/engine/aws';
import { byteLines, isBlank } from '../../infra/local/cli/byte-lines';
import { partitionKeyFor, putRaw } from '../../infra/local/engine/kinesis-producer';
import { events, listOpenShards, Producer, SendError, shardFor, type BuiltEvent } from '../../producer';
import { decodeAggregate, hashKeyOf, isAggregated } from '../../shared/stream/kpl-aggregate';

let real: KinesisClient;
const prefix = `prod${process.pid}-`;
let streamCount = 0;

beforeAll(() => {
  real = kinesisClient(inject('endpoints'));
});
afterAll(() => real?.destroy());

async function newStream(shards: number): Promise<string> {
  const StreamName = `${prefix}${++streamCount}`;
  await real.send(new CreateStreamCommand({ StreamName, ShardCount: shards }));
  await waitActive(StreamName);
  return StreamName;
}

async function waitActive(StreamName: string): Promise<void> {
  await waitFor(
    async () => {
      const d = await real.send(new DescribeStreamSummaryCommand({ StreamName }));
      if (d.StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') throw new Error(`status ${d.StreamDescriptionSummary?.StreamStatus}`);
    },
    30_000,
    `stream ${StreamName}`,
    50,
  );
}

interface Stored {
  shardId: string;
  partitionKey: string;
  data: Uint8Array;
}

/** Every user record on the stream, de-aggregated, with the shard it was stored on. */
async function readAll(StreamName: string): Promise<{ kinesisRecords: number; records: Stored[] }> {
  const shards = (await real.send(new ListShardsCommand({ StreamName }))).Shards ?? [];
  const records: Stored[] = [];
  let kinesisRecords = 0;
  for (const shard of shards) {
    let iterator = (
      await real.send(new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))
    ).ShardIterator;
    while (iterator) {
      const page = await real.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of page.Records ?? []) {
        kinesisRecords++;
        const data = new Uint8Array(r.Data!);
        if (isAggregated(data))
          for (const sub of decodeAggregate(data))
            records.push({ shardId: shard.ShardId!, partitionKey: sub.partitionKey, data: sub.data });
        else records.push({ shardId: shard.ShardId!, partitionKey: r.PartitionKey!, data });
      }
      if (!page.Records?.length) break;
      iterator = page.NextShardIterator;
    }
  }
  return { kinesisRecords, records };
}

const eventIdOf = (data: Uint8Array) => JSON.parse(Buffer.from(data).toString('utf8')).eventId as string;

function makeEvents(n: number, members: number): BuiltEvent[] {
  const at = '2026-10-05T08:00:00Z';
  return Array.from({ length: n }, (_, i) =>
    i % 5 === 0
      ? events.purchase({
          memberId: `member-${i % members}`,
          occurredAt: at,
          channel: 'app',
          orderId: `o-${i}`,
          lines: [{ sku: `sku-${i % 17}`, category: 'tea', amountCents: 100 + i }],
        })
      : events.page_view({ memberId: `member-${i % members}`, occurredAt: at, page: `/p/${i}`, key: `view-${i}` }),
  );
}

/** A deterministic pseudo-random source. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

interface Faults {
  /** Share of entries answered ProvisionedThroughputExceededException. */
  failShare?: number;
  /** Whole calls that fail with a throttling error before reaching the service (by call number). */
  throttleCalls?: number[];
  /** Calls that reach the service but whose answer is lost (a timeout after the write). */
  lostAnswerCalls?: number[];
  /** Entries whose partition key is in this set always fail. */
  alwaysFail?: Set<string>;
}

/** A client whose PutRecords goes to kinesis-mock with injected faults; everything else passes through. */
function faultyClient(faults: Faults, seed = 7) {
  const client = new KinesisClient({ region: 'us-east-1' });
  const stub = mockClient(client);
  const random = rng(seed);
  const calls: PutRecordsCommandInput[] = [];
  stub.on(ListShardsCommand).callsFake((input) => real.send(new ListShardsCommand(input)));
  stub.on(PutRecordsCommand).callsFake(async (input: PutRecordsCommandInput): Promise<PutRecordsCommandOutput> => {
    calls.push(input);
    const n = calls.length;
    if (faults.throttleCalls?.includes(n))
      throw Object.assign(new Error('Rate exceeded'), {
        name: 'ProvisionedThroughputExceededException',
        $metadata: { httpStatusCode: 400 },
      });
    const entries = input.Records!;
    const failing = entries.map((e) => faults.alwaysFail?.has(e.PartitionKey!) || random() < (faults.failShare ?? 0));
    const forward = entries.filter((_, i) => !failing[i]);
    const answer = forward.length
      ? await real.send(new PutRecordsCommand({ StreamName: input.StreamName, Records: forward }))
      : { Records: [] };
    if (faults.lostAnswerCalls?.includes(n)) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    let j = 0;
    const Records = entries.map((_, i) =>
      failing[i] ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' } : answer.Records![j++],
    );
    return { $metadata: {}, FailedRecordCount: Records.filter((r) => r.ErrorCode).length, Records };
  });
  return { client, calls, restore: () => stub.restore() };
}

const noSleep = { sleep: async () => {}, random: rng(3) };

describe('producer against kinesis-mock with injected partial failures', () => {
  it('delivers every event exactly once through throttled requests and throttled entries', async () => {
    const streamName = await newStream(2);
    const { client, calls } = faultyClient({ failShare: 0.3, throttleCalls: [1, 4] });
    // 30% of entries fail each time: 12 attempts leave 1300 × 0.3^12 ≈ 0.0007 expected losses.
    const producer = new Producer({ client, streamName, maxAttempts: 12, ...noSleep });
    const sent = makeEvents(1300, 97);
    expect(await producer.send(sent)).toEqual({ sent: 1300, spooled: 0 });
    const { records } = await readAll(streamName);
    expect(records.map((r) => eventIdOf(r.data)).sort()).toEqual(sent.map((e) => e.event.eventId).sort());
    // Bytes unchanged and keyed by member.
    const byId = new Map(sent.map((e) => [e.event.eventId, e]));
    for (const r of records) {
      expect(Buffer.from(r.data).equals(Buffer.from(byId.get(eventIdOf(r.data))!.data))).toBe(true);
      expect(r.partitionKey).toBe(byId.get(eventIdOf(r.data))!.partitionKey);
    }
    expect(calls.every((c) => c.Records!.length <= 500)).toBe(true);
    expect(producer.counters.sent).toBe(1300);
    expect(producer.counters.failed).toBe(0);
    // Re-sent: the two throttled calls' entries and about 30% of entries each time.
    expect(producer.counters.retried).toBeGreaterThan(1000);
    expect(producer.counters.requests).toBe(calls.length);
  });

  it('re-sends a whole request whose answer was lost: duplicates are byte-identical events (same eventId)', async () => {
    const streamName = await newStream(1);
    const { client } = faultyClient({ lostAnswerCalls: [1] });
    const producer = new Producer({ client, streamName, ...noSleep });
    const sent = makeEvents(600, 40);
    await producer.send(sent);
    const { records } = await readAll(streamName);
    const ids = records.map((r) => eventIdOf(r.data));
    expect(new Set(ids)).toEqual(new Set(sent.map((e) => e.event.eventId)));
    // The first request (500) arrived twice; nothing else did.
    expect(ids.length).toBe(1100);
    const copies = new Map<string, Buffer[]>();
    for (const r of records) copies.set(eventIdOf(r.data), [...(copies.get(eventIdOf(r.data)) ?? []), Buffer.from(r.data)]);
    for (const list of copies.values()) for (const copy of list) expect(copy.equals(list[0])).toBe(true);
  });

  it('gives up after the bound with jittered backoff, naming exactly the undelivered events', async () => {
    const streamName = await newStream(1);
    const { client, calls } = faultyClient({ alwaysFail: new Set(['member-3']) });
    const delays: number[] = [];
    const producer = new Producer({
      client,
      streamName,
      maxAttempts: 5,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      random: rng(11),
      sleep: async (ms) => void delays.push(ms),
    });
    const sent = makeEvents(200, 20);
    const error = await producer.send(sent).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SendError);
    const undelivered = (error as SendError).undelivered.map((r) => eventIdOf(r.data)).sort();
    expect(undelivered).toEqual(
      sent
        .filter((e) => e.partitionKey === 'member-3')
        .map((e) => e.event.eventId)
        .sort(),
    );
    expect(calls.length).toBe(5);
    expect(delays.length).toBe(4);
    delays.forEach((d, i) => expect(d).toBeLessThanOrEqual(Math.min(1000, 100 * 2 ** (i + 1))));
    expect(new Set(delays).size).toBeGreaterThan(1);
    expect(producer.counters).toMatchObject({ sent: 190, failed: 10, retried: 40 });
    const { records } = await readAll(streamName);
    expect(records.length).toBe(190);
  });

  it('spools what it cannot deliver and sends it, in order and once, when the stream is back', async () => {
    const streamName = await newStream(1);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'memberflow-spool-'));
    try {
      const offline = faultyClient({ failShare: 1 });
      const first = new Producer({ client: offline.client, streamName, spoolDir: dir, maxAttempts: 3, ...noSleep });
      const batch1 = makeEvents(120, 10);
      const batch2 = makeEvents(130, 10).slice(120);
      expect(await first.send(batch1)).toEqual({ sent: 0, spooled: 120 });
      expect(await first.send(batch2)).toEqual({ sent: 0, spooled: 10 });
      expect(first.spooledRecords()).toBe(130);
      expect((await readAll(streamName)).records.length).toBe(0);
      // A new process with the same spool, online (still with some throttling).
      const online = faultyClient({ failShare: 0.2 });
      const second = new Producer({ client: online.client, streamName, spoolDir: dir, ...noSleep });
      const later = makeEvents(140, 10).slice(130);
      expect(await second.send(later)).toEqual({ sent: 10, spooled: 0 });
      expect(second.spooledRecords()).toBe(0);
      const { records } = await readAll(streamName);
      const ids = records.map((r) => eventIdOf(r.data));
      expect(ids.sort()).toEqual([...batch1, ...batch2, ...later].map((e) => e.event.eventId).sort());
      expect(second.counters.sent).toBe(140);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("aggregates per destination shard: every sub-record on its member's shard, once, through failures", async () => {
    const streamName = await newStream(4);
    const { client, calls } = faultyClient({ failShare: 0.25, throttleCalls: [2] }, 19);
    const producer = new Producer({ client, streamName, aggregate: true, ...noSleep });
    const sent = makeEvents(3000, 311);
    expect(await producer.send(sent)).toEqual({ sent: 3000, spooled: 0 });
    const shards = await listOpenShards(real, streamName);
    const { kinesisRecords, records } = await readAll(streamName);
    expect(records.map((r) => eventIdOf(r.data)).sort()).toEqual(sent.map((e) => e.event.eventId).sort());
    for (const r of records) expect(shardFor(shards, hashKeyOf(r.partitionKey))!.shardId).toBe(r.shardId);
    expect(kinesisRecords).toBe(producer.counters.kinesisRecords);
    expect(kinesisRecords).toBeLessThan(3000 / 50);
    expect(producer.counters.payloadUnits).toBeLessThanOrEqual(kinesisRecords * 1);
    expect(calls.flatMap((c) => c.Records!).every((e) => e.ExplicitHashKey !== undefined || !isAggregated(e.Data!))).toBe(true);
  });

  it('follows a resharding: re-reads the shard map when an aggregate lands on an unexpected shard', async () => {
    const streamName = await newStream(1);
    const { client } = faultyClient({});
    const producer = new Producer({ client, streamName, aggregate: true, shardMapMaxAgeMs: 3_600_000, ...noSleep });
    await producer.send(makeEvents(200, 50));
    const [only] = await listOpenShards(real, streamName);
    await real.send(
      new SplitShardCommand({ StreamName: streamName, ShardToSplit: only.shardId, NewStartingHashKey: (2n ** 127n).toString() }),
    );
    await waitActive(streamName);
    // The stale map groups every member together; Kinesis places the aggregates by their hash key.
    const stale = makeEvents(400, 50).slice(200, 300);
    await producer.send(stale);
    const fresh = makeEvents(400, 50).slice(300);
    await producer.send(fresh);
    const shards = await listOpenShards(real, streamName);
    expect(shards.length).toBe(2);
    const { records } = await readAll(streamName);
    const freshIds = new Set(fresh.map((e) => e.event.eventId));
    const freshRecords = records.filter((r) => freshIds.has(eventIdOf(r.data)));
    expect(freshRecords.length).toBe(100);
    for (const r of freshRecords) expect(shardFor(shards, hashKeyOf(r.partitionKey))!.shardId).toBe(r.shardId);
    // Nothing lost across the split; the stale sends' misplaced sub-records are the consumer's to forward.
    expect(records.length).toBe(400);
  });

  it("npm run send: each line's bytes reach the stream unchanged (not UTF-8 decoded and re-encoded)", async () => {
    const streamName = await newStream(2);
    const good = Buffer.from(
      '{"eventId":"s1","type":"app_open","memberId":"m-1","occurredAt":"2026-10-01T00:00:00Z","attributes":{"n":"饮料"}}',
    );
    const notUtf8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0xfe, 0xc3, 0x28, 0x7d]);
    const lone = Buffer.from('{"memberId":"m-2","x":"\ud800"}'); // a JSON escape, kept as its six bytes
    const file = Buffer.concat([good, Buffer.from('\r\n'), notUtf8, Buffer.from('\n  \t\n'), lone]);
    // Delivered in awkward pieces, as a stream may split a file anywhere.
    const pieces = [
      file.subarray(0, 7),
      file.subarray(7, good.length + 1),
      file.subarray(good.length + 1, good.length + 6),
      file.subarray(good.length + 6),
    ];
    const lines: Uint8Array[] = [];
    for await (const line of byteLines(
      (async function* () {
        yield* pieces;
      })(),
    ))
      if (!isBlank(line)) lines.push(line);
    expect(lines.map((l) => Buffer.from(l).toString('hex'))).toEqual([good, notUtf8, lone].map((b) => b.toString('hex')));
    expect(await putRaw(lines, { client: real, streamName })).toBe(3);
    const { records } = await readAll(streamName);
    expect(records.map((r) => Buffer.from(r.data).toString('hex')).sort()).toEqual(
      [good, notUtf8, lone].map((b) => b.toString('hex')).sort(),
    );
    expect(partitionKeyFor(good)).toBe('m-1');
    expect(records.find((r) => Buffer.from(r.data).equals(notUtf8))!.partitionKey).toBe(partitionKeyFor(notUtf8));
  });
});
