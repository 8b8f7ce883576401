// The daily coins job on the local stack: members found through CoinDueIndex (created from the
// template like every table), coins_day commands through the events stream, lots made available
// and notices sent on their own days, missed days caught up, a second run for a day doing nothing;
// the `available` movements in the member's coin ledger, coin figures in /metrics/program.
import { describe, expect, it } from 'vitest';
import { actionsOnStream } from '../support/actions-stream';
import { addDays, dayString } from '../../shared/days/days';
import { useJobStack } from '../support/job-stack';

const jobs = useJobStack('coinsjob', 'coins-job-token');
const { T, at, get, job, send } = jobs;

describe('coins job', () => {
  it(
    'makes lots available and sends notices through CoinDueIndex, catches up missed days, once per day',
    { timeout: 120_000 },
    async () => {
      const purchase = (memberId: string, orderId: string, day: number, cents: number) => ({
        eventId: orderId,
        type: 'purchase',
        memberId,
        occurredAt: at(day),
        channel: 'store',
        orderId,
        lines: [{ sku: 'x', category: 'dairy', amountCents: cents }],
      });
      // c-1: 100 coins bought T−10, available T−3. c-2: 250 coins bought T−360, available T−353,
      // expiring T+12, notice due T−18. c-3: no coins, never a candidate.
      await send([
        purchase('c-1', 'c-o1', addDays(T, -10), 10_000),
        purchase('c-2', 'c-o2', addDays(T, -360), 25_000),
        { eventId: 'c-3', type: 'app_open', memberId: 'c-3', occurredAt: at(addDays(T, -2)) },
      ]);
      const ledger = async (m: string) => (await get(`/members/${m}/coins/ledger`)).entries;
      expect((await ledger('c-1')).map((e: any) => e.kind)).toEqual(['earn']);
      // The first run (as of T−19): c-2's lot was due long ago (T−353) and is booked on its own day.
      expect(await job('coins', addDays(T, -19))).toMatchObject({ candidates: 1, commands: 1 });
      expect(await job('coins', addDays(T, -19))).toMatchObject({ commands: 0 });
      // Missed T−18 … T−1: today's run does c-2's notice day (T−18) and c-1's lot (T−3).
      expect(await job('coins', T)).toMatchObject({ days: 19, candidates: 2, commands: 2 });
      expect(await job('coins', T)).toMatchObject({ commands: 0 });

      expect((await ledger('c-1')).map((e: any) => [e.kind, e.day, e.coins])).toEqual([
        ['available', dayString(addDays(T, -3)), 100],
        ['earn', dayString(addDays(T, -10)), 100],
      ]);
      expect((await ledger('c-2')).map((e: any) => [e.kind, e.day, e.coins])).toEqual([
        ['available', dayString(addDays(T, -353)), 250],
        ['earn', dayString(addDays(T, -360)), 250],
      ]);
      expect((await get('/members/c-1')).coins).toEqual({
        available: 100,
        pending: 0,
        debt: 0,
        nextExpiry: { day: dayString(addDays(T, 362)), coins: 100 },
      });
      const notices = (await actionsOnStream(jobs.stack)).filter((a) => a.type === 'coins_expiring');
      expect(notices.map((a) => [a.memberId, a.day, a.details.coins, a.details.expiresOn])).toEqual([
        ['c-2', dayString(addDays(T, -18)), 250, dayString(addDays(T, 12))],
      ]);
      const days = (await get(`/metrics/coins?from=${dayString(addDays(T, -3))}&to=${dayString(T)}`)).days;
      expect(days[0]).toMatchObject({ available: 100, outstanding: 350, pending: 0, liabilityFen: 350 });
      expect((await get('/metrics/program')).coins).toEqual({
        outstanding: 350,
        pending: 0,
        debt: 0,
        liabilityFen: 350,
        last30Days: { issued: 100, redeemed: 0, reversed: 0, revoked: 0, expired: 0, adjusted: 0 },
        // c-2's lot expires on T+12.
        expiringNext30Days: { coins: 250, members: 1 },
      });
    },
  );
});
