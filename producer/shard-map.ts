// Which shard a partition key lands on: the stream's open shards and their hash key ranges, from
// ListShards, refreshed after a while and whenever Kinesis places a record elsewhere (resharding).
import { ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { hashKeyOf } from '../shared/stream/kpl-aggregate';

export interface ShardRange {
  shardId: string;
  start: bigint;
  end: bigint;
}

/** Open shards only (a closed parent has an ending sequence number and takes no writes). */
export async function listOpenShards(client: KinesisClient, streamName: string): Promise<ShardRange[]> {
  const shards: ShardRange[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new ListShardsCommand(NextToken ? { NextToken } : { StreamName: streamName }));
    for (const s of page.Shards ?? []) {
      if (s.SequenceNumberRange?.EndingSequenceNumber) continue;
      shards.push({ shardId: s.ShardId!, start: BigInt(s.HashKeyRange!.StartingHashKey!), end: BigInt(s.HashKeyRange!.EndingHashKey!) });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return shards.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

export function shardFor(shards: readonly ShardRange[], hashKey: bigint): ShardRange | undefined {
  let lo = 0;
  let hi = shards.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = shards[mid];
    if (hashKey < s.start) hi = mid - 1;
    else if (hashKey > s.end) lo = mid + 1;
    else return s;
  }
  return undefined;
}

export class ShardMap {
  private shards: ShardRange[] = [];
  private loadedAt = -Infinity;

  constructor(
    private readonly client: KinesisClient,
    private readonly streamName: string,
    private readonly maxAgeMs = 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Loads the map when it is missing or older than maxAgeMs. */
  async current(): Promise<readonly ShardRange[]> {
    if (!this.shards.length || this.clock() - this.loadedAt > this.maxAgeMs) await this.refresh();
    return this.shards;
  }

  async refresh(): Promise<void> {
    const shards = await listOpenShards(this.client, this.streamName);
    if (!shards.length) throw new Error(`stream ${this.streamName} has no open shard`);
    this.shards = shards;
    this.loadedAt = this.clock();
  }

  /** Marks the map stale, e.g. after Kinesis put a record on a shard the map did not expect. */
  invalidate(): void {
    this.loadedAt = -Infinity;
  }

  /** The shard of a partition key in the current map (call current() first). */
  shardOf(partitionKey: string): ShardRange {
    const shard = shardFor(this.shards, hashKeyOf(partitionKey));
    if (!shard) throw new Error('the shard map does not cover every hash key (resharding in progress?)');
    return shard;
  }
}
