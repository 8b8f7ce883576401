// Which day a daily job runs for (issue 17 item 3): the scheduled time of its run, whatever the
// attempt; a missed day caught up as of that day.
import { describe, expect, it } from 'vitest';
import { jobDay } from '../../functions/adapters/job-event';
import { dayNumber, dayString } from '../../shared/days/days';
import { daysToRun } from '../../shared/jobs/catch-up';
import { reviewCommands } from '../../shared/jobs/tier-review';
import { purchaseLine } from '../support/event-lines';
import { MemoryPipeline } from '../support/memory-pipeline';

const TZ = 'Asia/Shanghai';

describe('jobDay', () => {
  it('takes the day of the scheduled time, so a retry after midnight still runs for the scheduled day', () => {
    // 00:15 in Shanghai on 2 December is 16:15 UTC on 1 December.
    const event = { job: 'tier-review', scheduledTime: '2026-12-01T16:15:00Z' };
    expect(dayString(jobDay(event, TZ, Date.parse('2026-12-01T16:15:30Z')))).toBe('2026-12-02');
    // Lambda's second retry of a run that kept failing, the next day.
    expect(dayString(jobDay(event, TZ, Date.parse('2026-12-02T16:30:00Z')))).toBe('2026-12-02');
  });

  it('prefers an explicit asOf, and falls back to today without either', () => {
    expect(dayString(jobDay({ job: 'rfm', asOf: '2026-11-20', scheduledTime: '2026-12-01T16:15:00Z' }, TZ))).toBe('2026-11-20');
    expect(dayString(jobDay({ job: 'rfm' }, TZ, Date.parse('2026-12-01T16:15:00Z')))).toBe('2026-12-02');
    expect(dayString(jobDay(undefined, TZ, Date.parse('2026-12-01T15:59:00Z')))).toBe('2026-12-01');
  });

  it('refuses a scheduledTime that is not a time (e.g. a placeholder nobody substituted)', () => {
    expect(() => jobDay({ job: 'rfm', scheduledTime: '<aws.scheduler.scheduled-time>' }, TZ)).toThrow(
      /^scheduledTime: must be an ISO 8601 time/,
    );
    expect(() => jobDay({ job: 'rfm', scheduledTime: '2026-13-01T00:00:00Z' }, TZ)).toThrow(/scheduledTime/);
  });
});

describe('daysToRun', () => {
  it('catches up missed days after the last run, at most a month', () => {
    const d = dayNumber('2026-12-02');
    expect(daysToRun(null, d)).toEqual([d]);
    expect(daysToRun(d - 3, d)).toEqual([d - 2, d - 1, d]);
    expect(daysToRun(d, d)).toEqual([]);
    expect(daysToRun(d - 100, d)).toHaveLength(31);
  });
});

describe('tier review of a missed day', () => {
  const purchase = (orderId: string, day: string) => purchaseLine(orderId, 'r1', orderId, day, 600_000, { sku: 'a', category: 'meat' });

  async function goldMember() {
    const pipeline = new MemoryPipeline();
    // Gold on 2025-11-01 (review due 2026-11-01); a second gold-sized purchase the next day is in
    // the review window of 2026-11-01 but not in that of 2026-11-02.
    await pipeline.deliver(pipeline.records([purchase('o1', '2025-11-01'), purchase('o2', '2025-11-02')]));
    const member = pipeline.member('r1')!;
    expect(member.tier.tier).toBe(2);
    expect(member.tier.tierReviewOn).toBe(dayNumber('2026-11-01'));
    return { pipeline, member };
  }

  it('reviews a member due on the missed day as of that day, not as of the day the job ran again', async () => {
    const { pipeline, member } = await goldMember();
    const due = dayNumber('2026-11-01');
    const commands = reviewCommands(pipeline.program, [member], daysToRun(due - 1, due + 1), pipeline.now());
    expect(commands.map((c) => c.asOf)).toEqual(['2026-11-01', '2026-11-02']);
    await pipeline.deliver(pipeline.records(commands.map((c) => pipeline.command(c))));
    // As of 2026-11-01 the second purchase keeps gold; the review of 2026-11-02 is then not due.
    expect(pipeline.member('r1')!.tier).toMatchObject({ tier: 2, tierReviewOn: dayNumber('2027-11-01') });
    expect([...pipeline.actions.byId.values()].filter((a) => a.type === 'tier_downgraded')).toEqual([]);
  });

  it('(what reviewing it only as of the next day would do: downgrade)', async () => {
    const { pipeline, member } = await goldMember();
    const commands = reviewCommands(pipeline.program, [member], [dayNumber('2026-11-02')], pipeline.now());
    await pipeline.deliver(pipeline.records(commands.map((c) => pipeline.command(c))));
    expect(pipeline.member('r1')!.tier.tier).toBeLessThan(2);
  });
});
