// The events stream seen from its consumer: each shard's hash key range (ListShards, cached for the
// container, re-read for a shard it has not seen — a resharding), and forwarding of aggregated
// sub-records that belong to another shard's members back onto the stream under their own key.
import { ListShardsCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { ForwardedRecord, ForwardPort, ShardRangePort } from '../../shared/batch/decode';
import { chunks, untilDone } from './retry';

export class StreamShards implements ShardRangePort, ForwardPort {
  private ranges = new Map<string, { start: bigint; end: bigint }>();

  constructor(
    private readonly client: KinesisClient,
    private readonly streamName: string,
  ) {}

  async rangeOf(shardId: string): Promise<{ start: bigint; end: bigint } | undefined> {
    if (!this.ranges.has(shardId)) await this.load();
    return this.ranges.get(shardId);
  }

  private async load(): Promise<void> {
    const ranges = new Map<string, { start: bigint; end: bigint }>();
    let NextToken: string | undefined;
    do {
      // Closed shards too: a batch may come from a parent shard after a split.
      const page = await this.client.send(new ListShardsCommand(NextToken ? { NextToken } : { StreamName: this.streamName }));
      for (const s of page.Shards ?? [])
        ranges.set(s.ShardId!, { start: BigInt(s.HashKeyRange!.StartingHashKey!), end: BigInt(s.HashKeyRange!.EndingHashKey!) });
      NextToken = page.NextToken;
    } while (NextToken);
    this.ranges = ranges;
  }

  async put(records: readonly ForwardedRecord[]): Promise<void> {
    for (const batch of chunks(records, 500)) {
      const entries = batch.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey }));
      await untilDone(
        entries,
        async (pending) => {
          const out = await this.client.send(new PutRecordsCommand({ StreamName: this.streamName, Records: pending }));
          return pending.filter((_, i) => out.Records?.[i]?.ErrorCode);
        },
        'PutRecords forwarded sub-records',
      );
    }
  }
}
