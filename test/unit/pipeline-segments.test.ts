// Segments, status, win-back and RFM through the batch path (in-memory ports).
import { describe, expect, it } from 'vitest';
import { dayNumber, dayString } from '../../shared/days/days';
import { rfmUpdateCommand, statusCheckCommand } from '../../shared/jobs/commands';
import { rfmChanges } from '../../shared/jobs/rfm';
import { dayKey, TOTALS_KEY } from '../../shared/keys/metrics-keys';
import { programRow, winbackRow } from '../../shared/metrics/read';
import { eventsToJsonLines, simulate } from '../../simulator';
import { MemoryPipeline } from '../support/memory-pipeline';

const open = (memberId: string, day: number, n: string) =>
  JSON.stringify({ eventId: `${memberId}-${n}`, type: 'app_open', memberId, occurredAt: `${dayString(day)}T09:00:00+08:00` });
const purchase = (memberId: string, day: number, orderId: string, amountCents: number) =>
  JSON.stringify({
    eventId: `${orderId}-e`,
    type: 'purchase',
    memberId,
    occurredAt: `${dayString(day)}T10:00:00+08:00`,
    channel: 'store',
    orderId,
    lines: [{ sku: 's', category: 'meat', amountCents }],
  });
const refund = (memberId: string, day: number, orderId: string, amountCents: number) =>
  JSON.stringify({
    eventId: `${orderId}-r`,
    type: 'refund',
    memberId,
    occurredAt: `${dayString(day)}T11:00:00+08:00`,
    channel: 'store',
    orderId,
    lines: [{ sku: 's', amountCents }],
  });

/** A pipeline whose "today" can be moved, like the calendar under a running stack. */
function pipelineAt(day: number) {
  let today = day;
  const pipeline = new MemoryPipeline(undefined, () => Date.parse(`${dayString(today)}T12:00:00+08:00`));
  return { pipeline, setToday: (d: number) => (today = d) };
}

const A = dayNumber('2026-09-01');

describe('win-back', () => {
  it('offers at 30 and 60 days of silence, at most two per spell, and credits a conversion to its offer', async () => {
    const { pipeline, setToday } = pipelineAt(A);
    const send = (lines: string[]) => pipeline.deliver(pipeline.records(lines));
    await send([open('w1', A, '1')]);
    for (const day of [A + 29, A + 30, A + 30, A + 45, A + 60, A + 61]) {
      setToday(day);
      await send([pipeline.command(statusCheckCommand('w1', day, pipeline.now()))]);
    }
    const offers = [...pipeline.actions.byId.values()].filter((a) => a.type === 'winback_offer');
    expect(offers.map((o) => [o.day, o.details.offer])).toEqual([
      [dayString(A + 30), 1],
      [dayString(A + 60), 2],
    ]);
    setToday(A + 65);
    await send([open('w1', A + 65, '2')]);
    const rows = [A + 30, A + 60].map((d) => winbackRow((x) => pipeline.metrics.sum(dayKey(x)), d));
    expect(rows).toEqual([
      { day: dayString(A + 30), offers: 1, conversions: 0 },
      { day: dayString(A + 60), offers: 1, conversions: 1 },
    ]);
    // A new spell starts from the new last active day.
    setToday(A + 95);
    await send([pipeline.command(statusCheckCommand('w1', A + 95, pipeline.now()))]);
    expect([...pipeline.actions.byId.values()].filter((a) => a.type === 'winback_offer')).toHaveLength(3);
  });

  it('moves a member active → silent → churned with segment actions and exact sizes', async () => {
    const { pipeline, setToday } = pipelineAt(A);
    const send = (lines: string[]) => pipeline.deliver(pipeline.records(lines));
    await send([open('s1', A, '1'), open('s2', A, '1')]);
    const sizes = () => pipeline.metrics.sum(TOTALS_KEY);
    expect(sizes().get('seg|status-active')).toBe(2);
    setToday(A + 30);
    await send([pipeline.command(statusCheckCommand('s1', A + 30, pipeline.now()))]);
    expect(sizes().get('seg|status-active')).toBe(1);
    expect(sizes().get('seg|status-silent')).toBe(1);
    setToday(A + 90);
    await send([pipeline.command(statusCheckCommand('s1', A + 90, pipeline.now()))]);
    expect(sizes().get('seg|status-silent') ?? 0).toBe(0);
    expect(sizes().get('seg|status-churned')).toBe(1);
    const s1 = [...pipeline.actions.byId.values()].filter((a) => a.memberId === 's1' && a.type.startsWith('segment_'));
    expect(s1.map((a) => [a.type, a.details.segmentId])).toEqual(
      expect.arrayContaining([
        ['segment_exited', 'status-active'],
        ['segment_entered', 'status-silent'],
        ['segment_exited', 'status-silent'],
        ['segment_entered', 'status-churned'],
      ]),
    );
    expect([...(pipeline.segments.members.get('status-churned') ?? [])]).toEqual(['s1']);
    // As of an earlier day the programme view subtracts the later days' changes.
    const later = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => pipeline.metrics.sum(dayKey(from + 1 + i)));
    expect(programRow(pipeline.program, sizes(), later(A + 30, A + 90), A + 30).byStatus).toEqual({ active: 1, silent: 1, churned: 0 });
  });

  it('moves a member out of tier-gold when a refund reverts its upgrade', async () => {
    const { pipeline } = pipelineAt(A + 1);
    await pipeline.deliver(pipeline.records([purchase('g1', A, 'og1', 600_000)]));
    expect([...(pipeline.segments.members.get('tier-gold') ?? [])]).toEqual(['g1']);
    await pipeline.deliver(pipeline.records([refund('g1', A + 1, 'og1', 600_000)]));
    expect(pipeline.segments.members.get('tier-gold')?.size ?? 0).toBe(0);
    expect([...(pipeline.segments.members.get('tier-member') ?? [])]).toEqual(['g1']);
    const exits = [...pipeline.actions.byId.values()].filter((a) => a.type === 'segment_exited' && a.details.segmentId === 'tier-gold');
    expect(exits).toHaveLength(1);
  });
});

describe('segments and RFM after a simulated month', () => {
  it('keeps sizes equal to a direct count over members, and the rfm job scores every purchaser', async () => {
    const end = dayNumber('2026-10-30');
    const { pipeline, setToday } = pipelineAt(end);
    const lines = [...eventsToJsonLines(simulate({ members: 300, days: 30, seed: 11, start: '2026-10-01' }))];
    await pipeline.deliver(pipeline.records(lines), 250);

    const members = [...pipeline.members.items.values()];
    const { result, changes } = rfmChanges(pipeline.program, members, end);
    expect(result.byMember.size).toBeGreaterThan(30);
    expect(changes).toHaveLength(result.byMember.size);
    setToday(end);
    await pipeline.deliver(
      pipeline.records(changes.map((c) => pipeline.command(rfmUpdateCommand(c.memberId, end, c.rfm, pipeline.now())))),
      250,
    );
    // Re-running the job for the day changes nothing.
    expect(rfmChanges(pipeline.program, [...pipeline.members.items.values()], end).changes).toHaveLength(0);

    const totals = pipeline.metrics.sum(TOTALS_KEY);
    const direct = new Map<string, number>();
    for (const m of pipeline.members.items.values()) for (const id of m.segments) direct.set(id, (direct.get(id) ?? 0) + 1);
    for (const [id, n] of direct) {
      expect(totals.get(`seg|${id}`), id).toBe(n);
      expect(pipeline.segments.members.get(id)?.size, id).toBe(n);
    }
    const rfmTotal = [...direct].filter(([id]) => id.startsWith('rfm-')).reduce((s, [, n]) => s + n, 0);
    expect(rfmTotal).toBe(result.byMember.size);
    expect(totals.get('members')).toBe(pipeline.members.items.size);
    const view = programRow(pipeline.program, totals, [], end);
    expect(Object.values(view.byStatus).reduce((a, b) => a + b, 0)).toBe(view.members);
    expect(Object.values(view.byTier).reduce((a, b) => a + b, 0)).toBe(view.members);
    expect(view.byRfm).toEqual(Object.fromEntries(Object.entries(result.counts)));
  });
});
