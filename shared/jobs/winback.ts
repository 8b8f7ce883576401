// The winback (status) job: on day X, the members whose last active day is X − k for a status or
// win-back threshold k just crossed it. They are found through the consumer's `la#<day>` hints.
import type { Program } from '../programme/vocabulary';

export const MAX_CATCH_UP_DAYS = 31;

export function silenceThresholds(program: Program): number[] {
  return [...new Set([program.status.silentAfterDays, program.status.churnedAfterDays, ...program.winback.offerDays])].sort((a, b) => a - b);
}

/** Days to run for: after the last run up to `asOf` (a skipped day catches up), at most a month. */
export function daysToRun(lastRun: number | null, asOf: number): number[] {
  const from = lastRun === null ? asOf : Math.max(lastRun + 1, asOf - MAX_CATCH_UP_DAYS + 1);
  const days: number[] = [];
  for (let d = from; d <= asOf; d++) days.push(d);
  return days;
}
