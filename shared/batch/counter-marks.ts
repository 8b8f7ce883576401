// What a counter item already holds, and the writes that keep it so: the day counters (booked per
// record before the member writes, taken back for a member whose write failed) and the coin
// counters (added from the member's outbox after its write). docs/architecture.md#exactly-once.
//
// A counter item exists per (metric key, source shard) and carries a mark: `hw`, the last position
// of that shard it has seen, and `hx`, exceptions to it — per member (by a hash of its id), a range
// of positions (after, to] whose contributions are NOT in the item though at or before `hw`. An
// exception is written when a member's write failed: its records (day counters) or its outbox
// (coin counters) come again with the redelivery, at positions the mark already passed, and must
// then be added. Marks never move back (a bisected half ends before the attempt that wrote them),
// and an exception shrinks to the positions after the batch that writes the item, since nothing
// at or before them comes again at those positions: a redelivery starts at the lowest failure, a
// bisected half's records end where the next half starts, and a given-up batch is replayed at new
// positions.
import { compareSeq } from '../stream/position';
import { hash48 } from '../util/hash';
import { forEachLimited } from '../util/limit';
import type { Deltas } from '../metrics/deltas';

export interface CounterItem {
  /** Last position of the source shard the item has seen; null for a new item. */
  hw: string | null;
  counters: Record<string, number>;
  /** Exceptions to `hw`: `<member tag>:<after>:<to>`, the member's contributions in (after, to] are not in. */
  hx?: string[];
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

/** Whether the item holds member `tag`'s contribution at position `seq`. */
export function holds(item: CounterItem | undefined, tag: string, seq: string): boolean {
  const hw = item?.hw ?? null;
  if (hw === null || compareSeq(seq, hw) > 0) return false;
  const x = exceptions(item).get(tag);
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

export function addInto(target: Record<string, number>, deltas: Map<string, number>, sign = 1): void {
  for (const [name, value] of deltas) {
    const next = (target[name] ?? 0) + sign * value;
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

/** A member's day-counter deltas of one batch, one per record (see process-batch.ts, reduceMember). */
export interface BookedMember {
  memberId: string;
  segments: readonly { end: string; deltas: Deltas }[];
}

/**
 * Books the records' deltas that each counter item does not hold yet, before the member writes;
 * `items` (as read) are updated to what was written. Returns the number of items written.
 */
export async function bookDayCounters(
  members: readonly BookedMember[],
  items: Map<string, CounterItem>,
  batch: CounterBatch,
): Promise<number> {
  const pending = new Map<string, Map<string, number>[]>();
  for (const m of members) {
    const tag = memberTag(m.memberId);
    for (const segment of m.segments) {
      for (const [key, deltas] of segment.deltas) {
        if (holds(items.get(key), tag, segment.end)) continue;
        const list = pending.get(key);
        if (list) list.push(deltas);
        else pending.set(key, [deltas]);
      }
    }
  }
  await forEachLimited([...pending], batch.concurrency, async ([key, deltaList]) => {
    const current = items.get(key);
    const counters = { ...current?.counters };
    for (const deltas of deltaList) addInto(counters, deltas);
    const next = { ...nextMark(current, batch.last, new Map()), counters };
    await batch.metrics.write(key, batch.shardId, next, current?.hw ?? null);
    items.set(key, next);
  });
  return pending.size;
}

/**
 * Takes the day-counter deltas of members whose write failed back out of the items (all their
 * records of the batch are held after {@link bookDayCounters}, booked now or by an earlier
 * attempt) and marks them not held, so the redelivery books them once its write is done — and a
 * batch given up leaves no trace of them for the replay from the failed-batches bucket to double.
 * `failed`: member id → its stored position (before all its records of the batch).
 */
export async function takeBackDayCounters(
  members: readonly BookedMember[],
  failed: ReadonlyMap<string, string>,
  items: Map<string, CounterItem>,
  batch: CounterBatch,
): Promise<void> {
  const back = new Map<string, { deltas: Map<string, number>[]; failed: Map<string, string> }>();
  for (const m of members) {
    const after = failed.get(m.memberId);
    if (after === undefined) continue;
    for (const segment of m.segments) {
      for (const [key, deltas] of segment.deltas) {
        let entry = back.get(key);
        if (!entry) back.set(key, (entry = { deltas: [], failed: new Map() }));
        entry.deltas.push(deltas);
        entry.failed.set(memberTag(m.memberId), after);
      }
    }
  }
  await forEachLimited([...back], batch.concurrency, async ([key, { deltas, failed: tags }]) => {
    const current = items.get(key);
    const counters = { ...current?.counters };
    for (const d of deltas) addInto(counters, d, -1);
    const next = { ...nextMark(current, batch.last, tags), counters };
    await batch.metrics.write(key, batch.shardId, next, current?.hw ?? null);
    items.set(key, next);
  });
}
