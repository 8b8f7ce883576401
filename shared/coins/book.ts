/**
 * A member's coin book in memory: the ledger state machine plus the exactly-once keys the
 * contract names — coins earned once per order, revoked once per (order, refundId), a redemption
 * once per redemptionId (the same body again gets the same answer, another body a mismatch), a
 * reversal once per redemption, an adjustment once per adjustmentId. The tables hold the same
 * keys in production (the per-order ledger item, the redemption and adjustment items); this
 * composition is what the unit, property and oracle tests drive.
 */
import { refundCoins } from './earning';
import {
  adjustCoins,
  earnCoins,
  redeemCoins,
  reverseCoins,
  revokeCoins,
  runCoinDay,
  type CoinEntry,
  type CoinNotice,
  type CoinsRules,
  type CoinTake,
} from './ledger';
import { coinBalance, emptyCoins, type CoinBalance, type CoinState } from './lots';

interface OrderRecord {
  coins: number;
  eligibleCents: number;
  revokedCoins: number;
  lot: number | null;
  refunds: Set<string>;
}

export interface RedemptionBody {
  coins: number;
  orderId?: string;
}

export interface RedemptionAnswer {
  redemptionId: string;
  coins: number;
  valueFen: number;
  balance: { available: number; pending: number; debt: number };
}

interface RedemptionRecord {
  body: RedemptionBody;
  answer: RedemptionAnswer;
  takes: CoinTake[];
  reversed: boolean;
}

export type RedeemOutcome =
  { status: 201 | 200; answer: RedemptionAnswer } | { status: 409; code: 'idempotency_mismatch' | 'insufficient_coins' };

export type ReverseOutcome = { status: 200; balance: CoinBalance; repeated: boolean } | { status: 404 };

export function sameRedemptionBody(a: RedemptionBody, b: RedemptionBody): boolean {
  return a.coins === b.coins && (a.orderId ?? null) === (b.orderId ?? null);
}

export class CoinBook {
  state: CoinState = emptyCoins();
  readonly entries: CoinEntry[] = [];
  readonly notices: CoinNotice[] = [];
  private readonly orders = new Map<string, OrderRecord>();
  private readonly redemptions = new Map<string, RedemptionRecord>();
  private readonly adjustments = new Set<string>();
  private lots = 0;

  /** `lotFor` numbers the lots; by default 1, 2, 3… in the order they are made (readable tests). */
  constructor(
    private readonly rules: CoinsRules,
    private readonly fenPerCoin = 1,
    private readonly lotFor: (kind: 'order' | 'adjustment', id: string) => number = () => ++this.lots,
  ) {}

  /** Coins of a purchase, once per order. Returns the coins earned (0 for a repeat). */
  purchase(orderId: string, day: number, coins: number, eligibleCents: number): number {
    if (this.orders.has(orderId)) return 0;
    const step = earnCoins(this.state, { orderId, day, coins, lot: coins > 0 ? this.lotFor('order', orderId) : 0 }, this.rules);
    this.orders.set(orderId, { coins, eligibleCents, revokedCoins: 0, lot: step.lot, refunds: new Set() });
    this.commit(step.state, step.entries);
    return coins;
  }

  /** A refund of an order, once per (order, refundId). Returns the coins revoked (0 for a repeat). */
  refund(orderId: string, refundId: string, day: number, refundedEligibleCents: number): number {
    const order = this.orders.get(orderId);
    if (!order || order.refunds.has(refundId)) return 0;
    order.refunds.add(refundId);
    const coins = refundCoins(order, refundedEligibleCents);
    order.revokedCoins += coins;
    if (coins === 0) return 0;
    const step = revokeCoins(this.state, { orderId, refundId, day, coins, lot: order.lot }, this.rules);
    this.commit(step.state, step.entries);
    return step.revoked;
  }

  redeem(redemptionId: string, day: number, body: RedemptionBody): RedeemOutcome {
    const known = this.redemptions.get(redemptionId);
    if (known) {
      return sameRedemptionBody(known.body, body) ? { status: 200, answer: known.answer } : { status: 409, code: 'idempotency_mismatch' };
    }
    const r = redeemCoins(this.state, { redemptionId, day, coins: body.coins });
    if (!r.ok) return { status: 409, code: 'insufficient_coins' };
    this.commit(r.state, r.entries);
    const b = coinBalance(this.state, this.state.asOf ?? day);
    const answer: RedemptionAnswer = {
      redemptionId,
      coins: body.coins,
      valueFen: body.coins * this.fenPerCoin,
      balance: { available: b.available, pending: b.pending, debt: b.debt },
    };
    this.redemptions.set(redemptionId, { body: { ...body }, answer, takes: r.takes, reversed: false });
    return { status: 201, answer };
  }

  reverse(redemptionId: string, day: number): ReverseOutcome {
    const known = this.redemptions.get(redemptionId);
    if (!known) return { status: 404 };
    if (!known.reversed) {
      known.reversed = true;
      const step = reverseCoins(this.state, { redemptionId, day, takes: known.takes }, this.rules);
      this.commit(step.state, step.entries);
      return { status: 200, balance: this.balance(day), repeated: false };
    }
    return { status: 200, balance: this.balance(day), repeated: true };
  }

  /** Returns false when the adjustment is refused (insufficient coins, no debt allowed). */
  adjust(adjustmentId: string, day: number, coins: number): boolean {
    if (this.adjustments.has(adjustmentId)) return true;
    const r = adjustCoins(
      this.state,
      { adjustmentId, day, coins, lot: coins > 0 ? this.lotFor('adjustment', adjustmentId) : 0 },
      this.rules,
    );
    if (!r.ok) return false;
    this.adjustments.add(adjustmentId);
    this.commit(r.state, r.entries);
    return true;
  }

  runDay(day: number): CoinNotice[] {
    const step = runCoinDay(this.state, day, this.rules);
    this.commit(step.state, step.entries);
    this.notices.push(...step.notices);
    return step.notices;
  }

  balance(day: number): CoinBalance {
    return coinBalance(this.state, Math.max(day, this.state.asOf ?? day));
  }

  lotOf(orderId: string): number | null {
    return this.orders.get(orderId)?.lot ?? null;
  }

  private commit(state: CoinState, entries: readonly CoinEntry[]): void {
    this.state = state;
    this.entries.push(...entries);
  }
}
