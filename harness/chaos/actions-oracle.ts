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
//  - tier_at_risk, winback_offer (their jobs do not run), member_erased (no erasures): none;
//  - identity (docs/architecture.md#identity): a visitor has no segments and no tier; an absorb folds
//    the linked id's model into the member's (orders, activity, channel) and judges its segments; a
//    forwarded anonymous event is the member's without points; an operator merge exits the merged
//    member's segments on its arrival day, and the member kept gets the higher tier (with its day),
//    an upgrade when the combined points support more, and one member_merged. Merges come after
//    the month (a merged member's later record is refused as not modelled).
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

/** One owner key's model: a member (its memberId) or a visitor (`anon#<anonymousId>`). */
interface MemberModel {
  /** Points and tier: a member's own purchases only (anonymous ones earn none). */
  ref: PointsReference;
  visitor: boolean;
  events: Set<string>;
  refunds: Set<string>;
  /** Orders as the consumer's ledger keys them: `ledgerKey\u0000orderId` → eligible cents, day. */
  purchases: Map<string, { day: number; cents: number }>;
  lastActive: number | null;
  channel: string | null;
  segments: string[];
  /** The member this id was linked or merged into (its later records are forwarded there). */
  linkedTo: string | null;
  mergeId: string | null;
  /** The keys folded into this member (visitors and members merged into it). */
  identities: Set<string>;
  /** After an operator merge: the tier and lifetime points of the person (no later record modelled). */
  merged: { tier: number; lifetimePoints: number } | null;
}

const VISITOR = 'anon#';
/** The owner key the consumer reduces a record under (shared/identity/keys.ts, restated). */
function ownerKey(e: Record<string, any>): string | null {
  if (e.type === 'identity_link') return typeof e.anonymousId === 'string' ? VISITOR + e.anonymousId : null;
  if (typeof e.memberId === 'string' && e.memberId) return e.memberId;
  return typeof e.anonymousId === 'string' && e.anonymousId ? VISITOR + e.anonymousId : null;
}
const IDENTITY_COMMANDS = new Set(['identity_link', 'identity_absorb', 'identity_forward', 'member_merge']);

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
  const out = new Map<string, string[]>();
  const emit = (memberId: string, key: string) => {
    const list = out.get(memberId);
    if (list) list.push(key);
    else out.set(memberId, [key]);
  };

  const tierOf = (m: MemberModel) => m.merged?.tier ?? m.ref.tier;
  const lifetimeOf = (m: MemberModel) => m.merged?.lifetimePoints ?? m.ref.lifetimePoints();
  const segmentsOf = (m: MemberModel, asOf: number): string[] => {
    const tier = TIER_IDS[tierOf(m)];
    const silence = m.lastActive === null ? Infinity : asOf - m.lastActive;
    const status = silence < p.status.silentAfterDays ? 'active' : silence < p.status.churnedAfterDays ? 'silent' : 'churned';
    let monetaryCents = 0;
    for (const { day, cents } of m.purchases.values()) if (day > asOf - p.qualificationWindowDays && day <= asOf) monetaryCents += cents;
    const facts = { tier, status, rfmSegment: null, acquisitionChannel: m.channel, monetaryCents, lifetimePoints: lifetimeOf(m) };
    return [`tier-${tier}`, `status-${status}`, ...p.segments.filter((s) => matches(p, s.rule, facts)).map((s) => s.id)];
  };
  // A visitor has no segments, nor has a member merged away (docs/rules.md#identity).
  const evaluate = (memberId: string, m: MemberModel, arrivedOn: string) => {
    if (m.visitor || m.linkedTo) return;
    const next = segmentsOf(m, dayIndex(arrivedOn));
    for (const id of next) if (!m.segments.includes(id)) emit(memberId, `segment_entered|${arrivedOn}|${id}`);
    for (const id of m.segments) if (!next.includes(id)) emit(memberId, `segment_exited|${arrivedOn}|${id}`);
    m.segments = next;
  };
  const tierChange = (memberId: string, from: number, to: number, day: number) => {
    if (to !== from)
      emit(memberId, `${to > from ? 'tier_upgraded' : 'tier_downgraded'}|${dayOfIndex(day)}|${TIER_IDS[from]}|${TIER_IDS[to]}`);
  };
  const newModel = (key: string): MemberModel => {
    const visitor = key.startsWith(VISITOR);
    const joinedOn = visitor ? undefined : opts.joinedOn(key);
    if (!visitor && !joinedOn) throw new Error(`actions oracle: ${key} has no joinedOn in the activity oracle`);
    return {
      ref: new PointsReference(REF_DEFAULT, joinedOn === undefined ? null : dayIndex(joinedOn)),
      visitor,
      events: new Set(),
      refunds: new Set(),
      purchases: new Map(),
      lastActive: null,
      channel: null,
      segments: [],
      linkedTo: null,
      mergeId: null,
      identities: new Set(),
      merged: null,
    };
  };

  // Each owner key's records in its shard's order. A key's own records change only its model; an
  // absorb reads the model of the id it folds in — final once linked (its later records go on to the
  // member as forwards, which are on the stream too) — so that key is modelled first.
  const byKey = new Map<string, { e: Record<string, any>; arrivedOn: string }[]>();
  for (const record of records) {
    let e: Record<string, any>;
    try {
      e = JSON.parse(record.data);
    } catch {
      continue;
    }
    const key = e && typeof e === 'object' ? ownerKey(e) : null;
    if (!key) continue;
    const isCommand = (JOB_COMMANDS.has(e.type) && typeof e.sig === 'string') || IDENTITY_COMMANDS.has(e.type);
    if (!isCommand && !validData.has(record.data)) continue; // poison: quarantined
    const arrivedOn = dayInZone(new Date(record.arrivedAt).toISOString(), opts.timeZone);
    const list = byKey.get(key);
    if (list) list.push({ e, arrivedOn });
    else byKey.set(key, [{ e, arrivedOn }]);
  }
  const models = new Map<string, MemberModel | null>();
  const modelOf = (key: string): MemberModel | null => {
    if (models.has(key)) {
      const done = models.get(key);
      if (done === undefined) throw new Error(`actions oracle: ${key} folds in an id that folds it in`);
      return done;
    }
    models.set(key, undefined as never);
    const m = replay(key, byKey.get(key) ?? []);
    models.set(key, m);
    return m;
  };

  function replay(key: string, list: readonly { e: Record<string, any>; arrivedOn: string }[]): MemberModel | null {
    let m: MemberModel | null = null;
    for (const { e, arrivedOn } of list) {
      // Linked or merged away: a record after that goes on to the member (on the stream as a
      // forward), or is a repeat of the link (absorbed once) or a conflicting one (quarantined).
      if (m?.linkedTo) continue;
      if (JOB_COMMANDS.has(e.type)) {
        // A job command changes the member (its id is remembered) and is judged like any record.
        if (m && !m.visitor) evaluate(key, m, arrivedOn);
        continue;
      }
      if (e.type === 'identity_link') {
        if (!m) m = newModel(key);
        m.linkedTo = e.memberId;
        continue;
      }
      if (e.type === 'member_merge') {
        if (!m || m.visitor) continue; // refused
        for (const id of m.segments) emit(key, `segment_exited|${arrivedOn}|${id}`);
        m.segments = [];
        m.linkedTo = e.into;
        m.mergeId = e.mergeId;
        continue;
      }
      if (e.type === 'identity_absorb') {
        const source = modelOf(e.from);
        if (!m || !source?.linkedTo || (source.linkedTo !== key && !m.identities.has(source.linkedTo))) continue; // refused
        if (!m.identities.has(e.from)) absorb(key, m, e.from, source, e);
        evaluate(key, m, arrivedOn);
        continue;
      }
      if (m?.merged && !m.events.has(e.eventId)) throw new Error(`actions oracle: a record of ${key} after its merge; not modelled`);
      // A behaviour event: its own, or forwarded from an anonymous id (no points) or a member merged into it.
      const forward = e.type === 'identity_forward';
      const event: Record<string, any> = forward ? e.event : e;
      const anonymous = key.startsWith(VISITOR) || (forward && !e.fromMemberId);
      const ledgerKey = forward && e.fromMemberId ? e.fromMemberId : key;
      if (forward && e.fromMemberId) throw new Error(`actions oracle: a merged member's forwarded event for ${key}; not modelled`);
      const day = dayIndex(dayInZone(event.occurredAt, opts.timeZone));
      if (m?.events.has(event.eventId)) {
        evaluate(key, m, arrivedOn); // a repeat: skipped, but its position is recorded
        continue;
      }
      if (event.type === 'refund') {
        // Of an order the person never bought (or before it): quarantined, nothing changes.
        const keys = m ? [key, ...m.identities] : [];
        const orderOf = keys.find((k) => m!.purchases.has(`${k}\u0000${event.orderId}`));
        if (!m || orderOf === undefined) continue;
        m.events.add(event.eventId);
        const refundKey = `${orderOf}\u0000${event.orderId}\u0000${event.refundId ?? event.eventId}`;
        if (!m.refunds.has(refundKey)) {
          m.refunds.add(refundKey);
          // Only a member's own order earned points: its refund may revert its tier.
          if (orderOf === key && m.ref.orders.has(event.orderId)) {
            const before = m.ref.tier;
            const judged = Math.max(day, m.ref.latest ?? day);
            m.ref.apply({ type: 'refund', day, orderId: event.orderId, lines: event.lines ?? [] });
            tierChange(key, before, m.ref.tier, judged);
          }
        }
        evaluate(key, m, arrivedOn);
        continue;
      }
      if (!m) m = newModel(key);
      m.events.add(event.eventId);
      if (m.lastActive === null || day >= m.lastActive - p.activity.lateActivityLimitDays) {
        if (m.lastActive === null || day > m.lastActive) m.lastActive = day;
      }
      if (event.type === 'signup' && event.acquisitionChannel && m.channel === null) {
        m.channel = p.acquisitionChannels.includes(event.acquisitionChannel) ? event.acquisitionChannel : 'other';
      }
      const orderKey = `${ledgerKey}\u0000${event.orderId}`;
      if (event.type === 'purchase' && !m.purchases.has(orderKey)) {
        const lines = (event.lines ?? []).map((l: any) => ({ sku: l.sku, category: l.category ?? '', amountCents: l.amountCents }));
        const earning = p.earning.earningChannels.includes(event.channel ?? '');
        const cents = earning
          ? lines.reduce((s: number, l: any) => s + (p.earning.excludedCategories.includes(l.category) ? 0 : l.amountCents), 0)
          : 0;
        m.purchases.set(orderKey, { day, cents });
        if (anonymous) m.ref.seen(day);
        else {
          const noticeOn = day + p.coins.pendingDays + p.coins.expiryDays - p.coins.expiryNoticeDays;
          if (noticeOn <= dayIndex(opts.coinsJobDay)) throw new Error(`actions oracle: a coin lot of ${key} is due a notice; not modelled`);
          const before = m.ref.tier;
          m.ref.apply({ type: 'purchase', day, orderId: event.orderId, channel: event.channel ?? '', lines });
          tierChange(key, before, m.ref.tier, m.ref.since ?? day);
        }
      } else {
        m.ref.seen(day);
      }
      evaluate(key, m, arrivedOn);
    }
    return m;
  }

  /** Folds `source` (linked to `key`) into `m`: a visitor's activity and orders; a member's points and tier too. */
  function absorb(key: string, m: MemberModel, from: string, source: MemberModel, e: Record<string, any>): void {
    for (const id of source.events) m.events.add(id);
    for (const [orderKey, purchase] of source.purchases) m.purchases.set(orderKey, purchase);
    if (source.lastActive !== null && (m.lastActive === null || source.lastActive > m.lastActive)) m.lastActive = source.lastActive;
    if (source.lastActive !== null) m.ref.seen(source.lastActive);
    if (m.channel === null) m.channel = source.channel;
    m.identities.add(from);
    for (const id of source.identities) m.identities.add(id);
    if (source.visitor) return;
    // An operator merge (docs/rules.md#identity): the higher tier with its dates, then an upgrade as
    // of the merge when the combined qualifying points (judged as a purchase) support more.
    if (m.merged) throw new Error(`actions oracle: ${key} merged twice; not modelled`);
    const before = tierOf(m);
    let tier = before;
    if (source.ref.tier > tier) {
      tierChange(key, tier, source.ref.tier, source.ref.since!);
      tier = source.ref.tier;
    }
    const mergedOn = dayIndex(dayInZone(e.occurredAt, opts.timeZone));
    const judged = Math.max(mergedOn, m.ref.latest ?? mergedOn, source.ref.latest ?? mergedOn);
    const supported = m.ref.supported(m.ref.qualifyingOn(judged) + source.ref.qualifyingOn(judged));
    if (supported > tier) {
      tierChange(key, tier, supported, judged);
      tier = supported;
    }
    m.merged = { tier, lifetimePoints: m.ref.lifetimePoints() + source.ref.lifetimePoints() };
    const details = { fromMemberId: from, mergeId: source.mergeId, tier: TIER_IDS[tier], lifetimePoints: m.merged.lifetimePoints };
    emit(key, actionKey({ type: 'member_merged', day: dayOfIndex(mergedOn), details }));
  }

  for (const key of byKey.keys()) modelOf(key);
  for (const list of out.values()) list.sort();
  return out;
}
