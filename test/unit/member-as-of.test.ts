// GET /members/{id}?asOf= is the member as it was at the end of that day (#19 item 11): every field
// of the view as of a past day equals the view of a pipeline that only ever saw the records up to
// that day; before joinedOn the member did not exist; before the kept window the API refuses.
import { describe, expect, it } from 'vitest';
import { dayNumber, dayString } from '../../shared/days/days';
import { tierReviewCommand } from '../../shared/jobs/commands';
import { memberAsOf, oldestAsOfDay } from '../../shared/member/as-of';
import { memberView } from '../../shared/member/view';
import { MemoryPipeline } from '../support/memory-pipeline';

type Line = { day: string; line: (p: MemoryPipeline) => string };

const at = (day: string) => `${day}T12:00:00+08:00`;
const event = (memberId: string, eventId: string, day: string, body: object): Line => ({
  day,
  line: () => JSON.stringify({ eventId, memberId, occurredAt: at(day), ...body }),
});
const signup = (m: string, day: string) => event(m, `${m}-su`, day, { type: 'signup', acquisitionChannel: 'sem' });
const open = (m: string, day: string) => event(m, `${m}-open-${day}`, day, { type: 'app_open' });
const buy = (m: string, orderId: string, day: string, yuan: number) =>
  event(m, `${m}-${orderId}`, day, {
    type: 'purchase',
    channel: 'store',
    orderId,
    lines: [{ sku: 's1', category: 'fresh_produce', amountCents: yuan * 100 }],
  });
const refund = (m: string, orderId: string, day: string, yuan: number) =>
  event(m, `${m}-${orderId}-refund`, day, { type: 'refund', channel: 'store', orderId, lines: [{ sku: 's1', amountCents: yuan * 100 }] });
const review = (m: string, day: string): Line => ({
  day,
  line: (p) => p.command(tierReviewCommand(m, dayNumber(day), Date.parse(at(day)))),
});

async function pipelineOf(lines: readonly Line[]) {
  const p = new MemoryPipeline();
  for (const l of lines) await p.deliver(p.records([l.line(p)]));
  return p;
}

// An upgrade and its revert on one day (stored in key order, downgrade first), a later upgrade,
// a review that moves down, a review that keeps the tier (recorded nowhere), activity between.
const SCENARIOS: Record<string, Line[]> = {
  upgradeAndRevert: [
    signup('m1', '2026-09-01'),
    buy('m1', 'o1', '2026-09-05', 1_200),
    buy('m1', 'o2', '2026-10-01', 5_000),
    refund('m1', 'o2', '2026-10-01', 5_000),
    open('m1', '2026-10-15'),
    open('m1', '2026-11-20'),
    buy('m1', 'o3', '2026-12-01', 4_000),
    open('m1', '2026-12-24'),
  ],
  reviewDown: [
    signup('m2', '2026-01-05'),
    buy('m2', 'o1', '2026-01-10', 1_200),
    open('m2', '2026-10-20'),
    review('m2', '2027-01-10'),
    open('m2', '2027-01-12'),
  ],
  reviewKeeps: [
    signup('m3', '2026-01-05'),
    buy('m3', 'o1', '2026-01-10', 1_200),
    buy('m3', 'o2', '2026-10-01', 1_100),
    open('m3', '2026-11-02'),
    review('m3', '2027-01-10'),
    open('m3', '2027-01-12'),
  ],
};

describe('a member as of a past day', () => {
  for (const [name, lines] of Object.entries(SCENARIOS)) {
    it(`answers every field as a pipeline that saw only that day's past would (${name})`, async () => {
      const full = await pipelineOf(lines);
      const memberId = JSON.parse(lines[0].line(full)).memberId as string;
      const state = full.member(memberId)!;
      const changes = await full.ledger.tierHistory(memberId);
      const last = state.activity.lastActiveOn!;
      const from = oldestAsOfDay(state);
      let compared = 0;
      for (let d = from; d <= last + 3; d++) {
        const then = memberAsOf(full.program, state, changes, d);
        expect(then.kind).toBe('member');
        if (then.kind !== 'member') continue;
        const past = await pipelineOf(lines.filter((l) => dayNumber(l.day) <= d));
        const expected = memberView(past.program, past.member(memberId)!, d);
        expect({ day: dayString(d), ...memberView(full.program, then.state, d) }).toEqual({ day: dayString(d), ...expected });
        expect(then.tierHistory).toEqual(expect.arrayContaining(await past.ledger.tierHistory(memberId)));
        expect(then.tierHistory).toHaveLength((await past.ledger.tierHistory(memberId)).length);
        compared++;
      }
      expect(compared).toBeGreaterThan(60);
    });
  }

  it('did not exist before joinedOn, and the days before the kept window are refused, not guessed', async () => {
    const p = await pipelineOf(SCENARIOS.reviewDown);
    const state = p.member('m2')!;
    expect(memberAsOf(p.program, state, [], dayNumber('2026-01-04'))).toEqual({ kind: 'not_yet_joined' });
    // Last active 2027-01-12: the kept active days (128) reach back to 2026-10-20; 2026-01-10 is gone.
    expect(memberAsOf(p.program, state, [], dayNumber('2026-10-19'))).toEqual({ kind: 'not_kept', oldestDay: dayNumber('2026-10-20') });
    expect(memberAsOf(p.program, state, [], dayNumber('2026-10-20')).kind).toBe('member');
    const recent = await pipelineOf(SCENARIOS.upgradeAndRevert);
    expect(oldestAsOfDay(recent.member('m1')!)).toBe(dayNumber('2026-09-01'));
  });

  it('always answers an rfm object, its scores only from an rfm run on or before the day', async () => {
    const p = await pipelineOf([signup('m9', '2026-11-01')]);
    const state = {
      ...p.member('m9')!,
      rfm: {
        recencyDays: 0,
        frequency: 1,
        monetaryCents: 1,
        r: 5,
        f: 5,
        m: 5,
        segment: 'important-value' as const,
        asOf: dayNumber('2026-11-03'),
      },
    };
    const view = (day: string) => {
      const then = memberAsOf(p.program, state, [], dayNumber(day));
      return then.kind === 'member' ? memberView(p.program, then.state, dayNumber(day)).rfm : then.kind;
    };
    expect(view('2026-11-02')).toEqual({ recencyDays: null, frequency: 0, monetaryCents: 0, r: null, f: null, m: null, segment: null });
    expect(view('2026-11-03')).toMatchObject({ r: 5, segment: 'important-value' });
  });
});
