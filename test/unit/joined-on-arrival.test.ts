// joinedOn is the member's first day in time order (a signup's day, normally), whatever order the
// records arrive in (docs/rules.md#activity-and-status): an earlier-dated signup or event that
// arrives after later ones moves joinedOn back, and the counters of the days involved (new members,
// lifecycle, retention cohorts, channel retention, members and tiers as of a day) are corrected as
// if the events had arrived in time order.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildActivityOracle, type OracleEvent } from '../../harness/oracle/activity-oracle';
import { MemoryPipeline } from '../support/memory-pipeline';
import { dayNumber } from '../../shared/days/days';
import { TOTALS_KEY, dayKey } from '../../shared/keys/metrics-keys';
import { channelRetention, programRow } from '../../shared/metrics/read';
import { memberView } from '../../shared/member/view';
import { visitorKey } from '../../shared/identity/keys';

const FROM = '2027-04-01';
const TO = '2027-05-31';
const at = (day: string, hour = 10) => `${day}T${String(hour).padStart(2, '0')}:00:00+08:00`;
let n = 0;
const ev = (fields: Partial<OracleEvent> & { type: OracleEvent['type'] }, day: string, hour = 10): OracleEvent =>
  ({ eventId: `j${++n}`, occurredAt: at(day, hour), ...fields }) as OracleEvent;
const lines = (events: readonly OracleEvent[]) => events.map((e) => JSON.stringify(e));
const inTimeOrder = (events: readonly OracleEvent[]) =>
  [...events].sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || a.eventId.localeCompare(b.eventId));

/** Every figure that hangs on joinedOn, as the pipeline's counters answer it. */
function figures(p: MemoryPipeline) {
  const items = (day: number) => p.metrics.sum(dayKey(day));
  const from = dayNumber(FROM);
  const to = dayNumber(TO);
  const program = [];
  for (let d = from; d <= to; d++) {
    const later = [];
    for (let x = d + 1; x <= dayNumber('2027-06-01'); x++) later.push(items(x));
    const row = programRow(p.program, p.metrics.sum(TOTALS_KEY), later, d);
    program.push({ day: d, members: row.members, byTier: row.byTier });
  }
  return {
    daily: p.daily(FROM, TO),
    retention: p.retention(FROM, TO),
    sessions: p.sessions(FROM, TO),
    byChannel: channelRetention(items, from, to),
    program,
  };
}

/** The pipeline against the oracle fed the events in time order (the contract's figures) and in arrival order. */
function expectOracle(p: MemoryPipeline, arrived: readonly OracleEvent[]) {
  const oracle = buildActivityOracle(inTimeOrder(arrived), 'Asia/Shanghai');
  const asArrived = buildActivityOracle(arrived, 'Asia/Shanghai');
  for (const o of [oracle, asArrived]) {
    expect(p.daily(FROM, TO)).toEqual(o.daily(FROM, TO));
    expect(p.retention(FROM, TO)).toEqual(o.retention(FROM, TO));
    expect(p.sessions(FROM, TO)).toEqual(o.sessions(FROM, TO));
  }
  expect(asArrived.retentionByChannel(FROM, TO)).toEqual(oracle.retentionByChannel(FROM, TO));
  for (const id of oracle.memberIds()) expect(asArrived.member(id)).toEqual(oracle.member(id));
  return oracle;
}

/** The pipeline fed the events in time order, one batch. */
async function timeOrdered(events: readonly OracleEvent[]) {
  const p = new MemoryPipeline();
  await p.deliver(p.records(lines(inTimeOrder(events))), 500);
  return p;
}

describe('joinedOn when an earlier-dated record arrives later', () => {
  it('an app_open on day 5, then the signup of day 3: joinedOn day 3, every figure as in time order', async () => {
    const appOpen = ev({ type: 'app_open', memberId: 'x' }, '2027-05-05');
    const signup = ev({ type: 'signup', memberId: 'x', acquisitionChannel: 'sem' }, '2027-05-03');
    const others = [
      ev({ type: 'app_open', memberId: 'x' }, '2027-05-04'),
      ev({ type: 'page_view', memberId: 'x', page: '/home' }, '2027-05-06'),
      ev({ type: 'app_open', memberId: 'x' }, '2027-05-10'),
      // y: no signup; its earliest event arrives last.
      ev({ type: 'app_open', memberId: 'y' }, '2027-05-07'),
      ev({ type: 'app_open', memberId: 'y' }, '2027-05-08'),
      ev({ type: 'app_open', memberId: 'y' }, '2027-05-02'),
      // v: a visitor (never identified), the same way.
      ev({ type: 'app_open', anonymousId: 'wx:v' }, '2027-05-06'),
      ev({ type: 'app_open', anonymousId: 'wx:v' }, '2027-05-05'),
      // c: its channel comes with a signup dated after joinedOn, once day 1 of its cohort is counted.
      ev({ type: 'app_open', memberId: 'c' }, '2027-05-10'),
      ev({ type: 'app_open', memberId: 'c' }, '2027-05-11'),
      ev({ type: 'signup', memberId: 'c', acquisitionChannel: 'weibo' }, '2027-05-12'),
      // z: signed up on day 3 in time order, for a cohort of two.
      ev({ type: 'signup', memberId: 'z', acquisitionChannel: 'sem' }, '2027-05-03'),
      ev({ type: 'app_open', memberId: 'z' }, '2027-05-04'),
    ];
    const p = new MemoryPipeline();
    // Each in its own batch: the member is written with joinedOn day 5 before the signup arrives.
    await p.deliver(p.records(lines([appOpen])), 1);
    expect(p.member('x')!.joinedOn).toBe(dayNumber('2027-05-05'));
    await p.deliver(p.records(lines([signup])), 1);
    await p.deliver(p.records(lines(others)), 1);

    const x = p.member('x')!;
    expect(x.joinedOn).toBe(dayNumber('2027-05-03'));
    expect(x.acquisitionChannel).toBe('sem');
    expect(x.tier.tierSince).toBe(dayNumber('2027-05-03'));
    expect(memberView(p.program, x, dayNumber('2027-05-31'))).toMatchObject({ joinedOn: '2027-05-03', tierSince: '2027-05-03' });
    expect(p.member('y')!.joinedOn).toBe(dayNumber('2027-05-02'));
    expect(p.member(visitorKey('wx:v'))!.joinedOn).toBe(dayNumber('2027-05-05'));

    const oracle = expectOracle(p, [appOpen, signup, ...others]);
    expect(oracle.member('x')).toMatchObject({ joinedOn: '2027-05-03', acquisitionChannel: 'sem' });
    const [d2, d3, , d5] = p.daily('2027-05-02', '2027-05-05');
    expect(d2).toMatchObject({ newMembers: 1, lifecycle: { new: 1 } });
    expect(d3).toMatchObject({ newMembers: 2, lifecycle: { new: 2 } });
    expect(d5).toMatchObject({ newMembers: 0, lifecycle: { new: 1, returning: 1, resurrecting: 0 } }); // the visitor is new
    const [c3] = p.retention('2027-05-03', '2027-05-03');
    expect(c3.size).toBe(2);
    expect(c3.onDay.slice(0, 4)).toEqual([2, 2, 1, 1]);
    expect(p.retention('2027-05-05', '2027-05-05')[0].size).toBe(0);
    const byChannel = channelRetention((d) => p.metrics.sum(dayKey(d)), dayNumber(FROM), dayNumber(TO));
    expect(byChannel.find((r) => r.channel === 'weibo')).toMatchObject({ size: 1, d1: 1 });
    expect(byChannel.find((r) => r.channel === 'unknown')).toMatchObject({ size: 1, d1: 0 }); // y

    expect(figures(p)).toEqual(figures(await timeOrdered([appOpen, signup, ...others])));
  });

  it('a signup arriving more than 60 days after the latest active day is late: it moves nothing', async () => {
    const events = [
      ev({ type: 'app_open', memberId: 'w' }, '2027-05-20'),
      ev({ type: 'signup', memberId: 'w', acquisitionChannel: 'sem' }, '2027-03-10'),
    ];
    const p = new MemoryPipeline();
    await p.deliver(p.records(lines(events)), 1);
    expect(p.member('w')!.joinedOn).toBe(dayNumber('2027-05-20'));
    expect(p.daily('2027-03-10', '2027-03-10')[0]).toMatchObject({ newMembers: 0, dau: 0, lateActivity: 1 });
    // The oracle in arrival order agrees (the lateness rule is the contract's own arrival-order rule).
    const oracle = buildActivityOracle(events, 'Asia/Shanghai');
    expect(oracle.member('w')).toMatchObject({ joinedOn: '2027-05-20' });
    expect(p.daily(FROM, TO)).toEqual(oracle.daily(FROM, TO));
    expect(p.retention(FROM, TO)).toEqual(oracle.retention(FROM, TO));
  });
});

// Histories within 50 days (no event is late), members with at most one signup, purchases small
// enough to earn no tier: every figure is then a function of the set of events alone.
const DAYS = Array.from({ length: 50 }, (_, i) => {
  const d = new Date(Date.UTC(2027, 3, 5 + i));
  return d.toISOString().slice(0, 10);
});
const TYPES = ['app_open', 'page_view', 'session_end', 'purchase', 'recharge'] as const;

const history = fc
  .record({
    members: fc.array(
      fc.record({
        signup: fc.option(fc.record({ day: fc.integer({ min: 0, max: 49 }), channel: fc.constantFrom('sem', 'weibo', undefined) })),
        anonymous: fc.boolean(),
        events: fc.array(
          fc.record({ day: fc.integer({ min: 0, max: 49 }), type: fc.constantFrom(...TYPES), hour: fc.integer({ min: 0, max: 23 }) }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 60, maxLength: 60 }),
    batchSize: fc.integer({ min: 1, max: 7 }),
  })
  .map(({ members, order, batchSize }) => {
    const events: OracleEvent[] = [];
    members.forEach((m, i) => {
      const who = m.anonymous && !m.signup ? { anonymousId: `wx:p${i}` } : { memberId: `p${i}` };
      if (m.signup)
        events.push(
          ev({ type: 'signup', ...who, ...(m.signup.channel ? { acquisitionChannel: m.signup.channel } : {}) }, DAYS[m.signup.day], 9),
        );
      m.events.forEach((e, k) => {
        const day = DAYS[e.day];
        if (e.type === 'session_end') events.push(ev({ type: e.type, ...who, durationSeconds: 60 * k, pageViews: k }, day, e.hour));
        else if (e.type === 'purchase')
          events.push(
            ev(
              {
                type: e.type,
                ...who,
                channel: 'app',
                orderId: `o${i}-${k}`,
                lines: [{ sku: 's', category: 'food', amountCents: 1000 + k }],
              },
              day,
              e.hour,
            ),
          );
        else if (e.type === 'recharge') events.push(ev({ type: e.type, ...who, channel: 'app', amountCents: 500 }, day, e.hour));
        else events.push(ev({ type: e.type, ...who }, day, e.hour));
      });
    });
    const shuffled = events
      .map((e, i) => ({ e, k: order[i % order.length] + i * 1e-9 }))
      .sort((a, b) => a.k - b.k)
      .map(({ e }) => e);
    return { events, shuffled, batchSize };
  });

describe('joinedOn and the figures hanging on it do not depend on arrival order', () => {
  it('any shuffle, any batch size: the figures of time order and the oracle of time order', async () => {
    await fc.assert(
      fc.asyncProperty(history, async ({ events, shuffled, batchSize }) => {
        const p = new MemoryPipeline();
        await p.deliver(p.records(lines(shuffled)), batchSize);
        const oracle = expectOracle(p, shuffled);
        const clean = await timeOrdered(events);
        expect(figures(p)).toEqual(figures(clean));
        for (const [id, state] of clean.members.items) {
          const got = p.member(id)!;
          expect({ id, joinedOn: got.joinedOn, tier: got.tier }).toEqual({ id, joinedOn: state.joinedOn, tier: state.tier });
          const o = oracle.member(id.startsWith('anon#') ? '' : id);
          if (o) expect(o.joinedOn).toBe(memberView(p.program, got, dayNumber(TO)).joinedOn);
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
