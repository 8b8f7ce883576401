/**
 * How many coins a purchase earns and a refund revokes (docs/rules.md#coins). Integer arithmetic only.
 */

/** `round_half_up(a × b / c)` for non-negative integers a, b and positive c, exactly. */
export function mulDivHalfUp(a: number, b: number, c: number): number {
  if (c <= 0) throw new RangeError('divisor must be positive');
  const n = 2 * a * b + c;
  if (Number.isSafeInteger(n) && Number.isSafeInteger(2 * c)) return (n - (n % (2 * c))) / (2 * c);
  return Number((2n * BigInt(a) * BigInt(b) + BigInt(c)) / (2n * BigInt(c)));
}

/**
 * Coins of a purchase: `floor((eligibleCents × rate + 50) / 100)` (= round_half_up(eligible × rate
 * / 100)) with `rate` the member's tier rate before the purchase's own points; nothing when the
 * purchase earns no tier points (eligibleCents under the minimum, a non-earning channel).
 */
export function purchaseCoins(eligibleCents: number, points: number, rate: number): number {
  if (points <= 0 || eligibleCents <= 0 || rate <= 0) return 0;
  return mulDivHalfUp(eligibleCents, rate, 100);
}

export interface OrderCoins {
  /** Coins the order earned. */
  coins: number;
  eligibleCents: number;
  /** Coins already revoked from the order by earlier refunds. */
  revokedCoins: number;
}

/**
 * Coins a refund revokes: `round_half_up(orderCoins × refundedEligibleCents / orderEligibleCents)`,
 * capped at what the order still holds (the total revoked never exceeds the order's coins).
 * `refundedEligibleCents` is the same sum the points revocation uses (refunded lines whose sku was
 * an eligible line of the order).
 */
export function refundCoins(order: OrderCoins, refundedEligibleCents: number): number {
  if (order.coins <= 0 || order.eligibleCents <= 0 || refundedEligibleCents <= 0) return 0;
  const raw = mulDivHalfUp(order.coins, refundedEligibleCents, order.eligibleCents);
  return Math.min(raw, Math.max(0, order.coins - order.revokedCoins));
}
