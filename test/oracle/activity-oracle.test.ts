import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addDays, bucketOf, buildActivityOracle, dayInZone, daysBetween, type OracleEvent } from '../../harness/oracle/activity-oracle';

// Tiny event factory: ids are unique unless given explicitly.
let seq = 0;
function ev(type: OracleEvent['type'], memberId: string, occurredAt: string, extra: Partial<OracleEvent> = {}): OracleEvent {
  seq += 1;
  return { eventId: `e${seq}`, type, memberId, occurredAt, ...extra };
}
// Shanghai local noon of a day, written with the +08:00 offset.
const cst = (day: string, time = '12:00:00'): string => `${day}T${time}+08:00`;
const purchase = (memberId: string, occurredAt: string, orderId: string, amounts: number[], extra: Partial<OracleEvent> = {}) =>
  ev('purchase', memberId, occurredAt, {
    channel: 'store',
    orderId,
    lines: amounts.map((amountCents, i) => ({ sku: `sku${i}`, category: 'food', amountCents })),
    ...extra,
  });

const zeros31 = (): number[] => new Array(31).fill(0);

describe('day helpers', () => {
  it('converts instants to Asia/Shanghai days around midnight', () => {
    expect(dayInZone('2026-03-01T15:59:59Z', 'Asia/Shanghai')).toBe('2026-03-01');
    expect(dayInZone('2026-03-01T16:00:00Z', 'Asia/Shanghai')).toBe('2026-03-02');
    expect(dayInZone('2026-03-02T00:00:00+08:00', 'Asia/Shanghai')).toBe('2026-03-02');
    expect(dayInZone('2026-03-01T23:59:59.999+08:00', 'Asia/Shanghai')).toBe('2026-03-01');
  });

  it('converts instants to America/New_York days across the 2026-03-08 DST change', () => {
    const ny = 'America/New_York';
    expect(dayInZone('2026-03-08T04:59:59Z', ny)).toBe('2026-03-07'); // 23:59:59 EST
    expect(dayInZone('2026-03-08T05:00:00Z', ny)).toBe('2026-03-08'); // 00:00 EST
    expect(dayInZone('2026-03-08T06:59:59Z', ny)).toBe('2026-03-08'); // 01:59:59 EST
    expect(dayInZone('2026-03-08T07:00:00Z', ny)).toBe('2026-03-08'); // 03:00 EDT
    expect(dayInZone('2026-03-09T03:59:59Z', ny)).toBe('2026-03-08'); // 23:59:59 EDT
    expect(dayInZone('2026-03-09T04:00:00Z', ny)).toBe('2026-03-09'); // 00:00 EDT
  });

  it('does calendar day arithmetic and ranges', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-03-08', 1)).toBe('2026-03-09');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(daysBetween('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(() => daysBetween('2026-03-02', '2026-03-01')).toThrow();
    expect(() => daysBetween('2026-02-30', '2026-03-01')).toThrow();
  });

  it('buckets pages per session', () => {
    expect([0, 1, 2, 3, 5, 6, 9, 10, 29, 30, 50, 51, 1000].map(bucketOf)).toEqual([
      null,
      '1-2',
      '1-2',
      '3-5',
      '3-5',
      '6-9',
      '6-9',
      '10-29',
      '10-29',
      '30-50',
      '30-50',
      '51+',
      '51+',
    ]);
  });
});

describe('daily: time zones', () => {
  it('assigns events to Shanghai days at midnight', () => {
    const o = buildActivityOracle([
      ev('app_open', 'a', '2026-03-01T15:59:59Z'), // 2026-03-01 23:59:59 CST
      ev('app_open', 'b', '2026-03-01T16:00:00Z'), // 2026-03-02 00:00:00 CST
    ]);
    const [d1, d2] = o.daily('2026-03-01', '2026-03-02');
    expect([d1.day, d1.dau, d1.launches, d1.newMembers]).toEqual(['2026-03-01', 1, 1, 1]);
    expect([d2.day, d2.dau, d2.launches, d2.newMembers]).toEqual(['2026-03-02', 1, 1, 1]);
    expect(o.member('a')?.joinedOn).toBe('2026-03-01');
    expect(o.member('b')?.joinedOn).toBe('2026-03-02');
  });

  it('assigns events to New York days across the DST change; the zone changes the answer', () => {
    const events = [
      ev('app_open', 'a', '2026-03-08T04:30:00Z'), // NY 03-07 23:30 EST; Shanghai 03-08 12:30
      ev('app_open', 'b', '2026-03-08T05:30:00Z'), // NY 03-08 00:30 EST; Shanghai 03-08 13:30
      ev('app_open', 'c', '2026-03-09T03:30:00Z'), // NY 03-08 23:30 EDT; Shanghai 03-09 11:30
      ev('app_open', 'd', '2026-03-09T04:30:00Z'), // NY 03-09 00:30 EDT; Shanghai 03-09 12:30
    ];
    const ny = buildActivityOracle(events, 'America/New_York');
    expect(ny.timeZone).toBe('America/New_York');
    expect(ny.daily('2026-03-07', '2026-03-09').map((r) => [r.day, r.dau, r.launches])).toEqual([
      ['2026-03-07', 1, 1],
      ['2026-03-08', 2, 2],
      ['2026-03-09', 1, 1],
    ]);
    const sh = buildActivityOracle(events); // default Asia/Shanghai
    expect(sh.timeZone).toBe('Asia/Shanghai');
    expect(sh.daily('2026-03-07', '2026-03-09').map((r) => [r.day, r.dau])).toEqual([
      ['2026-03-07', 0],
      ['2026-03-08', 2],
      ['2026-03-09', 2],
    ]);
  });
});

describe('daily: activity windows and lifecycle', () => {
  it('computes dau/wau/mau/newMembers and lifecycle transitions', () => {
    const o = buildActivityOracle([
      ev('signup', 'm1', cst('2026-03-01')),
      ev('app_open', 'm1', cst('2026-03-02')),
      ev('app_open', 'm2', cst('2026-03-02')), // m2 created by app_open
      ev('page_view', 'm2', cst('2026-03-03')),
      ev('signup', 'm3', cst('2026-03-03')),
      ev('recharge', 'm1', cst('2026-03-04'), { channel: 'app', amountCents: 1000 }),
    ]);
    const rows = o.daily('2026-03-01', '2026-03-05');
    expect(rows.map((r) => [r.day, r.dau, r.newMembers, r.lifecycle])).toEqual([
      ['2026-03-01', 1, 1, { new: 1, returning: 0, resurrecting: 0, dormant: 0 }],
      ['2026-03-02', 2, 1, { new: 1, returning: 1, resurrecting: 0, dormant: 0 }],
      ['2026-03-03', 2, 1, { new: 1, returning: 1, resurrecting: 0, dormant: 1 }],
      ['2026-03-04', 1, 0, { new: 0, returning: 0, resurrecting: 1, dormant: 2 }],
      ['2026-03-05', 0, 0, { new: 0, returning: 0, resurrecting: 0, dormant: 1 }],
    ]);
    expect(rows.map((r) => [r.wau, r.mau])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [3, 3],
      [3, 3],
    ]);
    expect(o.member('m1')).toEqual({
      joinedOn: '2026-03-01',
      lastActiveOn: '2026-03-04',
      activeDays: 3,
      acquisitionChannel: null,
    });
    expect(o.member('nobody')).toBeNull();
  });

  it('uses inclusive windows [d-6, d] and [d-29, d]', () => {
    const o = buildActivityOracle([ev('app_open', 'a', cst('2026-03-01'))]);
    const byDay = new Map(o.daily('2026-03-01', '2026-04-01').map((r) => [r.day, r]));
    expect(byDay.get('2026-03-07')?.wau).toBe(1); // 03-01 = 03-07 − 6
    expect(byDay.get('2026-03-08')?.wau).toBe(0);
    expect(byDay.get('2026-03-30')?.mau).toBe(1); // 03-01 = 03-30 − 29
    expect(byDay.get('2026-03-31')?.mau).toBe(0);
    expect(byDay.get('2026-03-02')?.lifecycle.dormant).toBe(1);
    expect(byDay.get('2026-03-03')?.lifecycle.dormant).toBe(0);
  });

  it('an earlier-dated event arriving later (within 60 days) moves joinedOn back: joined on d-1, returning on d', () => {
    const o = buildActivityOracle([
      ev('app_open', 'x', cst('2026-03-10')), // creates x, joinedOn 03-10
      ev('app_open', 'x', cst('2026-03-09')), // arrives later, within 60 days: counts, x joined on 03-09
    ]);
    const [d9, d10] = o.daily('2026-03-09', '2026-03-10');
    expect(d9.newMembers).toBe(1);
    expect(d9.lifecycle).toEqual({ new: 1, returning: 0, resurrecting: 0, dormant: 0 });
    expect(d10.newMembers).toBe(0);
    expect(d10.lifecycle).toEqual({ new: 0, returning: 1, resurrecting: 0, dormant: 0 });
    expect(o.member('x')).toMatchObject({ joinedOn: '2026-03-09', activeDays: 2, lastActiveOn: '2026-03-10' });
    // The same as in time order.
    const inOrder = buildActivityOracle([ev('app_open', 'x', cst('2026-03-09')), ev('app_open', 'x', cst('2026-03-10'))]);
    expect(inOrder.daily('2026-03-09', '2026-03-10')).toEqual([d9, d10]);
  });

  it('refunds are not activity and do not touch any counter', () => {
    const o = buildActivityOracle([
      purchase('a', cst('2026-03-01'), 'o1', [500]),
      ev('refund', 'a', cst('2026-03-03'), { channel: 'store', orderId: 'o1', lines: [{ sku: 'sku0', amountCents: 500 }] }),
    ]);
    const rows = o.daily('2026-03-01', '2026-03-03');
    expect(rows.map((r) => r.dau)).toEqual([1, 0, 0]);
    expect(rows[2]).toMatchObject({ orders: 0, revenueCents: 0, payingMembers: 0, lateActivity: 0 });
    expect(rows[0]).toMatchObject({ orders: 1, revenueCents: 500, payingMembers: 1 });
    expect(o.member('a')?.lastActiveOn).toBe('2026-03-01');
  });
});

describe('daily: counters', () => {
  it('counts launches, sessions, seconds, page_view events, orders, revenue and paying members', () => {
    const o = buildActivityOracle([
      ev('app_open', 'a', cst('2026-03-01', '08:00:00')),
      ev('app_open', 'a', cst('2026-03-01', '09:00:00')),
      ev('page_view', 'a', cst('2026-03-01'), { page: '/home' }),
      ev('session_end', 'a', cst('2026-03-01'), { durationSeconds: 120, pageViews: 7 }),
      ev('session_end', 'b', cst('2026-03-01'), { durationSeconds: 30, pageViews: 0 }),
      purchase('a', cst('2026-03-01'), 'o1', [1000, 250], { shippingCents: 800 }),
      purchase('a', cst('2026-03-01'), 'o2', [99]),
      purchase('b', cst('2026-03-01'), 'o1', [1]), // same orderId, other member: a separate order
    ]);
    const [r] = o.daily('2026-03-01', '2026-03-01');
    expect(r).toEqual({
      day: '2026-03-01',
      dau: 2,
      wau: 2,
      mau: 2,
      newMembers: 2,
      launches: 2,
      sessions: 2,
      sessionSeconds: 150,
      pageViews: 1, // page_view events, not the sum of session_end.pageViews
      orders: 3,
      revenueCents: 1350, // lines only, shipping excluded
      payingMembers: 2,
      lateActivity: 0,
      visitors: 0, // both persons are members: no anonymous-only visitor
      lifecycle: { new: 2, returning: 0, resurrecting: 0, dormant: 0 },
    });
  });

  it('ignores duplicate eventIds (first arrival wins) and repeated orderIds for order metrics only', () => {
    const first = ev('app_open', 'a', cst('2026-03-01'));
    const o = buildActivityOracle([
      first,
      { ...first }, // exact producer retry
      { ...first, occurredAt: cst('2026-03-02') }, // same eventId, different content: still ignored
      { ...first, memberId: 'b' }, // same eventId but another member: a different event
      purchase('a', cst('2026-03-01'), 'o1', [700], { eventId: 'p1' }),
      purchase('a', cst('2026-03-01'), 'o1', [700], { eventId: 'p1' }), // duplicate event
      purchase('a', cst('2026-03-03'), 'o1', [900], { eventId: 'p2' }), // same order, new event
    ]);
    const rows = o.daily('2026-03-01', '2026-03-03');
    expect(rows.map((r) => [r.dau, r.launches, r.orders, r.revenueCents, r.payingMembers])).toEqual([
      [2, 2, 1, 700, 1],
      [0, 0, 0, 0, 0],
      [1, 0, 0, 0, 0], // the repeated order still makes a active on 03-03
    ]);
    expect(o.activeDaysOf('a')).toEqual(['2026-03-01', '2026-03-03']);
  });

  it('late events: not activity beyond 60 days, counted in lateActivity and in event counters', () => {
    const o = buildActivityOracle([
      ev('app_open', 'm', cst('2026-05-01')), // creates m; latest active 05-01
      ev('app_open', 'm', cst('2026-03-01')), // 61 days before 05-01: late
      ev('app_open', 'm', cst('2026-03-02')), // exactly 60 days before: counts (and m joined then)
      ev('page_view', 'm', cst('2026-03-01')), // still late (latest is still 05-01)
      purchase('m', cst('2026-03-01'), 'o9', [300, 200]), // late, but the order counts
      ev('refund', 'm', cst('2026-03-01'), { channel: 'store', orderId: 'o9', lines: [{ sku: 'sku0', amountCents: 300 }] }),
      // n: arrival order decides — 03-01 arrives first, so it counts; 02-20 arrives after 05-01.
      ev('app_open', 'n', cst('2026-03-01')),
      ev('app_open', 'n', cst('2026-05-01')),
      ev('app_open', 'n', cst('2026-02-20')), // 70 days before 05-01: late
    ]);
    const byDay = new Map(o.daily('2026-02-20', '2026-05-01').map((r) => [r.day, r]));
    expect(byDay.get('2026-03-01')).toMatchObject({
      dau: 1, // only n
      launches: 2,
      pageViews: 1,
      orders: 1,
      revenueCents: 500,
      payingMembers: 1,
      lateActivity: 3, // m's app_open, page_view, purchase (the refund is not activity)
      newMembers: 1, // n (a late event moves no joinedOn)
    });
    expect(byDay.get('2026-03-02')).toMatchObject({ dau: 1, launches: 1, lateActivity: 0, newMembers: 1 });
    expect(byDay.get('2026-02-20')).toMatchObject({ dau: 0, launches: 1, lateActivity: 1, newMembers: 0 });
    expect(byDay.get('2026-05-01')).toMatchObject({ dau: 2, lateActivity: 0, newMembers: 0 });
    expect(o.member('m')).toEqual({
      joinedOn: '2026-03-02',
      lastActiveOn: '2026-05-01',
      activeDays: 2,
      acquisitionChannel: null,
    });
    expect(o.activeDaysOf('n')).toEqual(['2026-03-01', '2026-05-01']);
  });
});

describe('members and signups', () => {
  it('an earlier-dated signup arriving later moves joinedOn back; the first signup with a channel sets it', () => {
    const o = buildActivityOracle([
      ev('app_open', 'a', cst('2026-03-05')),
      ev('signup', 'a', cst('2026-03-01'), { acquisitionChannel: 'sem' }),
      ev('signup', 'a', cst('2026-03-06'), { acquisitionChannel: 'weibo' }),
      ev('signup', 'b', cst('2026-03-02')), // signup without a channel
      ev('signup', 'b', cst('2026-03-03'), { acquisitionChannel: 'weibo' }), // fills it in
    ]);
    expect(o.member('a')).toEqual({
      joinedOn: '2026-03-01',
      lastActiveOn: '2026-03-06',
      activeDays: 3,
      acquisitionChannel: 'sem',
    });
    expect(o.member('b')).toEqual({
      joinedOn: '2026-03-02',
      lastActiveOn: '2026-03-03',
      activeDays: 2,
      acquisitionChannel: 'weibo',
    });
    expect(o.daily('2026-03-01', '2026-03-06').map((r) => r.newMembers)).toEqual([1, 1, 0, 0, 0, 0]);
    expect(o.memberIds()).toEqual(['a', 'b']);
  });
});

describe('retention', () => {
  const events = [
    ev('signup', 'a', cst('2026-03-01'), { acquisitionChannel: 'sem' }),
    ev('app_open', 'a', cst('2026-03-02')), // N1
    ev('app_open', 'a', cst('2026-03-08')), // N7
    ev('signup', 'b', cst('2026-03-01'), { acquisitionChannel: 'sem' }),
    ev('app_open', 'b', cst('2026-03-31')), // N30
    ev('signup', 'c', cst('2026-03-01')), // no channel -> unknown
    ev('app_open', 'e', cst('2026-03-01')), // no signup -> unknown
    ev('app_open', 'e', cst('2026-04-10')), // N40: only onOrAfterDay sees it
    ev('signup', 'd', cst('2026-03-02'), { acquisitionChannel: 'weibo' }),
    ev('app_open', 'd', cst('2026-03-03')), // N1
  ];
  const o = buildActivityOracle(events);

  it('computes onDay and onOrAfterDay per cohort, including empty cohorts in the range', () => {
    const [c1, c2, c3] = o.retention('2026-03-01', '2026-03-03');

    const on1 = zeros31();
    on1[0] = 4;
    on1[1] = 1;
    on1[7] = 1;
    on1[30] = 1;
    const after1 = zeros31().map((_, n) => (n === 0 ? 4 : n <= 7 ? 3 : 2));
    expect(c1).toEqual({ cohort: '2026-03-01', size: 4, onDay: on1, onOrAfterDay: after1 });

    const on2 = zeros31();
    on2[0] = 1;
    on2[1] = 1;
    expect(c2).toEqual({ cohort: '2026-03-02', size: 1, onDay: on2, onOrAfterDay: [...on2] });

    expect(c3).toEqual({ cohort: '2026-03-03', size: 0, onDay: zeros31(), onOrAfterDay: zeros31() });
  });

  it('splits d1/d7/d30 by acquisition channel, null as unknown, sorted by channel', () => {
    expect(o.retentionByChannel('2026-03-01', '2026-03-02')).toEqual([
      { channel: 'sem', size: 2, d1: 1, d7: 1, d30: 1 },
      { channel: 'unknown', size: 2, d1: 0, d7: 0, d30: 0 },
      { channel: 'weibo', size: 1, d1: 1, d7: 0, d30: 0 },
    ]);
    expect(o.retentionByChannel('2026-03-02', '2026-03-02')).toEqual([{ channel: 'weibo', size: 1, d1: 1, d7: 0, d30: 0 }]);
    expect(o.retentionByChannel('2026-03-03', '2026-03-31')).toEqual([]);
  });
});

describe('sessions', () => {
  it('buckets session_end by pageViews per day; 0 pages is in no bucket', () => {
    const pages = [0, 1, 2, 3, 5, 6, 9, 10, 29, 30, 50, 51, 200];
    const o = buildActivityOracle([
      ...pages.map((p) => ev('session_end', 'a', cst('2026-03-01'), { durationSeconds: 10, pageViews: p })),
      ev('session_end', 'a', '2026-03-01T16:30:00Z', { durationSeconds: 5, pageViews: 4 }), // 03-02 00:30 CST
    ]);
    expect(o.sessions('2026-03-01', '2026-03-03')).toEqual([
      { day: '2026-03-01', buckets: { '1-2': 2, '3-5': 2, '6-9': 2, '10-29': 2, '30-50': 2, '51+': 2 } },
      { day: '2026-03-02', buckets: { '1-2': 0, '3-5': 1, '6-9': 0, '10-29': 0, '30-50': 0, '51+': 0 } },
      { day: '2026-03-03', buckets: { '1-2': 0, '3-5': 0, '6-9': 0, '10-29': 0, '30-50': 0, '51+': 0 } },
    ]);
    const [d1] = o.daily('2026-03-01', '2026-03-01');
    expect([d1.sessions, d1.sessionSeconds, d1.pageViews]).toEqual([13, 130, 0]);
  });
});

describe('invariants (property)', () => {
  it('dau = new + returning + resurrecting, dau ≤ wau ≤ mau, every member is new exactly once', () => {
    const types = ['signup', 'app_open', 'page_view', 'session_end', 'recharge'] as const;
    const arbEvent = fc.record({
      type: fc.constantFrom(...types),
      member: fc.constantFrom('a', 'b', 'c', 'd'),
      dayOffset: fc.integer({ min: 0, max: 99 }),
      id: fc.integer({ min: 0, max: 30 }),
    });
    fc.assert(
      fc.property(fc.array(arbEvent, { maxLength: 40 }), (raw) => {
        const events: OracleEvent[] = raw.map((r) => ({
          eventId: `id${r.id}`,
          type: r.type,
          memberId: r.member,
          occurredAt: cst(addDays('2026-01-01', r.dayOffset)),
          durationSeconds: 1,
          pageViews: 1,
          channel: 'app',
          amountCents: 1,
        }));
        const o = buildActivityOracle(events);
        const rows = o.daily('2026-01-01', addDays('2026-01-01', 99));
        for (const r of rows) {
          expect(r.lifecycle.new + r.lifecycle.returning + r.lifecycle.resurrecting).toBe(r.dau);
          expect(r.dau).toBeLessThanOrEqual(r.wau);
          expect(r.wau).toBeLessThanOrEqual(r.mau);
          expect(r.lifecycle.new).toBe(r.newMembers); // the joining event always counts as activity
        }
        expect(rows.reduce((s, r) => s + r.newMembers, 0)).toBe(o.memberIds().length);
        const totalActiveDays = o.memberIds().reduce((s, id) => s + (o.member(id)?.activeDays ?? 0), 0);
        expect(rows.reduce((s, r) => s + r.dau, 0)).toBe(totalActiveDays);
      }),
      { numRuns: 200 },
    );
  });
});
