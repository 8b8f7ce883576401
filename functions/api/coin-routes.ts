// Coin routes (docs/rules.md#coins): synchronous redemption at the till, its reversal, operator
// adjustments, the member's coin ledger, and /metrics/coins. The writes go through CoinStore
// (member + operation item + counters in one transaction, conditional on the member's version).
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { dayNumber, dayString, todayIn } from '../../shared/days/days';
import { adjustCoins, redeemCoins, reverseCoins } from '../../shared/coins/ledger';
import { coinBalance, lotId, lotNumber } from '../../shared/coins/lots';
import { COIN_TOTALS_KEY, coinDayKey, coinFigures } from '../../shared/coins/outbox';
import { sameRedemptionBody, type RedemptionAnswer } from '../../shared/coins/book';
import {
  adjustmentKey,
  CoinStore,
  placeOf,
  redemptionKey,
  stored,
  type AdjustmentItem,
  type RedemptionItem,
  type StoredEntry,
} from '../adapters/coin-store';
import { documentClient } from '../adapters/clients';
import { auditLog } from '../adapters/audit-store';
import { memberIdHasher } from '../adapters/erasure-salt';
import { resourceNames } from '../adapters/config';
import { ORDER_PREFIX, orderIdOf, REFUND_PREFIX, refundIdsOf } from '../../shared/keys/ledger-keys';
import { dayRange, HttpError, query, Reply } from './http';
import { mergedError, mergeRequestOf } from './member-lookup';
import type { RouteContext } from './routes';

const ATTEMPTS = 25;

/** An audit entry for an operator's coin action (target: the member's salted hash only). */
async function audit(
  event: APIGatewayProxyEventV2,
  action: string,
  memberId: string,
  details: Record<string, string | number>,
): Promise<void> {
  const iam = (event.requestContext as { authorizer?: { iam?: { userArn?: string | null } } } | undefined)?.authorizer?.iam;
  const hash = await memberIdHasher();
  await auditLog().append({ actor: iam?.userArn ?? 'unknown', action, target: `member#${hash(memberId)}`, details });
}
const idPattern = /^[A-Za-z0-9_.:@-]{1,128}$/;

let store: CoinStore | undefined;
function coinStore(ctx: RouteContext): CoinStore {
  if (!store) {
    const names = resourceNames();
    store = new CoinStore(
      documentClient(),
      { members: names.membersTable, ledger: names.ledgerTable, metrics: names.metricsTable },
      ctx.stores.members,
    );
  }
  return store;
}

function checkId(name: string, value: string): void {
  if (!idPattern.test(value)) throw new HttpError(400, 'invalid_parameter', `${name}: must be 1–128 chars of [A-Za-z0-9_.:@-]`);
}

function body<T extends z.ZodRawShape>(event: APIGatewayProxyEventV2, shape: T): z.infer<z.ZodObject<T>> {
  if (!event.body) throw new HttpError(400, 'invalid_body', 'body: required, a JSON object');
  let json: unknown;
  try {
    json = JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body);
  } catch {
    throw new HttpError(400, 'invalid_body', 'body: not valid JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new HttpError(400, 'invalid_body', 'body: must be a JSON object');
  const r = z.strictObject(shape).safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    if (issue.code === 'unrecognized_keys') throw new HttpError(400, 'invalid_parameter', `${issue.keys[0]}: unknown field`);
    throw new HttpError(400, 'invalid_parameter', `${String(issue.path[0] ?? 'body')}: ${issue.message}`);
  }
  return r.data;
}

const positiveInt = z
  .int({ error: 'must be a positive integer' })
  .min(1, { error: 'must be a positive integer' })
  .max(1_000_000_000, { error: 'must be at most 1000000000' });
const opId = z.string({ error: 'must be a string' }).regex(idPattern, { error: 'must be 1–128 chars of [A-Za-z0-9_.:@-]' });

async function requireMember(s: CoinStore, memberId: string, ctx: RouteContext) {
  const [state, request] = await Promise.all([s.member(memberId), mergeRequestOf(ctx.stores.members, memberId)]);
  if (!state) throw new HttpError(404, 'member_not_found', `memberId: no member ${memberId}`);
  // Its coins go to the member it is merged into, from the moment the merge is accepted
  // (docs/api.md#operator-merge): a coin operation committed before the mark is folded in with them.
  const into = state.linkedTo ?? request;
  if (into) throw mergedError(memberId, into);
  return state;
}

const balanceOf = (state: { coins: Parameters<typeof coinBalance>[0] }, day: number) => {
  const b = coinBalance(state.coins, Math.max(day, state.coins.asOf ?? day));
  return { available: b.available, pending: b.pending, debt: b.debt };
};

export async function postRedemption(ctx: RouteContext, event: APIGatewayProxyEventV2, memberId: string) {
  checkId('memberId', memberId);
  const req = body(event, { redemptionId: opId, coins: positiveInt, orderId: opId.optional() });
  const s = coinStore(ctx);
  const key = redemptionKey(req.redemptionId);
  const reqBody = { coins: req.coins, ...(req.orderId ? { orderId: req.orderId } : {}) };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const known = await s.op<RedemptionItem>(memberId, key);
    if (known) {
      if (!sameRedemptionBody(known.body, reqBody))
        throw new HttpError(409, 'idempotency_mismatch', `redemptionId: ${req.redemptionId} was used with another body`);
      return known.answer;
    }
    const state = await requireMember(s, memberId, ctx);
    const today = todayIn(ctx.program.timezone, ctx.now());
    const r = redeemCoins(state.coins, { redemptionId: req.redemptionId, day: today, coins: req.coins });
    if (!r.ok) throw new HttpError(409, 'insufficient_coins', `coins: ${req.coins} requested, ${r.available} available`);
    const next = { ...state, coins: r.state };
    const answer: RedemptionAnswer = {
      redemptionId: req.redemptionId,
      coins: req.coins,
      valueFen: req.coins * ctx.program.coins.fenPerCoin,
      balance: balanceOf(next, today),
    };
    const at = new Date(ctx.now()).toISOString();
    const item: RedemptionItem = {
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
    if (await s.commit(next, item, r.entries, `r#${req.redemptionId}`, true)) return new Reply(201, answer);
  }
  throw new HttpError(503, 'busy', 'the member changed too often while redeeming; retry with the same redemptionId');
}

export async function postReversal(ctx: RouteContext, event: APIGatewayProxyEventV2, memberId: string, redemptionId: string) {
  checkId('memberId', memberId);
  checkId('redemptionId', redemptionId);
  const s = coinStore(ctx);
  const key = redemptionKey(redemptionId);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const known = await s.op<RedemptionItem>(memberId, key);
    if (!known) throw new HttpError(404, 'redemption_not_found', `redemptionId: no redemption ${redemptionId} of member ${memberId}`);
    const state = await requireMember(s, memberId, ctx);
    const today = todayIn(ctx.program.timezone, ctx.now());
    if (known.reversed) return { redemptionId, reversed: true, balance: balanceOf(state, today) };
    const step = reverseCoins(state.coins, { redemptionId, day: today, takes: known.takes }, ctx.program.coins);
    const next = { ...state, coins: step.state };
    const at = new Date(ctx.now()).toISOString();
    const item: RedemptionItem = {
      ...known,
      reversed: true,
      entries: [...known.entries, ...stored(step.entries, at)],
      reversedPlace: placeOf(state),
    };
    if (await s.commit(next, item, step.entries, `v#${redemptionId}`, false)) {
      await audit(event, 'coin_redemption_reversed', memberId, { redemptionId, coins: known.body.coins });
      return { redemptionId, reversed: true, balance: balanceOf(next, today) };
    }
  }
  throw new HttpError(503, 'busy', 'the member changed too often; retry');
}

export async function postAdjustment(ctx: RouteContext, event: APIGatewayProxyEventV2, memberId: string) {
  checkId('memberId', memberId);
  const req = body(event, {
    adjustmentId: opId,
    coins: z
      .int({ error: 'must be a non-zero integer' })
      .refine((c) => c !== 0, { error: 'must be a non-zero integer' })
      .refine((c) => Math.abs(c) <= 1_000_000_000, { error: 'must be at most 1000000000 in size' }),
    reason: z
      .string({ error: 'must be a string' })
      .min(1, { error: 'must be a non-empty string' })
      .max(500, { error: 'must be at most 500 chars' }),
  });
  const s = coinStore(ctx);
  const key = adjustmentKey(req.adjustmentId);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const today = todayIn(ctx.program.timezone, ctx.now());
    const known = await s.op<AdjustmentItem>(memberId, key);
    if (known) {
      if (known.body.coins !== req.coins || known.body.reason !== req.reason)
        throw new HttpError(409, 'idempotency_mismatch', `adjustmentId: ${req.adjustmentId} was used with another body`);
      return new Reply(200, {
        adjustmentId: req.adjustmentId,
        coins: req.coins,
        balance: balanceOf(await requireMember(s, memberId, ctx), today),
      });
    }
    const state = await requireMember(s, memberId, ctx);
    const r = adjustCoins(
      state.coins,
      { adjustmentId: req.adjustmentId, day: today, coins: req.coins, lot: lotNumber('adjustment', req.adjustmentId) },
      ctx.program.coins,
    );
    if (!r.ok) throw new HttpError(409, 'insufficient_coins', `coins: ${-req.coins} to take, ${r.available} available`);
    const next = { ...state, coins: r.state };
    const at = new Date(ctx.now()).toISOString();
    const item: AdjustmentItem = {
      memberId,
      sk: key,
      kind: 'adjustment',
      body: { coins: req.coins, reason: req.reason },
      entries: stored(r.entries, at),
      at,
    };
    if (await s.commit(next, item, r.entries, `a#${req.adjustmentId}`, true)) {
      await audit(event, 'coin_adjustment', memberId, { adjustmentId: req.adjustmentId, coins: req.coins, reason: req.reason });
      return new Reply(201, { adjustmentId: req.adjustmentId, coins: req.coins, balance: balanceOf(next, today) });
    }
  }
  throw new HttpError(503, 'busy', 'the member changed too often; retry with the same adjustmentId');
}

interface LedgerRow {
  at: string;
  day: string;
  kind: StoredEntry['kind'];
  coins: number;
  lotId: string | null;
  ref: string;
  id: string;
}

/** Newest first; the cursor is the last row's (at, id). */
export async function getCoinLedger(ctx: RouteContext, event: APIGatewayProxyEventV2, memberId: string) {
  checkId('memberId', memberId);
  const { limit, cursor } = query(event, {
    limit: z.coerce.number().int('must be an integer').min(1, 'must be ≥ 1').max(500, 'must be ≤ 500').optional(),
    cursor: z.string().optional(),
  });
  const s = coinStore(ctx);
  await requireMember(s, memberId, ctx);
  const rows: LedgerRow[] = [];
  const push = (e: StoredEntry) =>
    rows.push({
      at: e.at,
      day: dayString(e.day),
      kind: e.kind,
      coins: e.coins,
      lotId: e.lot === null ? null : lotId(e.lot),
      ref: e.ref,
      id: e.id,
    });
  const items = await s.ledgerItems(memberId);
  // A refund's revoke is booked on its order's day (the lot it takes back); older refunds sit on
  // the order item (`rf`), newer ones are items of their own (`rf#…`, ledger-keys.ts).
  const orderDay = new Map<string, number>();
  for (const item of items)
    if ((item.sk as string).startsWith(ORDER_PREFIX)) orderDay.set(orderIdOf(item.sk as string), item.day as number);
  const pushRevoke = (orderId: string, refundId: string, coins: number | undefined) => {
    const day = orderDay.get(orderId);
    if (!coins || day === undefined) return;
    push({
      id: `revoke:${orderId}:${refundId}`,
      at: `${dayString(day)}T00:00:00.001Z`,
      day,
      kind: 'revoke',
      coins: -coins,
      lot: lotNumber('order', orderId),
      ref: refundId,
    });
  };
  for (const item of items) {
    const sk = item.sk as string;
    if (sk.startsWith(ORDER_PREFIX)) {
      const orderId = orderIdOf(sk);
      const day = item.day as number;
      const coins = (item.co as number) ?? 0;
      if (coins > 0)
        push({
          id: `earn:${orderId}`,
          at: `${dayString(day)}T00:00:00.000Z`,
          day,
          kind: 'earn',
          coins,
          lot: lotNumber('order', orderId),
          ref: orderId,
        });
      for (const [refundId, r] of Object.entries((item.rf as Record<string, { c?: number }>) ?? {})) pushRevoke(orderId, refundId, r.c);
    } else if (sk.startsWith(REFUND_PREFIX)) {
      const { orderId, refundId } = refundIdsOf(sk);
      pushRevoke(orderId, refundId, item.c as number | undefined);
    } else {
      for (const e of (item.entries as StoredEntry[]) ?? []) push(e);
    }
  }
  rows.sort((a, b) => (a.at !== b.at ? (a.at < b.at ? 1 : -1) : a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  let start = 0;
  if (cursor) {
    const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('\n');
    start = rows.findIndex((r) => r.at < at || (r.at === at && r.id < id));
    if (start < 0) start = rows.length;
  }
  const page = rows.slice(start, start + (limit ?? 50));
  const last = page[page.length - 1];
  const more = start + page.length < rows.length;
  return {
    entries: page.map(({ at, day, kind, coins, lotId: lot, ref }) => ({ at, day, kind, coins, lotId: lot, ref })),
    nextCursor: more && last ? Buffer.from(`${last.at}\n${last.id}`).toString('base64url') : null,
  };
}

export async function getCoinMetrics(ctx: RouteContext, event: APIGatewayProxyEventV2) {
  const { from, to } = dayRange(event);
  const today = todayIn(ctx.program.timezone, ctx.now());
  const last = Math.max(to, today + 1);
  const keys = [COIN_TOTALS_KEY];
  for (let d = from; d <= last; d++) keys.push(coinDayKey(d));
  const sums = await ctx.stores.metrics.sum(keys);
  const byDay = new Map<number, Record<string, number>>();
  for (let d = from; d <= last; d++) {
    const m = sums.get(coinDayKey(d));
    if (m && m.size) byDay.set(d, Object.fromEntries(m));
  }
  const days: number[] = [];
  for (let d = from; d <= to; d++) days.push(d);
  return { days: coinFigures(days, byDay, Object.fromEntries(sums.get(COIN_TOTALS_KEY) ?? new Map()), ctx.program.coins.fenPerCoin) };
}

export { dayNumber };
