// The chaos run's coin comparison: every member's coins (GET /members/{id}), its coin ledger
// (every page of GET …/coins/ledger, summed by kind), the till's answers and /metrics/coins and
// /metrics/program against the coins oracle (coins-oracle.ts): the plain reference ledger fed
// with the member's events in stream order and the till's redemptions and reversals where they
// happened. Each differing figure is one difference.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { LocalStack } from '../../infra/local/engine/stack';
import type { RefTotals } from '../reference/coins-reference';
import type { Till, TillStats } from './coin-till';
import { buildCoinsOracle } from './coins-oracle';
import { dayIndex } from './points-oracle';

export interface CoinChaosFigures extends TillStats {
  membersCompared: number;
  issued: number;
  redeemed: number;
  reversed: number;
  revoked: number;
  liabilityFen: number;
}

interface Differ {
  compare(what: string, expected: unknown, actual: unknown): void;
}

type Api = (stack: LocalStack, path: string) => Promise<{ status: number; body: any }>;

const KINDS: Record<string, keyof RefTotals> = {
  earn: 'earned',
  revoke: 'revoked',
  redeem: 'redeemed',
  reverse: 'reversed',
  expire: 'expired',
  adjust: 'adjusted',
};

export async function compareCoins(args: {
  stack: LocalStack;
  api: Api;
  differ: Differ;
  till: Till;
  kin: KinesisClient;
  /** The exact text of every valid record the run sent. */
  validData: ReadonlySet<string>;
  /** Places (`shardId/seq`) of given-up records no attempt applied: they count where the replay put them. */
  notApplied?: ReadonlySet<string>;
  timeZone: string;
  from: string;
  today: string;
  /** Operator merges applied after the month: the member kept holds both members' coins and ledgers. */
  merges?: readonly { into: string; from: string }[];
}): Promise<CoinChaosFigures> {
  const { stack, api, differ, till, from, today } = args;
  const { ops, arrivals, unplaced } = await till.operations(args.kin, args.validData, args.notApplied);
  differ.compare("till: every redemption item placed among its member's stream records", [], unplaced);
  const todayIdx = dayIndex(today);
  const oracle = buildCoinsOracle(arrivals, ops, args.timeZone, todayIdx);

  // The till's answers against the redemption items: nothing answered lost, nothing refused applied.
  const applied = new Set(
    [...ops.values()]
      .flat()
      .filter((o) => o.kind === 'redeem')
      .map((o) => o.redemptionId),
  );
  const requested = new Set(till.outcomes.map((o) => o.redemptionId));
  differ.compare(
    'till: redemptions answered 201/200 without an item',
    [],
    till.outcomes.filter((o) => (o.status === 201 || o.status === 200) && !applied.has(o.redemptionId)).map((o) => o.redemptionId),
  );
  differ.compare(
    'till: redemptions refused with an item',
    [],
    // (A refusal is not remembered: the same request sent again at once may find the coins there.)
    till.outcomes
      .filter((o) => o.status === 409 && applied.has(o.redemptionId) && !till.repeated.has(o.redemptionId))
      .map((o) => `${o.redemptionId} ${o.code}`),
  );
  differ.compare(
    'till: refusals other than insufficient_coins (or a member not yet applied)',
    [],
    till.outcomes
      .filter((o) => o.status !== null && o.status >= 400 && o.code !== 'insufficient_coins' && o.code !== 'member_not_found')
      .map((o) => `${o.redemptionId} ${o.status} ${o.code}`),
  );
  differ.compare(
    'till: items of redemptions never requested',
    [],
    [...applied].filter((id) => !requested.has(id)),
  );

  const sums = { earned: 0, revoked: 0, redeemed: 0, reversed: 0, expired: 0, adjusted: 0 };
  const balance = { available: 0, pending: 0, debt: 0 };
  const mergedInto = new Map((args.merges ?? []).map((m) => [m.from, m.into]));
  const mergedFrom = new Map((args.merges ?? []).map((m) => [m.into, m.from]));
  const memberIds = oracle.memberIds().filter((id) => !mergedInto.has(id));
  for (const into of mergedFrom.keys()) if (!memberIds.includes(into)) memberIds.push(into);
  /** A member's expected coins, with those of the member merged into it added (lots keep their dates). */
  const expectedOf = (memberId: string) => {
    const own = oracle.member(memberId, todayIdx);
    const totals = oracle.totals(memberId);
    const from = mergedFrom.get(memberId);
    if (!from) return { expected: own, totals };
    const other = oracle.member(from, todayIdx);
    const t = oracle.totals(from);
    const expiries = [own.nextExpiry, other.nextExpiry].filter((x) => x !== null);
    const first = expiries.length ? expiries.reduce((a, b) => (a.day <= b.day ? a : b)).day : null;
    return {
      expected: {
        available: own.available + other.available,
        pending: own.pending + other.pending,
        debt: own.debt + other.debt,
        nextExpiry: first === null ? null : { day: first, coins: expiries.filter((x) => x.day === first).reduce((n, x) => n + x.coins, 0) },
      },
      totals: Object.fromEntries(
        Object.keys(totals).map((k) => [k, totals[k as keyof RefTotals] + t[k as keyof RefTotals]]),
      ) as unknown as RefTotals,
    };
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < memberIds.length) {
        const memberId = memberIds[next++];
        differ.compare(`coins of ${memberId}: the reference agrees with every till answer`, [], oracle.problems(memberId));
        const from = mergedFrom.get(memberId);
        if (from) differ.compare(`coins of ${from}: the reference agrees with every till answer`, [], oracle.problems(from));
        const { expected, totals } = expectedOf(memberId);
        for (const k of Object.keys(sums) as (keyof RefTotals)[]) sums[k] += totals[k];
        balance.available += expected.available;
        balance.pending += expected.pending;
        balance.debt += expected.debt;
        const view = await api(stack, `/members/${encodeURIComponent(memberId)}`);
        if (view.status !== 200) {
          // Someone who never became a member (e.g. only poison records) holds no coins.
          if (totals.earned || totals.redeemed) differ.compare(`member ${memberId}: status`, 200, view.status);
          continue;
        }
        differ.compare(`coins of ${memberId}`, expected, view.body.coins);
        const got: RefTotals = { earned: 0, revoked: 0, redeemed: 0, reversed: 0, expired: 0, adjusted: 0 };
        const availableLots: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await api(
            stack,
            `/members/${encodeURIComponent(memberId)}/coins/ledger?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          );
          for (const e of page.body?.entries ?? []) {
            if (e.kind === 'available') availableLots.push(e.lotId);
            else got[KINDS[e.kind]] += Math.abs(e.coins);
          }
          cursor = page.body?.nextCursor ?? null;
        } while (cursor);
        differ.compare(`coin ledger of ${memberId} (sums by kind)`, totals, got);
        differ.compare(`coin ledger of ${memberId}: one available entry per lot`, availableLots.length, new Set(availableLots).size);
      }
    }),
  );

  // The coin counters, summed over every shard's items, against the same reference.
  const metrics = (await api(stack, `/metrics/coins?from=${from}&to=${today}`)).body?.days ?? [];
  const total = (k: string) => metrics.reduce((s: number, d: any) => s + d[k], 0);
  const last = metrics[metrics.length - 1] ?? {};
  differ.compare(
    '/metrics/coins: movements and the balances at the end of today',
    { ...sums, adjusted: 0, outstanding: balance.available, pending: balance.pending, debt: balance.debt },
    {
      earned: total('issued'),
      revoked: total('revoked'),
      redeemed: total('redeemed'),
      reversed: total('reversed'),
      expired: total('expired'),
      adjusted: total('adjusted'),
      outstanding: last.outstanding,
      pending: last.pending,
      debt: last.debt,
    },
  );
  const liabilityFen = balance.available + balance.pending;
  const program = (await api(stack, '/metrics/program')).body?.coins;
  differ.compare(
    '/metrics/program coins',
    { outstanding: balance.available, pending: balance.pending, debt: balance.debt, liabilityFen },
    { outstanding: program?.outstanding, pending: program?.pending, debt: program?.debt, liabilityFen: program?.liabilityFen },
  );
  return {
    ...till.stats,
    membersCompared: memberIds.length,
    issued: sums.earned,
    redeemed: sums.redeemed,
    reversed: sums.reversed,
    revoked: sums.revoked,
    liabilityFen,
  };
}
