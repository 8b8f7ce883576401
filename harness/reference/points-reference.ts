/**
 * A deliberately plain reference model of tier points and tiers (docs/rules.md: tier points, tiers), for the property
 * tests. It shares no code with shared/*: it keeps every order with its day, points and revoked
 * points, and recomputes everything from them with straightforward loops. Numbers only; every
 * division is done on exact integers (remainder first), never by rounding a float quotient.
 *
 * Where the contract is silent it follows docs/programme.md ("Rules where the contract is silent").
 */

export interface RefConfig {
  /** Tier thresholds, index 0 = base tier (threshold 0). */
  thresholds: number[];
  windowDays: number;
  reviewDays: number;
  policy: 'one_down' | 'balance_based';
  noticeDays: number;
}

export const REF_DEFAULT: RefConfig = {
  thresholds: [0, 1000, 5000, 15000],
  windowDays: 365,
  reviewDays: 365,
  policy: 'one_down',
  noticeDays: 30,
};

export type RefEvent =
  | {
      type: 'purchase';
      day: number;
      orderId: string;
      channel: string;
      lines: { sku: string; category: string; amountCents: number }[];
    }
  | { type: 'refund'; day: number; orderId: string; lines: { sku: string; amountCents: number }[] }
  | { type: 'review'; day: number }
  /** Any other (non-refund) event of the member: the member has seen its day. */
  | { type: 'seen'; day: number };

interface RefOrder {
  day: number;
  points: number;
  eligibleCents: number;
  eligibleSkus: string[];
  revoked: number;
}

export interface RefTier {
  tier: number;
  since: number | null;
  reviewOn: number | null;
}

/** floor(a / b) for non-negative safe integers a and positive b, without float rounding. */
function intDiv(a: number, b: number): number {
  const r = a % b;
  return (a - r) / b;
}

export class PointsReference {
  readonly orders = new Map<string, RefOrder>();
  tier = 0;
  since: number | null;
  reviewOn: number | null = null;
  // what the latest upgrade replaced; `upgradeOrder` null = nothing to revert
  upgradeOrder: string | null = null;
  beforeTier = 0;
  beforeSince: number | null = null;
  beforeReviewOn: number | null = null;
  /** The latest day of any non-refund event so far: upgrades and reverts are judged as of max(event day, this). */
  latest: number | null = null;

  constructor(
    readonly config: RefConfig = REF_DEFAULT,
    joinedOn: number | null = null,
  ) {
    this.since = joinedOn;
  }

  static earn(channel: string, lines: { category: string; amountCents: number }[]): number {
    if (channel !== 'store' && channel !== 'app' && channel !== 'mini_program') return 0;
    let cents = 0;
    for (const l of lines) if (l.category !== 'gift_card') cents += l.amountCents;
    if (cents < 100) return 0;
    return intDiv(cents + 50, 100);
  }

  lifetimePoints(): number {
    let total = 0;
    for (const o of this.orders.values()) total += o.points - o.revoked;
    return total;
  }

  qualifyingOn(day: number): number {
    let total = 0;
    for (const o of this.orders.values()) {
      if (o.day >= day - this.config.windowDays + 1 && o.day <= day) total += o.points - o.revoked;
    }
    return total;
  }

  supported(points: number): number {
    let t = 0;
    for (let i = 0; i < this.config.thresholds.length; i++) {
      if (points >= this.config.thresholds[i]) t = i;
    }
    return t;
  }

  snapshot(): RefTier {
    return { tier: this.tier, since: this.since, reviewOn: this.reviewOn };
  }

  apply(e: RefEvent): void {
    if (e.type === 'purchase') this.purchase(e);
    else if (e.type === 'refund') this.refund(e);
    else if (e.type === 'seen') this.seen(e.day);
    else this.review(e.day);
  }

  seen(day: number): void {
    if (this.latest === null || day > this.latest) this.latest = day;
  }

  purchase(e: Extract<RefEvent, { type: 'purchase' }>): void {
    const points = PointsReference.earn(e.channel, e.lines);
    let eligibleCents = 0;
    const eligibleSkus: string[] = [];
    const earning = e.channel === 'store' || e.channel === 'app' || e.channel === 'mini_program';
    if (earning) {
      for (const l of e.lines) {
        if (l.category === 'gift_card') continue;
        eligibleCents += l.amountCents;
        eligibleSkus.push(l.sku);
      }
    }
    this.orders.set(e.orderId, { day: e.day, points, eligibleCents, eligibleSkus, revoked: 0 });
    this.seen(e.day);

    const judged = Math.max(e.day, this.latest ?? e.day);
    const target = this.supported(this.qualifyingOn(judged));
    if (target > this.tier) {
      this.beforeTier = this.tier;
      this.beforeSince = this.since;
      this.beforeReviewOn = this.reviewOn;
      this.upgradeOrder = e.orderId;
      this.tier = target;
      this.since = judged;
      this.reviewOn = judged + this.config.reviewDays;
    }
  }

  refund(e: Extract<RefEvent, { type: 'refund' }>): void {
    const o = this.orders.get(e.orderId);
    if (!o) throw new Error(`reference: refund of unknown order ${e.orderId}`);
    let refunded = 0;
    for (const l of e.lines) if (o.eligibleSkus.includes(l.sku)) refunded += l.amountCents;
    let revoke = 0;
    if (o.eligibleCents > 0) {
      // round half up of points × refunded / eligible: compare twice the remainder with the divisor
      const num = o.points * refunded;
      const q = intDiv(num, o.eligibleCents);
      const rem = num - q * o.eligibleCents;
      revoke = rem * 2 >= o.eligibleCents ? q + 1 : q;
    }
    if (o.revoked + revoke > o.points) revoke = o.points - o.revoked;
    o.revoked += revoke;

    if (this.tier > 0 && this.upgradeOrder === e.orderId) {
      const points = this.qualifyingOn(Math.max(e.day, this.latest ?? e.day));
      if (points < this.config.thresholds[this.tier]) {
        const supported = this.supported(points);
        const to = supported > this.beforeTier ? supported : this.beforeTier;
        if (to === this.beforeTier) {
          this.since = this.beforeSince;
          this.reviewOn = this.beforeReviewOn;
        }
        if (to === 0) this.reviewOn = null;
        this.tier = to;
        this.upgradeOrder = null;
      }
    }
  }

  /** The daily review as of day R (only for a non-base tier whose review day has come). */
  review(R: number): void {
    if (this.tier === 0 || this.reviewOn === null || this.reviewOn > R) return;
    this.upgradeOrder = null;
    const points = this.qualifyingOn(R);
    if (points >= this.config.thresholds[this.tier]) {
      this.reviewOn = R + this.config.reviewDays;
      return;
    }
    let to: number;
    if (this.config.policy === 'balance_based') {
      to = this.supported(points);
    } else {
      to = this.tier - 1;
      if (this.supported(points) > to) to = this.supported(points);
    }
    this.tier = to;
    this.since = R;
    this.reviewOn = to === 0 ? null : R + this.config.reviewDays;
  }

  /** Points of purchases made up to `day` that will still count on the review day. */
  projectedForReview(day: number): number | null {
    if (this.reviewOn === null) return null;
    let total = 0;
    for (const o of this.orders.values()) {
      if (o.day <= day && o.day <= this.reviewOn && o.day >= this.reviewOn - this.config.windowDays + 1) {
        total += o.points - o.revoked;
      }
    }
    return total;
  }

  atRisk(day: number): boolean {
    if (this.tier === 0 || this.reviewOn === null) return false;
    if (day < this.reviewOn - this.config.noticeDays || day >= this.reviewOn) return false;
    return (this.projectedForReview(day) as number) < this.config.thresholds[this.tier];
  }
}
