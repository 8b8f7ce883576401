// A purchase or a refund applied to the member, once per ledger claim: revenue and paying-day
// counters, the points history, RFM purchase stats, coins and the tier (docs/rules.md#points).
import { C } from '../metrics/catalogue';
import { bump } from '../metrics/contribution';
import { earnRate } from '../coins/programme';
import { purchaseCoins } from '../coins/earning';
import { earnCoins, revokeCoins, type CoinEntry } from '../coins/ledger';
import { lotNumber } from '../coins/lots';
import type { PurchaseEvent, RefundEvent } from '../events/events';
import { purchasePoints } from '../points/points';
import { applyEarn, applyRefundRevert, type PointsEntry, type TierChange } from '../points/tiers';
import type { Program } from '../programme/vocabulary';
import type { StreamPosition } from '../stream/position';
import { hashHex } from '../util/hash';
import { claimApplied, type RunClaims } from './claims';
import { claimKey, type LedgerPort, type OrderRecord } from './ledger';
import type { MemberState, PurchaseStat } from './state';

/**
 * The day an upgrade or a refund revert is judged on: the later of the event's day and the latest
 * day the member has seen (its last active day). A purchase dated before one already applied
 * still counts towards the tier the member holds now; a refund dated before a later purchase does
 * not revert a tier that purchase's points still support (docs/rules.md#tiers).
 */
function judgedOn(state: MemberState, day: number): number {
  return Math.max(day, state.activity.lastActiveOn ?? day);
}

function addHistory(history: PointsEntry[], day: number, points: number): boolean {
  const at = history.findIndex((entry) => entry.day >= day);
  if (at >= 0 && history[at].day === day) {
    history[at] = { day, points: history[at].points + points };
    return false;
  }
  if (at < 0) history.push({ day, points });
  else history.splice(at, 0, { day, points });
  return true;
}

function addPurchaseStat(purchases: PurchaseStat[], day: number, cents: number): void {
  // Entries are replaced, never changed in place: the reducer's copy of a member shares them.
  const i = purchases.findIndex((p) => p.day === day);
  if (i >= 0) {
    const found = purchases[i];
    purchases[i] = { ...found, orders: found.orders + 1, cents: found.cents + cents };
    return;
  }
  const at = purchases.findIndex((p) => p.day > day);
  purchases.splice(at < 0 ? purchases.length : at, 0, { day, orders: 1, cents });
}

/** Keeps history entries that can still count towards a qualification window. */
export function pruneHistory(state: MemberState, program: Program): void {
  const latest = Math.max(state.activity.lastActiveOn ?? 0, ...state.history.slice(-1).map((e) => e.day));
  const floor = latest - program.qualificationWindowDays - program.activity.lateActivityLimitDays;
  if (state.history.length && state.history[0].day < floor) state.history = state.history.filter((e) => e.day >= floor);
  if (state.purchases.length && state.purchases[0].day < floor) state.purchases = state.purchases.filter((p) => p.day >= floor);
}

export async function applyPurchase(
  state: MemberState,
  event: PurchaseEvent,
  day: number,
  position: StreamPosition,
  ledger: LedgerPort,
  program: Program,
  tierChanges: TierChange[],
  coinEntries: CoinEntry[],
  anonymous: boolean,
  claims: RunClaims,
  /** The ledger key of a merged member's forwarded purchase: once per (that member, orderId), forever. */
  ledgerKey?: string,
  /** The ledger key of the linked anonymous id a purchase was forwarded from: its orders before the link. */
  visitorLedgerKey?: string,
): Promise<void> {
  // An anonymous purchase is the person's order (revenue, paying, RFM) but earns nothing.
  const earned = anonymous ? { ...purchasePoints(program, event), points: 0 } : purchasePoints(program, event);
  // Coins by the tier at the moment the purchase is applied, before its own points.
  const coins = anonymous
    ? 0
    : purchaseCoins(earned.eligibleCents, earned.points, earnRate(program.coins, program.tiers[state.tier.tier].id));
  const order: OrderRecord = {
    orderId: event.orderId,
    day,
    points: earned.points,
    eligibleCents: earned.eligibleCents,
    eligibleSkus: earned.eligibleSkus,
    revokedPoints: 0,
    coins,
    revokedCoins: 0,
    claim: { eventId: event.eventId, shardId: position.shardId, seq: position.seq, applied: false },
    refunds: {},
  };
  let stored: OrderRecord;
  if (ledgerKey === undefined) {
    // The member's own order: new unless this write or the ledger has it (shared/member/orders-outbox.ts).
    if (state.ordersOut?.some((o) => o.orderId === event.orderId)) return;
    // A repeat (a re-confirmed copy, a replay) of an order the anonymous id made before its link:
    // the id applied it (stored from its outbox), and the fold counted it as the person's.
    if (visitorLedgerKey !== undefined) {
      const made = await ledger.getOrder(visitorLedgerKey, event.orderId);
      if (made && made.claim.applied !== false) return;
    }
    const found = await ledger.getOrder(state.memberId, event.orderId);
    if (found) {
      // Stored from an outbox (applied), or claimed by the older protocol: applied unless its
      // flag says a member write never applied this event's claim.
      if (found.claim.eventId !== event.eventId || claimApplied(state, found.claim, claimKey({ orderId: event.orderId }), claims.run))
        return;
      claims.apply({ orderId: event.orderId });
      stored = found;
    } else {
      stored = { ...order, claim: { ...order.claim, applied: true } };
      state.ordersOut = [...(state.ordersOut ?? []), stored];
    }
  } else {
    // A merged member's forwarded purchase: claimed on that member's key, marked applied with the write.
    stored = await ledger.claimPurchase(ledgerKey, order);
    // Another event claimed this order (a repeated order), or a member write applied this event's
    // claim already. Otherwise this event claimed it — now, or in an attempt that never wrote the
    // member, at this position or another (a replay from the failed-batches bucket): apply it.
    const key = { ledgerKey, orderId: event.orderId };
    if (stored.claim.eventId !== event.eventId || claimApplied(state, stored.claim, claimKey(key), claims.run)) return;
    claims.apply(key);
  }
  const revenue = event.lines.reduce((sum, line) => sum + line.amountCents, 0);
  bump(state.contribution, day, C.orders);
  bump(state.contribution, day, C.revenueCents, revenue);
  if (addHistory(state.history, day, stored.points)) bump(state.contribution, day, C.payingMembers);
  addPurchaseStat(state.purchases, day, stored.eligibleCents);
  state.lifetimePoints += stored.points;
  if (stored.coins > 0) {
    const step = earnCoins(
      state.coins,
      { orderId: event.orderId, day, coins: stored.coins, lot: lotNumber('order', event.orderId) },
      program.coins,
    );
    state.coins = step.state;
    coinEntries.push(...step.entries);
  }
  if (stored.points > 0) {
    const result = applyEarn(program, state.tier, state.history, judgedOn(state, day), hashHex(event.orderId));
    state.tier = result.state;
    if (result.change) tierChanges.push(result.change);
  }
}

export function applyRefund(
  state: MemberState,
  event: RefundEvent,
  before: OrderRecord,
  day: number,
  after: OrderRecord,
  ledgerKey: string | undefined,
  program: Program,
  tierChanges: TierChange[],
  coinEntries: CoinEntry[],
  claims: RunClaims,
  /** The order is in this write's outbox and the refund was recorded on it just now (recordOutboxRefund). */
  inOutbox = false,
): void {
  const refundId = event.refundId ?? event.eventId;
  const stored = after.refunds[refundId];
  const key = { ledgerKey, orderId: event.orderId, refundId };
  if (!inOutbox) {
    if (!stored || stored.eventId !== event.eventId || claimApplied(state, stored, claimKey(key), claims.run)) return;
    claims.apply(key);
  }
  if (stored.revokedCoins > 0) {
    const step = revokeCoins(
      state.coins,
      { orderId: event.orderId, refundId, day, coins: stored.revokedCoins, lot: lotNumber('order', event.orderId) },
      program.coins,
    );
    state.coins = step.state;
    coinEntries.push(...step.entries);
  }
  const revoked = stored.revokedPoints;
  if (revoked === 0) return;
  state.lifetimePoints -= revoked;
  const i = state.history.findIndex((e) => e.day === before.day);
  if (i >= 0) state.history[i] = { ...state.history[i], points: state.history[i].points - revoked };
  const result = applyRefundRevert(program, state.tier, state.history, judgedOn(state, day), hashHex(event.orderId));
  state.tier = result.state;
  if (result.change) tierChanges.push(result.change);
}
