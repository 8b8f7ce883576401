// The winback (status) job: on day X, the members whose last active day is X − k for a status or
// win-back threshold k just crossed it. They are found through the consumer's `la#<day>` hints.
import type { Program } from '../programme/vocabulary';

export { daysToRun, MAX_CATCH_UP_DAYS } from './catch-up';

export function silenceThresholds(program: Program): number[] {
  return [...new Set([program.status.silentAfterDays, program.status.churnedAfterDays, ...program.winback.offerDays])].sort(
    (a, b) => a - b,
  );
}
