// What a counter item already holds: the counters of a batch are added from the outboxes of its
// member writes once they are done (counter-flush.ts). docs/architecture.md#exactly-once.
//
// A counter item exists per (metric key, source shard) and carries a mark: `hw`, the last position
// of that shard it has seen, and `hx`, exceptions to it — per member (by a hash of its id), a range
// of positions (after, to] whose contributions are NOT in the item though at or before `hw`. An
// exception is written when a member's write failed: its outbox comes again with the redelivery, at positions the mark already passed, and must
// then be added. Marks never move back (a bisected half ends before the attempt that wrote them),
// and an exception shrinks to the positions after the batch that writes the item, since nothing
// at or before them comes again at those positions: a redelivery starts at the lowest failure, a
// bisected half's records end where the next half starts, and a given-up batch is replayed at new
// positions.
import { compareSeq } from '../stream/position';
import { hash48 } from '../util/hash';

export interface CounterItem {
  /** Last position of the source shard the item has seen; null for a new item. */
  hw: string | null;
  counters: Record<string, number>;
  /** Exceptions to `hw`: `<member tag>:<after>:<to>`, the member's contributions in (after, to] are not in. */
  hx?: string[];
  /**
   * On a shard's batch progress record, the attempt that wrote it; on its totals item, the last
   * attempt whose counter writes all completed (batch-progress.ts).
   */
  attempt?: string;
}

export interface MetricsPort {
  read(keys: readonly string[], shardId: string): Promise<Map<string, CounterItem>>;
  /** Writes the item if its mark is still `previousHw`; throws otherwise. */
  write(key: string, shardId: string, item: CounterItem, previousHw: string | null): Promise<void>;
}

/** A member's tag in a counter item's exceptions (no member id in the metrics table). */
export const memberTag = (memberId: string) => hash48(memberId).toString(36);

/** The lowest position: before every sequence number (decimal, compared by length first). */
export const START = '0';

interface Exception {
  after: string;
  to: string;
}

function exceptions(item: CounterItem | undefined): Map<string, Exception> {
  const out = new Map<string, Exception>();
  for (const entry of item?.hx ?? []) {
    const [tag, after, to] = entry.split(':');
    // (An entry of the earlier format, a bare tag, meant only its batch: long settled.)
    if (to !== undefined) out.set(tag, { after, to });
  }
  return out;
}

/**
 * Whether the item holds member `tag`'s contribution at position `seq`. The tag may be given as a
 * function: it is hashed only for an item with exceptions (few are; #16).
 */
export function holds(item: CounterItem | undefined, tag: string | (() => string), seq: string): boolean {
  const hw = item?.hw ?? null;
  if (hw === null || compareSeq(seq, hw) > 0) return false;
  if (!item!.hx?.length) return true;
  const x = exceptions(item).get(typeof tag === 'string' ? tag : tag());
  return !x || compareSeq(seq, x.after) <= 0 || compareSeq(seq, x.to) > 0;
}

const later = (a: string, b: string) => (compareSeq(a, b) >= 0 ? a : b);

/**
 * The mark of an item written by a batch ending at `last`: `hw` at least `last`; exceptions cut to
 * the positions after `last`; and, for each member whose write failed (`failed`: tag → the
 * member's stored position, before all its records of the batch), its contributions after that
 * position up to `last` not in — joined to what of its exception lies beyond.
 */
export function nextMark(item: CounterItem | undefined, last: string, failed: ReadonlyMap<string, string>): Omit<CounterItem, 'counters'> {
  const kept = new Map<string, Exception>();
  for (const [tag, x] of exceptions(item)) {
    const after = later(x.after, last);
    if (compareSeq(x.to, after) > 0) kept.set(tag, { after, to: x.to });
  }
  for (const [tag, after] of failed) kept.set(tag, { after, to: later(kept.get(tag)?.to ?? last, last) });
  const hx = [...kept].map(([tag, x]) => `${tag}:${x.after}:${x.to}`).sort();
  return { hw: item?.hw ? later(item.hw, last) : last, ...(hx.length ? { hx } : {}) };
}

/** Adds `deltas` (times `sign`) into a counter item's counters; a counter back at 0 is dropped. */
export function addInto(target: Record<string, number>, deltas: Readonly<Record<string, number>>, sign = 1): void {
  for (const name in deltas) {
    const next = (target[name] ?? 0) + sign * deltas[name];
    if (next === 0) delete target[name];
    else target[name] = next;
  }
}

/** The batch writing the items: its shard, its last position, the port, items written at once. */
export interface CounterBatch {
  shardId: string;
  last: string;
  metrics: MetricsPort;
  concurrency: number;
}
