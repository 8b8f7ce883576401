// A shard's batch progress: which members an attempt that died may have written without adding
// their counters. docs/architecture.md#exactly-once.
//
// Counters are added from a member write's outbox after the write (counter-flush.ts); a retry of
// the batch finds each outbox on its member and adds it where a counter item does not hold it. But
// when Lambda gives up on a batch whose last attempt died between a member write and the counter
// writes, the next batches of the shard advance the items' marks past that outbox: they would claim
// to hold it, and nothing would ever add it (the replay from the failed-batches bucket finds the
// member's records repeats). So every attempt first records the members it may write (`ids`). An
// attempt that finds ids an earlier attempt left unsettled (it died: a retry, a bisected half, or
// the first batch after a given-up one) reads those members and adds their outboxes where the
// items do not hold them — the marks are still true then, since every batch since the one that
// died did the same — and keeps the ids in its own record until its counters are written.
//
// Settled, without a second write: the record names its attempt (`attempt`, a number the shard's
// records count up, and a digest of the attempt's last position), and the counter flush writes
// that name on the shard's `totals` item last, once every other counter item of the attempt is
// written (counter-flush.ts). A record whose attempt the totals item names is settled; any other
// is taken over. The batch used to write the record again, emptied, once its counters were added:
// one write per batch of the bench's 184 (bench: `bp` 368 → 184 write units), where the totals
// item is written anyway (183 of those batches) and read with the record in the same request.
// Entries left for a later attempt (beyond this batch: `settled(kept)`) go under a name no totals
// item holds. Stored as a counter item of key `bp` (no counters; `hw` = the attempt's last
// position, `hx` = the ids), through the port counters use.
import { BATCH_PROGRESS_KEY } from '../keys/metrics-keys';
import { hash48 } from '../util/hash';
import type { CounterItem, MetricsPort } from './counter-marks';

export { BATCH_PROGRESS_KEY };

/** The entries an earlier attempt listed and did not settle: none when `anchor` names its attempt. */
function unsettledEntries(progress: CounterItem | undefined, anchor: CounterItem | undefined): string[] {
  if (progress?.attempt && anchor?.attempt === progress.attempt) return [];
  return progress?.hx ?? [];
}

/** The attempt name after `previous` (`<n>.<digest of the attempt's last position>`). */
function nextAttempt(previous: string | undefined, last: string): string {
  const n = previous ? Number.parseInt(previous, 10) : 0;
  return `${(Number.isSafeInteger(n) ? n : 0) + 1}.${hash48(last).toString(36)}`;
}

export class BatchProgress {
  /** Entries an earlier attempt left unsettled: members, and till settle entries (shared/coins/settle.ts). */
  readonly earlier: string[];
  /** This attempt's name once its record is written: the counter flush writes it on the totals item last. */
  attempt: string | undefined;
  private previous: string | null;
  private lastAttempt: string | undefined;
  /** Whether the stored record lists entries still to settle (this attempt's, or an earlier attempt's still). */
  private listed: boolean;
  constructor(
    private readonly metrics: MetricsPort,
    private readonly shardId: string,
    private readonly last: string,
    read: CounterItem | undefined,
    /** The shard's totals item as read with the record. */
    anchor: CounterItem | undefined,
  ) {
    this.previous = read?.hw ?? null;
    this.lastAttempt = read?.attempt;
    this.earlier = unsettledEntries(read, anchor);
    this.listed = this.earlier.length > 0;
  }

  private async put(ids: readonly string[]): Promise<string> {
    const attempt = nextAttempt(this.lastAttempt, this.last);
    const item: CounterItem = { hw: this.last, counters: {}, attempt, ...(ids.length ? { hx: [...ids].sort() } : {}) };
    await this.metrics.write(BATCH_PROGRESS_KEY, this.shardId, item, this.previous);
    this.previous = this.last;
    this.lastAttempt = attempt;
    this.listed = ids.length > 0;
    return attempt;
  }

  /** Before any member write: the members this attempt may write, and those it took over. */
  async started(ids: Iterable<string>): Promise<void> {
    const list = [...new Set(ids)];
    // No write to protect and nothing to take over: no record needed.
    if (list.length || this.listed) this.attempt = await this.put(list);
  }

  /**
   * Once the counters of every write of the attempt are added (the totals item names the attempt):
   * `kept`, entries still to add (a later batch takes them over), under a new name.
   */
  async settled(kept: readonly string[] = []): Promise<void> {
    if (kept.length) await this.put(kept);
  }
}
