// Coin routes (docs/rules.md#coins): synchronous redemption at the till, its reversal, operator
// adjustments, the member's coin ledger, and /metrics/coins. Wiring only: the use cases are in
// shared/coins/operations.ts (their writes through CoinStore), the ledger is read by the ledger
// store's one reader (DynamoLedger.coinLedger) and paged by shared/coins/ledger-view.ts.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { dayNumber, todayIn } from '../../shared/days/days';
import { COIN_TOTALS_KEYS, coinDayKeys, coinDays, coinFigures, coinTotals } from '../../shared/coins/outbox';
import { adjust, CoinRefusal, redeem, reverseRedemption, type CoinOperationsDeps } from '../../shared/coins/operations';
import { coinLedgerPage, personCoinLedger } from '../../shared/coins/ledger-view';
import { CoinStore } from '../adapters/coin-store';
import { CoinDueStore } from '../adapters/coin-due-store';
import { documentClient, kinesisClient } from '../adapters/clients';
import { auditLog } from '../adapters/audit-store';
import { memberIdHasher } from '../adapters/erasure-salt';
import { resourceNames } from '../adapters/config';
import { dayRange, HttpError, query, Reply } from './http';
import { mergedError, mergeRequestOf } from './member-lookup';
import type { RouteContext } from './routes';

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
function operations(ctx: RouteContext): CoinOperationsDeps {
  if (!store) {
    const names = resourceNames();
    store = new CoinStore(
      documentClient(),
      { members: names.membersTable, ledger: names.ledgerTable, metrics: names.metricsTable, events: names.eventsStream },
      kinesisClient,
    );
  }
  return {
    store,
    hints: new CoinDueStore(documentClient(), resourceNames().metricsTable),
    member: (memberId) => requireMember(memberId, ctx),
    coins: ctx.program.coins,
    timezone: ctx.program.timezone,
    now: ctx.now,
  };
}

/** The use case's refusal as the HTTP error it is. */
async function answering<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CoinRefusal) throw new HttpError(error.status, error.code, error.message);
    throw error;
  }
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

async function requireMember(memberId: string, ctx: RouteContext) {
  const [state, request] = await Promise.all([
    ctx.stores.members.getMany([memberId]).then((m) => m.get(memberId) ?? null),
    mergeRequestOf(ctx.stores.members, memberId),
  ]);
  if (!state) throw new HttpError(404, 'member_not_found', `memberId: no member ${memberId}`);
  // Its coins go to the member it is merged into, from the moment the merge is accepted
  // (docs/api.md#operator-merge): a coin operation committed before the mark is folded in with them.
  const into = state.linkedTo ?? request;
  if (into) throw mergedError(memberId, into);
  return state;
}

export async function postRedemption(ctx: RouteContext, event: APIGatewayProxyEventV2, memberId: string) {
  checkId('memberId', memberId);
  const req = body(event, { redemptionId: opId, coins: positiveInt, orderId: opId.optional() });
  const { status, answer } = await answering(() =>
    redeem(operations(ctx), memberId, req.redemptionId, { coins: req.coins, ...(req.orderId ? { orderId: req.orderId } : {}) }),
  );
  return status === 201 ? new Reply(201, answer) : answer;
}

export async function postReversal(ctx: RouteContext, event: APIGatewayProxyEventV2, memberId: string, redemptionId: string) {
  checkId('memberId', memberId);
  checkId('redemptionId', redemptionId);
  const r = await answering(() => reverseRedemption(operations(ctx), memberId, redemptionId));
  if (r.changed) await audit(event, 'coin_redemption_reversed', memberId, { redemptionId, coins: r.coins });
  return { redemptionId, reversed: true, balance: r.balance };
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
  const r = await answering(() => adjust(operations(ctx), memberId, req.adjustmentId, { coins: req.coins, reason: req.reason }));
  const answer = { adjustmentId: req.adjustmentId, coins: req.coins, balance: r.balance };
  if (!r.changed) return new Reply(200, answer);
  await audit(event, 'coin_adjustment', memberId, { adjustmentId: req.adjustmentId, coins: req.coins, reason: req.reason });
  return new Reply(201, answer);
}

/** Newest first; the cursor is the last entry's (at, id). A merged member's entries are marked `mergedFrom`. */
export async function getCoinLedger(ctx: RouteContext, event: APIGatewayProxyEventV2, memberId: string) {
  checkId('memberId', memberId);
  const { limit, cursor } = query(event, {
    limit: z.coerce.number().int('must be an integer').min(1, 'must be ≥ 1').max(500, 'must be ≤ 500').optional(),
    cursor: z.string().optional(),
  });
  const state = await requireMember(memberId, ctx);
  return coinLedgerPage(await personCoinLedger(ctx.stores.ledger, state), limit ?? 50, cursor);
}

export async function getCoinMetrics(ctx: RouteContext, event: APIGatewayProxyEventV2) {
  const { from, to } = dayRange(event);
  const today = todayIn(ctx.program.timezone, ctx.now());
  const last = Math.max(to, today + 1);
  const keys = [...COIN_TOTALS_KEYS];
  for (let d = from; d <= last; d++) keys.push(...coinDayKeys(d));
  const sums = await ctx.stores.metrics.sum(keys);
  const byDay = coinDays(sums, from, last);
  const days: number[] = [];
  for (let d = from; d <= to; d++) days.push(d);
  return { days: coinFigures(days, byDay, coinTotals(sums), ctx.program.coins.fenPerCoin) };
}

export { dayNumber };
