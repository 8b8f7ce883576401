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

/** The places of a given-up record's user records (itself, or an aggregate's sub-records). */
export function userPlaces(r: FailedRecord): string[] {
  return userRecords(r).map((u) => placeKey(r.shardId, u.seq));
}

/** One replay of the on-failure destination, in first places (before any replay: {@link originOf}). */
export interface ReplayRound {
  /** The records it put on the stream again. */
  replayed: ReadonlySet<string>;
  /** Those whose copy from this replay was given up again before any attempt applied it. */
  givenUpUnapplied: ReadonlySet<string>;
}

/**
 * The events as the consumer met them (`arrivals`: valid events in send order, `texts` their
 * lines). Each place a record was on counts as an arrival unless it was given up before any
 * attempt applied it: its first place (unless in `unappliedAtFirst`), then each replay's copy
 * (unless that replay's copy was given up unapplied too), replay after replay, in stream order
 * within one. A copy of a record applied before is a repeat, which the oracles treat as the
 * consumer does (an event id seen has no effect; a refund quarantined before its order was not
 * remembered and applies when it comes again after it). A line sent more than once (a producer
 * repeat) is matched by its rank: its n-th place on the stream is its n-th send.
 */
export function replayOrder<E>(
  arrivals: readonly E[],
  texts: readonly string[],
  stream: readonly { data: string; shardId: string; seq: string }[],
  unappliedAtFirst: ReadonlySet<string>,
  rounds: readonly ReplayRound[] = [],
): E[] {
  if (unappliedAtFirst.size === 0 && rounds.length === 0) return [...arrivals];
  const sends = new Map<string, number[]>();
  texts.forEach((t, i) => {
    const list = sends.get(t);
    if (list) list.push(i);
    else sends.set(t, [i]);
  });
  // Each send's first place, in stream order (a replay's copy is a place beyond the sends).
  const rank = new Map<string, number>();
  const firsts: { index: number; place: string }[] = [];
  for (const r of stream) {
    const n = rank.get(r.data) ?? 0;
    rank.set(r.data, n + 1);
    // A poison record (quarantined wherever it arrives) is no arrival.
    const index = sends.get(r.data)?.[n];
    if (index !== undefined) firsts.push({ index, place: placeKey(r.shardId, r.seq) });
  }
  const notAtFirst = new Set(firsts.filter((f) => unappliedAtFirst.has(f.place)).map((f) => f.index));
  const out = arrivals.filter((_, i) => !notAtFirst.has(i));
  for (const round of rounds)
    for (const f of firsts) if (round.replayed.has(f.place) && !round.givenUpUnapplied.has(f.place)) out.push(arrivals[f.index]);
  return out;
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
 * the replay then applied, at a place that is no arrival (`unapplied`: places given up before any
 * attempt applied them; the oracle counts the entries of arrivals itself): its purchase was given
 * up earlier on the shard, and the replay brought both, in order. The entry stays listed, as the
 * record arrived then (README runbook); whether the refund was applied is the oracle's word, which
 * the points comparison holds the consumer to. One per record (`origin`: a place's first place),
 * and none for a record the quarantine also lists at an arrival.
 */
export function quarantinedThenApplied(
  listings: readonly QuarantineListing[],
  unapplied: ReadonlySet<string>,
  applied: (memberId: string, orderId: string, refundId: string) => boolean,
  origin: (place: string) => string = (place) => place,
): number {
  const atArrival = new Set<string>();
  const records = new Set<string>();
  for (const q of listings) {
    if (q.reason !== 'unknown_order') continue;
    const place = placeKey(q.shardId, q.seq);
    if (!unapplied.has(place)) {
      atArrival.add(origin(place));
      continue;
    }
    const e = JSON.parse(q.raw ?? '{}') as { memberId?: string; orderId?: string; refundId?: string; eventId?: string };
    if (e.memberId && e.orderId && applied(e.memberId, e.orderId, e.refundId ?? e.eventId ?? '')) records.add(origin(place));
  }
  return [...records].filter((r) => !atArrival.has(r)).length;
}
