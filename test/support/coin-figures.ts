// The coin figures (/metrics/coins' days and totals) of an in-memory pipeline, as the api computes
// them from the counter items: every coin day item from `from` on, for the days from `from` to `to`.
import { COIN_TOTALS_KEYS, coinDayKey, coinFigures, coinTotals } from '../../shared/coins/outbox';
import { dayNumber } from '../../shared/days/days';
import type { MemoryPipeline } from './memory-pipeline';

export function memoryCoinFigures(p: MemoryPipeline, from: string, to: string) {
  const days: number[] = [];
  for (let d = dayNumber(from); d <= dayNumber(to); d++) days.push(d);
  const byDay = new Map<number, Record<string, number>>();
  for (let d = dayNumber(from); d <= dayNumber('2028-12-31'); d++) {
    const m = p.metrics.sum(coinDayKey(d));
    if (m.size) byDay.set(d, Object.fromEntries(m));
  }
  return coinFigures(days, byDay, memoryCoinTotals(p), 1);
}

/** The coin figures' running sums (`dA`, `dP`, `dD`) as the api reads them: the totals items and legacy `cd#all`. */
export function memoryCoinTotals(p: MemoryPipeline): Record<string, number> {
  return coinTotals(new Map(COIN_TOTALS_KEYS.map((key) => [key, p.metrics.sum(key)])));
}
