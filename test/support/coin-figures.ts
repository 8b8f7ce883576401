// The coin figures (/metrics/coins' days and totals) of an in-memory pipeline, as the api computes
// them from the counter items: every coin day item from `from` on, for the days from `from` to `to`.
import {
  COIN_DAY_PREFIX,
  COIN_TOTALS_KEYS,
  coinDayKeys,
  coinDays,
  coinFigures,
  coinTotals,
  LEGACY_COIN_TOTALS_KEY,
} from '../../shared/coins/outbox';
import { dayNumber, dayString } from '../../shared/days/days';
import type { MemoryPipeline } from './memory-pipeline';

export function memoryCoinFigures(p: MemoryPipeline, from: string, to: string) {
  const days: number[] = [];
  for (let d = dayNumber(from); d <= dayNumber(to); d++) days.push(d);
  const last = dayNumber('2028-12-31');
  const sums = new Map<string, Map<string, number>>();
  for (let d = dayNumber(from); d <= last; d++) for (const key of coinDayKeys(d)) sums.set(key, p.metrics.sum(key));
  return coinFigures(days, coinDays(sums, dayNumber(from), last), memoryCoinTotals(p), 1);
}

/** The coin figures' running sums (`dA`, `dP`, `dD`) as the api reads them: the totals items and legacy `cd#all`. */
export function memoryCoinTotals(p: MemoryPipeline): Record<string, number> {
  return coinTotals(new Map(COIN_TOTALS_KEYS.map((key) => [key, p.metrics.sum(key)])));
}

/**
 * Every day's coin counters as the api counts them (those a later day's item holds for the day,
 * `<counter>@<day>`, on that day), in day order: equal for two runs that booked the same
 * movements, however their writes were cut.
 */
export function memoryCoinDays(p: MemoryPipeline): Record<string, Record<string, number>> {
  const days: number[] = [];
  for (const key of p.metrics.items.keys()) {
    if (/^d#-?\d+$/.test(key)) days.push(Number(key.slice(2)));
    else if (key.startsWith(COIN_DAY_PREFIX) && key !== LEGACY_COIN_TOTALS_KEY) days.push(dayNumber(key.slice(COIN_DAY_PREFIX.length)));
  }
  if (!days.length) return {};
  const [from, last] = [Math.min(...days), Math.max(...days)];
  const sums = new Map<string, Map<string, number>>();
  for (let d = from; d <= last; d++) for (const key of coinDayKeys(d)) sums.set(key, p.metrics.sum(key));
  const byDay = coinDays(sums, from, last);
  return Object.fromEntries(
    [...byDay.keys()].sort((a, b) => a - b).map((d) => [dayString(d), Object.fromEntries(Object.entries(byDay.get(d)!).sort())]),
  );
}
