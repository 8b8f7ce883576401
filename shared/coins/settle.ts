/**
 * The till's coin counts, added by the stream consumer (issue 12): the api writes no counter item.
 *
 * A till operation (redemption, reversal, adjustment) commits with one member write that carries
 * it pending (`tillOps`, with its coin counts), then puts a `coins_settle` record on the events
 * stream (partition key = the member). The consumer, meeting a settle record at position p once
 * its batch progress lists it, stores the operation's ledger record from the member's pending
 * entry naming p (`cs`, or `vs` for a reversal) and the counts (`cc` / `vc`), and adds the counts
 * at p — with the counter items' marks (shared/batch/counter-marks.ts), as for a member's outbox.
 * A stored record decides the place: a settle record elsewhere (a retried put, a forged one, a
 * replay) counts nothing. Whoever stores first decides. The api stores a record itself only when
 * it drops a pending entry the consumer has not stored yet (an operation on the same key, one
 * waiting a minute, or past the cap of entries waiting: operations.ts); it names no place then (it puts a
 * settle record in case the operation's own never went out), and the first settle record of the
 * operation the consumer takes, once listed, claims it with a conditional update — so a settle
 * record whose batch Lambda gives up on before listing it still counts when it is replayed. So
 * each operation is counted exactly once, with no write of its own on the consumer's usual path:
 * the counters are the batch's (one write per counter item and batch), the ledger record is the
 * one the operation stores anyway. The figures (`/metrics/coins`, `/metrics/program`) include an operation once the
 * consumer has taken its settle record, seconds later, like any event's counts.
 *
 * A batch Lambda gives up on: an attempt that listed its settle records in the shard's batch
 * progress (batch-progress.ts) before dying has the next batch add those whose record it stored;
 * one that never got that far stored nothing, so the replay of its settle records from the
 * failed-batches bucket stores and counts them at their new positions.
 */
import { adjustmentKey, redemptionKey } from '../keys/ledger-keys';
import type { MemberState } from '../member/state';
import type { CoinCounts } from './outbox';
import type { OperationRecord } from './operation-records';

/** A coins_settle record as the consumer meets it. */
export interface TillSettle {
  memberId: string;
  /** `r#<redemptionId>`, `v#<redemptionId>` (the reversal), `a#<adjustmentId>`. */
  op: string;
  seq: string;
}

export interface TillRecordsPort {
  /** The operation's ledger record (consistent read), or null. */
  operation(memberId: string, sk: string): Promise<OperationRecord | null>;
  /**
   * Stores `record` unless its operation is stored (a reversal: unless reversed; it keeps the place
   * and counts a claim set on the redemption after the reversal read it); false then.
   */
  storeOperation(record: OperationRecord): Promise<boolean>;
  /**
   * Names `at` as where `op`'s counts are added, on a stored record that names no place yet (one
   * the api stored); false when a place was named first.
   */
  claimPlace(memberId: string, sk: string, op: string, at: string): Promise<boolean>;
}

/** Where counts are added: the settle record's shard and position. */
export const countPlace = (shardId: string, seq: string) => `${shardId}|${seq}`;

const isReversal = (op: string) => op.startsWith('v#');

/** Whether the stored record holds the operation `op` (a reversal: the record is reversed). */
export const holdsOperation = (record: OperationRecord | null, op: string): record is OperationRecord =>
  !!record && (!isReversal(op) || (record.kind === 'redemption' && record.reversed));

/** Where the record says `op`'s counts are added, and the counts. */
export function countedAt(record: OperationRecord, op: string): { at?: string; counts?: CoinCounts } {
  if (isReversal(op)) return record.kind === 'redemption' ? { at: record.vs, counts: record.vc } : {};
  return { at: record.cs, counts: record.cc };
}

/** The record to store for a pending operation, its counts added at `at` (none yet: the first settle record to claim it). */
export function withCountPlace(record: OperationRecord, op: string, at: string | undefined, counts: CoinCounts): OperationRecord {
  const place = <K extends string>(k: K) => (at === undefined ? {} : ({ [k]: at } as Record<K, string>));
  if (isReversal(op) && record.kind === 'redemption') return { ...record, ...place('vs'), vc: counts };
  return { ...record, ...place('cs'), cc: counts };
}

/** What a settle record's counts are tagged by in the counter items' marks: not its member's tag (member ids never contain `$`). */
export const settleTagSource = (memberId: string) => `$${memberId}`;

/** Batch-progress entries for settle records (member ids never contain `$`). */
export const settleEntry = (s: TillSettle) => `$${s.seq}$${s.memberId}$${s.op}`;
export const isSettleEntry = (entry: string) => entry.startsWith('$');
export function parseSettleEntry(entry: string): TillSettle {
  const rest = entry.slice(1);
  const i = rest.indexOf('$');
  const j = rest.indexOf('$', i + 1);
  return { seq: rest.slice(0, i), memberId: rest.slice(i + 1, j), op: rest.slice(j + 1) };
}
/** Whether a batch-progress entry names the member: its id, or a settle record of it (`$<seq>$<member>$<op>`). */
export const entryNamesMember = (entry: string, memberId: string) =>
  entry === memberId || (isSettleEntry(entry) && parseSettleEntry(entry).memberId === memberId);

/** Counts to add at a settle record's position; `own`: a record of this batch (not taken over). */
export interface SettleCount {
  memberId: string;
  op: string;
  seq: string;
  counts: CoinCounts;
  own: boolean;
}

export interface SettlePlan {
  counts: SettleCount[];
  /** After the batch progress lists them: stores the records the api has not, claims those it stored; drops a lost race. */
  store(): Promise<void>;
}

/**
 * What the settle records of a batch (`own`) and those an earlier attempt listed (`taken`) add.
 * Reads only; the records to store are stored by `store()`, once the attempt has listed its own.
 */
export async function planSettles(
  shardId: string,
  own: readonly TillSettle[],
  taken: readonly TillSettle[],
  deps: {
    till: TillRecordsPort;
    members: (ids: readonly string[]) => Promise<Map<string, MemberState>>;
  },
): Promise<SettlePlan> {
  const counts: SettleCount[] = [];
  const toStore: { record: OperationRecord; count: SettleCount; op: string; at: string }[] = [];
  /** Stored records that name no place yet (the api stored them): this settle record claims them. */
  const toClaim: { memberId: string; sk: string; count: SettleCount; op: string; at: string }[] = [];
  const sk = (op: string) => (op.startsWith('a#') ? adjustmentKey(op.slice(2)) : redemptionKey(op.slice(2)));
  const counted = (record: OperationRecord, s: TillSettle, isOwn: boolean) => {
    const { at, counts: c } = countedAt(record, s.op);
    const here = countPlace(shardId, s.seq);
    if (!c) return;
    const count: SettleCount = { memberId: s.memberId, op: s.op, seq: s.seq, counts: c, own: isOwn };
    if (at === here) counts.push(count);
    else if (at === undefined) {
      counts.push(count);
      toClaim.push({ memberId: s.memberId, sk: sk(s.op), count, op: s.op, at: here });
    }
  };
  const read = (list: readonly TillSettle[]) => Promise.all(list.map((s) => deps.till.operation(s.memberId, sk(s.op))));
  for (const [i, record] of (await read(taken)).entries()) if (holdsOperation(record, taken[i].op)) counted(record, taken[i], false);
  const missing: TillSettle[] = [];
  for (const [i, record] of (await read(own)).entries()) {
    if (holdsOperation(record, own[i].op)) counted(record, own[i], true);
    else missing.push(own[i]);
  }
  if (missing.length) {
    // The member before the ledger: an entry it no longer carries was stored before it was dropped.
    const members = await deps.members([...new Set(missing.map((s) => s.memberId))]);
    for (const s of missing) {
      const pending = members.get(s.memberId)?.tillOps?.find((p) => p.op === s.op && p.settle);
      if (pending) {
        const at = countPlace(shardId, s.seq);
        const count: SettleCount = { memberId: s.memberId, op: s.op, seq: s.seq, counts: pending.counts, own: true };
        counts.push(count);
        toStore.push({ record: withCountPlace(pending.record, s.op, at, pending.counts), count, op: s.op, at });
        continue;
      }
      const record = await deps.till.operation(s.memberId, sk(s.op));
      if (holdsOperation(record, s.op)) counted(record, s, true);
      // Else never committed, or erased with its member: nothing to count.
    }
  }
  return {
    counts,
    async store() {
      /** Claims `t`'s place on a stored record that names none; whether `t.at` is the place now. */
      const claim = async (t: { memberId: string; sk: string; op: string; at: string }) => {
        if (await deps.till.claimPlace(t.memberId, t.sk, t.op, t.at)) return true;
        // Claimed first by another settle record of the operation (or this one, on an earlier attempt).
        const record = await deps.till.operation(t.memberId, t.sk);
        return holdsOperation(record, t.op) && countedAt(record, t.op).at === t.at;
      };
      for (const t of toClaim) if (!(await claim(t))) counts.splice(counts.indexOf(t.count), 1);
      for (const t of toStore) {
        // Looked up again first: the api stores an operation itself when it cannot wait on the
        // member (operations.ts), and a conditional put that fails still bills a write.
        const stored = async () => deps.till.operation(t.record.memberId, t.record.sk);
        let record = await stored();
        if (!holdsOperation(record, t.op)) {
          if (await deps.till.storeOperation(t.record)) continue;
          record = await stored();
        }
        // Stored first by the api or another settle record: counted where that one says — or,
        // stored by the api naming no place (after this batch looked it up), here if this claims it.
        // (A record with no counts is a legacy one, counted by the api that stored it: never claimed.)
        const counted = holdsOperation(record, t.op) ? countedAt(record, t.op) : null;
        const at = counted?.counts ? counted.at : null;
        const won =
          at === t.at || (at === undefined && (await claim({ memberId: t.record.memberId, sk: t.record.sk, op: t.op, at: t.at })));
        if (!won) counts.splice(counts.indexOf(t.count), 1);
      }
    },
  };
}
