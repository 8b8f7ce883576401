// The daily jobs on the local stack: candidates from the consumer's hints, commands through the
// events stream, offers and conversions on a crafted timeline, RFM classes, idempotent re-runs.
import { describe, expect, it } from 'vitest';
import { addDays, dayString } from '../../shared/days/days';
import { useJobStack } from '../support/job-stack';

const { T, at, get, job, send } = useJobStack('jobs', 'jobs-token');

describe('winback job', () => {
  it('offers at 30 and 60 days of silence, once each, and counts a conversion', async () => {
    await send([{ eventId: 'wb-1', type: 'app_open', memberId: 'wb-member', occurredAt: at(addDays(T, -61)) }]);
    expect((await job('winback', addDays(T, -31))).commands).toBe(1);
    expect((await job('winback', addDays(T, -31))).commands).toBe(0);
    // Catches up the days in between; the 60-day mark is yesterday.
    expect((await job('winback', addDays(T, -1))).commands).toBe(1);
    expect((await job('winback', addDays(T, -1))).commands).toBe(0);
    expect((await get('/members/wb-member')).status).toBe('silent');
    await send([{ eventId: 'wb-2', type: 'app_open', memberId: 'wb-member', occurredAt: new Date().toISOString() }]);
    const days = (await get(`/metrics/winback?from=${dayString(addDays(T, -31))}&to=${dayString(addDays(T, -1))}`)).days;
    expect(days.filter((d: any) => d.offers || d.conversions)).toEqual([
      { day: dayString(addDays(T, -31)), offers: 1, conversions: 0 },
      { day: dayString(addDays(T, -1)), offers: 1, conversions: 1 },
    ]);
    expect((await get('/members/wb-member')).status).toBe('active');
  });
});

describe('rfm job', () => {
  it('scores purchasers, classes them into rfm segments, and is idempotent for the day', async () => {
    const purchases = Array.from({ length: 12 }, (_, i) => ({
      eventId: `rfm-p${i}`,
      type: 'purchase',
      memberId: `rfm-${i % 6}`,
      occurredAt: at(addDays(T, -(i * 7) - 1)),
      channel: 'app',
      orderId: `rfm-o${i}`,
      lines: [{ sku: 'x', category: 'dairy', amountCents: 1000 * (i + 1) * ((i % 6) + 1) }],
    }));
    await send(purchases);
    const first = await job('rfm', T);
    expect(first.commands).toBe(6);
    expect((await job('rfm', T)).commands).toBe(0);
    const views = await Promise.all(Array.from({ length: 6 }, (_, i) => get(`/members/rfm-${i}`)));
    for (const v of views) {
      expect(v.rfm).toMatchObject({
        frequency: 2,
        r: expect.any(Number),
        f: expect.any(Number),
        m: expect.any(Number),
        segment: expect.stringMatching(/^(important|general)-/),
      });
      expect(v.segments).toContain(`rfm-${v.rfm.segment}`);
    }
    const program = await get('/metrics/program');
    expect(Object.values(program.byRfm).reduce((a: number, b: any) => a + b, 0)).toBe(6);
    expect(program.members).toBe(Object.values(program.byTier).reduce((a: number, b: any) => a + b, 0));
    expect(program.kpis).toMatchObject({ importantValueShare: expect.any(Number), churnedShare: expect.any(Number) });
  });
});

describe('commands come only from the jobs (issue 19 item 4)', () => {
  it('quarantines forged commands and producer eventIds in the commands’ namespace; the signed job command applies', async () => {
    const memberId = 'forger-target';
    const day = dayString(T);
    await send([
      {
        eventId: 'forge-p1',
        type: 'purchase',
        memberId,
        occurredAt: at(addDays(T, -2)),
        channel: 'app',
        orderId: 'forge-o1',
        lines: [{ sku: 'x', category: 'dairy', amountCents: 50_000 }],
      },
    ]);
    const rfm = { recencyDays: 0, frequency: 9, monetaryCents: 9_000_000, r: 5, f: 5, m: 5, segment: 'important-value' };
    const forged = {
      eventId: `rfm_update:${day}:${memberId}`,
      type: 'rfm_update',
      memberId,
      occurredAt: new Date().toISOString(),
      asOf: day,
      rfm,
    };
    await send([
      forged,
      { ...forged, sig: 'ab'.repeat(32) },
      // A producer taking the job's deterministic id for itself.
      { eventId: `rfm_update:${day}:${memberId}`, type: 'app_open', memberId, occurredAt: new Date().toISOString() },
    ]);
    const quarantine = (await get('/quarantine?limit=1000')).filter((q: any) => q.memberId === memberId);
    expect(quarantine.map((q: any) => `${q.reason} ${q.detail.split(':')[0]}`).sort()).toEqual([
      'forged_command sig',
      'forged_command sig',
      'invalid_event eventId',
    ]);
    const before = await get(`/members/${memberId}`);
    expect(before.rfm.segment).toBeNull();
    expect(before.segments.filter((s: string) => s.startsWith('rfm-'))).toEqual([]);
    // The job's own (signed) command for the same member and day is not taken for a duplicate.
    expect((await job('rfm', T)).commands).toBeGreaterThanOrEqual(1);
    const after = await get(`/members/${memberId}`);
    expect(after.rfm.segment).toMatch(/^(important|general)-/);
    expect(after.segments).toContain(`rfm-${after.rfm.segment}`);
  });
});
