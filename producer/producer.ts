// The producer: validated events (or raw records) → PutRecords requests within the Kinesis limits,
// optionally aggregated per destination shard; records a PutRecords answer marks failed are re-sent
// alone, with jittered exponential backoff, a bounded number of times; what still fails goes to
// the spool when there is one, else is handed back in a SendError.
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry, type PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import { aggregateEntries, DEFAULT_AGGREGATE_BYTES } from './aggregator';
import { payloadUnits, plainEntry, planRequests, type PutEntry, type UserRecordInput } from './batching';
import { ShardMap } from './shard-map';
import { Spool } from './spool';

export interface ProducerOptions {
  client: KinesisClient;
  streamName: string;
  /** Pack records of the same shard into KPL aggregates (default off). `maxBytes` default 25 KiB. */
  aggregate?: boolean | { maxBytes?: number };
  /** Attempts per record, the first included (default 8). */
  maxAttempts?: number;
  /** Backoff: a random delay in [0, min(maxDelayMs, baseDelayMs·2^attempt)] ("full jitter"). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Directory of the on-disk spool; without one, undeliverable records are thrown back. */
  spoolDir?: string;
  /** How long a shard map is trusted before ListShards is asked again (default 60 s). */
  shardMapMaxAgeMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface ProducerCounters {
  /** User records (events) Kinesis acknowledged. */
  sent: number;
  /** User records re-sent after a failure. */
  retried: number;
  /** User records given up (not spooled). */
  failed: number;
  /** User records written to the spool. */
  spooled: number;
  /** Kinesis records acknowledged (an aggregate counts once). */
  kinesisRecords: number;
  /** PUT payload units of the acknowledged records (25 KB each, rounded up per record). */
  payloadUnits: number;
  /** PutRecords calls made. */
  requests: number;
}

export interface SendResult {
  sent: number;
  spooled: number;
}

export class SendError extends Error {
  constructor(
    message: string,
    /** The user records that were not delivered, for the caller to keep. */
    readonly undelivered: UserRecordInput[],
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'LimitExceededException',
  'KMSThrottlingException',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
]);

/** Throttling, 5xx and network errors are worth another try; a validation or access error is not. */
export function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number }; code?: string };
  if (e?.$retryable || RETRYABLE.has(e?.name ?? '')) return true;
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500;
  return true; // no HTTP answer at all: a network error
}

export class Producer {
  readonly counters: ProducerCounters = { sent: 0, retried: 0, failed: 0, spooled: 0, kinesisRecords: 0, payloadUnits: 0, requests: 0 };
  private readonly shards?: ShardMap;
  private readonly spool?: Spool;
  private readonly maxAttempts: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: ProducerOptions) {
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.random = opts.random ?? Math.random;
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    if (opts.aggregate) this.shards = new ShardMap(opts.client, opts.streamName, opts.shardMapMaxAgeMs);
    if (opts.spoolDir) this.spool = new Spool(opts.spoolDir);
  }

  /**
   * Sends the records (built events or raw `{ data, partitionKey }`), spooled ones first. Resolves
   * once each is acknowledged or spooled; throws SendError naming the undelivered ones otherwise.
   */
  async send(records: readonly UserRecordInput[]): Promise<SendResult> {
    let spooled = 0;
    if (this.spool?.files().length) {
      const drained = await this.drainSpool();
      if (drained.remaining) {
        // Still offline: keep order, spool these behind the others.
        this.spool.append(records);
        this.counters.spooled += records.length;
        return { sent: 0, spooled: records.length };
      }
    }
    const undelivered = await this.deliver(records);
    if (undelivered.records.length) {
      if (!this.spool) {
        this.counters.failed += undelivered.records.length;
        throw new SendError(
          `${undelivered.records.length} of ${records.length} records not delivered: ${describe(undelivered.cause)}`,
          undelivered.records,
          undelivered.cause,
        );
      }
      this.spool.append(undelivered.records);
      this.counters.spooled += undelivered.records.length;
      spooled = undelivered.records.length;
    }
    return { sent: records.length - spooled, spooled };
  }

  /** Re-sends spooled records, oldest first; stops at the first file that cannot be delivered. */
  async drainSpool(): Promise<{ sent: number; remaining: number }> {
    if (!this.spool) return { sent: 0, remaining: 0 };
    let sent = 0;
    for (const file of this.spool.files()) {
      const records = this.spool.read(file);
      const undelivered = await this.deliver(records);
      if (undelivered.records.length) {
        // Keep only what is still missing, in a new file that sorts where this one was.
        if (undelivered.records.length < records.length) {
          this.spool.replace(file, undelivered.records);
        }
        return { sent: sent + records.length - undelivered.records.length, remaining: this.spool.size() };
      }
      this.spool.remove(file);
      sent += records.length;
    }
    return { sent, remaining: 0 };
  }

  /** Records waiting in the spool (0 without one). */
  spooledRecords(): number {
    return this.spool?.size() ?? 0;
  }

  private async entries(records: readonly UserRecordInput[]): Promise<PutEntry[]> {
    if (!this.shards) return records.map(plainEntry);
    const max =
      typeof this.opts.aggregate === 'object' ? (this.opts.aggregate.maxBytes ?? DEFAULT_AGGREGATE_BYTES) : DEFAULT_AGGREGATE_BYTES;
    let shards;
    try {
      shards = await this.shards.current();
    } catch {
      return records.map(plainEntry); // no shard map (e.g. offline): plain records, same delivery rules
    }
    return aggregateEntries(records, shards, max);
  }

  private async deliver(records: readonly UserRecordInput[]): Promise<{ records: UserRecordInput[]; cause?: unknown }> {
    const undelivered: UserRecordInput[] = [];
    let cause: unknown;
    for (const request of planRequests(await this.entries(records))) {
      const left = await this.putWithRetry(request);
      for (const entry of left.entries) undelivered.push(...entry.records);
      cause ??= left.cause;
    }
    return { records: undelivered, cause };
  }

  private backoff(attempt: number): number {
    const cap = Math.min(this.opts.maxDelayMs ?? 5000, (this.opts.baseDelayMs ?? 100) * 2 ** attempt);
    return Math.floor(this.random() * cap);
  }

  /** Puts one request; re-sends only the entries an answer marks failed. Returns what never got in. */
  private async putWithRetry(request: PutEntry[]): Promise<{ entries: PutEntry[]; cause?: unknown }> {
    let pending = request;
    let cause: unknown;
    for (let attempt = 1; ; attempt++) {
      let failed: PutEntry[];
      try {
        this.counters.requests++;
        const out = await this.opts.client.send(
          new PutRecordsCommand({ StreamName: this.opts.streamName, Records: pending.map(toRequestEntry) }),
        );
        failed = [];
        pending.forEach((entry, i) => {
          const result: PutRecordsResultEntry | undefined = out.Records?.[i];
          if (!result || result.ErrorCode || !result.SequenceNumber) {
            failed.push(entry);
            cause = new Error(`${result?.ErrorCode ?? 'NoResult'}: ${result?.ErrorMessage ?? 'no result for the record'}`);
            return;
          }
          this.acknowledged(entry, result);
        });
      } catch (error) {
        cause = error;
        if (!isRetryable(error)) return { entries: pending, cause };
        failed = pending;
      }
      if (!failed.length) return { entries: [] };
      if (attempt >= this.maxAttempts) return { entries: failed, cause };
      this.counters.retried += failed.reduce((n, e) => n + e.records.length, 0);
      pending = failed;
      await this.sleep(this.backoff(attempt));
    }
  }

  private acknowledged(entry: PutEntry, result: PutRecordsResultEntry): void {
    this.counters.sent += entry.records.length;
    this.counters.kinesisRecords++;
    this.counters.payloadUnits += payloadUnits(entry);
    // An aggregate placed elsewhere than the map said: the stream was resharded.
    if (entry.expectedShardId && result.ShardId && result.ShardId !== entry.expectedShardId) this.shards?.invalidate();
  }
}

function toRequestEntry(entry: PutEntry): PutRecordsRequestEntry {
  return entry.explicitHashKey
    ? { Data: entry.data, PartitionKey: entry.partitionKey, ExplicitHashKey: entry.explicitHashKey }
    : { Data: entry.data, PartitionKey: entry.partitionKey };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
