// The read routes of the HTTP API (docs/api.md).
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { dayString, todayIn } from '../../shared/days/days';
import { dayKey, TOTALS_KEY } from '../../shared/keys/metrics-keys';
import {
  channelRetention,
  cohortRow,
  customersOn,
  dailyRow,
  programRow,
  sessionsRow,
  winbackRow,
  type DayCounters,
} from '../../shared/metrics/read';
import { memberView } from '../../shared/member/view';
import { memberAsOf } from '../../shared/member/as-of';
import { coinBalance } from '../../shared/coins/lots';
import { coinProgramFigures, coinProgramKeys } from '../../shared/coins/program-figures';
import { coinsExpiring } from './coins-expiring';
import { upcomingReviews } from '../../shared/jobs/upcoming-reviews';
import { jobPorts } from '../adapters/stores';
import type { Program } from '../../shared/programme/vocabulary';
import type { stores } from '../adapters/stores';
import { dayParam, dayRange, HttpError, query } from './http';
import { assertNotErased, erasedError, memberOrTombstone } from './member-lookup';
import { erasureAdapter } from '../adapters/erasure-store';
import { visitorKey } from '../../shared/identity/keys';
import { mergedMemberKeys, originOf, type Origin } from '../../shared/identity/person-ledger';

export interface RouteContext {
  program: Program;
  stores: ReturnType<typeof stores>;
  now: () => number;
}

/** Loads the summed counters of days [from, to] and returns a lookup that reads missing days as empty. */
async function dayCounters(ctx: RouteContext, from: number, to: number): Promise<DayCounters> {
  const keys: string[] = [];
  for (let d = from; d <= to; d++) keys.push(dayKey(d));
  const sums = await ctx.stores.metrics.sum(keys);
  const empty = new Map<string, number>();
  return (day) => sums.get(dayKey(day)) ?? empty;
}

const memberIdPattern = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** An anonymous id answers for the member it is linked to; a visitor is no member (docs/api.md#members). */
async function linkedMember(ctx: RouteContext, anonymousId: string) {
  // An erased member's linked ids were tombstoned with it: they answer member_erased too.
  const visitor = await assertNotErased(ctx.stores.members, visitorKey(anonymousId));
  // Its member may have been merged into another since: the id answers for that one.
  const erasure = await erasureAdapter();
  let memberId = visitor?.linkedTo ?? null;
  for (let hops = 0; memberId !== null && hops < 16; hops++) {
    const { state, erased, mergedInto } = await memberOrTombstone(ctx.stores.members, memberId, erasure.hash(memberId));
    if (erased) throw erasedError();
    if (!mergedInto) return state;
    memberId = mergedInto;
  }
  return null;
}

export async function getMember(ctx: RouteContext, event: APIGatewayProxyEventV2, memberId: string) {
  if (!memberIdPattern.test(memberId)) throw new HttpError(400, 'invalid_parameter', 'memberId: must be 1–128 chars of [A-Za-z0-9_.:@-]');
  const { asOf } = query(event, { asOf: dayParam.optional() });
  const state = (await assertNotErased(ctx.stores.members, memberId)) ?? (await linkedMember(ctx, memberId));
  if (!state) throw new HttpError(404, 'member_not_found', `memberId: no member ${memberId}`);
  const day = asOf ?? todayIn(ctx.program.timezone, ctx.now());
  const then = memberAsOf(ctx.program, state, await ctx.stores.ledger.tierHistory(state.memberId), day);
  if (then.kind === 'not_yet_joined')
    throw new HttpError(
      404,
      'member_not_found',
      `asOf: member ${memberId} joined on ${dayString(state.joinedOn)}, after ${dayString(day)}`,
    );
  if (then.kind === 'not_kept')
    throw new HttpError(400, 'invalid_parameter', `asOf: the member's state is kept from ${dayString(then.oldestDay)} on`);
  // The tier history of the members merged into it (their own keys), each entry marked mergedFrom.
  const merged = await Promise.all(
    mergedMemberKeys(state).map(async (key) =>
      (await ctx.stores.ledger.tierHistory(key)).map((c) => ({ ...c, origin: originOf(state.memberId, key) })),
    ),
  );
  const history = [...then.tierHistory.map((c) => ({ ...c, origin: {} as Origin })), ...merged.flat().filter((c) => c.day <= day)].sort(
    (a, b) => a.day - b.day,
  );
  const coins = coinBalance(state.coins, day);
  return {
    ...memberView(ctx.program, then.state, day),
    coins: {
      available: coins.available,
      pending: coins.pending,
      debt: coins.debt,
      nextExpiry: coins.nextExpiry ? { day: dayString(coins.nextExpiry.day), coins: coins.nextExpiry.coins } : null,
    },
    tierHistory: history.map((c) => ({
      day: dayString(c.day),
      from: ctx.program.tiers[c.from].id,
      to: ctx.program.tiers[c.to].id,
      reason: c.reason,
      ...c.origin,
    })),
  };
}

export async function getDaily(ctx: RouteContext, event: APIGatewayProxyEventV2) {
  const { from, to } = dayRange(event);
  const items = await dayCounters(ctx, from - 30, to);
  const days = [];
  for (let d = from; d <= to; d++) days.push(dailyRow(items, d));
  return { timezone: ctx.program.timezone, days };
}

export async function getRetention(ctx: RouteContext, event: APIGatewayProxyEventV2) {
  const { from, to } = dayRange(event);
  const items = await dayCounters(ctx, from, to + 30);
  const cohorts = [];
  for (let c = from; c <= to; c++) cohorts.push(cohortRow(items, c));
  return { cohorts };
}

export async function getRetentionByChannel(ctx: RouteContext, event: APIGatewayProxyEventV2) {
  const { from, to } = dayRange(event);
  const items = await dayCounters(ctx, from, to + 30);
  return { channels: channelRetention(items, from, to) };
}

export async function getSessions(ctx: RouteContext, event: APIGatewayProxyEventV2) {
  const { from, to } = dayRange(event);
  const items = await dayCounters(ctx, from, to);
  const days = [];
  for (let d = from; d <= to; d++) days.push(sessionsRow(items, d));
  return { days };
}

export async function getWinback(ctx: RouteContext, event: APIGatewayProxyEventV2) {
  const { from, to } = dayRange(event);
  const items = await dayCounters(ctx, from, to);
  const days = [];
  for (let d = from; d <= to; d++) days.push(winbackRow(items, d));
  return { days };
}

export async function getProgram(ctx: RouteContext, event: APIGatewayProxyEventV2) {
  const today = todayIn(ctx.program.timezone, ctx.now());
  const { asOf: requested } = query(event, { asOf: dayParam.optional() });
  const asOf = requested ?? today;
  if (asOf > today) throw new HttpError(400, 'invalid_parameter', 'asOf: must not be after today');
  if (today - asOf > 366) throw new HttpError(400, 'invalid_parameter', 'asOf: at most 366 days back');
  // One read: the totals, the days from the customers window's first to tomorrow, the coin keys.
  const keys = [TOTALS_KEY];
  for (let d = asOf - 29; d <= today + 1; d++) keys.push(dayKey(d));
  const coinKeys = coinProgramKeys(asOf, today + 1);
  // Known for today only (a past day's view of its future expiries is not kept); read alongside.
  const [sums, expiring] = await Promise.all([
    ctx.stores.metrics.sum([...keys, ...coinKeys]),
    asOf === today ? coinsExpiring(ctx.program, today, 30) : null,
  ]);
  const empty = new Map<string, number>();
  const window: DayCounters = (day) => sums.get(dayKey(day)) ?? empty;
  const later: Map<string, number>[] = [];
  for (let d = asOf + 1; d <= today + 1; d++) later.push(window(d));
  const row = programRow(ctx.program, sums.get(TOTALS_KEY) ?? new Map(), later, asOf);
  const { customers, memberShareOfCustomers } = customersOn(window, asOf);
  return {
    ...row,
    customers,
    kpis: { ...row.kpis, memberShareOfCustomers, memberShareOfCustomersGoal: 0.9 },
    coins: {
      ...coinProgramFigures(sums, asOf, today + 1, ctx.program.coins.fenPerCoin),
      expiringNext30Days: expiring,
    },
  };
}

/**
 * `GET /metrics/tier-reviews?days=N` (default 30, 1…365): the reviews due in the next N days and
 * how many would keep or lose their tier on today's points (shared/jobs/upcoming-reviews.ts). The
 * review job's own index finds them (no scan); their member items are read once.
 */
export async function getTierReviews(ctx: RouteContext, event: APIGatewayProxyEventV2) {
  const today = todayIn(ctx.program.timezone, ctx.now());
  const { days = 30 } = query(event, { days: z.coerce.number().int().min(1).max(365).optional() });
  const ids = await jobPorts().reviewIndex.membersWithReviewBy(today + days - 1);
  const members = await ctx.stores.members.getMany(ids);
  return upcomingReviews(ctx.program, members.values(), today, days);
}
