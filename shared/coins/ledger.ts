/**
 * The coin ledger as a pure state machine (docs/rules.md#coins). Every operation takes a member's
 * {@link CoinState} and returns the new state plus the ledger entries it booked; nothing is
 * mutated. Exactly-once (per order, refund, redemption, adjustment) is the caller's business:
 * these functions apply what they are given (see `book.ts` for the keyed, in-memory composition).
 *
 * Each operation first brings the state to its day (`advance`): lots due become available (an
 * `available` entry dated `availableOn`), lots past their expiry expire (an `expire` entry dated
 * `expiresOn`). So a redemption can spend a lot from its `availableOn` day whether or not the daily
 * job has run, and can never spend one on or after `expiresOn`. The effective day of an operation
 * is the later of its own day and the state's `asOf` (a late event never moves the ledger back).
 */
import type { CoinsProgram } from './programme';
import { compareLots, lotId, type CoinLot, type CoinState } from './lots';

export type CoinEntryKind = 'earn' | 'revoke' | 'redeem' | 'reverse' | 'expire' | 'adjust' | 'available';

export interface CoinDelta {
  available: number;
  pending: number;
  debt: number;
}

export interface CoinEntry {
  /** Deterministic: the same operation on the same state always books the same ids. */
  id: string;
  day: number;
  kind: CoinEntryKind;
  /**
   * Signed change of the member's balance (available + pending − debt); for `available` the coins
   * that turned available (positive; the balance does not change).
   */
  coins: number;
  /** The lot's sequence number; null for a movement of debt only. */
  lot: number | null;
  /** What caused it: orderId, refundId, redemptionId, adjustmentId, or the lot id. */
  ref: string;
  /** Effect on the member's available, pending and debt figures. */
  delta: CoinDelta;
}

export type CoinsRules = Pick<CoinsProgram, 'pendingDays' | 'expiryDays' | 'expiryNoticeDays' | 'allowDebt'>;

export interface CoinStep {
  state: CoinState;
  entries: CoinEntry[];
}

/** One lot a redemption took coins from: enough to put them back even after the lot is gone. */
export interface CoinTake {
  lot: number;
  availableOn: number;
  expiresOn: number;
  coins: number;
  noticed: boolean;
}

export interface CoinNotice {
  lot: number;
  /** The notice day: expiresOn − expiryNoticeDays. */
  day: number;
  expiresOn: number;
  coins: number;
}

export interface Insufficient {
  ok: false;
  code: 'insufficient_coins';
  available: number;
}

const delta = (available: number, pending: number, debt: number): CoinDelta => ({ available, pending, debt });

/** A working copy of a state that operations mutate before handing it back. */
class Draft {
  readonly lots: CoinLot[];
  debt: number;
  asOf: number | null;
  readonly entries: CoinEntry[] = [];

  constructor(state: CoinState) {
    this.lots = state.lots.map((l) => ({ ...l }));
    this.debt = state.debt;
    this.asOf = state.asOf;
  }

  day(day: number): number {
    return this.asOf === null ? day : Math.max(day, this.asOf);
  }

  book(entry: CoinEntry): void {
    this.entries.push(entry);
  }

  insert(lot: CoinLot): void {
    let i = this.lots.length;
    while (i > 0 && compareLots(this.lots[i - 1], lot) > 0) i--;
    this.lots.splice(i, 0, lot);
  }

  /** Books what is due by `day`: availability, then expiry. */
  advance(day: number): void {
    for (const lot of this.lots) {
      if (!lot.booked && lot.availableOn <= day) {
        lot.booked = true;
        if (lot.left > 0) {
          const id = lotId(lot.seq);
          this.book({
            id: `available:${id}`,
            day: lot.availableOn,
            kind: 'available',
            coins: lot.left,
            lot: lot.seq,
            ref: id,
            delta: delta(lot.left, -lot.left, 0),
          });
        }
      }
      if (lot.expiresOn <= day && lot.left > 0) {
        const id = lotId(lot.seq);
        this.book({
          id: `expire:${id}`,
          day: lot.expiresOn,
          kind: 'expire',
          coins: -lot.left,
          lot: lot.seq,
          ref: id,
          delta: delta(-lot.left, 0, 0),
        });
        lot.left = 0;
      }
    }
    this.asOf = this.asOf === null ? day : Math.max(this.asOf, day);
  }

  available(): number {
    let sum = 0;
    for (const lot of this.lots) if (lot.booked) sum += lot.left;
    return sum;
  }

  /** Takes up to `want` coins from the available lots in spending order (except `skip`). */
  takeFifo(want: number, skip: number | null, onTake: (lot: CoinLot, n: number) => void): number {
    let need = want;
    for (const lot of this.lots) {
      if (need === 0) break;
      if (!lot.booked || lot.left === 0 || lot.seq === skip) continue;
      const n = Math.min(lot.left, need);
      lot.left -= n;
      need -= n;
      onTake(lot, n);
    }
    return want - need;
  }

  done(): CoinStep {
    const state: CoinState = { lots: this.lots.filter((l) => l.left > 0), debt: this.debt, asOf: this.asOf };
    return { state, entries: this.entries };
  }
}

function checkCoins(coins: number, what: string): void {
  if (!Number.isSafeInteger(coins) || coins < 0) throw new RangeError(`${what} must be a non-negative integer, got ${coins}`);
}

/** Books every movement due by `day` (availability, expiry). */
export function advanceCoins(state: CoinState, day: number): CoinStep {
  const d = new Draft(state);
  d.advance(d.day(day));
  return d.done();
}

/**
 * A purchase's coins: later earnings repay debt first; the rest is a new lot, available on
 * `day + pendingDays` and expiring `expiryDays` after that (lot number `p.lot`). Returns the lot number (null
 * when no lot was made: no coins, or all of them repaid debt).
 */
export function earnCoins(
  state: CoinState,
  p: { orderId: string; day: number; coins: number; lot: number },
  rules: CoinsRules,
): CoinStep & { lot: number | null } {
  checkCoins(p.coins, 'coins');
  const d = new Draft(state);
  const today = d.day(p.day);
  d.advance(today);
  if (p.coins === 0) return { ...d.done(), lot: null };
  const repaid = Math.min(d.debt, p.coins);
  d.debt -= repaid;
  const left = p.coins - repaid;
  let seq: number | null = null;
  if (left > 0) {
    seq = p.lot;
    const availableOn = p.day + rules.pendingDays;
    d.insert({ seq, availableOn, expiresOn: availableOn + rules.expiryDays, left, booked: false, noticed: false });
  }
  d.book({ id: `earn:${p.orderId}`, day: p.day, kind: 'earn', coins: p.coins, lot: seq, ref: p.orderId, delta: delta(0, left, -repaid) });
  d.advance(today); // pendingDays 0, or a purchase applied after its lot was due
  return { ...d.done(), lot: seq };
}

/**
 * A refund's coins: first from the order's own lot while it still holds coins (pending or
 * available), then from the other available lots in spending order, and what is still missing
 * becomes debt (or is forgiven when the programme does not allow debt). `revoked` is what was
 * actually taken plus the new debt.
 */
export function revokeCoins(
  state: CoinState,
  p: { orderId: string; refundId: string; day: number; coins: number; lot: number | null },
  rules: CoinsRules,
): CoinStep & { revoked: number } {
  checkCoins(p.coins, 'coins');
  const d = new Draft(state);
  d.advance(d.day(p.day));
  const base = `revoke:${p.orderId}:${p.refundId}`;
  let need = p.coins;
  const own = p.lot === null ? undefined : d.lots.find((l) => l.seq === p.lot && l.left > 0);
  if (own && need > 0) {
    const n = Math.min(own.left, need);
    own.left -= n;
    need -= n;
    d.book({
      id: `${base}:${lotId(own.seq)}`,
      day: p.day,
      kind: 'revoke',
      coins: -n,
      lot: own.seq,
      ref: p.refundId,
      delta: own.booked ? delta(-n, 0, 0) : delta(0, -n, 0),
    });
  }
  need -= d.takeFifo(need, null, (lot, n) =>
    d.book({
      id: `${base}:${lotId(lot.seq)}`,
      day: p.day,
      kind: 'revoke',
      coins: -n,
      lot: lot.seq,
      ref: p.refundId,
      delta: delta(-n, 0, 0),
    }),
  );
  if (need > 0 && rules.allowDebt) {
    d.debt += need;
    d.book({ id: `${base}:debt`, day: p.day, kind: 'revoke', coins: -need, lot: null, ref: p.refundId, delta: delta(0, 0, need) });
    need = 0;
  }
  return { ...d.done(), revoked: p.coins - need };
}

/**
 * A redemption: `coins` from the available lots in spending order. More than available → an
 * {@link Insufficient} answer and no change at all. `takes` lets a reversal put them back.
 */
export function redeemCoins(
  state: CoinState,
  p: { redemptionId: string; day: number; coins: number },
): (CoinStep & { ok: true; takes: CoinTake[] }) | Insufficient {
  checkCoins(p.coins, 'coins');
  const d = new Draft(state);
  d.advance(d.day(p.day));
  const available = d.available();
  if (p.coins > available) return { ok: false, code: 'insufficient_coins', available };
  const takes: CoinTake[] = [];
  d.takeFifo(p.coins, null, (lot, n) => {
    takes.push({ lot: lot.seq, availableOn: lot.availableOn, expiresOn: lot.expiresOn, coins: n, noticed: lot.noticed });
    d.book({
      id: `redeem:${p.redemptionId}:${lotId(lot.seq)}`,
      day: p.day,
      kind: 'redeem',
      coins: -n,
      lot: lot.seq,
      ref: p.redemptionId,
      delta: delta(-n, 0, 0),
    });
  });
  return { ok: true, ...d.done(), takes };
}

/**
 * Reverses a redemption: its coins go back to the lots they came from (a lot that was used up is
 * made again with its own dates); coins of a lot that has expired meanwhile expire at once. A lot
 * made again after its notice day gets no notice (it may have had one while it held coins).
 */
export function reverseCoins(
  state: CoinState,
  p: { redemptionId: string; day: number; takes: readonly CoinTake[] },
  rules: Pick<CoinsRules, 'expiryNoticeDays'>,
): CoinStep {
  const d = new Draft(state);
  const today = d.day(p.day);
  d.advance(today);
  for (const t of p.takes) {
    const id = lotId(t.lot);
    d.book({
      id: `reverse:${p.redemptionId}:${id}`,
      day: p.day,
      kind: 'reverse',
      coins: t.coins,
      lot: t.lot,
      ref: p.redemptionId,
      delta: delta(t.coins, 0, 0),
    });
    if (t.expiresOn <= today) {
      d.book({
        id: `expire:${p.redemptionId}:${id}`,
        day: p.day,
        kind: 'expire',
        coins: -t.coins,
        lot: t.lot,
        ref: p.redemptionId,
        delta: delta(-t.coins, 0, 0),
      });
      continue;
    }
    const lot = d.lots.find((l) => l.seq === t.lot);
    if (lot) lot.left += t.coins;
    else {
      // A lot refilled after its notice day counts as noticed: a notice goes out at most once.
      const noticed = t.noticed || t.expiresOn - rules.expiryNoticeDays <= today;
      d.insert({ seq: t.lot, availableOn: t.availableOn, expiresOn: t.expiresOn, left: t.coins, booked: true, noticed });
    }
  }
  return d.done();
}

/**
 * An operator's adjustment: positive → a new lot, available at once (for `expiryDays`);
 * negative → spent like a redemption, what is missing becomes debt (when the programme allows
 * debt; otherwise more than available is {@link Insufficient} and nothing changes).
 */
export function adjustCoins(
  state: CoinState,
  p: { adjustmentId: string; day: number; coins: number; lot: number },
  rules: CoinsRules,
): (CoinStep & { ok: true }) | Insufficient {
  if (!Number.isSafeInteger(p.coins) || p.coins === 0) throw new RangeError(`coins must be a non-zero integer, got ${p.coins}`);
  const d = new Draft(state);
  const today = d.day(p.day);
  d.advance(today);
  const base = `adjust:${p.adjustmentId}`;
  if (p.coins > 0) {
    const seq = p.lot;
    d.insert({ seq, availableOn: today, expiresOn: today + rules.expiryDays, left: p.coins, booked: true, noticed: false });
    d.book({
      id: `${base}:${lotId(seq)}`,
      day: p.day,
      kind: 'adjust',
      coins: p.coins,
      lot: seq,
      ref: p.adjustmentId,
      delta: delta(p.coins, 0, 0),
    });
    return { ok: true, ...d.done() };
  }
  const want = -p.coins;
  const available = d.available();
  if (want > available && !rules.allowDebt) return { ok: false, code: 'insufficient_coins', available };
  const taken = d.takeFifo(want, null, (lot, n) =>
    d.book({
      id: `${base}:${lotId(lot.seq)}`,
      day: p.day,
      kind: 'adjust',
      coins: -n,
      lot: lot.seq,
      ref: p.adjustmentId,
      delta: delta(-n, 0, 0),
    }),
  );
  if (want > taken) {
    d.debt += want - taken;
    d.book({
      id: `${base}:debt`,
      day: p.day,
      kind: 'adjust',
      coins: -(want - taken),
      lot: null,
      ref: p.adjustmentId,
      delta: delta(0, 0, want - taken),
    });
  }
  return { ok: true, ...d.done() };
}

/**
 * The daily job's work for one member on `day`: book what is due (catching up missed days) and
 * pick the lots whose `coins_expiring` notice is due (`expiresOn − expiryNoticeDays ≤ day`), once
 * per lot.
 */
export function runCoinDay(state: CoinState, day: number, rules: CoinsRules): CoinStep & { notices: CoinNotice[] } {
  const d = new Draft(state);
  const today = d.day(day);
  d.advance(today);
  const notices: CoinNotice[] = [];
  for (const lot of d.lots) {
    if (lot.noticed || lot.left === 0) continue;
    const noticeOn = lot.expiresOn - rules.expiryNoticeDays;
    if (noticeOn > today) continue;
    lot.noticed = true;
    notices.push({ lot: lot.seq, day: noticeOn, expiresOn: lot.expiresOn, coins: lot.left });
  }
  return { ...d.done(), notices };
}

/** Sum of entry deltas (what a set of movements did to available, pending, debt). */
export function sumDeltas(entries: readonly CoinEntry[]): CoinDelta {
  const sum = delta(0, 0, 0);
  for (const e of entries) {
    sum.available += e.delta.available;
    sum.pending += e.delta.pending;
    sum.debt += e.delta.debt;
  }
  return sum;
}
