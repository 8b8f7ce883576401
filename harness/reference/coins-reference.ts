/**
 * A deliberately plain reference model of the coin ledger (docs/rules.md#coins), for the property tests
 * and the oracles. It shares no code with shared/coins: it keeps every lot ever made (never drops
 * one), finds spendable lots by looking at the calendar each time, and sorts candidates with a
 * plain comparison. Integers only.
 */

export interface RefCoinsConfig {
  pendingDays: number;
  expiryDays: number;
  noticeDays: number;
  allowDebt: boolean;
}

export const REF_COINS_DEFAULT: RefCoinsConfig = { pendingDays: 7, expiryDays: 365, noticeDays: 30, allowDebt: true };

export interface RefLot {
  id: number;
  availableOn: number;
  expiresOn: number;
  left: number;
  noticed: boolean;
  /** What made it: `order:<orderId>` or `adjustment:<adjustmentId>`. */
  source?: string;
  /** Its `available` movement is in the ledger. */
  listed?: boolean;
}

/**
 * One movement as the ledger lists it (GET /members/{id}/coins/ledger): an earn per purchase, a
 * revoke per refund (what it took back, on the order's lot), a redeem / reverse / adjust / expire
 * per lot, an `available` per lot when it turns available. `lot` is the lot's source.
 */
export interface RefEntry {
  kind: 'earn' | 'revoke' | 'redeem' | 'reverse' | 'expire' | 'adjust' | 'available';
  coins: number;
  lot: string | null;
  ref: string;
}

interface RefOrder {
  coins: number;
  eligibleCents: number;
  revoked: number;
  lot: number | null;
  refunds: Set<string>;
}

interface RefRedemption {
  coins: number;
  orderId: string | null;
  takes: { lot: number; coins: number }[];
  answer: { available: number; pending: number; debt: number };
  reversed: boolean;
}

export interface RefTotals {
  earned: number;
  revoked: number;
  redeemed: number;
  reversed: number;
  expired: number;
  adjusted: number;
}

export class CoinsReference {
  readonly lots: RefLot[] = [];
  debt = 0;
  now: number | null = null;
  readonly totals: RefTotals = { earned: 0, revoked: 0, redeemed: 0, reversed: 0, expired: 0, adjusted: 0 };
  readonly notices: { lot: number; day: number; coins: number }[] = [];
  /** Every movement, in the order it happened. */
  readonly ledger: RefEntry[] = [];
  private nextId = 1;
  private readonly orders = new Map<string, RefOrder>();
  private readonly redemptions = new Map<string, RefRedemption>();
  private readonly adjustments = new Set<string>();

  /**
   * `lotFor` numbers the lots (ties in expiry are spent by the lower number); by default 1, 2, 3…
   * in the order they are made. Give it the product's lot numbering to follow its order exactly.
   */
  constructor(
    readonly cfg: RefCoinsConfig = REF_COINS_DEFAULT,
    private readonly lotFor?: (kind: 'order' | 'adjustment', id: string) => number,
  ) {}

  /** Moves the clock forward (never back) and expires what is due. */
  private tick(day: number): number {
    if (this.now === null || day > this.now) this.now = day;
    for (const lot of this.lots) {
      if (!lot.listed && lot.availableOn <= this.now && lot.left > 0) {
        lot.listed = true;
        this.log('available', lot.left, lot, `lot`);
      }
      if (lot.expiresOn <= this.now && lot.left > 0) {
        this.totals.expired += lot.left;
        this.log('expire', -lot.left, lot, 'lot');
        lot.left = 0;
      }
    }
    return this.now;
  }

  private log(kind: RefEntry['kind'], coins: number, lot: RefLot | undefined | null, ref: string): void {
    if (coins !== 0) this.ledger.push({ kind, coins, lot: lot ? (lot.source ?? `lot:${lot.id}`) : null, ref });
  }

  /** Moves the clock to `day` (never back), as any operation on that day would. */
  at(day: number): void {
    this.tick(day);
  }

  /** Lots that may be spent today, in spending order. */
  spendable(): RefLot[] {
    const now = this.now ?? 0;
    const list = this.lots.filter((l) => l.left > 0 && l.availableOn <= now && now < l.expiresOn);
    list.sort((a, b) => {
      if (a.expiresOn !== b.expiresOn) return a.expiresOn < b.expiresOn ? -1 : 1;
      return a.id < b.id ? -1 : 1;
    });
    return list;
  }

  balance(): { available: number; pending: number; debt: number } {
    const now = this.now ?? 0;
    let available = 0;
    let pending = 0;
    for (const l of this.lots) {
      if (l.left === 0 || l.expiresOn <= now) continue;
      if (l.availableOn <= now) available += l.left;
      else pending += l.left;
    }
    return { available, pending, debt: this.debt };
  }

  purchase(orderId: string, day: number, coins: number, eligibleCents: number): void {
    if (this.orders.has(orderId)) return;
    this.tick(day);
    let lot: number | null = null;
    this.totals.earned += coins;
    let rest = coins;
    const repay = this.debt < rest ? this.debt : rest;
    this.debt -= repay;
    rest -= repay;
    // every earning purchase takes a lot number, even when debt absorbs all of it
    const number = this.lotFor ? this.lotFor('order', orderId) : this.nextId;
    if (coins > 0) this.nextId += 1;
    if (rest > 0) {
      lot = number;
      const availableOn = day + this.cfg.pendingDays;
      this.lots.push({
        id: lot,
        availableOn,
        expiresOn: availableOn + this.cfg.expiryDays,
        left: rest,
        noticed: false,
        source: `order:${orderId}`,
      });
    }
    if (coins > 0) this.ledger.push({ kind: 'earn', coins, lot: `order:${orderId}`, ref: orderId });
    if (rest > 0) this.tick(day);
    this.orders.set(orderId, { coins, eligibleCents, revoked: 0, lot, refunds: new Set() });
  }

  refund(orderId: string, refundId: string, day: number, refundedEligibleCents: number): void {
    const order = this.orders.get(orderId);
    if (!order || order.refunds.has(refundId)) return;
    order.refunds.add(refundId);
    if (order.coins === 0 || order.eligibleCents === 0 || refundedEligibleCents === 0) return;
    // round half up of coins × refunded / eligible, by integer division of (2·a·b + c) by 2·c
    const num = 2 * order.coins * refundedEligibleCents + order.eligibleCents;
    let want = Math.floor(num / (2 * order.eligibleCents));
    if (want > order.coins - order.revoked) want = order.coins - order.revoked;
    // A refund that revokes nothing does not touch the ledger (nor move its clock).
    if (want === 0) return;
    this.tick(day);
    order.revoked += want;
    this.ledger.push({ kind: 'revoke', coins: -want, lot: `order:${orderId}`, ref: refundId });
    let need = want;
    const own = this.lots.find((l) => l.id === order.lot);
    if (own && own.left > 0 && own.expiresOn > (this.now ?? 0)) {
      const n = own.left < need ? own.left : need;
      own.left -= n;
      need -= n;
    }
    for (const lot of this.spendable()) {
      if (need === 0) break;
      const n = lot.left < need ? lot.left : need;
      lot.left -= n;
      need -= n;
    }
    if (need > 0 && this.cfg.allowDebt) {
      this.debt += need;
      need = 0;
    }
    this.totals.revoked += want - need;
  }

  redeem(redemptionId: string, day: number, coins: number, orderId: string | null): 201 | 200 | 'mismatch' | 'insufficient' {
    const known = this.redemptions.get(redemptionId);
    if (known) return known.coins === coins && known.orderId === orderId ? 200 : 'mismatch';
    this.tick(day);
    const lots = this.spendable();
    const available = lots.reduce((s, l) => s + l.left, 0);
    if (coins > available) return 'insufficient';
    const takes: { lot: number; coins: number }[] = [];
    let need = coins;
    for (const lot of lots) {
      if (need === 0) break;
      const n = lot.left < need ? lot.left : need;
      lot.left -= n;
      need -= n;
      takes.push({ lot: lot.id, coins: n });
      this.log('redeem', -n, lot, redemptionId);
    }
    this.totals.redeemed += coins;
    this.redemptions.set(redemptionId, { coins, orderId, takes, answer: this.balance(), reversed: false });
    return 201;
  }

  answerOf(redemptionId: string): { available: number; pending: number; debt: number } | undefined {
    return this.redemptions.get(redemptionId)?.answer;
  }

  reverse(redemptionId: string, day: number): boolean {
    const r = this.redemptions.get(redemptionId);
    if (!r) return false;
    if (r.reversed) return true;
    r.reversed = true;
    this.tick(day);
    for (const t of r.takes) {
      const lot = this.lots.find((l) => l.id === t.lot)!;
      this.totals.reversed += t.coins;
      this.log('reverse', t.coins, lot, redemptionId);
      if (lot.expiresOn <= (this.now ?? 0)) {
        this.totals.expired += t.coins;
        this.log('expire', -t.coins, lot, redemptionId);
      } else {
        // refilled after its notice day: no (further) notice
        if (lot.left === 0 && lot.expiresOn - this.cfg.noticeDays <= (this.now ?? 0)) lot.noticed = true;
        lot.left += t.coins;
      }
    }
    return true;
  }

  adjust(adjustmentId: string, day: number, coins: number): boolean {
    if (this.adjustments.has(adjustmentId)) return true;
    const now = this.tick(day);
    if (coins > 0) {
      const lot: RefLot = {
        id: this.lotFor ? this.lotFor('adjustment', adjustmentId) : this.nextId,
        availableOn: now,
        expiresOn: now + this.cfg.expiryDays,
        left: coins,
        noticed: false,
        source: `adjustment:${adjustmentId}`,
        listed: true,
      };
      this.lots.push(lot);
      this.nextId += 1;
      this.log('adjust', coins, lot, adjustmentId);
    } else {
      const lots = this.spendable();
      const available = lots.reduce((s, l) => s + l.left, 0);
      if (-coins > available && !this.cfg.allowDebt) return false;
      let need = -coins;
      for (const lot of lots) {
        const n = lot.left < need ? lot.left : need;
        lot.left -= n;
        need -= n;
        this.log('adjust', -n, lot, adjustmentId);
      }
      this.debt += need;
      this.log('adjust', -need, null, adjustmentId);
    }
    this.adjustments.add(adjustmentId);
    this.totals.adjusted += coins;
    return true;
  }

  runDay(day: number): void {
    const now = this.tick(day);
    const due = this.lots.filter((l) => l.left > 0 && !l.noticed && l.expiresOn - this.cfg.noticeDays <= now);
    due.sort((a, b) => (a.expiresOn !== b.expiresOn ? a.expiresOn - b.expiresOn : a.id - b.id));
    for (const lot of due) {
      lot.noticed = true;
      this.notices.push({ lot: lot.id, day: lot.expiresOn - this.cfg.noticeDays, coins: lot.left });
    }
  }

  lotOf(id: number): RefLot | undefined {
    return this.lots.find((l) => l.id === id);
  }
}
