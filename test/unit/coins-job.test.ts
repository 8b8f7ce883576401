// The daily coins job (shared/jobs/run-coins.ts) over the in-memory pipeline: due members through
// the coin-due hints, one coins_day command per member and day with work, lots made available and
// expired on their own days, coins_expiring once per lot, missed days caught up (a notice due on a
// missed day still goes out before its lot expires), and a second run for a day doing nothing.
import { memoryCoinFigures } from '../support/coin-figures';
import { describe, expect, it } from 'vitest';
import { dayNumber, dayString } from '../../shared/days/days';
import { runCoins } from '../../shared/jobs/run-coins';
import { coinBalance } from '../../shared/coins/lots';
import { heldMoves, MOVES_PER_ITEM } from '../../shared/coins/outbox';
import { movesAsEntries, personCoinLedger } from '../../shared/coins/ledger-view';
import { coinProgramFigures, coinProgramKeys } from '../../shared/coins/program-figures';
import { at, purchaseLine } from '../support/event-lines';
import { MemoryPipeline } from '../support/memory-pipeline';
import { COINS_JOB_NOW, coinsJobPorts } from '../support/coins-job-ports';

const purchase = (memberId: string, orderId: string, day: string, cents: number) =>
  purchaseLine(`e-${orderId}`, memberId, orderId, day, cents, { sku: 'a', category: 'meat' });

function setup() {
  const p = new MemoryPipeline(undefined, () => COINS_JOB_NOW);
  const { ports, progress, sent } = coinsJobPorts(p);
  /** Runs the job as of `day`, delivers its commands, returns the summary and the commands' ids. */
  const job = async (day: string) => {
    sent.length = 0;
    const summary = await runCoins(p.program, dayNumber(day), ports);
    const ids = sent.map((c) => c.eventId);
    await p.deliver(p.records(sent.map((c) => p.command(c))));
    return { ...summary, ids };
  };
  const figures = (day: string) => memoryCoinFigures(p, day, day)[0];
  const notices = () =>
    [...p.actions.byId.values()]
      .filter((a) => a.type === 'coins_expiring')
      .map((a) => [a.memberId, a.day, a.details.coins, a.details.expiresOn])
      .sort();
  /** The coin figures of GET /metrics/program as of `day` (read on `today`). */
  const program = (day: string, today: string) => {
    const keys = coinProgramKeys(dayNumber(day), dayNumber(today) + 1);
    const sums = new Map(keys.map((k) => [k, p.metrics.sum(k)]));
    return coinProgramFigures(sums, dayNumber(day), dayNumber(today) + 1, 1);
  };
  return { p, progress, job, figures, notices, program };
}

describe('the daily coins job', () => {
  it('makes lots available and expires them on their days, notices once, catches up missed days, idempotent per day', async () => {
    const { p, progress, job, figures, notices, program } = setup();
    await p.deliver(
      p.records([
        // m1: 10 000 fen at the member rate → 100 coins; available 2026-11-08, expires 2027-11-08, notice 2027-10-09
        purchase('m1', 'o1', '2026-11-01', 10_000),
        // m2: 25 000 fen → 250 coins; available 2026-11-12, expires 2027-11-12, notice 2027-10-13
        purchase('m2', 'o2', '2026-11-05', 25_000),
        // m3 holds no coins: never a candidate
        JSON.stringify({ eventId: 'e-m3', type: 'app_open', memberId: 'm3', occurredAt: at('2026-11-05') }),
      ]),
    );

    // The consumer hinted each member at its lot's day (shared/coins/due-hints.ts): the first run
    // finds nobody yet, the next one m1 alone (m2's day is the 12th).
    expect(await job('2026-11-07')).toMatchObject({ asOf: '2026-11-07', days: 1, candidates: 0, commands: 0 });
    expect(await job('2026-11-08')).toMatchObject({ days: 1, candidates: 1, ids: ['coins_day:2026-11-08:m1'] });
    expect(coinBalance(p.member('m1')!.coins, dayNumber('2026-11-08'))).toMatchObject({ available: 100, pending: 0 });
    expect(p.member('m1')!.coins.lots[0].booked).toBe(true);
    expect(figures('2026-11-08')).toMatchObject({ available: 100, outstanding: 100, pending: 250, liabilityFen: 350 });
    // The same day again: nothing due any more.
    expect(await job('2026-11-08')).toMatchObject({ days: 1, commands: 0 });

    // Missed 2026-11-09 … 2026-11-19: the run of the 20th does m2's day (the 12th), booked on the 12th.
    expect(await job('2026-11-20')).toMatchObject({ days: 12, candidates: 1, ids: ['coins_day:2026-11-12:m2'] });
    expect(figures('2026-11-12')).toMatchObject({ available: 250, outstanding: 350, pending: 0 });
    expect(progress.items.get('coins')?.lastDay).toBe(dayNumber('2026-11-20'));
    // GET /metrics/program: balances at the end of the day, movements of its last 30 days.
    expect(program('2026-11-20', '2026-11-20')).toEqual({
      outstanding: 350,
      pending: 0,
      debt: 0,
      liabilityFen: 350,
      last30Days: { issued: 350, redeemed: 0, reversed: 0, revoked: 0, expired: 0, adjusted: 0 },
    });
    expect(program('2026-11-06', '2026-11-20')).toMatchObject({ outstanding: 0, pending: 350, liabilityFen: 350 });
    // 2026-12-01: the window [11-02, 12-01] no longer holds o1's day.
    expect(program('2026-12-01', '2026-12-01').last30Days.issued).toBe(250);

    // The notice days come: the run of 2027-10-08 has nothing; then the job is off for a month.
    expect(await job('2027-10-08')).toMatchObject({ commands: 0 });
    expect(notices()).toEqual([]);
    // The run of 2027-11-08 catches up 31 days: m1's notice day and expiry day, m2's notice day.
    expect((await job('2027-11-08')).ids).toEqual(['coins_day:2027-10-09:m1', 'coins_day:2027-11-08:m1', 'coins_day:2027-10-13:m2']);
    expect(notices()).toEqual([
      ['m1', '2027-10-09', 100, '2027-11-08'],
      ['m2', '2027-10-13', 250, '2027-11-12'],
    ]);
    expect(p.member('m1')!.coins.lots).toEqual([]);
    expect(figures('2027-11-08')).toMatchObject({ expired: 100, outstanding: 250, pending: 0, liabilityFen: 250 });

    expect((await job('2027-11-12')).ids).toEqual(['coins_day:2027-11-12:m2']);
    expect(figures('2027-11-12')).toMatchObject({ expired: 250, outstanding: 0, liabilityFen: 0 });
    // Nothing left to do for anyone; running the day again re-reads m2 (its hint of that day),
    // sends nothing and no second notice, and hints nobody (no lot left).
    expect(await job('2027-11-12')).toMatchObject({ candidates: 1, commands: 0 });
    expect(await p.hints.coinDue.membersDue(dayNumber('2027-11-13'), dayNumber('2029-01-01'))).toEqual([]);
    expect(notices()).toHaveLength(2);
    expect(dayString(progress.items.get('coins')!.lastDay)).toBe('2027-11-12');
    // The ledger route's `available` and `expire` rows: one each per lot, on their own days.
    const moves = (id: string) =>
      [...p.ledger.movesOf(id), ...heldMoves(p.member(id)?.coinOut)].map((m) => [m.kind, dayString(m.day), m.coins, m.id]);
    expect(moves('m1')).toEqual([
      ['available', '2026-11-08', 100, expect.stringMatching(/^available:L/)],
      ['expire', '2027-11-08', -100, expect.stringMatching(/^expire:L/)],
    ]);
    expect(moves('m2')).toEqual([
      ['available', '2026-11-12', 250, expect.stringMatching(/^available:L/)],
      ['expire', '2027-11-12', -250, expect.stringMatching(/^expire:L/)],
    ]);
  });

  it('holds the moves on the member until MOVES_PER_ITEM gather: no ledger item per lot; the ledger route lists them', async () => {
    const { p, job } = setup();
    await p.deliver(p.records([purchase('m1', 'o1', '2026-11-01', 10_000), purchase('m1', 'o2', '2026-11-02', 20_000)]));
    await job('2026-11-08');
    await job('2026-11-09');
    expect(p.ledger.moves.size).toBe(0);
    const reader = { coinLedger: async (id: string) => movesAsEntries(p.ledger.movesOf(id)) };
    const listed = await personCoinLedger(reader, p.member('m1')!);
    expect(listed.map((e) => [e.kind, e.at, e.coins])).toEqual([
      ['available', '2026-11-08T00:00:00.000Z', 100],
      ['available', '2026-11-09T00:00:00.000Z', 200],
    ]);
    // Filed once MOVES_PER_ITEM have gathered: one item, the member holds none; listed the same.
    await p.deliver(p.records(Array.from({ length: MOVES_PER_ITEM - 2 }, (_, i) => purchase('m1', `p${i}`, '2026-11-03', 10_000))));
    await job('2026-11-10');
    expect(p.ledger.moves.size).toBe(1);
    expect(heldMoves(p.member('m1')!.coinOut)).toEqual([]);
    const after = await personCoinLedger(reader, p.member('m1')!);
    expect(after.filter((e) => e.kind === 'available')).toHaveLength(MOVES_PER_ITEM);
  });

  it('a crash after the member write and before its moves are filed: the redelivery stores them', async () => {
    const { p, job } = setup();
    await p.deliver(p.records(Array.from({ length: MOVES_PER_ITEM }, (_, i) => purchase('m1', `o${i}`, '2026-11-01', 10_000))));
    const put = p.ledger.putCoinMoves.bind(p.ledger);
    let failures = 1;
    p.ledger.putCoinMoves = async (...args) => {
      if (failures-- > 0) throw new Error('injected: the process died');
      return put(...args);
    };
    await job('2026-11-08');
    expect(p.retries).toBe(1);
    expect(p.ledger.movesOf('m1').map((m) => [m.kind, dayString(m.day), m.coins])).toEqual(
      Array.from({ length: MOVES_PER_ITEM }, () => ['available', '2026-11-08', 100]),
    );
    expect(p.ledger.moves.size).toBe(1);
  });

  it('a command delivered twice (a retried run) books nothing twice', async () => {
    const { p, job, figures } = setup();
    await p.deliver(p.records([purchase('m1', 'o1', '2026-11-01', 10_000)]));
    const first = await job('2026-11-08');
    // The same command again, as a retried run of that day would put it.
    await p.deliver(
      p.records([
        p.command({
          type: 'coins_day',
          eventId: first.ids[0],
          memberId: 'm1',
          asOf: '2026-11-08',
          occurredAt: '2026-11-08T00:00:00Z',
        }),
      ]),
    );
    expect(figures('2026-11-08')).toMatchObject({ available: 100, outstanding: 100 });
  });
});
