/**
 * Tier points (会员力): what a purchase earns and what a refund revokes (docs/rules.md#tier-points).
 * Integers only: money in cents, points whole; every rounding is exact integer arithmetic.
 */
import type { Program } from '../programme/vocabulary';

export interface PurchaseLine {
  sku: string;
  category: string;
  /** The line's total after discounts, in cents (an integer ≥ 0). */
  amountCents: number;
}

export interface PurchaseInput {
  channel: string;
  lines: readonly PurchaseLine[];
  /** Ignored: shipping never earns. Accepted so a purchase event can be passed as is. */
  shippingCents?: number;
}

export interface PurchaseEarn {
  points: number;
  /** Sum of the eligible lines' amounts (0 on a non-earning channel). */
  eligibleCents: number;
  /** Distinct skus of the eligible lines, in line order: what a refund line must name to count. */
  eligibleSkus: string[];
}

export interface OrderEarnRecord {
  /** Points the order earned. */
  points: number;
  eligibleCents: number;
  eligibleSkus: readonly string[];
  /** Points already revoked from this order by earlier refunds. */
  revokedPoints: number;
}

export interface RefundLine {
  sku: string;
  amountCents: number;
}

export interface RefundRevocation {
  /** Points this refund revokes (≥ 0; the order's total revoked never exceeds its points). */
  revokedPoints: number;
  /** Sum of the refunded lines whose sku was an eligible line of the order. */
  refundedEligibleCents: number;
}

function checkCents(v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be a non-negative integer, got ${v}`);
}

/** `round_half_up(a / b)` for integers a ≥ 0, b > 0, exactly (BigInt when a could lose precision). */
export function divRoundHalfUp(a: number, b: number): number {
  if (b <= 0) throw new RangeError('divisor must be positive');
  const n = 2 * a + b;
  if (Number.isSafeInteger(n) && Number.isSafeInteger(2 * b)) return (n - (n % (2 * b))) / (2 * b);
  return Number((2n * BigInt(a) + BigInt(b)) / (2n * BigInt(b)));
}

function mulDivRoundHalfUp(a: number, b: number, c: number): number {
  const ab = a * b;
  if (Number.isSafeInteger(ab)) return divRoundHalfUp(ab, c);
  return Number((2n * BigInt(a) * BigInt(b) + BigInt(c)) / (2n * BigInt(c)));
}

/**
 * Points of a purchase. Only the programme's earning channels earn (default store, app,
 * mini_program); lines of an excluded category (default gift_card) are not eligible; shipping
 * never counts. Points = 0 when eligibleCents < minimumEligibleCents, else
 * round_half_up(eligibleCents × pointsPerYuan / 100) — with the defaults
 * `floor((eligibleCents + 50) / 100)`.
 */
export function purchasePoints(program: Program, purchase: PurchaseInput): PurchaseEarn {
  const { earning } = program;
  if (!(earning.earningChannels as readonly string[]).includes(purchase.channel)) {
    return { points: 0, eligibleCents: 0, eligibleSkus: [] };
  }
  const excluded = earning.excludedCategories;
  let eligibleCents = 0;
  const eligibleSkus: string[] = [];
  const seen = new Set<string>();
  for (const line of purchase.lines) {
    checkCents(line.amountCents, 'amountCents');
    if (excluded.includes(line.category)) continue;
    eligibleCents += line.amountCents;
    if (!seen.has(line.sku)) {
      seen.add(line.sku);
      eligibleSkus.push(line.sku);
    }
  }
  checkCents(eligibleCents, 'eligibleCents');
  const points = eligibleCents < earning.minimumEligibleCents ? 0 : mulDivRoundHalfUp(eligibleCents, earning.pointsPerYuan, 100);
  return { points, eligibleCents, eligibleSkus };
}

/**
 * Points one refund revokes from its order:
 * `round_half_up(order.points × refundedEligibleCents / order.eligibleCents)`, computed exactly,
 * then capped at what the order still holds (`order.points − order.revokedPoints`): the rounding
 * of several partial refunds may add up to more than the order earned, the cap keeps the total
 * revoked ≤ the order's points. 0 when the order had no eligible cents. The caller adds the result
 * to `order.revokedPoints`.
 */
export function refundRevocation(order: OrderEarnRecord, refundLines: readonly RefundLine[]): RefundRevocation {
  const eligible = order.eligibleSkus.length > 8 ? new Set(order.eligibleSkus) : null;
  let refundedEligibleCents = 0;
  for (const line of refundLines) {
    checkCents(line.amountCents, 'amountCents');
    if (eligible ? eligible.has(line.sku) : order.eligibleSkus.includes(line.sku)) {
      refundedEligibleCents += line.amountCents;
    }
  }
  checkCents(refundedEligibleCents, 'refundedEligibleCents');
  if (order.eligibleCents <= 0 || order.points <= 0 || refundedEligibleCents === 0) {
    return { revokedPoints: 0, refundedEligibleCents };
  }
  const raw = mulDivRoundHalfUp(order.points, refundedEligibleCents, order.eligibleCents);
  const remaining = Math.max(0, order.points - Math.max(0, order.revokedPoints));
  return { revokedPoints: Math.min(raw, remaining), refundedEligibleCents };
}
