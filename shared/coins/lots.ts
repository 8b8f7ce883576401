import { hash48 } from '../util/hash';

/**
 * A member's coin state: its live lots and its debt, and the read-only views over it.
 *
 * A lot is the coins of one purchase (or one positive adjustment). It is *pending* until its
 * `available` movement is booked (on `availableOn`), spendable on days `[availableOn, expiresOn)`,
 * and expires on `expiresOn`. Lots whose coins are all gone are dropped: the ledger entries keep
 * their history, so the state stays small (one short record per lot that still holds coins).
 */

export interface CoinLot {
  /**
   * The lot's number, unique per member: in production {@link lotNumber} of its order or
   * adjustment (so the stream consumer and the API, which both make lots, never need a shared
   * counter); the lot id is `L<base 36>` (see {@link lotId}).
   */
  seq: number;
  availableOn: number;
  expiresOn: number;
  /** Coins still in the lot (not spent, revoked or expired). */
  left: number;
  /** Its `available` movement is booked: its coins count as available, no longer pending. */
  booked: boolean;
  /** Its `coins_expiring` notice went out. */
  noticed: boolean;
}

export interface CoinState {
  /** Live lots in spending order: by `expiresOn`, then by `seq`. */
  lots: CoinLot[];
  /** Coins revoked after they were spent, repaid by later earnings first. */
  debt: number;
  /** Latest day the ledger was brought to (movements due by then are booked); null before any. */
  asOf: number | null;
}

export const EMPTY_COINS: CoinState = Object.freeze({ lots: [], debt: 0, asOf: null }) as CoinState;

export function emptyCoins(): CoinState {
  return { lots: [], debt: 0, asOf: null };
}

export function lotId(seq: number): string {
  return `L${seq.toString(36)}`;
}

/** The lot number of an order's or an adjustment's lot: 48 bits of a hash of its key. */
export function lotNumber(kind: 'order' | 'adjustment', id: string): number {
  return hash48(`${kind === 'order' ? 'o' : 'a'}:${id}`);
}

/** The spending order: the lot that expires first, then the lower sequence number. */
export function compareLots(a: Pick<CoinLot, 'expiresOn' | 'seq'>, b: Pick<CoinLot, 'expiresOn' | 'seq'>): number {
  return a.expiresOn - b.expiresOn || a.seq - b.seq;
}

export interface CoinBalance {
  available: number;
  pending: number;
  debt: number;
  nextExpiry: { day: number; coins: number } | null;
}

/**
 * The balance as of a day, by the calendar (whether or not the daily job has booked the day's
 * movements yet): available = coins of lots in `[availableOn, expiresOn)`, pending = coins of lots
 * not yet available, lots past `expiresOn` count for nothing.
 */
export function coinBalance(state: CoinState, day: number): CoinBalance {
  let available = 0;
  let pending = 0;
  let next: { day: number; coins: number } | null = null;
  for (const lot of state.lots) {
    if (lot.left <= 0 || lot.expiresOn <= day) continue;
    if (lot.availableOn <= day) available += lot.left;
    else pending += lot.left;
    if (!next || lot.expiresOn < next.day) next = { day: lot.expiresOn, coins: lot.left };
    else if (lot.expiresOn === next.day) next.coins += lot.left;
  }
  return { available, pending, debt: state.debt, nextExpiry: next };
}

/**
 * The next day on which the daily job has something to do for this member (a lot to make
 * available, a notice to send, a lot to expire), or null. Feeds the job's sparse index.
 */
export function nextCoinDueDay(state: CoinState, noticeDays: number): number | null {
  let due: number | null = null;
  const consider = (d: number) => {
    if (due === null || d < due) due = d;
  };
  for (const lot of state.lots) {
    if (lot.left <= 0) continue;
    if (!lot.booked) consider(lot.availableOn);
    if (!lot.noticed) consider(lot.expiresOn - noticeDays);
    consider(lot.expiresOn);
  }
  return due;
}
