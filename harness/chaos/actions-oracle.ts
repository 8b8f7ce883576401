// Every outbound action a chaos run must put on ActionsStream, of every kind (#19 item 7), from the
// events stream as the consumer received it: each member's records in their shard's order with
// their arrival times (a member's segments are judged as of the day its record arrived), the valid
// ones told apart by the plan. Shares no code with shared/: tiers from the plain reference model
// (harness/reference/points-reference.ts), segment rules read from the programme file and matched
// here, days through the activity oracle's Intl helpers.
//
// What the consumer does, and so what is expected (docs/events.md#outbound-actions):
//  - tier_upgraded / tier_downgraded: each change of the reference tier (a refund revert
//    downgrades), dated the day it was judged on;
//  - segment_entered / segment_exited: after every record that changes the member (a repeat too,
//    which moves its high-water mark; not a rejected refund), its segments as of that record's
//    arrival day — tier, status, RFM class (none: no rfm job runs) and the custom rules;
//  - coins_expiring: only from the coins job for lots within their notice period — none can be in
//    a window that ends before today (the oracle refuses a window where one could);
//  - tier_at_risk, winback_offer (their jobs do not run), member_merged, member_erased (no
//    merges, no erasures): none.
import { readFileSync } from 'node:fs';
import { dayInZone } from '../oracle/activity-oracle';
import { PointsReference, REF_DEFAULT } from '../reference/points-reference';
import { dayIndex, dayOfIndex } from './points-oracle';

const TIER_IDS = ['member', 'silver', 'gold', 'platinum'];
const JOB_COMMANDS = new Set(['tier_review', 'status_check', 'rfm_update', 'coins_day']);

interface Programme {
  tiers: { id: string }[];
  qualificationWindowDays: number;
  status: { silentAfterDays: number; churnedAfterDays: number };
  activity: { lateActivityLimitDays: number };
  earning: { earningChannels: string[]; excludedCategories: string[] };
  coins: { pendingDays: number; expiryDays: number; expiryNoticeDays: number };
  acquisitionChannels: string[];
  segments: { id: string; rule: Rule }[];
}
type Rule = { all: Rule[] } | { any: Rule[] } | { field: string; op: string; value: unknown };

export interface StreamedRecord {
  data: string;
  arrivedAt: number;
}

/** An action as compared: `type|day|what` (what makes it that action), one per actionId. */
export function actionKey(a: { type: string; day: string; details?: Record<string, any> }): string {
  const d = a.details ?? {};
  if (a.type === 'tier_upgraded' || a.type === 'tier_downgraded') return `${a.type}|${a.day}|${d.from}|${d.to}`;
  if (a.type === 'segment_entered' || a.type === 'segment_exited') return `${a.type}|${a.day}|${d.segmentId}`;
  return `${a.type}|${a.day}|${JSON.stringify(d)}`;
}

interface MemberModel {
  ref: PointsReference;
  events: Set<string>;
  refunds: Set<string>;
  /** Eligible cents per purchase (orderId → day, cents), for `monetaryCents`. */
  purchases: Map<string, { day: number; cents: number }>;
  lastActive: number | null;
  channel: string | null;
  segments: string[];
}

function matches(p: Programme, rule: Rule, facts: Record<string, unknown>): boolean {
  if ('all' in rule) return rule.all.every((r) => matches(p, r, facts));
  if ('any' in rule) return rule.any.some((r) => matches(p, r, facts));
  const tierIndex = (v: unknown) => (rule.field === 'tier' ? p.tiers.findIndex((t) => t.id === v) : v);
  const fact = tierIndex(facts[rule.field]);
  const values = (Array.isArray(rule.value) ? rule.value : [rule.value]).map(tierIndex);
  switch (rule.op) {
    case 'in':
      return values.includes(fact);
    case 'eq':
      return fact === values[0];
    case 'ne':
      return fact !== values[0];
  }
  if (typeof fact !== 'number' || typeof values[0] !== 'number') return false;
  const v = values[0];
  return rule.op === 'gt' ? fact > v : rule.op === 'gte' ? fact >= v : rule.op === 'lt' ? fact < v : rule.op === 'lte' ? fact <= v : false;
}

/** Expected actions per member: sorted {@link actionKey}s. */
export function expectedActions(
  records: readonly StreamedRecord[],
  validData: ReadonlySet<string>,
  opts: { timeZone: string; joinedOn: (memberId: string) => string | undefined; coinsJobDay: string },
): Map<string, string[]> {
  const p = JSON.parse(readFileSync(new URL('../../programme/default.json', import.meta.url), 'utf8')) as Programme;
  const models = new Map<string, MemberModel>();
  const out = new Map<string, string[]>();
  const emit = (memberId: string, key: string) => {
    const list = out.get(memberId);
    if (list) list.push(key);
    else out.set(memberId, [key]);
  };

  const segmentsOf = (m: MemberModel, asOf: number): string[] => {
    const tier = TIER_IDS[m.ref.tier];
    const silence = m.lastActive === null ? Infinity : asOf - m.lastActive;
    const status = silence < p.status.silentAfterDays ? 'active' : silence < p.status.churnedAfterDays ? 'silent' : 'churned';
    let monetaryCents = 0;
    for (const { day, cents } of m.purchases.values()) if (day > asOf - p.qualificationWindowDays && day <= asOf) monetaryCents += cents;
    const facts = { tier, status, rfmSegment: null, acquisitionChannel: m.channel, monetaryCents, lifetimePoints: m.ref.lifetimePoints() };
    return [`tier-${tier}`, `status-${status}`, ...p.segments.filter((s) => matches(p, s.rule, facts)).map((s) => s.id)];
  };
  const evaluate = (memberId: string, m: MemberModel, arrivedOn: string) => {
    const next = segmentsOf(m, dayIndex(arrivedOn));
    for (const id of next) if (!m.segments.includes(id)) emit(memberId, `segment_entered|${arrivedOn}|${id}`);
    for (const id of m.segments) if (!next.includes(id)) emit(memberId, `segment_exited|${arrivedOn}|${id}`);
    m.segments = next;
  };
  const tierChange = (memberId: string, from: number, to: number, day: number) => {
    if (to !== from)
      emit(memberId, `${to > from ? 'tier_upgraded' : 'tier_downgraded'}|${dayOfIndex(day)}|${TIER_IDS[from]}|${TIER_IDS[to]}`);
  };

  for (const record of records) {
    let e: Record<string, any>;
    try {
      e = JSON.parse(record.data);
    } catch {
      continue;
    }
    const memberId = typeof e?.memberId === 'string' ? e.memberId : null;
    if (!memberId) continue;
    const arrivedOn = dayInZone(new Date(record.arrivedAt).toISOString(), opts.timeZone);
    const isCommand = JOB_COMMANDS.has(e.type) && typeof e.sig === 'string';
    if (!isCommand && !validData.has(record.data)) continue; // poison: quarantined
    let m = models.get(memberId);
    if (isCommand) {
      // A job command changes the member (its id is remembered) and is judged like any record.
      if (m) evaluate(memberId, m, arrivedOn);
      continue;
    }
    const day = dayIndex(dayInZone(e.occurredAt, opts.timeZone));
    if (m?.events.has(e.eventId)) {
      evaluate(memberId, m, arrivedOn); // a repeat: skipped, but its position is recorded
      continue;
    }
    if (e.type === 'refund') {
      // Of an order the member never bought (or before it): quarantined, nothing changes.
      if (!m || !m.ref.orders.has(e.orderId)) continue;
      m.events.add(e.eventId);
      const refundKey = `${e.orderId}\u0000${e.refundId ?? e.eventId}`;
      if (!m.refunds.has(refundKey)) {
        m.refunds.add(refundKey);
        const before = m.ref.tier;
        const judged = Math.max(day, m.ref.latest ?? day);
        m.ref.apply({ type: 'refund', day, orderId: e.orderId, lines: e.lines ?? [] });
        tierChange(memberId, before, m.ref.tier, judged);
      }
      evaluate(memberId, m, arrivedOn);
      continue;
    }
    if (!m) {
      const joinedOn = opts.joinedOn(memberId);
      if (!joinedOn) throw new Error(`actions oracle: ${memberId} has no joinedOn in the activity oracle`);
      m = {
        ref: new PointsReference(REF_DEFAULT, dayIndex(joinedOn)),
        events: new Set(),
        refunds: new Set(),
        purchases: new Map(),
        lastActive: null,
        channel: null,
        segments: [],
      };
      models.set(memberId, m);
    }
    m.events.add(e.eventId);
    if (m.lastActive === null || day >= m.lastActive - p.activity.lateActivityLimitDays) {
      if (m.lastActive === null || day > m.lastActive) m.lastActive = day;
    }
    if (e.type === 'signup' && e.acquisitionChannel && m.channel === null) {
      m.channel = p.acquisitionChannels.includes(e.acquisitionChannel) ? e.acquisitionChannel : 'other';
    }
    if (e.type === 'purchase' && !m.ref.orders.has(e.orderId)) {
      const lines = (e.lines ?? []).map((l: any) => ({ sku: l.sku, category: l.category ?? '', amountCents: l.amountCents }));
      const earning = p.earning.earningChannels.includes(e.channel ?? '');
      const cents = earning
        ? lines.reduce((s: number, l: any) => s + (p.earning.excludedCategories.includes(l.category) ? 0 : l.amountCents), 0)
        : 0;
      m.purchases.set(e.orderId, { day, cents });
      const noticeOn = day + p.coins.pendingDays + p.coins.expiryDays - p.coins.expiryNoticeDays;
      if (noticeOn <= dayIndex(opts.coinsJobDay))
        throw new Error(`actions oracle: a coin lot of ${memberId} is due a notice; not modelled`);
      const before = m.ref.tier;
      m.ref.apply({ type: 'purchase', day, orderId: e.orderId, channel: e.channel ?? '', lines });
      tierChange(memberId, before, m.ref.tier, m.ref.since ?? day);
    } else {
      m.ref.seen(day);
    }
    evaluate(memberId, m, arrivedOn);
  }
  for (const list of out.values()) list.sort();
  return out;
}
