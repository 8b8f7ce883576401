/**
 * Property test: random histories of purchases, refunds, redemptions, reversals, adjustments and
 * daily runs (some events late) give the same balances, lots, answers and notices in
 * shared/coins as in the plain reference ledger (harness/reference/coins-reference.ts), and the
 * ledger entries obey the contract's invariants: balance = earned − revoked − redeemed + reversed
 * − expired ± adjusted; no lot spent before its availableOn or on/after its expiresOn; redemptions
 * take lots in spending order (FIFO by expiry, then lot id).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dayNumber } from '../../shared/days/days';
import { CoinBook, purchaseCoins, type CoinEntry, type CoinsRules } from '../../shared/coins';
import { CoinsReference } from '../../harness/reference/coins-reference';

const START = dayNumber('2026-01-01');

type Op =
  | { k: 'purchase'; gap: number; late: number; cents: number; rate: number }
  | { k: 'refund'; gap: number; pick: number; permille: number; same: boolean }
  | { k: 'redeem'; gap: number; coins: number; repeat: number; orderId: boolean; all: boolean }
  | { k: 'reverse'; gap: number; pick: number }
  | { k: 'adjust'; gap: number; coins: number }
  | { k: 'day'; gap: number };

const gap = fc.oneof(
  { weight: 5, arbitrary: fc.constant(0) },
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 10 }) },
  { weight: 2, arbitrary: fc.integer({ min: 11, max: 120 }) },
  { weight: 1, arbitrary: fc.integer({ min: 300, max: 380 }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('purchase' as const),
      gap,
      late: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 }) }),
      cents: fc.integer({ min: 0, max: 60_000 }),
      rate: fc.constantFrom(1, 2, 3, 5),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('refund' as const),
      gap,
      pick: fc.nat(50),
      permille: fc.integer({ min: 0, max: 1200 }),
      same: fc.boolean(),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('redeem' as const),
      gap,
      coins: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 2000 })),
      repeat: fc.integer({ min: 0, max: 4 }),
      orderId: fc.boolean(),
      all: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('reverse' as const), gap, pick: fc.nat(50) }) },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('adjust' as const), gap, coins: fc.integer({ min: -300, max: 300 }).filter((c) => c !== 0) }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('day' as const), gap }) },
);

const rulesArb: fc.Arbitrary<CoinsRules> = fc.record({
  pendingDays: fc.constantFrom(0, 7, 7, 14),
  expiryDays: fc.constantFrom(365, 365, 40),
  expiryNoticeDays: fc.constantFrom(30, 30, 0),
  allowDebt: fc.boolean(),
});

/** Live lots by the calendar (a lot past expiry may wait for the next operation to be booked). */
function lotsOf(book: CoinBook, now: number): [number, number][] {
  return book.state.lots.filter((l) => l.expiresOn > now).map((l) => [l.seq, l.left]);
}

function refLots(ref: CoinsReference): [number, number][] {
  const now = ref.now ?? 0;
  return ref.lots
    .filter((l) => l.left > 0 && l.expiresOn > now)
    .sort((a, b) => a.expiresOn - b.expiresOn || a.id - b.id)
    .map((l) => [l.id, l.left]);
}

describe('coins: shared/coins against the reference ledger', () => {
  it('same balances, lots, answers, notices; invariants of the entries hold', () => {
    fc.assert(
      fc.property(rulesArb, fc.array(opArb, { minLength: 1, maxLength: 60 }), (rules, ops) => {
        const book = new CoinBook(rules);
        const ref = new CoinsReference({
          pendingDays: rules.pendingDays,
          expiryDays: rules.expiryDays,
          noticeDays: rules.expiryNoticeDays,
          allowDebt: rules.allowDebt,
        });
        let day = START;
        const orders: string[] = [];
        const cents = new Map<string, number>();
        const refunds: string[] = [];
        const redemptions: { id: string; coins: number; orderId?: string }[] = [];
        let n = 0;
        for (const op of ops) {
          day += op.gap;
          n++;
          // before each operation: the entries booked so far, to check this operation's takes
          const seen = book.entries.length;
          const eff = Math.max(day, book.state.asOf ?? day);
          const spendOrder = book.state.lots.filter((l) => l.availableOn <= eff && l.expiresOn > eff).map((l) => l.seq);
          switch (op.k) {
            case 'purchase': {
              const id = `o${n}`;
              const points = op.cents < 100 ? 0 : Math.floor((op.cents + 50) / 100);
              const coins = purchaseCoins(op.cents, points, op.rate);
              book.purchase(id, day - op.late, coins, op.cents);
              ref.purchase(id, day - op.late, coins, op.cents);
              orders.push(id);
              cents.set(id, op.cents);
              break;
            }
            case 'refund': {
              if (!orders.length) break;
              const orderId = orders[op.pick % orders.length];
              const refundId = op.same && refunds.length ? refunds[op.pick % refunds.length] : `f${n}`;
              refunds.push(refundId);
              // a share of the order's eligible cents (‰; above 1000 = more than was paid)
              const refunded = Math.floor((op.permille * cents.get(orderId)!) / 1000);
              book.refund(orderId, refundId, day, refunded);
              ref.refund(orderId, refundId, day, refunded);
              break;
            }
            case 'redeem': {
              const again = op.repeat === 0 && redemptions.length ? redemptions[op.gap % redemptions.length] : null;
              // `all`: spend everything available (then refunds of spent coins leave debt)
              const coins = op.all ? Math.max(1, book.balance(day).available) : op.coins;
              const body =
                again && op.coins % 2 === 0
                  ? { coins: again.coins, ...(again.orderId ? { orderId: again.orderId } : {}) }
                  : { coins, ...(op.orderId ? { orderId: `till${n}` } : {}) };
              const id = again ? again.id : `r${n}`;
              const got = book.redeem(id, day, body);
              const want = ref.redeem(id, day, body.coins, body.orderId ?? null);
              if (want === 'mismatch') expect(got).toEqual({ status: 409, code: 'idempotency_mismatch' });
              else if (want === 'insufficient') expect(got).toEqual({ status: 409, code: 'insufficient_coins' });
              else {
                expect(got.status).toBe(want);
                if (got.status !== 409) expect(got.answer.balance).toEqual(ref.answerOf(id));
              }
              if (got.status === 201) redemptions.push({ id, ...body });
              break;
            }
            case 'reverse': {
              const id = redemptions.length && op.pick % 5 ? redemptions[op.pick % redemptions.length].id : `missing${n}`;
              const got = book.reverse(id, day);
              expect(got.status === 200).toBe(ref.reverse(id, day));
              break;
            }
            case 'adjust': {
              expect(book.adjust(`a${n}`, day, op.coins)).toBe(ref.adjust(`a${n}`, day, op.coins));
              break;
            }
            case 'day': {
              book.runDay(day);
              ref.runDay(day);
              break;
            }
          }
          // never spend outside [availableOn, expiresOn); redemptions take lots in spending order
          const mine = book.entries.slice(seen);
          const redeemed = mine.filter((e) => e.kind === 'redeem').map((e) => e.lot!);
          expect(redeemed).toEqual(spendOrder.slice(0, redeemed.length));
          for (const e of mine) {
            if ((e.kind === 'redeem' || (e.kind === 'adjust' && e.coins < 0)) && e.lot !== null) {
              const lot = ref.lotOf(e.lot)!;
              expect(lot.availableOn).toBeLessThanOrEqual(eff);
              expect(lot.expiresOn).toBeGreaterThan(eff);
            }
          }
          const now = ref.now ?? day;
          expect(book.balance(now)).toMatchObject(ref.balance());
          expect(lotsOf(book, now)).toEqual(refLots(ref));
        }
        // identity over the whole ledger, by kind, once both are brought to the last day
        book.runDay(day);
        ref.runDay(day);
        const sum = (kind: CoinEntry['kind']) => book.entries.filter((e) => e.kind === kind).reduce((s, e) => s + e.coins, 0) + 0;
        const t = ref.totals;
        expect(sum('earn')).toBe(t.earned);
        expect(0 - sum('revoke')).toBe(t.revoked);
        expect(0 - sum('redeem')).toBe(t.redeemed);
        expect(sum('reverse')).toBe(t.reversed);
        expect(0 - sum('expire')).toBe(t.expired);
        expect(sum('adjust')).toBe(t.adjusted);
        const b = ref.balance();
        expect(t.earned - t.revoked - t.redeemed + t.reversed - t.expired + t.adjusted).toBe(b.available + b.pending - b.debt);
        expect(book.notices.map((x) => ({ lot: x.lot, day: x.day, coins: x.coins }))).toEqual(ref.notices);
        expect(new Set(book.entries.map((e) => e.id)).size).toBe(book.entries.length);
      }),
      { numRuns: 400 },
    );
  });
});
