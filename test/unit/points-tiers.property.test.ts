/**
 * Property tests: random purchase/refund/review histories give the same lifetime points,
 * qualifying points, tiers, at-risk flags and points-to-remain in shared/points + shared/tiers as
 * in the plain reference model (harness/reference/points-reference.ts).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dayNumber } from '../../shared/days/days';
import { parseProgram } from '../../shared/programme/schema';
import { type Program } from '../../shared/programme/vocabulary';
import { purchasePoints, refundRevocation, type OrderEarnRecord } from '../../shared/points/points';
import {
  addPoints,
  applyEarn,
  applyRefundRevert,
  initialTierState,
  isAtRisk,
  pointsRequiredToRemain,
  qualifyingPoints,
  reviewTier,
  type PointsEntry,
  type TierState,
} from '../../shared/points/tiers';
import { PointsReference, REF_DEFAULT, type RefConfig, type RefEvent } from '../../harness/reference/points-reference';

const RUNS = 300;
const START = dayNumber('2026-01-01');

// ------------------------------------------------------------------------------------------------
// Generators

const amount = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 199 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 99, 100, 101, 149, 150, 151, 249, 250) },
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 3_000_000 }) },
  // whole thousands of points: sums land exactly on the default thresholds
  { weight: 3, arbitrary: fc.constantFrom(100_000, 400_000, 500_000, 1_000_000, 1_500_000) },
);
const lineArb = fc.record({
  sku: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
  category: fc.constantFrom('fresh', 'dairy', 'bakery', 'gift_card'),
  amountCents: amount,
});
const gap = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 30 }) },
  { weight: 3, arbitrary: fc.integer({ min: 31, max: 300 }) },
  { weight: 2, arbitrary: fc.integer({ min: 360, max: 370 }) },
  { weight: 1, arbitrary: fc.integer({ min: 366, max: 900 }) },
);

type Step =
  | { kind: 'purchase'; gap: number; channel: string; lines: { sku: string; category: string; amountCents: number }[] }
  | {
      kind: 'refund';
      gap: number;
      /** which earlier order: index modulo the number of orders; biased to the latest */
      pick: number;
      latest: boolean;
      /** per line of the order: refund it? and what share (‰), or more than was paid */
      parts: { take: boolean; permille: number }[];
      stray: boolean;
    }
  | { kind: 'review'; gap: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('purchase' as const),
      gap,
      channel: fc.constantFrom('store', 'app', 'mini_program', 'third_party'),
      lines: fc.array(lineArb, { minLength: 1, maxLength: 6 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      gap,
      pick: fc.nat(1000),
      latest: fc.boolean(),
      parts: fc.array(
        fc.record({
          take: fc.boolean(),
          permille: fc.oneof(fc.integer({ min: 0, max: 1200 }), fc.constantFrom(0, 200, 500, 800, 1000)),
        }),
        {
          minLength: 6,
          maxLength: 6,
        },
      ),
      stray: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('review' as const), gap }) },
  {
    // one round eligible line: qualifying points land exactly on thresholds
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('purchase' as const),
      gap,
      channel: fc.constant('store'),
      lines: fc
        .constantFrom(100_000, 200_000, 400_000, 500_000, 1_000_000)
        .map((amountCents) => [{ sku: 'r', category: 'fresh', amountCents }]),
    }),
  },
);

/** Programme + the same numbers for the reference (written twice on purpose). */
const programArb = fc
  .record({
    steps: fc.array(fc.oneof(fc.integer({ min: 1, max: 12_000 }), fc.constantFrom(1000, 2000, 4000, 5000)), {
      minLength: 0,
      maxLength: 4,
    }),
    windowDays: fc.oneof(fc.constant(365), fc.integer({ min: 1, max: 400 })),
    reviewDays: fc.oneof(fc.constant(365), fc.integer({ min: 1, max: 400 })),
    policy: fc.constantFrom('one_down' as const, 'balance_based' as const),
    noticeDays: fc.oneof(fc.constant(30), fc.integer({ min: 0, max: 60 })),
    useDefaults: fc.boolean(),
  })
  .map(({ steps, windowDays, reviewDays, policy, noticeDays, useDefaults }) => {
    const cfg: RefConfig = useDefaults
      ? { ...REF_DEFAULT, policy }
      : {
          thresholds: steps.reduce((acc, s) => [...acc, acc[acc.length - 1] + s], [0]),
          windowDays,
          reviewDays,
          policy,
          noticeDays,
        };
    const program: Program = parseProgram({
      tiers: cfg.thresholds.map((threshold, i) => ({ id: `t${i}`, threshold })),
      qualificationWindowDays: cfg.windowDays,
      reviewPeriodDays: cfg.reviewDays,
      downgradePolicy: cfg.policy,
      atRiskNoticeDays: cfg.noticeDays,
    });
    return { cfg, program };
  });

/** Turns steps into concrete, chronological events (refunds only of earlier orders). */
function toEvents(steps: Step[]): RefEvent[] {
  const events: RefEvent[] = [];
  const orders: Extract<RefEvent, { type: 'purchase' }>[] = [];
  let day = START;
  for (const s of steps) {
    day += s.gap;
    if (s.kind === 'purchase') {
      const e = { type: 'purchase' as const, day, orderId: `o${orders.length}`, channel: s.channel, lines: s.lines };
      orders.push(e);
      events.push(e);
    } else if (s.kind === 'refund') {
      if (orders.length === 0) continue;
      const order = s.latest ? orders[orders.length - 1] : orders[s.pick % orders.length];
      const lines = order.lines
        .map((l, i) => ({ l, p: s.parts[i] }))
        .filter(({ p }) => p.take)
        .map(({ l, p }) => ({ sku: l.sku, amountCents: Math.floor((l.amountCents * p.permille) / 1000) }));
      if (s.stray) lines.push({ sku: 'not-on-the-order', amountCents: 12_345 });
      if (lines.length === 0) lines.push({ sku: order.lines[0].sku, amountCents: order.lines[0].amountCents });
      events.push({ type: 'refund', day, orderId: order.orderId, lines });
    } else {
      events.push({ type: 'review', day });
    }
  }
  return events;
}

// ------------------------------------------------------------------------------------------------
// The system under test, driven the way the member reducer uses it

class Subject {
  orders = new Map<string, OrderEarnRecord & { day: number }>();
  history: PointsEntry[] = [];
  lifetime = 0;
  state: TierState = initialTierState();

  constructor(readonly program: Program) {}

  apply(e: RefEvent): void {
    if (e.type === 'purchase') {
      const earned = purchasePoints(this.program, { channel: e.channel, lines: e.lines });
      this.orders.set(e.orderId, { ...earned, revokedPoints: 0, day: e.day });
      this.history = addPoints(this.history, e.day, earned.points);
      this.lifetime += earned.points;
      this.state = applyEarn(this.program, this.state, this.history, e.day, e.orderId).state;
    } else if (e.type === 'refund') {
      const order = this.orders.get(e.orderId)!;
      const { revokedPoints } = refundRevocation(order, e.lines);
      order.revokedPoints += revokedPoints;
      expect(order.revokedPoints).toBeLessThanOrEqual(order.points);
      this.history = addPoints(this.history, order.day, -revokedPoints);
      this.lifetime -= revokedPoints;
      this.state = applyRefundRevert(this.program, this.state, this.history, e.day, e.orderId).state;
    } else {
      this.state = reviewTier(this.program, this.state, this.history, e.day).state;
    }
  }

  qualifying(day: number): number {
    return qualifyingPoints(this.history, day, this.program.qualificationWindowDays);
  }
}

function tierOf(s: TierState) {
  return { tier: s.tier, since: s.tierSince, reviewOn: s.tierReviewOn };
}

// ------------------------------------------------------------------------------------------------

describe('points and tiers agree with the reference model', () => {
  it('lifetime and qualifying points on random days, after every event', () => {
    fc.assert(
      fc.property(
        programArb,
        fc.array(stepArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: -800, max: 800 }), { minLength: 3, maxLength: 3 }),
        ({ cfg, program }, steps, offsets) => {
          const ref = new PointsReference(cfg);
          const sut = new Subject(program);
          for (const e of toEvents(steps)) {
            ref.apply(e);
            sut.apply(e);
            expect(sut.lifetime).toBe(ref.lifetimePoints());
            for (const off of [0, -(cfg.windowDays - 1), -cfg.windowDays, ...offsets]) {
              expect(sut.qualifying(e.day + off)).toBe(ref.qualifyingOn(e.day + off));
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('tier, tierSince and tierReviewOn after every event and after review runs', () => {
    fc.assert(
      fc.property(
        programArb,
        fc.array(stepArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 4 }),
        ({ cfg, program }, steps, reviewGaps) => {
          const ref = new PointsReference(cfg);
          const sut = new Subject(program);
          const events = toEvents(steps);
          for (const e of events) {
            ref.apply(e);
            sut.apply(e);
            expect(tierOf(sut.state)).toEqual(ref.snapshot());
          }
          // Review runs after the history, as the daily job would do on later days.
          let day = events.length ? events[events.length - 1].day : START;
          for (const g of reviewGaps) {
            day += g;
            ref.review(day);
            sut.apply({ type: 'review', day });
            expect(tierOf(sut.state)).toEqual(ref.snapshot());
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a daily review job run every day keeps agreeing', () => {
    fc.assert(
      fc.property(programArb, fc.array(stepArb, { minLength: 1, maxLength: 30 }), ({ cfg, program }, steps) => {
        const ref = new PointsReference(cfg);
        const sut = new Subject(program);
        let reviewed = START - 1;
        const reviewUpTo = (day: number) => {
          // cap the work: only days on which a review is due matter
          for (let d = reviewed + 1; d <= day; d++) {
            if (ref.reviewOn !== null && ref.reviewOn <= d) {
              ref.review(d);
              sut.apply({ type: 'review', day: d });
              expect(tierOf(sut.state)).toEqual(ref.snapshot());
            }
          }
          reviewed = Math.max(reviewed, day);
        };
        for (const e of toEvents(steps)) {
          reviewUpTo(e.day - 1); // the job for the previous days ran before today's events
          if (e.type === 'review') continue;
          ref.apply(e);
          sut.apply(e);
          expect(tierOf(sut.state)).toEqual(ref.snapshot());
        }
        reviewUpTo(reviewed + 800);
        expect(tierOf(sut.state)).toEqual(ref.snapshot());
      }),
      { numRuns: RUNS },
    );
  });

  it('at risk and points required to remain on random days', () => {
    fc.assert(
      fc.property(
        programArb,
        fc.array(stepArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 420 }), { minLength: 3, maxLength: 3 }),
        ({ cfg, program }, steps, offsets) => {
          const ref = new PointsReference(cfg);
          const sut = new Subject(program);
          for (const e of toEvents(steps)) {
            ref.apply(e);
            sut.apply(e);
            for (const off of [0, ...offsets]) {
              const day = e.day + off;
              expect(isAtRisk(program, sut.state, sut.history, day)).toBe(ref.atRisk(day));
            }
            const projected = ref.projectedForReview(e.day);
            const expected = ref.tier === 0 || projected === null ? 0 : Math.max(0, cfg.thresholds[ref.tier] - projected);
            expect(pointsRequiredToRemain(program, sut.state, sut.history, e.day)).toBe(expected);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a purchase earns what the contract formula gives', () => {
    const P = parseProgram({});
    fc.assert(
      fc.property(
        fc.constantFrom('store', 'app', 'mini_program', 'third_party'),
        fc.array(lineArb, { minLength: 1, maxLength: 20 }),
        (channel, lines) => {
          expect(purchasePoints(P, { channel, lines }).points).toBe(PointsReference.earn(channel, lines));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
