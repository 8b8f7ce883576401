// Which days a daily job runs for: a day whose run was missed (its retries and dead-letter queue
// exhausted, or the schedule was off) is caught up by the next run, as of that day.

export const MAX_CATCH_UP_DAYS = 31;

/** Days to run for: after the last run up to `asOf` (a skipped day catches up), at most a month. */
export function daysToRun(lastRun: number | null, asOf: number): number[] {
  const from = lastRun === null ? asOf : Math.max(lastRun + 1, asOf - MAX_CATCH_UP_DAYS + 1);
  const days: number[] = [];
  for (let d = from; d <= asOf; d++) days.push(d);
  return days;
}
