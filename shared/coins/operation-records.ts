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

/**
 * Where the consumer adds an operation's coin counts (`cs`: `<shardId>|<seq>` of the coins_settle
 * record that stored the record first; shared/coins/settle.ts) and the counts (`cc`). Records of
 * operations whose counts the api added itself (before settle records) have neither.
 */
interface Counted {
  cs?: string;
  cc?: CoinCounts;
}

export interface RedemptionRecord extends Counted {
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
  /** Where the reversal's coin counts were added (shared/coins/settle.ts), and those counts. */
  vs?: string;
  vc?: CoinCounts;
}

export interface AdjustmentRecord extends Counted {
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
 * ledger record was stored: it rides on the member item (`tillOps`) as the operation's
 * exactly-once key until then, with its coin counts (which the ledger record then carries to the
 * consumer: shared/coins/settle.ts).
 */
export interface PendingOperation {
  op: string;
  record: OperationRecord;
  counts: CoinCounts;
  /**
   * Counted by the consumer from a coins_settle record (shared/coins/settle.ts). Without it (an
   * operation of an earlier api) the api writes the counter items itself, as it did then.
   */
  settle?: true;
}
