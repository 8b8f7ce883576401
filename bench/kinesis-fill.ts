// `npm run bench:kinesis-fill -- [RECORDS] [--shards N]`: kinesis-mock alone as it fills. Starts a
// kinesis-mock as the local stack does (patched: infra/local/engine/kinesis-mock-patch.ts; set
// MEMBERFLOW_KINESIS_MOCK_PATCH=0 for the installed bundle as it is), creates a stream of N shards
// (default 4, the local EventsStream's), puts RECORDS (default 100,000) ~200-byte records in
// PutRecords of 500, and per 10,000 records prints the put rate and the time of a GetRecords at the
// tail of shard 0 (what a consumer that keeps up pays on every poll).
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { kinesisClient, waitFor } from '../infra/local/engine/aws';
import { freePort } from '../infra/local/engine/ports';
import { startKinesisMock, stopGroup } from '../infra/local/engine/processes';

const args = process.argv.slice(2);
const shardsAt = args.indexOf('--shards');
const shards = shardsAt >= 0 ? Number(args[shardsAt + 1]) : 4;
const total = Number(args.find((a, i) => !a.startsWith('--') && i !== shardsAt + 1) ?? 100_000);
const WINDOW = 10_000;

const mock = await startKinesisMock(await freePort(), 60_000);
const client = kinesisClient({ kinesis: mock.endpoint });
try {
  await client.send(new CreateStreamCommand({ StreamName: 'fill', ShardCount: shards }));
  await waitFor(
    async () => {
      const res = await client.send(new DescribeStreamSummaryCommand({ StreamName: 'fill' }));
      if (res.StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') throw new Error('not active yet');
    },
    30_000,
    'the stream',
  );
  const data = Buffer.from(
    JSON.stringify({
      type: 'page_view',
      eventId: '0'.repeat(36),
      memberId: 'm-000123',
      occurredAt: '2026-10-01T00:00:00.000Z',
      page: '/home',
    }),
  );
  let iterator = (
    await client.send(
      new GetShardIteratorCommand({ StreamName: 'fill', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }),
    )
  ).ShardIterator;
  console.log(`kinesis-mock ${process.env.MEMBERFLOW_KINESIS_MOCK_PATCH === '0' ? 'as installed' : 'patched'}, ${shards} shards`);
  let sent = 0;
  let t = performance.now();
  const t0 = t;
  while (sent < total) {
    const Records = Array.from({ length: 500 }, (_, i) => ({ Data: data, PartitionKey: `m-${sent + i}` }));
    await client.send(new PutRecordsCommand({ StreamName: 'fill', Records }));
    sent += Records.length;
    if (sent % WINDOW === 0 || sent >= total) {
      const rate = (WINDOW / (performance.now() - t)) * 1000;
      // Catch shard 0's reader up (pages of 1,000), then time one poll at the tail.
      for (;;) {
        const res = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        iterator = res.NextShardIterator;
        if (!res.Records?.length) break;
      }
      const g = performance.now();
      const tail = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      iterator = tail.NextShardIterator;
      console.log(`${sent} records: put ${rate.toFixed(0)} records/s, GetRecords at the tail ${(performance.now() - g).toFixed(1)} ms`);
      t = performance.now();
    }
  }
  console.log(`${total} records in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
} finally {
  client.destroy();
  await stopGroup(mock.info.pgid);
}
