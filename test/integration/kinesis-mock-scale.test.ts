// kinesis-mock as the local stack runs it (patched, infra/local/engine/kinesis-mock-patch.ts) keeps
// its speed as a shard fills, and the patched PutRecords/GetRecords return exactly what the
// unpatched ones did: every record once, in put order per shard, at the sequence numbers PutRecords
// answered, and an iterator from the middle reads on from the right record.
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordsCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kinesisClient, waitFor } from '../../infra/local/engine/aws';

let client: KinesisClient;
const stream = `scale${process.pid}`;
const TOTAL = 30_000;
const PER_PUT = 500;

beforeAll(async () => {
  client = kinesisClient(inject('endpoints'));
  await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
  await waitFor(
    async () => {
      const res = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
      if (res.StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') throw new Error(`stream ${res.StreamDescriptionSummary?.StreamStatus}`);
    },
    30_000,
    'the stream to be active',
  );
});
afterAll(() => client?.destroy());

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('kinesis-mock at scale', () => {
  it('puts 30k records into 2 shards without slowing down, and reads them all back exactly', { timeout: 600_000 }, async () => {
    const put = new Map<string, Array<{ seq: string; data: string }>>();
    const latencies: number[] = [];
    for (let n = 0; n < TOTAL; n += PER_PUT) {
      const Records = Array.from({ length: PER_PUT }, (_, i) => ({
        Data: Buffer.from(`{"n":${n + i}}`),
        PartitionKey: `m-${(n + i) % 997}`,
        // Every third record placed by an explicit hash key, as the aggregating producer does.
        ExplicitHashKey: (n + i) % 3 === 0 ? ((BigInt(n + i) * 2n ** 100n) % 2n ** 128n).toString() : undefined,
      }));
      const t = performance.now();
      const res = await client.send(new PutRecordsCommand({ StreamName: stream, Records }));
      latencies.push(performance.now() - t);
      expect(res.FailedRecordCount).toBe(0);
      res.Records!.forEach((r, i) => {
        const list = put.get(r.ShardId!) ?? [];
        list.push({ seq: r.SequenceNumber!, data: `{"n":${n + i}}` });
        put.set(r.ShardId!, list);
      });
    }
    // Unpatched, a PutRecords of 500 into shards of 15k records each takes ~50× its first time.
    const first = median(latencies.slice(0, 10));
    const last = median(latencies.slice(-10));
    expect(last, `PutRecords median ${first.toFixed(0)} ms at the start, ${last.toFixed(0)} ms at ${TOTAL} records`).toBeLessThan(
      Math.max(4 * first, 150),
    );

    expect([...put.keys()].sort()).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    for (const [ShardId, expected] of put) {
      let it = (await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId, ShardIteratorType: 'TRIM_HORIZON' })))
        .ShardIterator;
      const got: Array<{ seq: string; data: string }> = [];
      const readLatencies: number[] = [];
      for (;;) {
        const t = performance.now();
        const res = await client.send(new GetRecordsCommand({ ShardIterator: it, Limit: 500 }));
        readLatencies.push(performance.now() - t);
        for (const r of res.Records ?? []) got.push({ seq: r.SequenceNumber!, data: Buffer.from(r.Data!).toString() });
        it = res.NextShardIterator;
        if (!res.Records?.length) break;
      }
      expect(got).toEqual(expected);
      // Read at the tail (the last page, empty) costs no more than reading near the head did.
      expect(readLatencies.at(-1)!).toBeLessThan(Math.max(4 * median(readLatencies.slice(0, 5)), 150));

      // An iterator after a record in the middle reads on from the next one.
      const mid = Math.floor(expected.length / 2);
      const after = await client.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId,
          ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
          StartingSequenceNumber: expected[mid].seq,
        }),
      );
      const page = await client.send(new GetRecordsCommand({ ShardIterator: after.ShardIterator, Limit: 3 }));
      expect(page.Records!.map((r) => r.SequenceNumber)).toEqual(expected.slice(mid + 1, mid + 4).map((e) => e.seq));
    }
  });
});
