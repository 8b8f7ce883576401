/**
 * The coin figures of `GET /metrics/program?asOf=`: the balances at the end of `asOf` (what
 * finance books as a provision: `liabilityFen`) and the movements of the 30 days up to it.
 */
import { COIN_TOTALS_KEYS, coinDayKeys, coinDays, coinFigures, coinTotals } from './outbox';

export const COIN_PROGRAM_WINDOW_DAYS = 30;

export interface CoinProgramFigures {
  outstanding: number;
  pending: number;
  debt: number;
  liabilityFen: number;
  /** Movements booked in `[asOf − 29, asOf]`. */
  last30Days: { issued: number; redeemed: number; reversed: number; revoked: number; expired: number; adjusted: number };
}

/** The counter keys to read: the totals and every day from the window's first to `lastDay` (today + 1). */
export function coinProgramKeys(asOf: number, lastDay: number): string[] {
  const keys = [...COIN_TOTALS_KEYS];
  for (let d = asOf - COIN_PROGRAM_WINDOW_DAYS + 1; d <= lastDay; d++) keys.push(...coinDayKeys(d));
  return keys;
}

export function coinProgramFigures(
  sums: ReadonlyMap<string, ReadonlyMap<string, number>>,
  asOf: number,
  lastDay: number,
  fenPerCoin: number,
): CoinProgramFigures {
  const byDay = coinDays(sums, asOf - COIN_PROGRAM_WINDOW_DAYS + 1, lastDay);
  const days: number[] = [];
  for (let d = asOf - COIN_PROGRAM_WINDOW_DAYS + 1; d <= asOf; d++) days.push(d);
  const rows = coinFigures(days, byDay, coinTotals(sums), fenPerCoin);
  const end = rows[rows.length - 1];
  const sum = (k: 'issued' | 'redeemed' | 'reversed' | 'revoked' | 'expired' | 'adjusted') => rows.reduce((s, r) => s + r[k], 0);
  return {
    outstanding: end.outstanding,
    pending: end.pending,
    debt: end.debt,
    liabilityFen: end.liabilityFen,
    last30Days: {
      issued: sum('issued'),
      redeemed: sum('redeemed'),
      reversed: sum('reversed'),
      revoked: sum('revoked'),
      expired: sum('expired'),
      adjusted: sum('adjusted'),
    },
  };
}
