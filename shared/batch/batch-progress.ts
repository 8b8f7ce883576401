// A shard's batch progress: which members an attempt that died may have written without adding
// their counters. docs/architecture.md#exactly-once.
//
// Counters are added from a member write's outbox after the write (counter-flush.ts); a retry of
// the batch finds each outbox on its member and adds it where a counter item does not hold it. But
// when Lambda gives up on a batch whose last attempt died between a member write and the counter
// writes, the next batches of the shard advance the items' marks past that outbox: they would claim
// to hold it, and nothing would ever add it (the replay from the failed-batches bucket finds the
// member's records repeats). So every attempt first records the members it may write (`ids`), and
// once its counters are written it clears them. An attempt that finds ids left (an earlier attempt
// died: a retry, a bisected half, or the first batch after a given-up one) reads those members and
// adds their outboxes where the items do not hold them — the marks are still true then, since every
// batch since the one that died did the same — and keeps the ids in its own record until its
// counters are written. Stored as a counter item of key `bp` (no counters; `hw` = the attempt's
// last position, `hx` = the ids): two small writes per batch, through the port counters use.
import { BATCH_PROGRESS_KEY } from '../keys/metrics-keys';
import type { CounterItem, MetricsPort } from './counter-marks';

export { BATCH_PROGRESS_KEY };

/** The members an earlier attempt may have written without adding their counters. */
export const unsettledMembers = (progress: CounterItem | undefined): string[] => progress?.hx ?? [];

export class BatchProgress {
  private previous: string | null;
  /** Whether the stored record lists members (this attempt's, or an earlier attempt's still). */
  private listed: boolean;
  constructor(
    private readonly metrics: MetricsPort,
    private readonly shardId: string,
    private readonly last: string,
    read: CounterItem | undefined,
  ) {
    this.previous = read?.hw ?? null;
    this.listed = !!read?.hx?.length;
  }

  private async put(ids: readonly string[]): Promise<void> {
    const item: CounterItem = { hw: this.last, counters: {}, ...(ids.length ? { hx: [...ids].sort() } : {}) };
    await this.metrics.write(BATCH_PROGRESS_KEY, this.shardId, item, this.previous);
    this.previous = this.last;
    this.listed = ids.length > 0;
  }

  /** Before any member write: the members this attempt may write, and those it took over. */
  async started(ids: Iterable<string>): Promise<void> {
    const list = [...new Set(ids)];
    // No write to protect and nothing to take over: no record needed.
    if (list.length || this.listed) await this.put(list);
  }

  /** Once the counters of every write of the attempt are added; `kept`: entries still to add (a later batch takes them over). */
  async settled(kept: readonly string[] = []): Promise<void> {
    if (this.listed || kept.length) await this.put(kept);
  }
}
