/**
 * Every rule of docs/rules.md#coins with hand-computed values: earning per tier, pending, expiry, FIFO,
 * refunds (own lot, then FIFO, then debt; debt repaid by later earnings), notices, redemption,
 * reversal, adjustments, exactly-once keys and the daily catch-up.
 */
import { describe, expect, it } from 'vitest';
import { dayNumber } from '../../shared/days/days';
import {
  CoinBook,
  CoinsProgramError,
  advanceCoins,
  coinBalance,
  earnCoins,
  earnRate,
  earnRateProblems,
  emptyCoins,
  nextCoinDueDay,
  lotId,
  lotNumber,
  parseCoinsSection,
  purchaseCoins,
  redeemCoins,
  refundCoins,
  sumDeltas,
  type CoinEntry,
  type CoinsRules,
} from '../../shared/coins';

const D = dayNumber('2026-01-01');
const RULES: CoinsRules = { pendingDays: 7, expiryDays: 365, expiryNoticeDays: 30, allowDebt: true };
const book = (rules: Partial<CoinsRules> = {}) => new CoinBook({ ...RULES, ...rules });
const kinds = (entries: readonly CoinEntry[]) => entries.map((e) => `${e.kind} ${e.coins} ${e.lot === null ? '-' : `L${e.lot}`}`);

describe('programme coins section', () => {
  it('has the contract defaults', () => {
    expect(parseCoinsSection(undefined)).toEqual({
      fenPerCoin: 1,
      earnRates: { member: 1, silver: 2, gold: 3, platinum: 5 },
      pendingDays: 7,
      expiryDays: 365,
      expiryNoticeDays: 30,
      allowDebt: true,
    });
    expect(parseCoinsSection({ pendingDays: 0, allowDebt: false })).toMatchObject({ pendingDays: 0, allowDebt: false, expiryDays: 365 });
  });

  it('names each bad field', () => {
    const problems = (json: unknown) => {
      try {
        parseCoinsSection(json);
      } catch (e) {
        expect(e).toBeInstanceOf(CoinsProgramError);
        return (e as CoinsProgramError).problems;
      }
      throw new Error('accepted');
    };
    expect(problems({ fenPerCoin: 0 })).toEqual(['programme.coins.fenPerCoin: must be a positive integer']);
    expect(problems({ earnRates: { gold: 1.5 } })).toEqual(['programme.coins.earnRates.gold: must be a non-negative integer']);
    expect(problems({ pendingDays: -1 })).toEqual(['programme.coins.pendingDays: must be a non-negative integer']);
    expect(problems({ expiryDays: 30, expiryNoticeDays: 30 })).toEqual(['programme.coins.expiryNoticeDays: must be less than expiryDays']);
    expect(problems({ allowDebt: 'yes' })).toEqual(['programme.coins.allowDebt: must be true or false']);
    expect(problems({ bonus: 1 })).toEqual(['programme.coins.bonus: unknown field']);
    expect(problems([])).toEqual(['programme.coins: must be an object']);
  });

  it('checks the rates against the tiers when the rates are given', () => {
    const coins = parseCoinsSection({ earnRates: { member: 1, diamond: 9 } });
    expect(earnRateProblems(coins, ['member', 'silver'], true)).toEqual(['programme.coins.earnRates.diamond: unknown tier "diamond"']);
    expect(earnRateProblems(parseCoinsSection(undefined), ['basic', 'vip'], false)).toEqual([]);
    expect(earnRate(coins, 'silver')).toBe(0);
    expect(earnRate(coins, 'diamond')).toBe(9);
    expect(earnRate(coins, 'constructor')).toBe(0);
  });
});

describe('earning and refund amounts', () => {
  it('floor((eligibleCents × rate + 50) / 100) by the tier rate', () => {
    // 123.45 yuan eligible
    expect(purchaseCoins(12345, 123, 1)).toBe(123); // (12345 + 50) / 100 = 123.95
    expect(purchaseCoins(12345, 123, 2)).toBe(247); // (24690 + 50) / 100 = 247.4
    expect(purchaseCoins(12345, 123, 3)).toBe(370); // (37035 + 50) / 100 = 370.85
    expect(purchaseCoins(12345, 123, 5)).toBe(617); // (61725 + 50) / 100 = 617.75
    expect(purchaseCoins(150, 2, 1)).toBe(2); // 1.5 yuan rounds half up
    expect(purchaseCoins(149, 1, 1)).toBe(1);
    expect(purchaseCoins(110, 1, 5)).toBe(6); // (550 + 50) / 100
  });

  it('nothing when the purchase earns no tier points', () => {
    expect(purchaseCoins(99, 0, 5)).toBe(0); // under 1 yuan
    expect(purchaseCoins(0, 0, 1)).toBe(0);
    expect(purchaseCoins(10_000, 100, 0)).toBe(0); // a tier without a rate
  });

  it('a refund revokes round_half_up(orderCoins × refunded / eligible), capped at what is left', () => {
    expect(refundCoins({ coins: 247, eligibleCents: 12345, revokedCoins: 0 }, 5000)).toBe(100); // 247 × 5000 / 12345 = 100.04
    expect(refundCoins({ coins: 3, eligibleCents: 300, revokedCoins: 0 }, 150)).toBe(2); // 1.5 → 2
    expect(refundCoins({ coins: 3, eligibleCents: 300, revokedCoins: 2 }, 150)).toBe(1); // capped: 3 − 2
    expect(refundCoins({ coins: 3, eligibleCents: 300, revokedCoins: 3 }, 300)).toBe(0);
    expect(refundCoins({ coins: 0, eligibleCents: 300, revokedCoins: 0 }, 300)).toBe(0);
  });
});

describe('lots: pending, available, expiry', () => {
  it('a lot is pending for pendingDays, then available until availableOn + expiryDays', () => {
    const b = book();
    b.purchase('o1', D, 100, 10_000);
    expect(b.balance(D)).toEqual({ available: 0, pending: 100, debt: 0, nextExpiry: { day: D + 372, coins: 100 } });
    expect(b.redeem('r0', D + 6, { coins: 1 })).toEqual({ status: 409, code: 'insufficient_coins' });
    expect(b.balance(D + 7)).toMatchObject({ available: 100, pending: 0 });
    // redeemable on availableOn although the daily job never ran
    expect(b.redeem('r1', D + 7, { coins: 40 })).toMatchObject({
      status: 201,
      answer: { balance: { available: 60, pending: 0, debt: 0 } },
    });
    expect(b.redeem('r2', D + 371, { coins: 10 })).toMatchObject({ status: 201 }); // last day: 7 + 365 − 1
    expect(b.redeem('r3', D + 372, { coins: 1 })).toEqual({ status: 409, code: 'insufficient_coins' });
    expect(kinds(b.entries)).toEqual(['earn 100 L1', 'available 100 L1', 'redeem -40 L1', 'redeem -10 L1']);
    b.runDay(D + 372);
    expect(b.entries.at(-1)).toMatchObject({ id: 'expire:L1', kind: 'expire', coins: -50, day: D + 372 });
    expect(b.balance(D + 372)).toEqual({ available: 0, pending: 0, debt: 0, nextExpiry: null });
  });

  it('the available entry is dated availableOn even when the job books it late', () => {
    const b = book();
    b.purchase('o1', D, 30, 3000);
    b.runDay(D + 20);
    expect(b.entries[1]).toMatchObject({
      id: 'available:L1',
      kind: 'available',
      coins: 30,
      day: D + 7,
      delta: { available: 30, pending: -30, debt: 0 },
    });
  });

  it('pendingDays 0 makes a lot available at once', () => {
    const b = book({ pendingDays: 0 });
    b.purchase('o1', D, 10, 1000);
    expect(b.redeem('r', D, { coins: 10 }).status).toBe(201);
  });

  it('the balance by the calendar, for any day', () => {
    const s = earnCoins(emptyCoins(), { orderId: 'o', day: D, coins: 9, lot: 1 }, RULES).state;
    expect(coinBalance(s, D + 6)).toMatchObject({ available: 0, pending: 9 });
    expect(coinBalance(s, D + 7)).toMatchObject({ available: 9, pending: 0 });
    expect(coinBalance(s, D + 372)).toMatchObject({ available: 0, pending: 0, nextExpiry: null });
  });
});

describe('spending order', () => {
  it('FIFO by expiry, then by lot id', () => {
    const b = book();
    b.purchase('o1', D, 10, 1000); // L1: available D+7, expires D+372
    b.purchase('o2', D + 1, 20, 2000); // L2: expires D+373
    b.adjust('a1', D + 2, 5); // L3: available D+2, expires D+367 → spent first
    b.purchase('o3', D, 7, 700); // L4: same expiry as L1, higher id
    const r = b.redeem('r', D + 10, { coins: 20 });
    expect(r.status).toBe(201);
    expect(kinds(b.entries.filter((e) => e.kind === 'redeem'))).toEqual(['redeem -5 L3', 'redeem -10 L1', 'redeem -5 L4']);
    expect(b.balance(D + 10)).toMatchObject({ available: 22 });
  });
});

describe('refunds', () => {
  it("take from the order's own lot first while it is pending", () => {
    const b = book();
    b.purchase('o1', D, 100, 10_000);
    b.purchase('o2', D + 1, 50, 5_000);
    expect(b.refund('o2', 'f1', D + 2, 2_500)).toBe(25); // 50 × 2500 / 5000
    expect(b.entries.at(-1)).toMatchObject({ id: 'revoke:o2:f1:L2', kind: 'revoke', coins: -25, lot: 2, delta: { pending: -25 } });
    expect(b.balance(D + 2)).toMatchObject({ pending: 125, debt: 0 });
  });

  it('then from the other available lots in spending order, then debt; debt is repaid by later earnings', () => {
    const b = book();
    b.purchase('o1', D, 100, 10_000); // L1
    b.purchase('o2', D + 1, 60, 6_000); // L2
    b.purchase('o3', D + 2, 30, 3_000); // L3
    expect(b.redeem('r1', D + 9, { coins: 150 }).status).toBe(201); // L1 100, L2 50 → L2 has 10 left
    // refund all of o2: 60 coins; own lot has 10, then L3 (available on D+9) 30, then debt 20
    expect(b.refund('o2', 'f1', D + 10, 6_000)).toBe(60);
    expect(kinds(b.entries.slice(-3))).toEqual(['revoke -10 L2', 'revoke -30 L3', 'revoke -20 -']);
    expect(b.balance(D + 10)).toMatchObject({ available: 0, pending: 0, debt: 20 });
    // next earning: 25 coins, 20 repay the debt, the lot holds 5
    b.purchase('o4', D + 11, 25, 2_500);
    expect(b.entries.at(-1)).toMatchObject({ kind: 'earn', coins: 25, lot: 4, delta: { pending: 5, debt: -20 } });
    expect(lotId(4)).toBe('L4');
    expect(lotId(lotNumber('order', 'o4'))).toMatch(/^L[0-9a-z]{1,10}$/);
    expect(lotNumber('order', 'x')).not.toBe(lotNumber('adjustment', 'x'));
    expect(b.balance(D + 11)).toMatchObject({ available: 0, pending: 5, debt: 0 });
  });

  it('without debt the missing part is forgiven', () => {
    const b = book({ allowDebt: false });
    b.purchase('o1', D, 40, 4_000);
    b.redeem('r1', D + 7, { coins: 40 });
    expect(b.refund('o1', 'f1', D + 8, 4_000)).toBe(0);
    expect(b.balance(D + 8)).toMatchObject({ available: 0, debt: 0 });
  });

  it("once per refundId, capped at the order's coins over several refunds", () => {
    const b = book();
    b.purchase('o1', D, 3, 300);
    expect(b.refund('o1', 'f1', D, 150)).toBe(2);
    expect(b.refund('o1', 'f1', D, 150)).toBe(0); // a repeat
    expect(b.refund('o1', 'f2', D, 150)).toBe(1); // 2 again, capped to the 1 left
    expect(b.refund('o1', 'f3', D, 300)).toBe(0);
    expect(b.refund('unknown', 'f1', D, 300)).toBe(0);
  });

  it('coins of a purchase are earned once per order', () => {
    const b = book();
    expect(b.purchase('o1', D, 10, 1000)).toBe(10);
    expect(b.purchase('o1', D, 10, 1000)).toBe(0);
    expect(b.balance(D).pending).toBe(10);
  });
});

describe('notices', () => {
  it('coins_expiring once per lot on expiresOn − 30, with the coins still in it', () => {
    const b = book();
    b.purchase('o1', D, 100, 10_000); // expires D+372, notice D+342
    b.redeem('r', D + 100, { coins: 30 });
    expect(b.runDay(D + 341)).toEqual([]);
    expect(b.runDay(D + 342)).toEqual([{ lot: 1, day: D + 342, expiresOn: D + 372, coins: 70 }]);
    expect(b.runDay(D + 342)).toEqual([]);
    expect(b.runDay(D + 350)).toEqual([]);
  });

  it('a missed notice goes out when the job catches up, dated its notice day; an empty lot gets none', () => {
    const b = book();
    b.purchase('o1', D, 10, 1000);
    b.purchase('o2', D, 5, 500);
    b.redeem('r', D + 8, { coins: 10 }); // empties L1
    expect(b.runDay(D + 360)).toEqual([{ lot: 2, day: D + 342, expiresOn: D + 372, coins: 5 }]);
  });
});

describe('redemption', () => {
  it('insufficient → 409 and nothing changes', () => {
    const b = book();
    b.purchase('o1', D, 10, 1000);
    const before = structuredClone(b.state);
    expect(b.redeem('r1', D + 7, { coins: 11 })).toEqual({ status: 409, code: 'insufficient_coins' });
    expect(b.state).toEqual(before);
    const pure = redeemCoins(b.state, { redemptionId: 'x', day: D + 400, coins: 1 });
    expect(pure).toEqual({ ok: false, code: 'insufficient_coins', available: 0 });
  });

  it('idempotent on redemptionId: same body → 200 and the same answer, another body → 409', () => {
    const b = book();
    b.purchase('o1', D, 100, 10_000);
    const first = b.redeem('r1', D + 7, { coins: 30, orderId: 'till-1' });
    expect(first).toEqual({
      status: 201,
      answer: { redemptionId: 'r1', coins: 30, valueFen: 30, balance: { available: 70, pending: 0, debt: 0 } },
    });
    b.redeem('r2', D + 7, { coins: 10 });
    expect(b.redeem('r1', D + 8, { coins: 30, orderId: 'till-1' })).toEqual({ ...first, status: 200 });
    expect(b.redeem('r1', D + 8, { coins: 31, orderId: 'till-1' })).toEqual({ status: 409, code: 'idempotency_mismatch' });
    expect(b.redeem('r1', D + 8, { coins: 30 })).toEqual({ status: 409, code: 'idempotency_mismatch' });
    expect(b.balance(D + 8).available).toBe(60);
  });

  it('valueFen follows fenPerCoin', () => {
    const b = new CoinBook(RULES, 10);
    b.purchase('o1', D, 5, 500);
    expect(b.redeem('r', D + 7, { coins: 5 })).toMatchObject({ answer: { valueFen: 50 } });
  });
});

describe('reversal', () => {
  it('puts the coins back into the lots they came from, once', () => {
    const b = book();
    b.purchase('o1', D, 10, 1000);
    b.purchase('o2', D + 1, 20, 2000);
    b.redeem('r1', D + 8, { coins: 25 }); // L1 10 (used up, dropped), L2 15
    expect(b.state.lots.map((l) => [l.seq, l.left])).toEqual([[2, 5]]);
    expect(b.reverse('r1', D + 9)).toMatchObject({ status: 200, balance: { available: 30 }, repeated: false });
    expect(b.state.lots.map((l) => [l.seq, l.left, l.expiresOn])).toEqual([
      [1, 10, D + 372],
      [2, 20, D + 373],
    ]);
    expect(b.reverse('r1', D + 9)).toMatchObject({ status: 200, repeated: true, balance: { available: 30 } });
    expect(b.reverse('nope', D + 9)).toEqual({ status: 404 });
    expect(kinds(b.entries.filter((e) => e.kind === 'reverse'))).toEqual(['reverse 10 L1', 'reverse 15 L2']);
  });

  it('coins of a lot that expired meanwhile expire at once', () => {
    const b = book();
    b.purchase('o1', D, 10, 1000); // expires D+372
    b.purchase('o2', D + 100, 20, 2000); // expires D+472
    b.redeem('r1', D + 370, { coins: 15 }); // L1 10, L2 5
    b.reverse('r1', D + 380);
    expect(kinds(b.entries.slice(-3))).toEqual(['reverse 10 L1', 'expire -10 L1', 'reverse 5 L2']);
    expect(b.entries.at(-2)).toMatchObject({ id: 'expire:r1:L1', day: D + 380 });
    expect(b.balance(D + 380)).toMatchObject({ available: 20 });
  });
});

describe('adjustments', () => {
  it('positive: a new lot available at once, for expiryDays', () => {
    const b = book();
    expect(b.adjust('a1', D, 50)).toBe(true);
    expect(b.state.lots).toEqual([{ seq: 1, availableOn: D, expiresOn: D + 365, left: 50, booked: true, noticed: false }]);
    expect(b.adjust('a1', D, 50)).toBe(true); // once per adjustmentId
    expect(b.balance(D).available).toBe(50);
  });

  it('negative: spent like a redemption, the rest becomes debt (or is refused without debt)', () => {
    const b = book();
    b.adjust('a1', D, 30);
    b.adjust('a2', D, -40);
    expect(kinds(b.entries.slice(-2))).toEqual(['adjust -30 L1', 'adjust -10 -']);
    expect(b.balance(D)).toMatchObject({ available: 0, debt: 10 });
    const strict = book({ allowDebt: false });
    strict.adjust('a1', D, 30);
    expect(strict.adjust('a2', D, -40)).toBe(false);
    expect(strict.balance(D)).toMatchObject({ available: 30, debt: 0 });
  });
});

describe('the daily job', () => {
  it('catches up missed days and does nothing the second time', () => {
    const b = book();
    b.purchase('o1', D, 10, 1000);
    b.purchase('o2', D + 5, 20, 2000);
    b.runDay(D + 400); // available L1, L2; notices; expire both
    const after = b.entries.length;
    expect(kinds(b.entries.slice(2))).toEqual(['available 10 L1', 'expire -10 L1', 'available 20 L2', 'expire -20 L2']);
    expect(b.notices).toEqual([]); // expired before the job ran: nothing left to warn about
    b.runDay(D + 400);
    b.runDay(D + 300); // an older day: nothing either
    expect(b.entries.length).toBe(after);
  });

  it('the next due day feeds the job index', () => {
    const s = earnCoins(emptyCoins(), { orderId: 'o', day: D, coins: 9, lot: 1 }, RULES).state;
    expect(nextCoinDueDay(s, 30)).toBe(D + 7);
    const s2 = advanceCoins(s, D + 7).state;
    expect(nextCoinDueDay(s2, 30)).toBe(D + 342);
    expect(nextCoinDueDay(emptyCoins(), 30)).toBeNull();
  });
});

describe('entries', () => {
  it('balance = earned − revoked − redeemed + reversed − expired ± adjusted, and deltas add up to the state', () => {
    const b = book();
    b.purchase('o1', D, 100, 10_000);
    b.purchase('o2', D + 3, 40, 4_000);
    b.redeem('r1', D + 8, { coins: 90 });
    b.refund('o1', 'f1', D + 9, 10_000);
    b.adjust('a1', D + 9, 7);
    b.reverse('r1', D + 10);
    b.runDay(D + 500);
    const sum = (k: string) => b.entries.filter((e) => e.kind === k).reduce((s, e) => s + e.coins, 0);
    const bal = b.balance(D + 500);
    expect(sum('earn') + sum('revoke') + sum('redeem') + sum('reverse') + sum('expire') + sum('adjust')).toBe(
      bal.available + bal.pending - bal.debt,
    );
    expect(sumDeltas(b.entries)).toEqual({ available: bal.available, pending: bal.pending, debt: bal.debt });
    expect(new Set(b.entries.map((e) => e.id)).size).toBe(b.entries.length);
  });
});
