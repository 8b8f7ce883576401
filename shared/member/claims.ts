// Whether a ledger claim is part of the member yet. The ledger makes a purchase once per order and a
// refund once per refund; the member write that applies a claim flags it in the same transaction, so
// a later delivery of the same event (a retry, or a replay at a new position) finishes what the
// claiming attempt started, and never applies it twice.
import { refundCoins } from '../coins/earning';
import type { RefundEvent } from '../events/events';
import { refundRevocation } from '../points/points';
import { compareSeq, type StreamPosition } from '../stream/position';
import { claimKey, type AppliedClaim, type Claim, type LedgerPort, type OrderRecord } from './ledger';
import type { MemberState } from './state';

/** The claims of the member write being built: those applied so far, and how to add one. */
export interface RunClaims {
  run: ReadonlySet<string>;
  apply(claim: AppliedClaim): void;
}

/**
 * Whether a member write applied the claim. The flag is set in the same transaction as the member
 * write that applies the claim, so "not applied" is certain: the claiming attempt never wrote the
 * member, and a later delivery of the same event — a retry at the same position, or a replay from
 * the failed-batches bucket at a new one — finishes what it started. Claims made earlier in this
 * run (`run`) are applied to the state being built.
 */
export function claimApplied(state: MemberState, claim: Claim, key: string, run: ReadonlySet<string>): boolean {
  if (run.has(key)) return true;
  if (claim.applied !== undefined) return claim.applied;
  // A claim stored before the flag: applied when a later write moved the high-water mark past it;
  // one from another shard (after resharding) is taken as applied: at most once, never twice.
  if (!state.highWater) return false;
  if (state.highWater.shardId !== claim.shardId) return true;
  return compareSeq(state.highWater.seq, claim.seq) >= 0;
}

/** The order's purchase is part of the member (a refund of it can apply). */
export function purchaseApplied(
  order: OrderRecord,
  ledgerKey: string | undefined,
  position: StreamPosition,
  run: ReadonlySet<string>,
): boolean {
  if (run.has(claimKey({ ledgerKey, orderId: order.orderId }))) return true;
  if (order.claim.applied !== undefined) return order.claim.applied;
  // Before the flag: an order first claimed by a later record was unknown when this refund arrived.
  return !(order.claim.shardId === position.shardId && compareSeq(order.claim.seq, position.seq) > 0);
}

/** Computes a refund's revocation from the order as stored and records it on the ledger once. */
export async function claimRefundOnce(
  ledger: LedgerPort,
  memberId: string,
  event: RefundEvent,
  order: OrderRecord,
  position: StreamPosition,
): Promise<OrderRecord> {
  const refundId = event.refundId ?? event.eventId;
  if (order.refunds[refundId]) return order;
  const { revokedPoints, refundedEligibleCents } = refundRevocation(order, event.lines);
  const revokedCoins = refundCoins(
    { coins: order.coins, eligibleCents: order.eligibleCents, revokedCoins: order.revokedCoins },
    refundedEligibleCents,
  );
  return ledger.claimRefund(
    memberId,
    order.orderId,
    refundId,
    { eventId: event.eventId, shardId: position.shardId, seq: position.seq, applied: false, revokedPoints, revokedCoins },
    order,
  );
}

/**
 * Records a refund on an order still in the member's orders outbox (shared/member/orders-outbox.ts):
 * its revocation computed as `claimRefundOnce` computes it, the order's running totals moved, all
 * stored with the order. False when the refund is on the order already (a repeat: nothing to apply).
 */
export function recordOutboxRefund(order: OrderRecord, event: RefundEvent, position: StreamPosition): boolean {
  const refundId = event.refundId ?? event.eventId;
  if (order.refunds[refundId]) return false;
  const { revokedPoints, refundedEligibleCents } = refundRevocation(order, event.lines);
  const revokedCoins = refundCoins(
    { coins: order.coins, eligibleCents: order.eligibleCents, revokedCoins: order.revokedCoins },
    refundedEligibleCents,
  );
  order.refunds[refundId] = {
    eventId: event.eventId,
    shardId: position.shardId,
    seq: position.seq,
    applied: true,
    revokedPoints,
    revokedCoins,
  };
  order.revokedPoints += revokedPoints;
  order.revokedCoins += revokedCoins;
  return true;
}
