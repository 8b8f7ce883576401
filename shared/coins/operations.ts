/**
 * The API's coin operations as use cases (docs/rules.md#coins): a redemption at the till, its
 * reversal, an operator's adjustment. Each reads the member, decides on the pure ledger
 * (ledger.ts), and commits with ONE write: the member item, only if it is still at the version read
 * (so no update of the consumer or of another request is lost, and the balance never goes below
 * zero), carrying the operation as pending (`tillOps`, with its coin counts). Then it puts the
 * operation's coins_settle record on the stream; the consumer stores the ledger record naming the
 * first such record it takes and adds the counts there (settle.ts: the api writes no counter item
 * and no ledger record on this path). Until the record exists the pending entry is the
 * operation's exactly-once key. An operation first looks at what the member still has pending:
 * an entry the consumer stored is dropped; one the consumer has not got to yet keeps waiting (its
 * settle record put again, in case its request died before putting it) unless it is on the same
 * key, has waited a minute or is past the cap — the api stores that one itself. Then it looks the
 * key up in the ledger. Reading the member before the ledger means an entry dropped in between is
 * already in the ledger.
 */
import { todayIn } from '../days/days';
import type { MemberState } from '../member/state';
import type { CoinsProgram } from './programme';
import { adjustmentKey, redemptionKey } from '../keys/ledger-keys';
import { sameRedemptionBody, type RedemptionAnswer, type RedemptionBody } from './book';
import { adjustCoins, redeemCoins, reverseCoins, type CoinEntry } from './ledger';
import { coinBalance, lotNumber } from './lots';
import { coinCounts } from './outbox';
import { dueToHint, putDueHints, type CoinDuePort } from './due-hints';
import {
  placeOf,
  stored,
  type AdjustmentRecord,
  type OperationRecord,
  type PendingOperation,
  type RedemptionRecord,
} from './operation-records';

export interface CoinOperationsPort {
  /** The operation's record (consistent read), or null. */
  operation<T extends OperationRecord>(memberId: string, key: string): Promise<T | null>;
  /** Writes `state` if the stored member is still at `state.version`; false when it changed first. */
  putMember(state: MemberState): Promise<boolean>;
  /** Puts a committed operation's coins_settle record on the stream (the consumer stores its record). */
  announce(memberId: string, pending: PendingOperation): Promise<void>;
  /**
   * Stores a committed operation the api is about to drop from its member: puts a coins_settle
   * record, then its record naming that record's position (settle.ts) — a new one only if absent,
   * a reversal only over a record not reversed yet. Idempotent: the consumer counts at the
   * position the stored record names.
   */
  store(memberId: string, pending: PendingOperation): Promise<void>;
}

export interface CoinOperationsDeps {
  store: CoinOperationsPort;
  /** The coins job's candidates: an operation putting coins back may bring the member's next due day forward. */
  hints: CoinDuePort;
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

const isStored = (p: PendingOperation, known: OperationRecord | null) =>
  !!known && (p.record.kind !== 'redemption' || !p.record.reversed || (known.kind === 'redemption' && known.reversed));

/** At most this many operations wait on the member for the consumer (each a few hundred bytes, packed). */
export const MAX_WAITING = 5;
/** An operation the consumer has not stored after this long is stored by the api (its settle records may be stuck). */
export const WAIT_MS = 60_000;

const lastAt = (p: PendingOperation) => p.record.entries.at(-1)?.at ?? p.record.at;

/**
 * The member ready for the next write: what it has pending and the consumer has stored is dropped;
 * an operation on `key` (a repeat, a reversal of a pending redemption), or one waiting too long or
 * past the cap, is stored by the api (settle.ts: a record naming no place, which the consumer's
 * settle record then claims — an extra write); the rest keep waiting for the consumer, their settle
 * record put again in case the request that committed one died before its own went out.
 */
async function settled(deps: CoinOperationsDeps, state: MemberState, key: string): Promise<MemberState> {
  if (!state.tillOps?.length) return state;
  const unstored: PendingOperation[] = [];
  for (const p of state.tillOps) if (!isStored(p, await deps.store.operation(state.memberId, p.record.sk))) unstored.push(p);
  const canWait = unstored.filter((p) => p.settle && p.record.sk !== key && deps.now() - Date.parse(lastAt(p)) < WAIT_MS);
  // The newest wait (room for the new operation); the oldest beyond the cap are stored.
  const waiting = new Set(canWait.slice(-(MAX_WAITING - 1)));
  for (const p of unstored) {
    if (waiting.has(p)) await deps.store.announce(state.memberId, p);
    else await deps.store.store(state.memberId, p);
  }
  return { ...state, tillOps: waiting.size ? [...waiting] : undefined };
}

/** The member write of an operation (pending on it), then its settle record; false if raced. */
async function commit(
  deps: CoinOperationsDeps,
  before: MemberState,
  next: MemberState,
  record: OperationRecord,
  entries: readonly CoinEntry[],
  op: string,
): Promise<boolean> {
  // Before the member write (a hint too many is harmless, one missing is not): a reversal or an
  // adjustment may move the member's next due day (due-hints.ts). A redemption only takes coins:
  // its member's next due day can only move later, its earliest expiry too, and any hint from
  // before it comes first.
  const takesOnly = record.kind === 'redemption' && !record.reversed;
  const hint = next.linkedTo || takesOnly ? null : dueToHint(next.memberId, before.coins, next.coins, deps.coins.expiryNoticeDays);
  const checkHints = hint && (await putDueHints(deps.hints, [hint], `api#${op}`));
  const pending: PendingOperation = { op, record, counts: coinCounts(entries, next.coins.asOf), settle: true };
  if (!(await deps.store.putMember({ ...next, tillOps: [...(next.tillOps ?? []), pending] }))) return false;
  await checkHints?.();
  await deps.store.announce(next.memberId, pending);
  return true;
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
    const state = await settled(deps, await deps.member(memberId), key);
    const known = await deps.store.operation<RedemptionRecord>(memberId, key);
    if (known) {
      if (!sameRedemptionBody(known.body, reqBody))
        throw new CoinRefusal(409, 'idempotency_mismatch', `redemptionId: ${redemptionId} was used with another body`);
      return { status: 200, answer: known.answer };
    }
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
    if (await commit(deps, state, next, record, r.entries, `r#${redemptionId}`)) return { status: 201, answer };
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
    const state = await settled(deps, await deps.member(memberId), key);
    const known = await deps.store.operation<RedemptionRecord>(memberId, key);
    if (!known) throw new CoinRefusal(404, 'redemption_not_found', `redemptionId: no redemption ${redemptionId} of member ${memberId}`);
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
    if (await commit(deps, state, next, record, step.entries, `v#${redemptionId}`))
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
    const state = await settled(deps, await deps.member(memberId), key);
    const known = await deps.store.operation<AdjustmentRecord>(memberId, key);
    if (known) {
      if (known.body.coins !== body.coins || known.body.reason !== body.reason)
        throw new CoinRefusal(409, 'idempotency_mismatch', `adjustmentId: ${adjustmentId} was used with another body`);
      return { changed: false, balance: balanceOf(state, today) };
    }
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
    if (await commit(deps, state, next, record, r.entries, `a#${adjustmentId}`)) return { changed: true, balance: balanceOf(next, today) };
  }
  throw new CoinRefusal(503, 'busy', 'the member changed too often; retry with the same adjustmentId');
}
