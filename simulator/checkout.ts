/**
 * Coins at checkout: which simulated purchases come with a coin redemption at the till, and how
 * much of the member's available balance it spends. Derived from the simulated events and the
 * seed (the events themselves stay as they are): each member redeems never (45%), partly (40%:
 * a quarter to three quarters of what is available, the same share every time) or everything
 * available (15%); a redeeming member does so at 70% of its purchases. The till asks the API for
 * the balance and redeems `floor(available × share)` (docs/api.md#coins).
 */
import type { BehaviourEvent } from '../shared/events/events';
import { Rng } from './rng';

export type RedeemHabit = 'never' | 'partly' | 'fully';

export interface CheckoutRedemption {
  memberId: string;
  orderId: string;
  occurredAt: string;
  /** Share of the available coins to redeem, in (0, 1]. */
  share: number;
}

function habitOf(rng: Rng): { habit: RedeemHabit; share: number } {
  const r = rng.next();
  if (r < 0.45) return { habit: 'never', share: 0 };
  if (r < 0.85) return { habit: 'partly', share: 0.25 + rng.next() * 0.5 };
  return { habit: 'fully', share: 1 };
}

/** The redemptions at checkout of some simulated events, in their order. */
export function checkoutRedemptions(events: Iterable<BehaviourEvent>, seed: number): CheckoutRedemption[] {
  const habits = new Map<string, { habit: RedeemHabit; share: number }>();
  const rng = new Rng(seed * 31 + 7);
  const out: CheckoutRedemption[] = [];
  for (const e of events) {
    if (e.type !== 'purchase' || !e.memberId) continue;
    let h = habits.get(e.memberId);
    if (!h) habits.set(e.memberId, (h = habitOf(rng)));
    if (h.habit === 'never' || !rng.chance(0.7)) continue;
    out.push({ memberId: e.memberId, orderId: e.orderId, occurredAt: e.occurredAt, share: h.share });
  }
  return out;
}

/** Coins to redeem out of `available` for a share (nothing when that rounds to 0). */
export function coinsToRedeem(available: number, share: number): number {
  return Math.floor(available * share);
}
