/**
 * The API's coin operations as use cases (docs/rules.md#coins): a redemption at the till, its
 * reversal, an operator's adjustment. Each reads the member and its operation record, decides on
 * the pure ledger (ledger.ts), and commits through {@link CoinOperationsPort}: the member written
 * only if it is still at the version read, the operation record only if it is new (or, for a
 * reversal, not reversed yet). A commit that loses a race is redone on the winner's state.
 */
import { todayIn } from '../days/days';
import type { MemberState } from '../member/state';
import type { CoinsProgram } from './programme';
import { adjustmentKey, redemptionKey } from '../keys/ledger-keys';
import { sameRedemptionBody, type RedemptionAnswer, type RedemptionBody } from './book';
import { adjustCoins, redeemCoins, reverseCoins, type CoinEntry } from './ledger';
import { coinBalance, lotNumber } from './lots';
import { placeOf, stored, type AdjustmentRecord, type OperationRecord, type RedemptionRecord } from './operation-records';

export interface CoinOperationsPort {
  /** The operation's record (consistent read), or null. */
  operation<T extends OperationRecord>(memberId: string, key: string): Promise<T | null>;
  /**
   * Writes `state` (if the stored member is still at `state.version`), the operation record
   * (`create`: only if new; else only if not reversed yet) and the counters of `entries`, all or
   * nothing; false when the member or the record changed first. `opName` names the operation's
   * own counter source, so a retried request never adds twice.
   */
  commit(state: MemberState, record: OperationRecord, entries: readonly CoinEntry[], opName: string, create: boolean): Promise<boolean>;
}

export interface CoinOperationsDeps {
  store: CoinOperationsPort;
  /** The member to operate on; rejects (404, merged) for one that cannot take coin operations. */
  member: (memberId: string) => Promise<MemberState>;
  coins: Pick<CoinsProgram, 'fenPerCoin' | 'pendingDays' | 'expiryDays' | 'expiryNoticeDays' | 'allowDebt'>;
  timezone: string;
  now: () => number;
}

/** A refusal the caller answers as is (HTTP status, error code, message naming the field). */
export class CoinRefusal extends Error {
  constructor(
    readonly status: 404 | 409 | 503,
    readonly code: 'idempotency_mismatch' | 'insufficient_coins' | 'redemption_not_found' | 'busy',
    message: string,
  ) {
    super(message);
  }
}

const ATTEMPTS = 25;

export interface Balance {
  available: number;
  pending: number;
  debt: number;
}

export function balanceOf(state: Pick<MemberState, 'coins'>, day: number): Balance {
  const b = coinBalance(state.coins, Math.max(day, state.coins.asOf ?? day));
  return { available: b.available, pending: b.pending, debt: b.debt };
}

/** 201 with the answer for a new redemption, 200 with the stored answer for a repeat. */
export async function redeem(
  deps: CoinOperationsDeps,
  memberId: string,
  redemptionId: string,
  body: RedemptionBody,
): Promise<{ status: 200 | 201; answer: RedemptionAnswer }> {
  const key = redemptionKey(redemptionId);
  const reqBody: RedemptionBody = { coins: body.coins, ...(body.orderId ? { orderId: body.orderId } : {}) };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const known = await deps.store.operation<RedemptionRecord>(memberId, key);
    if (known) {
      if (!sameRedemptionBody(known.body, reqBody))
        throw new CoinRefusal(409, 'idempotency_mismatch', `redemptionId: ${redemptionId} was used with another body`);
      return { status: 200, answer: known.answer };
    }
    const state = await deps.member(memberId);
    const today = todayIn(deps.timezone, deps.now());
    const r = redeemCoins(state.coins, { redemptionId, day: today, coins: reqBody.coins });
    if (!r.ok) throw new CoinRefusal(409, 'insufficient_coins', `coins: ${reqBody.coins} requested, ${r.available} available`);
    const next = { ...state, coins: r.state };
    const answer: RedemptionAnswer = {
      redemptionId,
      coins: reqBody.coins,
      valueFen: reqBody.coins * deps.coins.fenPerCoin,
      balance: balanceOf(next, today),
    };
    const at = new Date(deps.now()).toISOString();
    const record: RedemptionRecord = {
      memberId,
      sk: key,
      kind: 'redemption',
      body: reqBody,
      answer,
      takes: r.takes,
      reversed: false,
      entries: stored(r.entries, at),
      at,
      place: placeOf(state),
    };
    if (await deps.store.commit(next, record, r.entries, `r#${redemptionId}`, true)) return { status: 201, answer };
  }
  throw new CoinRefusal(503, 'busy', 'the member changed too often while redeeming; retry with the same redemptionId');
}

/** The balance after the reversal; `changed` is false when the redemption was reversed before. */
export async function reverseRedemption(
  deps: CoinOperationsDeps,
  memberId: string,
  redemptionId: string,
): Promise<{ changed: boolean; coins: number; balance: Balance }> {
  const key = redemptionKey(redemptionId);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const known = await deps.store.operation<RedemptionRecord>(memberId, key);
    if (!known) throw new CoinRefusal(404, 'redemption_not_found', `redemptionId: no redemption ${redemptionId} of member ${memberId}`);
    const state = await deps.member(memberId);
    const today = todayIn(deps.timezone, deps.now());
    if (known.reversed) return { changed: false, coins: known.body.coins, balance: balanceOf(state, today) };
    const step = reverseCoins(state.coins, { redemptionId, day: today, takes: known.takes }, deps.coins);
    const next = { ...state, coins: step.state };
    const at = new Date(deps.now()).toISOString();
    const record: RedemptionRecord = {
      ...known,
      reversed: true,
      entries: [...known.entries, ...stored(step.entries, at)],
      reversedPlace: placeOf(state),
    };
    if (await deps.store.commit(next, record, step.entries, `v#${redemptionId}`, false))
      return { changed: true, coins: known.body.coins, balance: balanceOf(next, today) };
  }
  throw new CoinRefusal(503, 'busy', 'the member changed too often; retry');
}

/** 201 for a new adjustment, 200 for a repeat with the same body; `changed` says which. */
export async function adjust(
  deps: CoinOperationsDeps,
  memberId: string,
  adjustmentId: string,
  body: { coins: number; reason: string },
): Promise<{ changed: boolean; balance: Balance }> {
  const key = adjustmentKey(adjustmentId);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const today = todayIn(deps.timezone, deps.now());
    const known = await deps.store.operation<AdjustmentRecord>(memberId, key);
    if (known) {
      if (known.body.coins !== body.coins || known.body.reason !== body.reason)
        throw new CoinRefusal(409, 'idempotency_mismatch', `adjustmentId: ${adjustmentId} was used with another body`);
      return { changed: false, balance: balanceOf(await deps.member(memberId), today) };
    }
    const state = await deps.member(memberId);
    const r = adjustCoins(
      state.coins,
      { adjustmentId, day: today, coins: body.coins, lot: lotNumber('adjustment', adjustmentId) },
      deps.coins,
    );
    if (!r.ok) throw new CoinRefusal(409, 'insufficient_coins', `coins: ${-body.coins} to take, ${r.available} available`);
    const next = { ...state, coins: r.state };
    const at = new Date(deps.now()).toISOString();
    const record: AdjustmentRecord = {
      memberId,
      sk: key,
      kind: 'adjustment',
      body: { coins: body.coins, reason: body.reason },
      entries: stored(r.entries, at),
      at,
    };
    if (await deps.store.commit(next, record, r.entries, `a#${adjustmentId}`, true))
      return { changed: true, balance: balanceOf(next, today) };
  }
  throw new CoinRefusal(503, 'busy', 'the member changed too often; retry with the same adjustmentId');
}
