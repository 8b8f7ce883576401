// The reducer's port to the per-order earn records (LedgerTable in production, a Map in tests).
import type { BookedMove } from '../coins/outbox';
import type { TierChange } from '../points/tiers';

export interface Claim {
  eventId: string;
  shardId: string;
  seq: string;
  /**
   * Whether a member write applied the claim: written false with the claim and set true in the
   * same transaction as the member write that applies it (MemberPort.put). Undefined on claims
   * stored before the flag existed.
   */
  applied?: boolean;
}

/** A purchase claim (no refundId) or a refund claim that a member write applies. */
export interface AppliedClaim {
  /** The ledger partition the claim is on, when not the member's own (a linked visitor's order). */
  ledgerKey?: string;
  orderId: string;
  refundId?: string;
}

/** The key of a claim within one member write. */
export const claimKey = (claim: AppliedClaim) => [claim.ledgerKey ?? '', claim.orderId, claim.refundId ?? ''].join('\u0000');

export interface OrderRecord {
  orderId: string;
  day: number;
  points: number;
  eligibleCents: number;
  eligibleSkus: string[];
  revokedPoints: number;
  /** Coins the order earned (fixed when it is claimed: the tier rate before its own points). */
  coins: number;
  /** Coins revoked from the order by its refunds so far. */
  revokedCoins: number;
  claim: Claim;
  refunds: Record<string, RefundClaim>;
  /**
   * Set on an order of a member's outbox that is on the ledger already: it rides on the write only
   * for its refunds new in this write (all but these, which the ledger has); shared/member/orders-outbox.ts.
   */
  ledgerRefunds?: readonly string[];
}

export type RefundClaim = Claim & {
  revokedPoints: number;
  revokedCoins: number;
  /**
   * Stored from an orders outbox after the order item (its own item only): not in the item's
   * running total, which the claim protocol's guard compares (LedgerPort.claimRefund).
   */
  afterOrder?: boolean;
};

/** The refunds an outbox order carries that the ledger has not got yet (all of them, unless `ledgerRefunds` names some). */
export function newRefunds(order: OrderRecord): [string, RefundClaim][] {
  const entries = Object.entries(order.refunds);
  const onLedger = order.ledgerRefunds;
  return onLedger?.length ? entries.filter(([id]) => !onLedger.includes(id)) : entries;
}

/** The part of an order's revoked points its own item's running total holds (the claim guard's base). */
export const itemRevokedPoints = (order: OrderRecord) =>
  Object.values(order.refunds).reduce((sum, r) => (r.afterOrder ? sum - r.revokedPoints : sum), order.revokedPoints);

/** A member's orders outbox, to be stored on the ledger. */
export interface MemberOrders {
  memberId: string;
  orders: readonly OrderRecord[];
}

/** Where per-order earn records live (a DynamoDB table in production, a Map in tests). */
export interface LedgerPort {
  /**
   * Stores the order unless one with its id exists; returns the stored record either way. (Orders
   * a member write applied under a merged member's key; the member's own orders come from its
   * orders outbox instead: `storeOrders`, shared/member/orders-outbox.ts.)
   */
  claimPurchase(memberId: string, order: OrderRecord): Promise<OrderRecord>;
  /**
   * Stores each order a committed member write applied (its claim and its refunds applied), with
   * the refunds it carries, unless an item with its key exists (a repeat keeps what is stored).
   * The outboxes of many members at once: the adapter reads which are stored in one request per
   * 100 orders, not one per member (before a batch is reduced they usually all are).
   */
  storeOrders(outboxes: readonly MemberOrders[]): Promise<void>;
  /**
   * The same for the orders a member write has just committed: each was on neither the ledger nor
   * the member's outbox when the write was reduced, so the adapter puts without reading first (a
   * put that finds an item still keeps it).
   */
  storeNewOrders(memberId: string, orders: readonly OrderRecord[]): Promise<void>;
  getOrder(memberId: string, orderId: string): Promise<OrderRecord | null>;
  /**
   * Records a refund unless its refundId is already on the order, if no other refund was recorded
   * since the order was read as `expected` (its revocation was computed from that). Returns the
   * stored order either way.
   */
  claimRefund(memberId: string, orderId: string, refundId: string, refund: RefundClaim, expected: OrderRecord): Promise<OrderRecord>;
  /** Appends tier changes to the member's history (keyed by content, so a retry rewrites the same entries). */
  recordTierChanges(memberId: string, changes: readonly TierChange[]): Promise<void>;
  tierHistory(memberId: string): Promise<TierChange[]>;
  /** Stores a batch's booked coin movements under `key` (a retry rewrites the same item). */
  putCoinMoves(memberId: string, key: string, moves: readonly BookedMove[]): Promise<void>;
  /** Whether the movements under `key` are stored. */
  hasCoinMoves(memberId: string, key: string): Promise<boolean>;
}
