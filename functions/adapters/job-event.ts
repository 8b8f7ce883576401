// The scheduled jobs' input: EventBridge Scheduler sends `{ "job": NAME, "scheduledTime": ISO }`
// (its `<aws.scheduler.scheduled-time>`, docs/aws.md); `npm run job` sends `asOf`.
import { z } from 'zod';
import { dayNumber, isDayString, todayIn } from '../../shared/days/days';

const isoTime = (s: string) =>
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(s) && Number.isFinite(Date.parse(s));

const jobInput = z.object({
  job: z.string().optional(),
  asOf: z.string().refine(isDayString, 'asOf: must be a day YYYY-MM-DD').optional(),
  scheduledTime: z.string().refine(isoTime, 'scheduledTime: must be an ISO 8601 time such as 2026-12-02T16:15:00Z').optional(),
});

/**
 * The programme day a job runs for: `asOf` when given, else the day of the run's scheduled time —
 * the same on every delivery and every Lambda retry of that run, also one that lands after
 * midnight — and only without either, today.
 */
export function jobDay(event: unknown, timezone: string, now = Date.now()): number {
  const parsed = jobInput.safeParse(event ?? {});
  if (!parsed.success) throw new Error(parsed.error.issues[0].message);
  if (parsed.data.asOf) return dayNumber(parsed.data.asOf);
  return todayIn(timezone, parsed.data.scheduledTime ? Date.parse(parsed.data.scheduledTime) : now);
}
