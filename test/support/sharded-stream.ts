// An in-memory events stream of several shards over one MemoryPipeline's ports, the way Kinesis and
// Lambda drive the consumer: records routed by partition key, each shard delivered in sequence order
// in batches, a failed batch retried from the reported record, and what the consumer forwards (the
// identity commands, docs/architecture.md#identity) appended to the shard of its partition key.
import { processBatch, type BatchPorts, type ForwardedRecord, type StreamRecord } from '../../shared/batch/process-batch';
import { partitionKeyFor } from '../../shared/identity/keys';
import { hash53 } from '../../shared/util/hash';
import { MemoryPipeline } from './memory-pipeline';

export class ShardedStream {
  readonly shards: StreamRecord[][];
  /** Next undelivered record per shard. */
  private readonly cursor: number[];
  private seq = 0;
  /** Every record forwarded by the consumer, in order. */
  readonly forwarded: ForwardedRecord[] = [];
  retries = 0;

  constructor(
    readonly pipeline: MemoryPipeline = new MemoryPipeline(),
    readonly shardCount = 3,
    /** Fault hooks: each may throw to fail the batch at that point. */
    readonly overrides: (ports: BatchPorts) => Partial<BatchPorts> = () => ({}),
  ) {
    this.shards = Array.from({ length: shardCount }, () => []);
    this.cursor = new Array<number>(shardCount).fill(0);
  }

  shardOf(partitionKey: string): number {
    return hash53(partitionKey) % this.shardCount;
  }

  private append(partitionKey: string, data: Uint8Array): void {
    const shard = this.shardOf(partitionKey);
    this.shards[shard].push({
      shardId: `shardId-${String(shard).padStart(12, '0')}`,
      seq: String(++this.seq).padStart(20, '0'),
      data,
      arrivedAt: this.pipeline.now(),
    });
  }

  /** Puts JSON lines as a producer does (partition key: memberId, else anonymousId). */
  put(lines: readonly string[]): void {
    const encoder = new TextEncoder();
    for (const line of lines) this.append(partitionKeyFor(JSON.parse(line)) ?? line, encoder.encode(line));
  }

  ports(): BatchPorts {
    const base = this.pipeline.ports({
      forward: {
        put: async (records) => {
          for (const r of records) {
            this.forwarded.push(r);
            this.append(r.partitionKey, r.data);
          }
        },
      },
    });
    return { ...base, ...this.overrides(base) };
  }

  /** Delivers one batch of one shard (retrying as Lambda does); false when the shard had nothing. */
  async step(shard: number, batchSize: number): Promise<boolean> {
    const records = this.shards[shard];
    if (this.cursor[shard] >= records.length) return false;
    const batch = records.slice(this.cursor[shard], this.cursor[shard] + batchSize);
    let failedSeq: string | undefined;
    try {
      failedSeq = (await processBatch(batch, this.ports())).failedSeqs[0];
    } catch {
      failedSeq = batch[0].seq;
    }
    if (failedSeq === undefined) this.cursor[shard] += batch.length;
    else {
      if (++this.retries > 10_000) throw new Error('too many retries');
      this.cursor[shard] = records.findIndex((r) => r.seq === failedSeq);
    }
    return true;
  }

  /** Until every shard is drained, one batch per shard in turn (or in the order `pick` chooses). */
  async drain(batchSize = 50, pick?: (pending: number[]) => number): Promise<void> {
    for (;;) {
      const pending = this.shards.map((_, i) => i).filter((i) => this.cursor[i] < this.shards[i].length);
      if (!pending.length) return;
      if (pick) await this.step(pending[pick(pending) % pending.length], batchSize);
      else for (const shard of pending) await this.step(shard, batchSize);
    }
  }
}
