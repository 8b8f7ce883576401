// Issue 19 item 9: a member active again on the day of the offer converts that offer.
import { describe, expect, it } from 'vitest';
import { winbackRow } from '../../shared/metrics/read';
import { dayKey } from '../../shared/keys/metrics-keys';
import { dayNumber } from '../../shared/days/days';
import { MemoryPipeline } from '../support/memory-pipeline';

const open = (eventId: string, occurredAt: string) => JSON.stringify({ eventId, type: 'app_open', memberId: 'w1', occurredAt });
const check = (p: MemoryPipeline, asOf: string) =>
  p.command({ eventId: `status_check:${asOf}:w1`, type: 'status_check', memberId: 'w1', occurredAt: `${asOf}T00:30:00+08:00`, asOf });

describe('win-back conversion', () => {
  for (const [when, day, converts] of [
    ['on the offer day', '2027-03-03', 1],
    ['the day after', '2027-03-04', 1],
    ['14 days after', '2027-03-17', 1],
    ['15 days after', '2027-03-18', 0],
  ] as const) {
    it(`counts a member active again ${when} as ${converts} conversion(s) of the offer`, async () => {
      const p = new MemoryPipeline(undefined, () => Date.parse('2027-03-20T00:00:00Z'));
      // Active on 2027-02-01, silent 30 days: the offer is on 2027-03-03.
      await p.deliver(p.records([open('a1', '2027-02-01T10:00:00+08:00'), check(p, '2027-03-03'), open('a2', `${day}T20:00:00+08:00`)]));
      const row = winbackRow((d) => p.metrics.sum(dayKey(d)), dayNumber('2027-03-03'));
      expect(row).toEqual({ day: '2027-03-03', offers: 1, conversions: converts });
    });
  }
});
