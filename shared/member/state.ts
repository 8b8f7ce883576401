// The member's stored state and the records the reducer applies to it. Types only (and the empty
// member), so the reducer, the facts, the views, the jobs and the adapters share them without a loop.
import type { Activity } from './activity';
import type { Contribution } from '../metrics/contribution';
import type { StreamEvent } from '../events/events';
import type { RfmClass } from '../programme/vocabulary';
import type { StreamPosition } from '../stream/position';
import { emptyCoins, type CoinState } from '../coins/lots';
import type { CoinOutbox } from '../coins/outbox';
import type { PendingOperation } from '../coins/operation-records';
import type { Action } from '../actions/actions';
import type { OrderRecord } from './ledger';
import { initialTierState, type PointsEntry, type TierState } from '../points/tiers';

export const EVENT_RING_SIZE = 64;
/**
 * Producers' eventIds are kept for the days they arrived on and this many days after (by arrival
 * day in the programme zone), however many: a record replayed from the failed-batches bucket within
 * that time is a repeat exactly when an earlier attempt applied it, whatever the member did since
 * (README, Replaying from the on-failure destination). Beyond that, the latest EVENT_RING_SIZE.
 */
export const REPLAY_WINDOW_DAYS = 3;
/** The most eventIds kept at all (12 KiB on the item): a bound on the item, whatever a producer sends. */
export const EVENT_RING_MAX = 2048;
/**
 * The job commands' own ring: commands never take a place in the producers' ring of 64, so a
 * busy day of jobs cannot push a producer's eventId out (and a producer's id never makes a command
 * a duplicate). 32 covers more than a week of every job for one member.
 */
export const COMMAND_RING_SIZE = 32;

export interface IncomingRecord {
  position: StreamPosition;
  event: StreamEvent;
  /** occurredAt, epoch ms. */
  at: number;
  /**
   * When the record reached the stream (Kinesis approximateArrivalTimestamp), epoch ms: the
   * record's clock. Every retry of the record sees the same value, so whatever is decided "as of
   * now" is decided the same way on every attempt.
   */
  arrivedAt: number;
  /** The record's original text (first 2 KiB), kept for the quarantine. */
  raw?: string;
}

export interface PurchaseStat {
  day: number;
  orders: number;
  /** Eligible spend (cents) of that day's orders. */
  cents: number;
}

export interface WinbackState {
  /** The lastActiveOn whose silence the offers belong to. */
  spellFrom: number;
  offers: number;
  lastOfferOn: number;
}

export interface MemberState {
  memberId: string;
  /** Optimistic-lock version; 0 for a member not stored yet. */
  version: number;
  joinedOn: number;
  acquisitionChannel: string | null;
  activity: Activity;
  /** The last stream record applied: records at or before it are retries. */
  highWater: StreamPosition | null;
  /** hash48 of the latest applied eventIds of behaviour events, oldest first. */
  recentEventIds: number[];
  /**
   * The programme day each of `recentEventIds` arrived on (the record's arrival, not its
   * occurredAt), same order and length; absent on members stored before it (taken as long ago).
   */
  recentEventDays?: number[];
  /** hash48 of the latest applied job commands' eventIds, oldest first (absent = none yet). */
  recentCommandIds?: number[];
  lifetimePoints: number;
  /** Net points per purchase day (0-point purchases included: they mark paying days), ascending. */
  history: PointsEntry[];
  tier: TierState;
  /** The tierReviewOn for which a tier_at_risk notice went out (one notice per review). */
  atRiskNotifiedFor: number | null;
  /** Orders and eligible spend per purchase day (RFM inputs), ascending. */
  purchases: PurchaseStat[];
  /** The RFM scores and class the daily rfm job last set. */
  rfm: RfmSnapshot | null;
  /** The current silence spell's win-back offers. */
  winback: WinbackState | null;
  /** Segment ids the member is in, and the day they were last changed. */
  segments: string[];
  segmentsOn: number | null;
  /** Counts this write adds to the daily metrics. */
  contribution: Contribution;
  /** The member's coin lots and debt (docs/rules.md#coins). */
  coins: CoinState;
  /**
   * Coin counts of the consumer's latest write of this member, added to the coin counters after
   * the member write (see shared/coins/outbox.ts); null when there are none left to add.
   */
  coinOut: CoinOutbox | null;
  /**
   * The API's coin operations whose member write committed but whose ledger record and counters
   * may not be stored yet (shared/coins/operations.ts): the operation's exactly-once key until its
   * ledger record exists. Both writers carry them over; the API drops them once stored. Absent = none.
   */
  tillOps?: PendingOperation[];
  /**
   * The actions the consumer's latest write of this member derived (shared/actions/outbox.ts):
   * published after that write, and again by the member's next delivery before it replaces them.
   * Absent = none.
   */
  actionsOut?: Action[];
  /**
   * The orders the consumer's latest write of this member applied (shared/member/orders-outbox.ts):
   * stored on the ledger after that write, and by the member's next delivery before it reduces.
   * Absent = none.
   */
  ordersOut?: OrderRecord[];
  /**
   * Identity (docs/architecture.md#identity). On a visitor (key `anon#<anonymousId>`): the member it
   * is linked to, and the stream position of the link, after which its records are forwarded there.
   */
  linkedTo: string | null;
  linkedAt: StreamPosition | null;
  /**
   * On a member merged into another by an operator (docs/architecture.md#operator-merge): `linkedTo`
   * and `linkedAt` as for a visitor, and the merge's id.
   */
  mergeId?: string;
  /**
   * The erasure this member is being erased by, once its last write booked the erasure's counts in
   * its outbox (shared/privacy/erasure.ts): the member item is deleted next, and a retry or a replay
   * of the command books nothing again. Absent = none.
   */
  erasedBy?: string;
  /** On a member: the keys whose state it folded in (visitor keys, merged members), each once. */
  identities: string[];
  /**
   * Counter deltas a fold books besides the member's own (the folded visitor's counts taken back,
   * paying days counted once). Transient, like `contribution`: never stored.
   */
  identityDeltas?: Map<string, Map<string, number>>;
}

export interface RfmSnapshot {
  recencyDays: number;
  frequency: number;
  monetaryCents: number;
  r: number;
  f: number;
  m: number;
  segment: RfmClass;
  /** The day the job computed it. */
  asOf: number;
}

export function newMember(memberId: string, joinedOn: number): MemberState {
  return {
    memberId,
    version: 0,
    joinedOn,
    acquisitionChannel: null,
    activity: { lastActiveOn: null, recent: [], activeDays: 0 },
    highWater: null,
    recentEventIds: [],
    lifetimePoints: 0,
    history: [],
    tier: initialTierState(joinedOn),
    atRiskNotifiedFor: null,
    purchases: [],
    rfm: null,
    winback: null,
    segments: [],
    segmentsOn: null,
    contribution: new Map(),
    coins: emptyCoins(),
    coinOut: null,
    linkedTo: null,
    linkedAt: null,
    identities: [],
  };
}
