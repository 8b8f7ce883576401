// The scheduled jobs' input: EventBridge Scheduler sends `{ "job": NAME }`; `npm run job` adds `asOf`.
import { z } from 'zod';
import { dayNumber, isDayString, todayIn } from '../../shared/days/days';

const jobInput = z.object({ job: z.string().optional(), asOf: z.string().refine(isDayString, 'asOf: must be a day YYYY-MM-DD').optional() });

export function jobDay(event: unknown, timezone: string, now = Date.now()): number {
  const parsed = jobInput.safeParse(event ?? {});
  if (!parsed.success) throw new Error(parsed.error.issues[0].message);
  return parsed.data.asOf ? dayNumber(parsed.data.asOf) : todayIn(timezone, now);
}
