// The counters of one batch — day counters and coin counters alike — added after the member writes
// from the outbox each write carries (the member item's `coinOut`: shared/coins/outbox.ts), so a
// counter item only ever holds members whose write is done: a write that failed, or never happened
// because the attempt died first, left nothing to take back, and the redelivery (or the replay from
// the failed-batches bucket, at new positions) counts it once. An outbox is placed at its member's
// own position — the last record that write applied — not at the batch's: a retry cut differently
// (a bisected half, a longer retry) finds every outbox where the attempt that wrote it left it, and
// each counter item decides by its mark whether it holds it (counter-marks.ts).
import { compareSeq } from '../stream/position';
import { forEachLimited } from '../util/limit';
import { addCount, copyCounts, mergeCounts, type CoinCounts, type CoinOutbox } from '../coins/outbox';
import type { Deltas } from '../metrics/deltas';
import { TOTALS_KEY } from '../keys/metrics-keys';
import { addInto, holds, memberTag, nextMark, type CounterBatch, type CounterItem } from './counter-marks';

/** Deltas (a map per counter key) as outbox counts (a record per counter key), added into `into`. */
export function deltasToCounts(deltas: Deltas, into: CoinCounts = {}): CoinCounts {
  for (const [key, counters] of deltas) {
    if (into[key]) for (const [name, n] of counters) addCount(into, key, name, n);
    else copyCounts(into, key, counters);
  }
  return into;
}

export class CounterFlush {
  private readonly counts: CoinCounts = {};
  /**
   * Every key an outbox added to, written even when its counts cancel out (one member's −1 and
   * another's +1 on the same counter: a cohort re-keyed away and into it). The item's mark must
   * then still pass both: left behind, the next batch would take each outbox up again on its own,
   * and one of them held elsewhere by then would be counted without the other.
   */
  private readonly touched = new Set<string>();
  /** Members whose write failed: tag → their stored position. */
  private readonly failed = new Map<string, string>();

  constructor(
    private readonly items: ReadonlyMap<string, CounterItem>,
    private readonly batch: CounterBatch,
  ) {}

  /** The keys of an outbox the counter items do not hold yet (an outbox of another shard: none here). */
  notHeld(out: CoinOutbox, memberId: string): string[] {
    if (out.shardId !== this.batch.shardId) return [];
    let tag: string | undefined;
    const tagOf = () => (tag ??= memberTag(memberId));
    return Object.keys(out.counts).filter((key) => !holds(this.items.get(key), tagOf, out.seq));
  }

  /**
   * Adds what the items do not hold of an outbox a write of this batch (or an earlier attempt)
   * left; false for one beyond the batch (a bisected half, a shorter retry), which the attempt that
   * reaches it adds — the caller keeps it listed in the batch progress until then.
   */
  add(out: CoinOutbox, memberId: string): boolean {
    if (compareSeq(out.seq, this.batch.last) > 0) return false;
    const keys = this.notHeld(out, memberId);
    mergeCounts(this.counts, out.counts, keys);
    for (const key of keys) this.touched.add(key);
    return true;
  }

  /** A member whose write failed; `after`: its stored position, before all its records of the batch. */
  memberFailed(memberId: string, after: string): void {
    this.failed.set(memberTag(memberId), after);
  }

  /**
   * Writes every item with counts to add (or, for a failed member, an exception); returns how many.
   * `attempt`: the batch progress record's name for this attempt, written on the totals item once
   * every other item is written — touched or not (batch-progress.ts: the record is settled then).
   */
  async write(attempt?: string): Promise<number> {
    const { shardId, last, metrics, concurrency } = this.batch;
    const writeItem = async (key: string) => {
      const current = this.items.get(key);
      const counters = { ...current?.counters };
      addInto(counters, this.counts[key] ?? {});
      // The totals item keeps the attempt it names until another attempt settles.
      const named = key === TOTALS_KEY ? (attempt ?? current?.attempt) : undefined;
      const item = { ...nextMark(current, last, this.failed), counters, ...(named ? { attempt: named } : {}) };
      await metrics.write(key, shardId, item, current?.hw ?? null);
    };
    // Every key with counts was touched by the add that brought them.
    const keys = [...this.touched].filter((key) => key !== TOTALS_KEY);
    await forEachLimited(keys, concurrency, writeItem);
    if (!attempt && !this.touched.has(TOTALS_KEY)) return keys.length;
    await writeItem(TOTALS_KEY);
    return keys.length + 1;
  }
}
