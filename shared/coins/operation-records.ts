// The records of the API's coin operations (a redemption, its reversal, an adjustment) as the
// ledger keeps them, and the ledger entries every coin item lists.
import type { RedemptionAnswer, RedemptionBody } from './book';
import type { CoinEntry, CoinTake } from './ledger';
import type { CoinCounts } from './outbox';

/** A ledger movement as stored and listed: a {@link CoinEntry} without its balance deltas, with its time. */
export interface StoredEntry {
  id: string;
  at: string;
  day: number;
  kind: CoinEntry['kind'];
  coins: number;
  lot: number | null;
  ref: string;
}

/**
 * Where an operation sits among the member's writes: the version its member write created and the
 * last stream record the member had applied then (null before any). With them the chaos oracle
 * puts each redemption and reversal exactly where it happened among the member's events.
 */
export interface OpPlace {
  v: number;
  after: { shardId: string; seq: string } | null;
}

export const placeOf = (state: { version: number; highWater: { shardId: string; seq: string } | null }): OpPlace => ({
  v: state.version + 1,
  after: state.highWater ? { shardId: state.highWater.shardId, seq: state.highWater.seq } : null,
});

export interface RedemptionRecord {
  memberId: string;
  sk: string;
  kind: 'redemption';
  body: RedemptionBody;
  answer: RedemptionAnswer;
  takes: CoinTake[];
  reversed: boolean;
  entries: StoredEntry[];
  at: string;
  place?: OpPlace;
  reversedPlace?: OpPlace;
}

export interface AdjustmentRecord {
  memberId: string;
  sk: string;
  kind: 'adjustment';
  body: { coins: number; reason: string };
  entries: StoredEntry[];
  at: string;
}

export type OperationRecord = RedemptionRecord | AdjustmentRecord;

export const stored = (entries: readonly CoinEntry[], at: string): StoredEntry[] =>
  entries.map((e) => ({ id: e.id, at, day: e.day, kind: e.kind, coins: e.coins, lot: e.lot, ref: e.ref }));

/**
 * An API operation whose member write committed (the till's one conditional write) before its
 * ledger record and counter items were stored: it rides on the member item (`tillOps`) as the
 * operation's exactly-once key until then. `op` names the operation's own counter source, so
 * storing it again rewrites the same counter items, never adds twice.
 */
export interface PendingOperation {
  op: string;
  record: OperationRecord;
  counts: CoinCounts;
}
