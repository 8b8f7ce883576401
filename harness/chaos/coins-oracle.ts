// Coins per member from the plain reference ledger (harness/reference/coins-reference.ts), fed with
// the member's events in arrival order (the same exactly-once rules as points-oracle.ts) and the
// till's redemptions and reversals placed where they really happened among those events: each
// operation item records the last stream record its member had applied (`place.after`) and the
// member version it wrote (`place.v`), which the run maps to a count of the member's arrivals.
// Coins per purchase follow the tier before the purchase (from the points reference, applied in
// the same order). Shares no code with shared/.
import { dayInZone, type OracleEvent } from '../oracle/activity-oracle';
import { CoinsReference, REF_COINS_DEFAULT, type RefEntry, type RefTotals } from '../reference/coins-reference';
import { PointsReference, REF_DEFAULT } from '../reference/points-reference';
import { dayIndex, dayOfIndex } from './points-oracle';

/** Coins per yuan by tier index (member, silver, gold, platinum). */
const RATES = [1, 2, 3, 5];

/** One till operation as the run observed it and placed it. */
export interface TillOp {
  kind: 'redeem' | 'reverse';
  redemptionId: string;
  /** Coins asked for (redeem). */
  coins: number;
  day: number;
  /** How many of the member's arrivals (valid events, in arrival order, repeats included) came before it. */
  afterArrivals: number;
  /** The member version its write created (orders operations placed after the same arrival). */
  v: number;
  /** The balance the API answered (redeem). */
  answer?: { available: number; pending: number; debt: number };
}

export interface CoinsView {
  available: number;
  pending: number;
  debt: number;
  nextExpiry: { day: string; coins: number } | null;
}

export interface CoinsOracle {
  /** The member's coins by the calendar of `day` (as GET /members/{id}?asOf=day answers). */
  member(memberId: string, day: number): CoinsView;
  totals(memberId: string): RefTotals;
  /** The member's movements by the reference, in the order they happened (coins-reference.ts RefEntry). */
  ledger(memberId: string): RefEntry[];
  /** Operations the reference refused (an overdraft) or answered differently, as messages. */
  problems(memberId: string): string[];
  memberIds(): string[];
}

export function buildCoinsOracle(
  arrivals: readonly OracleEvent[],
  ops: ReadonlyMap<string, readonly TillOp[]>,
  timeZone: string,
  today: number,
  /** The lots' numbering (see CoinsReference); by default the order they are made in. */
  lotFor?: (kind: 'order' | 'adjustment', id: string) => number,
): CoinsOracle {
  const byMember = new Map<string, OracleEvent[]>();
  for (const e of arrivals) {
    // An event under an anonymous id only earns nothing (docs/rules.md#identity).
    if (!e.memberId) continue;
    let list = byMember.get(e.memberId);
    if (!list) byMember.set(e.memberId, (list = []));
    list.push(e);
  }
  const models = new Map<string, { coins: CoinsReference; problems: string[] }>();

  const modelFor = (memberId: string) => {
    const known = models.get(memberId);
    if (known) return known;
    const points = new PointsReference(REF_DEFAULT, 0);
    const coins = new CoinsReference(REF_COINS_DEFAULT, lotFor);
    const problems: string[] = [];
    const seen = new Set<string>();
    const orders = new Set<string>();
    const refunds = new Set<string>();
    const events = byMember.get(memberId) ?? [];
    const tillOps = [...(ops.get(memberId) ?? [])].sort((a, b) => a.afterArrivals - b.afterArrivals || a.v - b.v);
    let next = 0;
    const applyOps = (applied: number) => {
      while (next < tillOps.length && tillOps[next].afterArrivals <= applied) {
        const op = tillOps[next++];
        if (op.kind === 'reverse') {
          if (!coins.reverse(op.redemptionId, op.day))
            problems.push(`reversal of ${op.redemptionId}: the reference knows no such redemption`);
          continue;
        }
        const outcome = coins.redeem(op.redemptionId, op.day, op.coins, null);
        if (outcome !== 201) problems.push(`redemption ${op.redemptionId} of ${op.coins}: the reference says ${outcome}`);
        else if (op.answer) {
          const ref = coins.answerOf(op.redemptionId)!;
          if (ref.available !== op.answer.available || ref.pending !== op.answer.pending || ref.debt !== op.answer.debt)
            problems.push(`redemption ${op.redemptionId}: answered ${JSON.stringify(op.answer)}, the reference ${JSON.stringify(ref)}`);
        }
      }
    };
    applyOps(0);
    events.forEach((e, i) => {
      if (!seen.has(e.eventId)) {
        seen.add(e.eventId);
        const day = dayIndex(dayInZone(e.occurredAt, timeZone));
        if (e.type === 'purchase' && !orders.has(e.orderId!)) {
          orders.add(e.orderId!);
          const lines = (e.lines ?? []).map((l) => ({ sku: l.sku, category: l.category ?? '', amountCents: l.amountCents }));
          const channel = e.channel ?? '';
          const earned = PointsReference.earn(channel, lines);
          let eligible = 0;
          if (earned > 0) for (const l of lines) if (l.category !== 'gift_card') eligible += l.amountCents;
          const rate = RATES[points.tier] ?? 0;
          const got = earned > 0 ? Math.floor((eligible * rate + 50) / 100) : 0;
          points.apply({ type: 'purchase', day, orderId: e.orderId!, channel, lines });
          // A purchase without coins does not touch the coin ledger (nor move its clock).
          if (got > 0) coins.purchase(e.orderId!, day, got, eligible);
        } else if (e.type === 'refund' && orders.has(e.orderId!)) {
          const refundKey = `${e.orderId}\u0000${e.refundId ?? e.eventId}`;
          if (!refunds.has(refundKey)) {
            refunds.add(refundKey);
            const lines = (e.lines ?? []).map((l) => ({ sku: l.sku, amountCents: l.amountCents }));
            const skus = points.orders.get(e.orderId!)?.eligibleSkus ?? [];
            let refunded = 0;
            for (const l of lines) if (skus.includes(l.sku)) refunded += l.amountCents;
            points.apply({ type: 'refund', day, orderId: e.orderId!, lines });
            coins.refund(e.orderId!, e.refundId ?? e.eventId, day, refunded);
          }
        }
      }
      applyOps(i + 1);
    });
    applyOps(Number.MAX_SAFE_INTEGER);
    coins.at(today);
    const model = { coins, problems };
    models.set(memberId, model);
    return model;
  };

  return {
    member(memberId, day) {
      const { coins } = modelFor(memberId);
      let available = 0;
      let pending = 0;
      let next: { day: number; coins: number } | null = null;
      for (const lot of coins.lots) {
        if (lot.left === 0 || lot.expiresOn <= day) continue;
        if (lot.availableOn <= day) available += lot.left;
        else pending += lot.left;
        if (!next || lot.expiresOn < next.day) next = { day: lot.expiresOn, coins: lot.left };
        else if (lot.expiresOn === next.day) next.coins += lot.left;
      }
      return { available, pending, debt: coins.debt, nextExpiry: next ? { day: dayOfIndex(next.day), coins: next.coins } : null };
    },
    totals: (memberId) => ({ ...modelFor(memberId).coins.totals }),
    ledger: (memberId) => [...modelFor(memberId).coins.ledger],
    problems: (memberId) => modelFor(memberId).problems,
    memberIds: () => [...new Set([...byMember.keys(), ...ops.keys()])].sort(),
  };
}
