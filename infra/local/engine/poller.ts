// A local event source mapping with Lambda's stream semantics (Kinesis):
// one batch in flight per shard, in order; batch size, batching window and the 6 MB payload cap;
// ReportBatchItemFailures (checkpoint at the lowest failed sequence number); bisect on error;
// bounded retries and record age, then the on-failure destination; child shards after parents.
// Optionally (`growRetries`) a retry re-reads from the checkpoint with a larger batch, as Lambda's
// does when more records arrived since the first attempt.
import { performance } from 'node:perf_hooks';
import type { FailedBatch, FailureDestination } from './failure-destination';
import type { Invoke, MappingConfig, MappingStats, PollerOptions } from './mapping-config';
import { interpretResponse, type Outcome, type ShardOwner, ShardWorker, Waker } from './shard-worker';
import type { ShardDesc, SourceRecord, StreamSource } from './stream-sources';

export class EventSourceMapping implements ShardOwner {
  stopped = false;
  /** Idle polls and shard discovery: drain() wakes these. */
  readonly waker = new Waker();
  /** Batching windows and retry backoff: only stop() cuts these short. */
  readonly timer = new Waker();
  readonly stats: MappingStats = {
    invocations: 0,
    recordsDelivered: 0,
    failedInvocations: 0,
    recordsToDestination: 0,
    grownRetries: 0,
    recordsAddedOnRetry: 0,
  };
  readonly poll: { min: number; max: number };
  readonly retryBaseMs: number;
  readonly growRetries: boolean;
  readonly log: (msg: string) => void;
  private workers = new Map<string, ShardWorker>();
  private finished = new Set<string>();
  private shards: ShardDesc[] = [];
  private firstDiscovery = true;
  /** Start time of the last completed shard discovery. */
  lastDiscovery = -Infinity;
  private discoveryLoop?: Promise<void>;
  private markReady!: () => void;
  private readonly readyPromise = new Promise<void>((resolve) => (this.markReady = resolve));

  constructor(
    readonly config: MappingConfig,
    readonly source: StreamSource,
    private readonly invoke: Invoke,
    private readonly destination: FailureDestination | undefined,
    private readonly opts: PollerOptions = {},
  ) {
    this.poll = { min: opts.minPollMs ?? 25, max: opts.maxPollMs ?? 500 };
    this.retryBaseMs = opts.retryBaseMs ?? 100;
    this.growRetries = opts.growRetries ?? false;
    this.log = opts.log ?? (() => undefined);
  }

  start(): this {
    this.discoveryLoop ??= this.discover();
    return this;
  }

  private async discover(): Promise<void> {
    let errors = 0;
    while (!this.stopped) {
      const t = performance.now();
      try {
        this.shards = await this.source.listShards();
        this.startReadyShards();
        this.firstDiscovery = false;
        this.lastDiscovery = t;
        this.markReady();
        errors = 0;
      } catch (err) {
        if (errors++ % 20 === 0) this.log(`${this.config.name}: listing shards: ${(err as Error).message}`);
      }
      await this.waker.sleep(this.opts.discoveryMs ?? 1000);
    }
  }

  /** Starts shards whose parents are finished (or unknown): per-key order across resharding. */
  private startReadyShards(): void {
    const known = new Set(this.shards.map((s) => s.shardId));
    for (const s of this.shards) {
      if (this.workers.has(s.shardId)) continue;
      const parents = [s.parentShardId, s.adjacentParentShardId].filter((p): p is string => !!p && known.has(p));
      if (parents.some((p) => !this.finished.has(p))) continue;
      // The configured starting position applies to the shards present at start; later shards
      // (children, new DynamoDB stream shards) are read from their beginning, as Lambda does.
      const start = this.firstDiscovery ? this.config.startingPosition : 'TRIM_HORIZON';
      this.workers.set(s.shardId, new ShardWorker(this, s, start));
    }
  }

  onShardDone(shardId: string): void {
    this.finished.add(shardId);
    this.startReadyShards();
  }

  async invokeBatch(records: SourceRecord[]): Promise<Outcome> {
    this.stats.invocations++;
    this.stats.recordsDelivered += records.length;
    let outcome: Outcome;
    try {
      const response = await this.invoke({ Records: records.map((r) => r.lambdaRecord) });
      outcome = interpretResponse(response, records, this.config.reportBatchItemFailures);
    } catch (err) {
      outcome = { kind: 'error', error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
    }
    if (outcome.kind !== 'ok') {
      this.stats.failedInvocations++;
      const detail = outcome.kind === 'partial' ? `partial failure at ${records[outcome.index].sequenceNumber}` : outcome.error;
      this.log(`${this.config.name}: batch of ${records.length} failed (${detail})`);
    }
    return outcome;
  }

  async sendToDestination(batch: FailedBatch): Promise<void> {
    this.stats.recordsToDestination += batch.records.length;
    if (!this.destination) {
      this.log(`${this.config.name}: discarding ${batch.records.length} records (${batch.condition}; no on-failure destination)`);
      return;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.destination.send(batch);
        this.log(`${this.config.name}: ${batch.records.length} records sent to the on-failure destination (${batch.condition})`);
        return;
      } catch (err) {
        if (attempt >= 5 || this.stopped) {
          this.log(
            `${this.config.name}: on-failure destination failed, discarding ${batch.records.length} records: ${(err as Error).message}`,
          );
          return;
        }
        await this.timer.sleep(200 * attempt);
      }
    }
  }

  /** Resolves once the shards have been listed and their readers started. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Wake sleeping shard loops and the discovery loop now. */
  kick(): void {
    this.waker.wake();
  }

  /** Every known shard has polled empty (or finished) since `since`, and shards were listed since. */
  idleSince(since: number): boolean {
    if (this.lastDiscovery < since) return false;
    for (const w of this.workers.values()) {
      if (w.done) continue;
      if (w.inFlight || w.lastIdlePoll < since) return false;
    }
    return true;
  }

  progress(): number {
    return this.stats.invocations + this.stats.recordsToDestination;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.markReady();
    this.waker.wake();
    this.timer.wake();
    await Promise.all([this.discoveryLoop, ...[...this.workers.values()].map((w) => w.loop)]);
  }
}

/** The set of mappings of one stack, with drain(). */
export class Poller {
  readonly mappings: EventSourceMapping[] = [];

  add(mapping: EventSourceMapping): EventSourceMapping {
    this.mappings.push(mapping.start());
    return mapping;
  }

  /**
   * Resolves once every shard of every mapping has polled empty with nothing in flight, in two
   * consecutive rounds without any invocation — so records produced by one consumer (e.g. the
   * member table's change stream) have been handled by the next before it returns.
   */
  async drain(opts: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : Infinity;
    let quiet = 0;
    while (quiet < 2) {
      const since = performance.now();
      const before = this.mappings.reduce((n, m) => n + m.progress(), 0);
      for (let i = 0; !this.mappings.every((m) => m.idleSince(since)); i++) {
        if (Date.now() > deadline) throw new Error(`drain timed out after ${opts.timeoutMs} ms: ${this.describe()}`);
        if (i % 5 === 0) for (const m of this.mappings) m.kick();
        await new Promise((r) => setTimeout(r, 10));
      }
      const after = this.mappings.reduce((n, m) => n + m.progress(), 0);
      quiet = after === before ? quiet + 1 : 0;
    }
  }

  describe(): string {
    return this.mappings.map((m) => `${m.config.name} ${JSON.stringify(m.stats)}`).join('; ');
  }

  async stop(): Promise<void> {
    await Promise.all(this.mappings.map((m) => m.stop()));
  }
}
