// Points and tiers per member from the plain reference model (harness/reference/points-reference.ts),
// fed with the events in arrival order the way docs/events.md#exactly-once defines repeats: an eventId applies
// once per member, a purchase once per (member, orderId) and a refund once per (member, orderId,
// refundId — default its eventId), forever. A refund of an order the member never bought is
// quarantined, so it is left out. Shares no code with shared/ (days via the activity oracle's Intl
// helpers). No daily review runs in the chaos month, so there are no `review` steps.
import { dayInZone, type OracleEvent } from '../oracle/activity-oracle';
import { PointsReference, REF_DEFAULT } from '../reference/points-reference';

const MS_PER_DAY = 86_400_000;
const TIER_IDS = ['member', 'silver', 'gold', 'platinum'];

/** Calendar day 'YYYY-MM-DD' → days since 1970-01-01. */
export function dayIndex(day: string): number {
  const [y, m, d] = day.split('-').map(Number);
  return Math.round(Date.UTC(y, m - 1, d) / MS_PER_DAY);
}

export function dayOfIndex(n: number): string {
  return new Date(n * MS_PER_DAY).toISOString().slice(0, 10);
}

export interface PointsView {
  tier: string;
  tierSince: string | null;
  tierReviewOn: string | null;
  lifetimePoints: number;
  qualifyingPoints: number;
}

export interface PointsOracle {
  member(memberId: string, joinedOn: string, asOf: string): PointsView;
  /**
   * Refunds that arrived before their order (a replay from the bucket put the purchase after them),
   * every copy, a member's or an anonymous id's: quarantined as unknown_order.
   */
  unknownOrderRefunds: number;
  /** Whether a refund (member, order, `refundId` else `eventId`) was applied. */
  appliedRefund(memberId: string, orderId: string, refundId: string): boolean;
  /**
   * A member `into` with `from` merged into it by an operator on day `judged` after both histories
   * (docs/api.md#identity-merging-members, as the contract states it): points add up; the tier is
   * the higher of the two, with its own dates; the combined qualifying points on `judged` may
   * support more (an upgrade that day).
   */
  merged(
    into: { memberId: string; joinedOn: string },
    from: { memberId: string; joinedOn: string },
    judged: string,
    asOf: string,
  ): PointsView;
}

type Step =
  | { kind: 'purchase'; day: number; orderId: string; channel: string; lines: { sku: string; category: string; amountCents: number }[] }
  | { kind: 'refund'; day: number; orderId: string; lines: { sku: string; amountCents: number }[] }
  /** Any other non-refund event (a repeated order too): the member has seen its day. */
  | { kind: 'seen'; day: number };

const refundKeyOf = (memberId: string, orderId: string, refundId: string) => `${memberId}\u0000${orderId}\u0000${refundId}`;

export function buildPointsOracle(events: readonly OracleEvent[], timeZone: string): PointsOracle {
  const steps = new Map<string, Step[]>();
  const seenEvents = new Set<string>();
  const orders = new Set<string>();
  const refunds = new Set<string>();
  /** An anonymous id's orders: its refunds need them too (the simulator keeps a refund under its order's id). */
  const anonymousOrders = new Set<string>();
  let unknownOrderRefunds = 0;
  for (const e of events) {
    const key = `${e.memberId}\u0000${e.eventId}`;
    if (seenEvents.has(key)) continue;
    // A refund before its order is quarantined and not remembered: a later copy is judged afresh.
    if (e.type === 'refund' && !(e.memberId ? orders : anonymousOrders).has(`${e.memberId ?? e.anonymousId}\u0000${e.orderId}`)) {
      unknownOrderRefunds++;
      continue;
    }
    seenEvents.add(key);
    // Anonymous events are the person's, not a member's (docs/rules.md#identity).
    if (!e.memberId) {
      if (e.type === 'purchase') anonymousOrders.add(`${e.anonymousId}\u0000${e.orderId}`);
      continue;
    }
    const day = dayIndex(dayInZone(e.occurredAt, timeZone));
    let list = steps.get(e.memberId);
    if (!list) steps.set(e.memberId, (list = []));
    if (e.type !== 'purchase' && e.type !== 'refund') {
      list.push({ kind: 'seen', day });
      continue;
    }
    const orderKey = `${e.memberId}\u0000${e.orderId}`;
    if (e.type === 'purchase') {
      if (orders.has(orderKey)) {
        list.push({ kind: 'seen', day });
        continue;
      }
      orders.add(orderKey);
      list.push({
        kind: 'purchase',
        day,
        orderId: e.orderId!,
        channel: e.channel ?? '',
        lines: (e.lines ?? []).map((l) => ({ sku: l.sku, category: l.category ?? '', amountCents: l.amountCents })),
      });
    } else {
      const refundKey = refundKeyOf(e.memberId, e.orderId!, e.refundId ?? e.eventId);
      if (refunds.has(refundKey)) continue;
      refunds.add(refundKey);
      list.push({
        kind: 'refund',
        day,
        orderId: e.orderId!,
        lines: (e.lines ?? []).map((l) => ({ sku: l.sku, amountCents: l.amountCents })),
      });
    }
  }

  const models = new Map<string, PointsReference>();
  const modelFor = (memberId: string, joinedOn: string): PointsReference => {
    let ref = models.get(memberId);
    if (ref) return ref;
    ref = new PointsReference(REF_DEFAULT, dayIndex(joinedOn));
    for (const s of steps.get(memberId) ?? []) {
      if (s.kind === 'seen') ref.seen(s.day);
      else if (s.kind === 'purchase') ref.apply({ type: 'purchase', day: s.day, orderId: s.orderId, channel: s.channel, lines: s.lines });
      else ref.apply({ type: 'refund', day: s.day, orderId: s.orderId, lines: s.lines });
    }
    models.set(memberId, ref);
    return ref;
  };

  return {
    unknownOrderRefunds,
    appliedRefund: (memberId, orderId, refundId) => refunds.has(refundKeyOf(memberId, orderId, refundId)),
    member(memberId, joinedOn, asOf) {
      const ref = modelFor(memberId, joinedOn);
      return {
        tier: TIER_IDS[ref.tier],
        tierSince: ref.since === null ? null : dayOfIndex(ref.since),
        tierReviewOn: ref.reviewOn === null ? null : dayOfIndex(ref.reviewOn),
        lifetimePoints: ref.lifetimePoints(),
        qualifyingPoints: ref.qualifyingOn(dayIndex(asOf)),
      };
    },
    merged(into, from, judgedDay, asOf) {
      const k = modelFor(into.memberId, into.joinedOn);
      const g = modelFor(from.memberId, from.joinedOn);
      let tier = { tier: k.tier, since: k.since, reviewOn: k.reviewOn };
      if (g.tier > k.tier) tier = { tier: g.tier, since: g.since, reviewOn: g.reviewOn };
      const judged = dayIndex(judgedDay);
      const supported = k.supported(k.qualifyingOn(judged) + g.qualifyingOn(judged));
      if (supported > tier.tier) tier = { tier: supported, since: judged, reviewOn: judged + k.config.reviewDays };
      const at = dayIndex(asOf);
      return {
        tier: TIER_IDS[tier.tier],
        tierSince: tier.since === null ? null : dayOfIndex(tier.since),
        tierReviewOn: tier.reviewOn === null ? null : dayOfIndex(tier.reviewOn),
        lifetimePoints: k.lifetimePoints() + g.lifetimePoints(),
        qualifyingPoints: k.qualifyingOn(at) + g.qualifyingOn(at),
      };
    },
  };
}
