import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addDays, dayNumber, dayOf, dayString, parseInstant } from '../../shared/days/days';
import { decodeRecord, parseEvent } from '../../shared/events/events';
import { eventsToJsonLines, simulate, type SimulateOptions } from '../../simulator';

// ---------------------------------------------------------------------------------------------
// helpers

type Ev = Record<string, unknown> & { eventId: string; type: string; memberId: string; occurredAt: string };
type Line = { sku: string; category: string; amountCents: number };
type RLine = { sku: string; amountCents: number };

const TYPES = new Set(['signup', 'app_open', 'page_view', 'session_end', 'purchase', 'refund', 'recharge']);
const CHANNELS = new Set(['store', 'app', 'mini_program', 'third_party']);
const MEMBER_RE = /^[A-Za-z0-9_.:@-]{1,128}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const TZ = 'Asia/Shanghai';
const OCT1 = dayNumber('2026-10-01'); // the default start

function run(opts: SimulateOptions): Ev[] {
  return [...simulate(opts)] as unknown as Ev[];
}

const isCents = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

/** The event rules of docs/events.md, written out independently of shared/events.ts. Returns the problems. */
function contractProblems(e: Ev): string[] {
  const p: string[] = [];
  const allowed = new Set(['eventId', 'type', 'memberId', 'occurredAt', 'channel', 'attributes']);
  if (typeof e.eventId !== 'string' || e.eventId.length < 1 || e.eventId.length > 128) p.push('eventId');
  if (!TYPES.has(e.type)) p.push('type');
  if (typeof e.memberId !== 'string' || !MEMBER_RE.test(e.memberId)) p.push('memberId');
  if (typeof e.occurredAt !== 'string' || !ISO_RE.test(e.occurredAt) || !Number.isFinite(parseInstant(e.occurredAt))) p.push('occurredAt');
  if (e.channel !== undefined && !CHANNELS.has(e.channel as string)) p.push('channel');
  if (e.attributes !== undefined && (typeof e.attributes !== 'object' || e.attributes === null || Array.isArray(e.attributes)))
    p.push('attributes');
  const needsChannel = e.type === 'purchase' || e.type === 'refund' || e.type === 'recharge';
  if (needsChannel && e.channel === undefined) p.push('channel required');
  switch (e.type) {
    case 'signup':
      allowed.add('acquisitionChannel');
      if (e.acquisitionChannel !== undefined && typeof e.acquisitionChannel !== 'string') p.push('acquisitionChannel');
      break;
    case 'page_view':
      allowed.add('page');
      if (e.page !== undefined && typeof e.page !== 'string') p.push('page');
      break;
    case 'session_end':
      allowed.add('durationSeconds').add('pageViews');
      if (!isCents(e.durationSeconds)) p.push('durationSeconds');
      if (!isCents(e.pageViews)) p.push('pageViews');
      break;
    case 'purchase': {
      allowed.add('orderId').add('lines').add('shippingCents');
      if (typeof e.orderId !== 'string' || e.orderId.length < 1 || e.orderId.length > 128) p.push('orderId');
      const lines = e.lines as Line[];
      if (!Array.isArray(lines) || lines.length < 1 || lines.length > 500) p.push('lines');
      else
        for (const l of lines) {
          if (typeof l.sku !== 'string' || !l.sku || typeof l.category !== 'string' || !l.category || !isCents(l.amountCents))
            p.push('line');
          if (Object.keys(l).some((k) => !['sku', 'category', 'amountCents'].includes(k))) p.push('line keys');
        }
      if (e.shippingCents !== undefined && !isCents(e.shippingCents)) p.push('shippingCents');
      break;
    }
    case 'refund': {
      allowed.add('orderId').add('lines').add('refundId');
      if (typeof e.orderId !== 'string' || !e.orderId) p.push('orderId');
      if (e.refundId !== undefined && (typeof e.refundId !== 'string' || !e.refundId || e.refundId.length > 128)) p.push('refundId');
      const lines = e.lines as RLine[];
      if (!Array.isArray(lines) || lines.length < 1 || lines.length > 500) p.push('lines');
      else for (const l of lines) if (typeof l.sku !== 'string' || !l.sku || !isCents(l.amountCents)) p.push('line');
      break;
    }
    case 'recharge':
      allowed.add('amountCents');
      if (!Number.isSafeInteger(e.amountCents) || (e.amountCents as number) <= 0) p.push('amountCents');
      break;
  }
  for (const k of Object.keys(e)) if (!allowed.has(k)) p.push(`unexpected field ${k}`);
  if (Buffer.byteLength(JSON.stringify(e)) > 32 * 1024) p.push('too large');
  return p;
}

const bucketOf = (pv: number): string =>
  pv === 0 ? '0' : pv <= 2 ? '1-2' : pv <= 5 ? '3-5' : pv <= 9 ? '6-9' : pv <= 29 ? '10-29' : pv <= 50 ? '30-50' : '51+';

/** Tier points (docs/rules.md#tier-points), with refunds revoking their share. Returns qualifying points per member. */
function pointsByMember(events: Ev[]): Map<string, number> {
  const orders = new Map<string, { points: number; eligible: number; eligibleSkus: Set<string>; revoked: number }>();
  const points = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'purchase') {
      const lines = e.lines as Line[];
      let eligible = 0;
      const skus = new Set<string>();
      if (e.channel !== 'third_party')
        for (const l of lines)
          if (l.category !== 'gift_card') {
            eligible += l.amountCents;
            skus.add(l.sku);
          }
      const pts = eligible < 100 ? 0 : Math.floor((eligible + 50) / 100);
      orders.set(`${e.memberId}/${e.orderId}`, { points: pts, eligible, eligibleSkus: skus, revoked: 0 });
      points.set(e.memberId, (points.get(e.memberId) ?? 0) + pts);
    } else if (e.type === 'refund') {
      const o = orders.get(`${e.memberId}/${e.orderId}`)!;
      let refunded = 0;
      for (const l of e.lines as RLine[]) if (o.eligibleSkus.has(l.sku)) refunded += l.amountCents;
      if (o.eligible === 0) continue;
      const revoke = Math.min(o.points - o.revoked, Math.floor((o.points * refunded) / o.eligible + 0.5));
      o.revoked += revoke;
      points.set(e.memberId, points.get(e.memberId)! - revoke);
    }
  }
  return points;
}

function activeDaysByMember(events: Ev[], tz = TZ): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const e of events) {
    if (e.type === 'refund') continue;
    const d = dayOf(e.occurredAt, tz);
    let list = out.get(e.memberId);
    if (!list) out.set(e.memberId, (list = []));
    if (list[list.length - 1] !== d) list.push(d);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// fixtures (generated once)

const MONTH: SimulateOptions = { members: 400, days: 30, seed: 20261001 };
const month = run(MONTH);
const LONG: SimulateOptions = { members: 300, days: 75, seed: 5 };
const long = run(LONG);

describe('simulate: determinism', () => {
  it('gives byte-identical output for the same options', () => {
    const a = [...eventsToJsonLines(simulate({ members: 120, days: 14, seed: 7 }))].join('\n');
    const b = [...eventsToJsonLines(simulate({ members: 120, days: 14, seed: 7 }))].join('\n');
    expect(a.length).toBeGreaterThan(10_000);
    expect(b).toBe(a);
  });

  it('gives different output for another seed', () => {
    const a = [...eventsToJsonLines(simulate({ members: 120, days: 14, seed: 7 }))].join('\n');
    const c = [...eventsToJsonLines(simulate({ members: 120, days: 14, seed: 8 }))].join('\n');
    expect(c).not.toBe(a);
  });

  it('names events, orders and refunds after the seed, uniquely', () => {
    const ids = new Set(month.map((e) => e.eventId));
    expect(ids.size).toBe(month.length);
    expect(month[0].eventId).toBe(`e-${MONTH.seed}-1`);
    const orderIds = month.filter((e) => e.type === 'purchase').map((e) => e.orderId as string);
    expect(new Set(orderIds).size).toBe(orderIds.length);
    expect(orderIds.every((id) => id.startsWith(`o-${MONTH.seed}-`))).toBe(true);
    expect(month.every((e) => /^m\d{5}$/.test(e.memberId))).toBe(true);
  });

  it('rejects bad options with a RangeError', () => {
    expect(() => simulate({ members: -1, days: 3, seed: 1 })).toThrow(RangeError);
    expect(() => simulate({ members: 2, days: 0, seed: 1 })).toThrow(/days/);
    expect(() => simulate({ members: 2, days: 1.5, seed: 1 })).toThrow(/days/);
    expect(() => simulate({ members: 2, days: 3, seed: Number.NaN })).toThrow(/seed/);
    expect(() => simulate({ members: 2, days: 3, seed: 1, start: '2026-02-30' })).toThrow(RangeError);
    expect(() => simulate({ members: 2, days: 3, seed: 1, timezone: 'Mars/Olympus' })).toThrow(/time zone/);
    expect([...simulate({ members: 0, days: 3, seed: 1 })]).toEqual([]);
  });
});

describe('simulate: the contract', () => {
  it('every event passes the contract checks and shared/events parseEvent', () => {
    // One assertion over all the events, naming the first failures: an expect per event, each with
    // the event written out as its message, cost more than the checks themselves.
    const failures: { event: Ev; problems: string[]; parsed?: unknown }[] = [];
    for (const e of [...month, ...long]) {
      const problems = contractProblems(e);
      const parsed = parseEvent(JSON.parse(JSON.stringify(e)));
      if (problems.length || !parsed.ok) failures.push({ event: e, problems, ...(parsed.ok ? {} : { parsed }) });
    }
    expect(failures.slice(0, 3)).toEqual([]);
  });

  it('yields events in nondecreasing occurredAt order, using both Z and +08:00', () => {
    let prev = -Infinity;
    for (const e of month) {
      const t = parseInstant(e.occurredAt);
      expect(t).toBeGreaterThanOrEqual(prev);
      prev = t;
    }
    expect(month.some((e) => e.occurredAt.endsWith('Z'))).toBe(true);
    expect(month.some((e) => e.occurredAt.endsWith('+08:00'))).toBe(true);
  });

  it('keeps every event within the days of the window (programme time zone)', () => {
    const first = OCT1;
    const days = new Set<number>();
    for (const e of month) {
      const d = dayOf(e.occurredAt, TZ);
      expect(d).toBeGreaterThanOrEqual(first);
      expect(d).toBeLessThanOrEqual(first + MONTH.days - 1);
      days.add(d);
    }
    expect(days.size).toBe(MONTH.days);
  });

  it('honours start and timezone', () => {
    const evs = run({ members: 40, days: 3, seed: 3, start: '2027-03-27', timezone: 'Europe/Berlin' });
    const lo = dayNumber('2027-03-27'); // DST starts 2027-03-28 in Berlin
    expect(dayString(lo + 2)).toBe(addDays('2027-03-27', 2));
    for (const e of evs) {
      expect(contractProblems(e)).toEqual([]);
      const d = dayOf(e.occurredAt, 'Europe/Berlin');
      expect(d >= lo && d <= lo + 2).toBe(true);
    }
    expect(evs.some((e) => e.occurredAt.endsWith('+01:00'))).toBe(true);
    expect(evs.some((e) => e.occurredAt.endsWith('+02:00'))).toBe(true);
  });
});

describe('simulate: behaviour', () => {
  it('signs members up over the days with acquisition channels; others existed before', () => {
    const firstEvent = new Map<string, Ev>();
    const signups = new Map<string, number>();
    for (const e of month) {
      if (!firstEvent.has(e.memberId)) firstEvent.set(e.memberId, e);
      if (e.type === 'signup') signups.set(e.memberId, (signups.get(e.memberId) ?? 0) + 1);
    }
    for (const [id, n] of signups) {
      expect(n).toBe(1);
      expect(firstEvent.get(id)!.type).toBe('signup');
    }
    const withoutSignup = [...firstEvent.keys()].filter((id) => !signups.has(id));
    expect(withoutSignup.length).toBeGreaterThan(MONTH.members * 0.2);
    expect(signups.size).toBeGreaterThan(MONTH.members * 0.5);
    const channels = new Set(month.filter((e) => e.type === 'signup').map((e) => e.acquisitionChannel));
    expect(channels).toEqual(new Set(['sem', 'weibo', 'wechat', 'referral', 'store_flyer']));
    const signupDays = new Set(month.filter((e) => e.type === 'signup').map((e) => dayOf(e.occurredAt, TZ)));
    expect(signupDays.size).toBeGreaterThan(MONTH.days * 0.8);
  });

  it('retention decays: day-1 return is higher than day-14 return', () => {
    const active = activeDaysByMember(month);
    const joined = new Map<string, number>();
    for (const e of month) if (e.type === 'signup') joined.set(e.memberId, dayOf(e.occurredAt, TZ));
    let n1 = 0;
    let r1 = 0;
    let n14 = 0;
    let r14 = 0;
    const last = OCT1 + MONTH.days - 1;
    for (const [id, j] of joined) {
      const days = new Set(active.get(id));
      if (j + 1 <= last) {
        n1++;
        if (days.has(j + 1)) r1++;
      }
      if (j + 14 <= last) {
        n14++;
        if (days.has(j + 14)) r14++;
      }
    }
    expect(r1 / n1).toBeGreaterThan(0.3);
    expect(r1 / n1).toBeGreaterThan((r14 / n14) * 1.3);
  });

  it('sessions span every pages-per-session bucket, and some have 0 pages', () => {
    const buckets = new Map<string, number>();
    for (const e of month)
      if (e.type === 'session_end') buckets.set(bucketOf(e.pageViews as number), (buckets.get(bucketOf(e.pageViews as number)) ?? 0) + 1);
    for (const b of ['0', '1-2', '3-5', '6-9', '10-29', '30-50', '51+']) expect(buckets.get(b) ?? 0, b).toBeGreaterThan(0);
    const opens = month.filter((e) => e.type === 'app_open').length;
    const ends = month.filter((e) => e.type === 'session_end').length;
    expect(Math.abs(opens - ends)).toBeLessThanOrEqual(5); // sessions cut off at the window's end
  });

  it('has events at all hours, and sessions that cross local midnight', () => {
    const hours = new Set<number>();
    for (const e of month) {
      const t = parseInstant(e.occurredAt);
      hours.add(new Date(t + 8 * 3_600_000).getUTCHours());
    }
    expect(hours.size).toBe(24);
    const openDay = new Map<string, number>();
    let crossing = 0;
    for (const e of month) {
      if (e.type === 'app_open') openDay.set(e.memberId, dayOf(e.occurredAt, TZ));
      if (e.type === 'session_end' && openDay.get(e.memberId) !== undefined && openDay.get(e.memberId)! < dayOf(e.occurredAt, TZ))
        crossing++;
    }
    expect(crossing).toBeGreaterThan(0);
  });

  it('purchases: all channels, 1–8 distinct lines, fresh categories, gift cards, tiny orders, shipping', () => {
    const purchases = month.filter((e) => e.type === 'purchase');
    expect(new Set(purchases.map((e) => e.channel))).toEqual(CHANNELS);
    const cats = new Set<string>();
    let tiny = 0;
    let gift = 0;
    let shipped = 0;
    for (const p of purchases) {
      const lines = p.lines as Line[];
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(9); // up to 8 goods + a gift card
      expect(new Set(lines.map((l) => l.sku)).size).toBe(lines.length);
      for (const l of lines) cats.add(l.category);
      if (lines.reduce((s, l) => s + l.amountCents, 0) < 100) tiny++;
      if (lines.some((l) => l.category === 'gift_card')) gift++;
      if ((p.shippingCents as number) > 0) shipped++;
    }
    expect(cats).toEqual(new Set(['fresh_produce', 'meat', 'seafood', 'dairy', 'bakery', 'pantry', 'gift_card']));
    expect(tiny).toBeGreaterThan(0);
    expect(gift).toBeGreaterThan(0);
    expect(shipped).toBeGreaterThan(0);
    expect(month.some((e) => e.type === 'recharge')).toBe(true);
  });

  it('some members reach silver (1000 points) and gold (5000) within the window, most stay members', () => {
    const points = [...pointsByMember(month).values()];
    const silver = points.filter((p) => p >= 1000).length;
    const gold = points.filter((p) => p >= 5000).length;
    expect(silver).toBeGreaterThan(0);
    expect(gold).toBeGreaterThan(0);
    expect(silver).toBeLessThan(MONTH.members * 0.1);
  });

  it('refunds reference earlier orders of the same member and never exceed the order lines', () => {
    for (const evs of [month, long]) {
      const orders = new Map<string, Map<string, number>>(); // member/order → sku → amount left
      const refundsPerOrder = new Map<string, Set<string>>();
      let full = 0;
      let partial = 0;
      for (const e of evs) {
        const key = `${e.memberId}/${e.orderId}`;
        if (e.type === 'purchase') orders.set(key, new Map((e.lines as Line[]).map((l) => [l.sku, l.amountCents])));
        if (e.type !== 'refund') continue;
        const left = orders.get(key);
        expect(left, `refund of unknown order ${key}`).toBeDefined();
        const before = [...left!.values()].reduce((s, v) => s + v, 0);
        for (const l of e.lines as RLine[]) {
          expect(left!.has(l.sku)).toBe(true);
          expect(l.amountCents).toBeGreaterThan(0);
          expect(l.amountCents).toBeLessThanOrEqual(left!.get(l.sku)!);
          left!.set(l.sku, left!.get(l.sku)! - l.amountCents);
        }
        const after = [...left!.values()].reduce((s, v) => s + v, 0);
        if (after === 0 && refundsPerOrder.get(key) === undefined) full++;
        else partial++;
        const ids = refundsPerOrder.get(key) ?? new Set<string>();
        const refundId = (e.refundId as string | undefined) ?? e.eventId;
        expect(ids.has(refundId)).toBe(false);
        ids.add(refundId);
        refundsPerOrder.set(key, ids);
        expect(before).toBeGreaterThan(after);
      }
      expect(full).toBeGreaterThan(0);
      expect(partial).toBeGreaterThan(0);
      expect([...refundsPerOrder.values()].some((s) => s.size >= 2)).toBe(true);
      expect(evs.some((e) => e.type === 'refund' && e.refundId === undefined)).toBe(true);
    }
  });

  it('some members go silent for 30+ days and come back; some never do', () => {
    let returned = 0;
    for (const days of activeDaysByMember(long).values())
      for (let i = 1; i < days.length; i++) if (days[i] - days[i - 1] - 1 >= 30) returned++;
    expect(returned).toBeGreaterThan(2);
    const last = OCT1 + LONG.days - 1;
    const silentAtEnd = [...activeDaysByMember(long).values()].filter((d) => last - d[d.length - 1] >= 30).length;
    expect(silentAtEnd).toBeGreaterThan(0);
  });

  it('is moderate in volume (speed is measured by npm run bench, not asserted)', () => {
    let n = 0;
    for (const _ of simulate({ members: 2000, days: 30, seed: 1 })) n++;
    expect(n).toBeGreaterThan(60_000);
    expect(n).toBeLessThan(150_000);
  });
});

describe('sample files', () => {
  const NOW = Date.parse('2026-12-01T00:00:00Z');

  function lines(path: string): Buffer[] {
    const bytes = readFileSync(new URL(`../../${path}`, import.meta.url));
    const out: Buffer[] = [];
    let from = 0;
    for (let i = 0; i < bytes.length; i++)
      if (bytes[i] === 0x0a) {
        if (i > from) out.push(bytes.subarray(from, i));
        from = i + 1;
      }
    if (from < bytes.length) out.push(bytes.subarray(from));
    return out;
  }

  it('events/sample-month.jsonl is `simulate --members 30 --days 10 --seed 8` and entirely valid', () => {
    const file = lines('events/sample-month.jsonl').map((b) => b.toString('utf8'));
    const expected = [...eventsToJsonLines(simulate({ members: 30, days: 10, seed: 8, timezone: TZ }))];
    expect(file).toEqual(expected);
    for (const line of file) expect(decodeRecord(Buffer.from(line), NOW).ok, line).toBe(true);
  });

  it('events/bad-records.jsonl: every line is rejected by the decoder or is a refund of an unknown order', () => {
    const sampleOrders = new Set(
      lines('events/sample-month.jsonl')
        .map((b) => JSON.parse(b.toString('utf8')) as Ev)
        .filter((e) => e.type === 'purchase')
        .map((e) => `${e.memberId}/${e.orderId}`),
    );
    const reasons = new Set<string>();
    const file = lines('events/bad-records.jsonl');
    expect(file.length).toBeGreaterThanOrEqual(20);
    for (const raw of file) {
      // raw bytes, and also as a sender that decodes the file as UTF-8 would pass them on
      for (const bytes of [raw, Buffer.from(raw.toString('utf8'))]) {
        const d = decodeRecord(bytes, NOW);
        if (d.ok) {
          expect(d.event.type, raw.toString('utf8').slice(0, 200)).toBe('refund');
          expect(sampleOrders.has(`${d.event.memberId}/${(d.event as { orderId: string }).orderId}`)).toBe(false);
          reasons.add('unknown_order');
        } else reasons.add(d.reason);
      }
    }
    expect(reasons).toEqual(new Set(['not_json', 'not_utf8', 'too_large', 'invalid_event', 'future_occurred_at', 'unknown_order']));
  });
});
