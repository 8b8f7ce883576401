// The coin counters of one batch, added from the members' outboxes after their writes (why an
// outbox: shared/coins/outbox.ts). An outbox is placed at its member's own position — the last
// record that write applied — not at the batch's: a retry cut differently (a bisected half, a
// longer retry) finds every outbox where the attempt that wrote it left it, and each counter item
// decides by its mark whether it holds it (counter-marks.ts).
import { compareSeq } from '../stream/position';
import { forEachLimited } from '../util/limit';
import { mergeCounts, type CoinCounts, type CoinOutbox } from '../coins/outbox';
import { addInto, holds, memberTag, nextMark, type CounterBatch, type CounterItem } from './counter-marks';

export class CoinCounterFlush {
  private readonly counts: CoinCounts = {};
  /** Members whose write failed: tag → their stored position. */
  private readonly failed = new Map<string, string>();

  constructor(
    private readonly items: ReadonlyMap<string, CounterItem>,
    private readonly batch: CounterBatch,
  ) {}

  /** The keys of an outbox the counter items do not hold yet (an outbox of another shard: none here). */
  notHeld(out: CoinOutbox, memberId: string): string[] {
    if (out.shardId !== this.batch.shardId) return [];
    const tag = memberTag(memberId);
    return Object.keys(out.counts).filter((key) => !holds(this.items.get(key), tag, out.seq));
  }

  /** Adds what the items do not hold of an outbox a write of this batch (or an earlier attempt) left. */
  add(out: CoinOutbox, memberId: string): void {
    // Beyond the batch (a bisected half before the attempt's end): the half that holds it adds it.
    if (compareSeq(out.seq, this.batch.last) > 0) return;
    mergeCounts(this.counts, out.counts, this.notHeld(out, memberId));
  }

  /** A member whose write failed; `after`: its stored position, before all its records of the batch. */
  memberFailed(memberId: string, after: string): void {
    this.failed.set(memberTag(memberId), after);
  }

  async write(): Promise<void> {
    const { shardId, last, metrics, concurrency } = this.batch;
    await forEachLimited(Object.entries(this.counts), concurrency, async ([key, counts]) => {
      const current = this.items.get(key);
      const counters = { ...current?.counters };
      addInto(counters, new Map(Object.entries(counts)));
      await metrics.write(key, shardId, { ...nextMark(current, last, this.failed), counters }, current?.hw ?? null);
    });
  }
}
