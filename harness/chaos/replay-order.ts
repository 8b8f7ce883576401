// The order the consumer really met the events in, when batches were given up and replayed from the
// failed-batches bucket (README runbook). A given-up record that an attempt had applied (its member
// written past it) stays where it arrived; one that no attempt applied arrives with the replay,
// after its member's later records — and arrival order decides what the rules leave to it (the day
// an upgrade is judged on, the 60-day lateness rule, the segments of the arrival day, the balance a
// till saw in between). Which records an attempt applied comes from the DynamoDB calls the run saw
// commit (faults.ts `committedMemberWrites`), not from the consumer's own account.
import type { FailedRecord } from '../../infra/local/engine/failed-batches';
import { visitorKey } from '../../shared/identity/keys';
import { decodeAggregate, isAggregated } from '../../shared/stream/kpl-aggregate';
import { compareSeq, subRecordSeq } from '../../shared/stream/position';
import type { CommittedMemberWrite } from './faults';

/** `shardId/seq`: a record's place on the stream. */
export const placeKey = (shardId: string, seq: string) => `${shardId}/${seq}`;

/** The member item a record's event is applied to (its memberId, else its anonymous id's visitor), or null (not an event). */
function memberKeyOf(data: Buffer): string | null {
  try {
    const e = JSON.parse(data.toString('utf8')) as { memberId?: unknown; anonymousId?: unknown };
    if (typeof e?.memberId === 'string') return e.memberId;
    if (typeof e?.anonymousId === 'string') return visitorKey(e.anonymousId);
  } catch {
    // not JSON (poison): never applied
  }
  return null;
}

/**
 * A given-up record's user records at their positions: itself, or the sub-records of a KPL
 * aggregate at `<seq>.<index>` (as the consumer places them; a corrupt aggregate holds none).
 */
function userRecords(r: FailedRecord): { data: Buffer; seq: string }[] {
  if (!isAggregated(r.data)) return [{ data: r.data, seq: r.sequenceNumber }];
  try {
    return decodeAggregate(r.data).map((sub, i) => ({ data: Buffer.from(sub.data), seq: subRecordSeq(r.sequenceNumber, i) }));
  } catch {
    return [];
  }
}

/**
 * The places of the given-up records no attempt applied: none of their member's committed writes
 * belonged to a batch holding the record and reached past it. A sub-record of an aggregate has its
 * own place (`<seq>.<index>`): an attempt may have applied some members of an aggregate and not others.
 */
export function notAppliedBeforeReplay(failed: readonly FailedRecord[], writes: readonly CommittedMemberWrite[]): Set<string> {
  const byMember = new Map<string, CommittedMemberWrite[]>();
  for (const w of writes) {
    const list = byMember.get(w.memberId);
    if (list) list.push(w);
    else byMember.set(w.memberId, [w]);
  }
  const out = new Set<string>();
  for (const r of failed) {
    for (const u of userRecords(r)) {
      const key = memberKeyOf(u.data);
      if (key === null) continue;
      const applied = (byMember.get(key) ?? []).some(
        (w) => w.shardId === r.shardId && compareSeq(w.batchFirst, u.seq) <= 0 && compareSeq(u.seq, w.seq) <= 0,
      );
      if (!applied) out.add(placeKey(r.shardId, u.seq));
    }
  }
  return out;
}

/**
 * The first place of a record (or of a sub-record, `<seq>.<index>`) a replay put on the stream
 * again: `replayedFrom` maps each replayed Kinesis record's place to its first place.
 */
export function originOf(replayedFrom: ReadonlyMap<string, string>, place: string): string {
  const dot = place.indexOf('.', place.indexOf('/'));
  const parent = dot < 0 ? place : place.slice(0, dot);
  const first = replayedFrom.get(parent);
  return first === undefined ? place : first + (dot < 0 ? '' : place.slice(dot));
}

/**
 * The arrivals (valid events in send order, `texts` their lines) with each record a replay
 * brought moved to the end, in stream order (the replay's order). `rounds[k]`: the first places
 * of the records no attempt had applied before replay k + 1; a record in several arrives with
 * the last of them (the replays before it were given up again), after the records of earlier
 * rounds. A line sent more than once (a producer repeat) is matched by its rank: its n-th place
 * on the stream is its n-th send.
 */
export function replayOrder<E>(
  arrivals: readonly E[],
  texts: readonly string[],
  stream: readonly { data: string; shardId: string; seq: string }[],
  rounds: readonly ReadonlySet<string>[],
): E[] {
  const lastRound = new Map<string, number>();
  rounds.forEach((places, k) => places.forEach((place) => lastRound.set(place, k)));
  if (lastRound.size === 0) return [...arrivals];
  const sends = new Map<string, number[]>();
  texts.forEach((t, i) => {
    const list = sends.get(t);
    if (list) list.push(i);
    else sends.set(t, [i]);
  });
  const rank = new Map<string, number>();
  const moved: { index: number; round: number }[] = [];
  for (const r of stream) {
    const n = rank.get(r.data) ?? 0;
    rank.set(r.data, n + 1);
    const round = lastRound.get(placeKey(r.shardId, r.seq));
    if (round === undefined) continue;
    // A poison record (quarantined wherever it arrives) is no arrival.
    const index = sends.get(r.data)?.[n];
    if (index !== undefined) moved.push({ index, round });
  }
  // Round by round; in stream order within one (a stable sort).
  moved.sort((a, b) => a.round - b.round);
  const out = new Set(moved.map((m) => m.index));
  return [...arrivals.filter((_, i) => !out.has(i)), ...moved.map((m) => arrivals[m.index])];
}

/** A quarantine entry as the table keeps it (the fields read here). */
export interface QuarantineListing {
  reason: string;
  shardId: string;
  seq: string;
  raw?: string;
}

/**
 * The `unknown_order` entries an attempt of a given-up batch wrote (quarantine is written before
 * the member writes, so a record skipped by a member's high-water mark is never lost) for a refund
 * the replay then applied: its purchase was given up earlier on the shard, and the replay brought
 * both, in order. The entry stays listed, as the record arrived then (README runbook); whether the
 * refund was applied is the oracle's word, which the points comparison holds the consumer to.
 */
export function quarantinedThenApplied(
  listings: readonly QuarantineListing[],
  failed: readonly FailedRecord[],
  applied: (memberId: string, orderId: string, refundId: string) => boolean,
  /** A place's first place: listings of one record (attempts of several replays) count once. */
  origin: (place: string) => string = (place) => place,
): number {
  const givenUp = new Set(failed.flatMap((r) => userRecords(r).map((u) => placeKey(r.shardId, u.seq))));
  const records = new Set<string>();
  for (const q of listings) {
    if (q.reason !== 'unknown_order' || !givenUp.has(placeKey(q.shardId, q.seq))) continue;
    const e = JSON.parse(q.raw ?? '{}') as { memberId?: string; orderId?: string; refundId?: string; eventId?: string };
    if (e.memberId && e.orderId && applied(e.memberId, e.orderId, e.refundId ?? e.eventId ?? ''))
      records.add(origin(placeKey(q.shardId, q.seq)));
  }
  return records.size;
}
