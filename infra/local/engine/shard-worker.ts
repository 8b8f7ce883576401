// One shard of a local event source mapping (infra/local/engine/poller.ts): reads in order, one
// batch in flight, batching window and payload cap, partial failures, bisection, retries and the
// on-failure destination.
import { performance } from 'node:perf_hooks';
import type { FailedBatch, FailureCondition } from './failure-destination';
import type { MappingConfig, MappingStats } from './mapping-config';
import { compareSeq, type ShardDesc, type SourceRecord, type StreamSource } from './stream-sources';

export const MAX_PAYLOAD = 6 * 1024 * 1024 - 16 * 1024;
export const WINDOW_POLL_MS = 100;

export type Outcome = { kind: 'ok' } | { kind: 'partial'; index: number } | { kind: 'error'; error: string };

/**
 * Interprets a handler's answer (ReportBatchItemFailures rules from the Lambda docs, docs/aws.md):
 * nothing, `""`, `[]`, `{}` and an empty or null `batchItemFailures` are complete success.
 */
export function interpretResponse(response: unknown, batch: SourceRecord[], reportBatchItemFailures: boolean): Outcome {
  if (!reportBatchItemFailures || response === null || response === undefined || response === '') return { kind: 'ok' };
  if (Array.isArray(response) && response.length === 0) return { kind: 'ok' };
  if (typeof response !== 'object' || Array.isArray(response)) return { kind: 'error', error: 'malformed response: not an object' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'ok' };
  if (!Array.isArray(failures)) return { kind: 'error', error: 'malformed response: batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'ok' };
  let lowest = -1;
  for (const f of failures) {
    const id = f && typeof f === 'object' ? (f as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '') return { kind: 'error', error: 'malformed response: empty or missing itemIdentifier' };
    const index = batch.findIndex((r) => r.sequenceNumber === id);
    if (index < 0) return { kind: 'error', error: `malformed response: itemIdentifier ${id} is not in the batch` };
    if (lowest < 0 || compareSeq(batch[index].sequenceNumber, batch[lowest].sequenceNumber) < 0) lowest = index;
  }
  return { kind: 'partial', index: lowest };
}

/** A sleep that `wake()` cuts short. */
export class Waker {
  private pending: Array<() => void> = [];
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.pending = this.pending.filter((p) => p !== done);
        resolve();
      };
      const t = setTimeout(done, ms); // done runs only after this line (a timer or wake())
      this.pending.push(done);
    });
  }
  wake(): void {
    for (const p of this.pending) p(); // each p() replaces this.pending, not the array iterated here
  }
}

/** What a shard worker uses of its mapping (EventSourceMapping in poller.ts). */
export interface ShardOwner {
  readonly config: MappingConfig;
  readonly source: StreamSource;
  readonly stats: MappingStats;
  /** Idle polls and shard discovery: drain() wakes these. */
  readonly waker: Waker;
  /** Batching windows and retry backoff: only stop() cuts these short. */
  readonly timer: Waker;
  readonly poll: { min: number; max: number };
  readonly retryBaseMs: number;
  readonly growRetries: boolean;
  readonly stopped: boolean;
  log(msg: string): void;
  invokeBatch(records: SourceRecord[]): Promise<Outcome>;
  sendToDestination(batch: FailedBatch): Promise<void>;
  onShardDone(shardId: string): void;
}

export class ShardWorker {
  private buffer: SourceRecord[] = [];
  private iterator?: string;
  private lastFetched?: string;
  private closed = false;
  private windowStart = 0;
  private idleStreak = 0;
  private errorStreak = 0;
  done = false;
  inFlight = false;
  /** Start time of the last poll that found nothing to do (buffer empty, nothing in flight). */
  lastIdlePoll = -Infinity;
  readonly loop: Promise<void>;

  constructor(
    private readonly m: ShardOwner,
    readonly shard: ShardDesc,
    private readonly start: 'TRIM_HORIZON' | 'LATEST',
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.m.stopped && !this.done) {
      try {
        await this.step();
        this.errorStreak = 0;
      } catch (err) {
        // Expired/invalid iterators, throttling, a restarting service: re-acquire and back off.
        this.iterator = undefined;
        this.errorStreak++;
        if (this.errorStreak === 1 || this.errorStreak % 20 === 0) {
          this.m.log(`${this.m.config.name} ${this.shard.shardId}: ${(err as Error).name}: ${(err as Error).message}`);
        }
        await this.m.timer.sleep(Math.min(100 * 2 ** Math.min(this.errorStreak, 5), 2000));
      }
    }
  }

  private async step(): Promise<void> {
    const cfg = this.m.config;
    if (this.buffer.length < cfg.batchSize && !this.closed) {
      const pollStart = performance.now();
      if (!this.iterator) {
        const start = this.lastFetched
          ? { type: 'AFTER_SEQUENCE_NUMBER' as const, sequenceNumber: this.lastFetched }
          : { type: this.start };
        this.iterator = await this.m.source.getIterator(this.shard.shardId, start);
        if (!this.iterator) this.closed = true;
      }
      if (this.iterator) {
        const wasEmpty = !this.buffer.length;
        const res = await this.readMore(Math.max(cfg.batchSize - this.buffer.length, 100));
        if (res.records.length) {
          if (wasEmpty) this.windowStart = performance.now();
          this.idleStreak = 0;
        } else if (!this.buffer.length && !this.closed) {
          if (res.millisBehindLatest && res.millisBehindLatest > 0) {
            // An empty page of a shard that has more data further on: read on, without spinning.
            await this.m.timer.sleep(this.m.poll.min);
            return;
          }
          this.lastIdlePoll = pollStart;
          this.idleStreak++;
          const p = this.m.poll;
          await this.m.waker.sleep(Math.min(p.min * 2 ** Math.min(this.idleStreak, 6), p.max));
          return;
        }
      }
    }
    if (!this.buffer.length) {
      if (this.closed) this.finish();
      return;
    }
    const full = this.buffer.length >= cfg.batchSize || this.payloadBytes() >= MAX_PAYLOAD;
    const windowLeft = cfg.maximumBatchingWindowInSeconds * 1000 - (performance.now() - this.windowStart);
    if (!full && !this.closed && windowLeft > 0) {
      // Gather more during the window; every poll costs kinesis-mock O(records in the shard).
      await this.m.timer.sleep(Math.min(windowLeft, WINDOW_POLL_MS));
      return;
    }
    const batch = this.takeBatch();
    this.inFlight = true;
    try {
      await this.process(batch);
    } finally {
      this.inFlight = false;
      this.windowStart = performance.now(); // a new window starts after each invocation
    }
  }

  /** One GetRecords into the buffer. */
  private async readMore(limit: number): Promise<{ records: SourceRecord[]; millisBehindLatest?: number }> {
    const res = await this.m.source.read(this.iterator!, limit, this.shard.shardId);
    this.iterator = res.nextIterator;
    if (!res.nextIterator) this.closed = true;
    if (res.records.length) {
      this.buffer.push(...res.records);
      this.lastFetched = res.records[res.records.length - 1].sequenceNumber;
    }
    return res;
  }

  /** The records that follow the batch in flight, up to `n` (read from the stream if needed). */
  private async following(n: number): Promise<SourceRecord[]> {
    if (this.buffer.length < n && this.iterator && !this.closed) {
      try {
        await this.readMore(Math.max(n - this.buffer.length, 100));
      } catch {
        this.iterator = undefined; // re-acquired by the next step; the retry goes ahead as it is
      }
    }
    return this.buffer.splice(0, n);
  }

  private payloadBytes(): number {
    let n = 0;
    for (const r of this.buffer) {
      n += r.sizeBytes + 1;
      if (n >= MAX_PAYLOAD) break;
    }
    return n;
  }

  private takeBatch(): SourceRecord[] {
    let n = 0;
    let bytes = 0;
    const size = this.m.growRetries ? Math.ceil(this.m.config.batchSize / 2) : this.m.config.batchSize;
    while (n < this.buffer.length && n < size) {
      bytes += this.buffer[n].sizeBytes + 1;
      if (n > 0 && bytes > MAX_PAYLOAD) break;
      n++;
    }
    return this.buffer.splice(0, n);
  }

  /** Runs one batch to completion: success, or retries/bisection ending at the destination. */
  private async process(records: SourceRecord[]): Promise<void> {
    const cfg = this.m.config;
    const queue: Array<{ records: SourceRecord[]; retries: number; invokes: number }> = [{ records, retries: 0, invokes: 0 }];
    while (queue.length) {
      if (this.m.stopped) return; // abandoned; an in-memory stack has nothing to resume
      const item = queue[0];
      if (cfg.maximumRecordAgeInSeconds >= 0) {
        const cutoff = Date.now() - cfg.maximumRecordAgeInSeconds * 1000;
        const expired = item.records.filter((r) => r.arrivalMs < cutoff);
        if (expired.length) {
          item.records = item.records.filter((r) => r.arrivalMs >= cutoff);
          await this.toDestination(expired, 'RecordAgeExceeded', item.invokes);
          if (!item.records.length) {
            queue.shift();
            continue;
          }
        }
      }
      item.invokes++;
      const outcome = await this.m.invokeBatch(item.records);
      if (outcome.kind === 'ok') {
        queue.shift();
        continue;
      }
      if (outcome.kind === 'partial') {
        // Records before the lowest failure are done; redeliver from it (no halving: AWS
        // "bisects at the returned sequence number" when both options are on).
        item.records = item.records.slice(outcome.index);
      } else if (cfg.bisectBatchOnFunctionError && item.records.length > 1) {
        // Splitting does not count towards the retry quota.
        const mid = Math.ceil(item.records.length / 2);
        queue.splice(
          0,
          1,
          { records: item.records.slice(0, mid), retries: item.retries, invokes: 0 },
          {
            records: item.records.slice(mid),
            retries: item.retries,
            invokes: 0,
          },
        );
        continue;
      }
      item.retries++;
      if (cfg.maximumRetryAttempts >= 0 && item.retries > cfg.maximumRetryAttempts) {
        await this.toDestination(item.records, 'RetryAttemptsExhausted', item.invokes, outcome.kind);
        queue.shift();
        continue;
      }
      await this.m.timer.sleep(Math.min(this.m.retryBaseMs * 2 ** (item.retries - 1), 2000));
      // Only the last item of the queue is followed by the unread records (bisected halves are not).
      if (this.m.growRetries && queue.length === 1) await this.grow(item);
    }
  }

  /** Re-reads from the checkpoint: the retry carries the records that follow, up to the batch size. */
  private async grow(item: { records: SourceRecord[] }): Promise<void> {
    const added = await this.following(this.m.config.batchSize - item.records.length);
    if (!added.length) return;
    item.records = [...item.records, ...added];
    this.m.stats.grownRetries++;
    this.m.stats.recordsAddedOnRetry += added.length;
  }

  private async toDestination(
    records: SourceRecord[],
    condition: FailureCondition,
    invokes: number,
    lastOutcome?: 'partial' | 'error',
  ): Promise<void> {
    const batch: FailedBatch = {
      mapping: this.m.config.name,
      functionName: this.m.config.functionName,
      sourceKind: this.m.source.kind,
      sourceArn: this.m.source.arn,
      shardId: this.shard.shardId,
      condition,
      records,
      approximateInvokeCount: invokes,
      lastOutcome,
    };
    await this.m.sendToDestination(batch);
  }

  private finish(): void {
    this.done = true;
    this.m.onShardDone(this.shard.shardId);
  }
}
