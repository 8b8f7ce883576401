// The simulator's options, their defaults and their checks.
import { dayNumber, isTimeZone } from '../shared/days/days';

export interface SimulateOptions {
  /** Number of members (ids `m00001`…). */
  members: number;
  /** Number of days simulated, starting at `start`. */
  days: number;
  /** Any safe integer; the same options give the same events. */
  seed: number;
  /** First day, `YYYY-MM-DD` in `timezone`. Default `2026-10-01`. */
  start?: string;
  /** Programme time zone (IANA). Default `Asia/Shanghai`. */
  timezone?: string;
}

export const SIMULATE_DEFAULTS = { start: '2026-10-01', timezone: 'Asia/Shanghai' } as const;

export interface Normalised {
  members: number;
  days: number;
  seed: number;
  start: string;
  timezone: string;
}

export function normalise(opts: SimulateOptions): Normalised {
  const { members, days, seed } = opts;
  if (!Number.isSafeInteger(members) || members < 0) throw new RangeError(`members must be a whole number ≥ 0, got ${members}`);
  if (!Number.isSafeInteger(days) || days < 1) throw new RangeError(`days must be a whole number ≥ 1, got ${days}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const start = opts.start ?? SIMULATE_DEFAULTS.start;
  dayNumber(start); // throws a RangeError naming the bad value
  const timezone = opts.timezone ?? SIMULATE_DEFAULTS.timezone;
  if (!isTimeZone(timezone)) throw new RangeError(`unknown time zone: ${JSON.stringify(timezone)}`);
  return { members, days, seed, start, timezone };
}
