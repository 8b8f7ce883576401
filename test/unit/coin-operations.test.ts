// The API's coin use cases (shared/coins/operations.ts) against an in-memory CoinOperationsPort:
// idempotent on redemptionId, 409 insufficient_coins changing nothing, a commit that loses the
// member's version redone on the winner's state, reversal once, adjustments once.
import { MemoryCoinDue } from '../support/memory-ports';
import { describe, expect, it } from 'vitest';
import { dayString } from '../../shared/days/days';
import { earnCoins } from '../../shared/coins/ledger';
import {
  adjust,
  CoinRefusal,
  redeem,
  reverseRedemption,
  type CoinOperationsDeps,
  type CoinOperationsPort,
} from '../../shared/coins/operations';
import type { OperationRecord, PendingOperation } from '../../shared/coins/operation-records';
import { newMember, type MemberState } from '../../shared/member/state';
import { defaultProgram } from '../../shared/programme/load';

const program = defaultProgram();
const D = 20_400; // the day the tests run on
const now = Date.parse(`${dayString(D)}T04:00:00Z`);

class MemoryCoinStore implements CoinOperationsPort {
  members = new Map<string, MemberState>();
  records = new Map<string, OperationRecord>();
  /** Counter items by source (a rewrite replaces, never adds). */
  counters = new Map<string, PendingOperation['counts']>();
  /** Before the next member write, another writer moves the member on (as the consumer would). */
  interfere?: (state: MemberState) => MemberState;
  /** The next `store` dies before anything is stored (the request's process is gone). */
  crashNextStore = false;

  get counts() {
    return [...this.counters.keys()];
  }

  async operation<T extends OperationRecord>(memberId: string, key: string) {
    return (structuredClone(this.records.get(`${memberId}|${key}`)) as T) ?? null;
  }

  async putMember(state: MemberState) {
    if (this.interfere) {
      const current = this.members.get(state.memberId)!;
      this.members.set(state.memberId, { ...this.interfere(current), version: current.version + 1 });
      this.interfere = undefined;
    }
    if (this.members.get(state.memberId)!.version !== state.version) return false;
    this.members.set(state.memberId, structuredClone({ ...state, version: state.version + 1 }));
    return true;
  }

  /** The settle record taken by a consumer at once: it stores the record from the pending entry. */
  announce(memberId: string, pending: PendingOperation) {
    return this.store(memberId, pending);
  }

  async store(memberId: string, pending: PendingOperation) {
    if (this.crashNextStore) {
      this.crashNextStore = false;
      throw new Error('crash');
    }
    this.counters.set(pending.op, structuredClone(pending.counts));
    const key = `${memberId}|${pending.record.sk}`;
    const known = this.records.get(key);
    const reversal = pending.record.kind === 'redemption' && pending.record.reversed;
    if (!known || (reversal && known.kind === 'redemption' && !known.reversed)) this.records.set(key, structuredClone(pending.record));
  }
}

function setup(coins = 100) {
  const store = new MemoryCoinStore();
  const member = newMember('m', D - 30);
  member.coins = earnCoins(member.coins, { orderId: 'o1', day: D - 20, coins, lot: 1 }, program.coins).state;
  store.members.set('m', member);
  const deps: CoinOperationsDeps = {
    store,
    hints: new MemoryCoinDue(),
    member: async (id) => store.members.get(id)!,
    coins: program.coins,
    timezone: program.timezone,
    now: () => now,
  };
  return { store, deps };
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => (e instanceof CoinRefusal ? e.code : e),
  );

describe('coin operations (use cases)', () => {
  it('redeems once per redemptionId: the same body answers 200 with the same answer, another body 409', async () => {
    const { store, deps } = setup();
    const first = await redeem(deps, 'm', 'r1', { coins: 30 });
    expect(first).toEqual({
      status: 201,
      answer: { redemptionId: 'r1', coins: 30, valueFen: 30, balance: { available: 70, pending: 0, debt: 0 } },
    });
    expect(await redeem(deps, 'm', 'r1', { coins: 30 })).toEqual({ status: 200, answer: first.answer });
    expect(await refusal(redeem(deps, 'm', 'r1', { coins: 31 }))).toBe('idempotency_mismatch');
    expect(store.counts).toEqual(['r#r1']);
  });

  it('refuses more than available and changes nothing', async () => {
    const { store, deps } = setup();
    const before = structuredClone(store.members.get('m'));
    expect(await refusal(redeem(deps, 'm', 'r1', { coins: 101 }))).toBe('insufficient_coins');
    expect(store.members.get('m')).toEqual(before);
    expect(store.records.size).toBe(0);
  });

  it("redoes a commit that lost the member's version on the winner's state (never overdrawing)", async () => {
    const { store, deps } = setup();
    // Another writer spends 80 of the 100 between the read and the write: 30 no longer fit.
    store.interfere = (s) => ({ ...s, coins: { ...s.coins, lots: s.coins.lots.map((l) => ({ ...l, left: l.left - 80 })) } });
    expect(await refusal(redeem(deps, 'm', 'r1', { coins: 30 }))).toBe('insufficient_coins');
    expect(store.records.size).toBe(0);
    store.interfere = (s) => s; // only the version moves: the redemption goes through on a re-read
    expect((await redeem(deps, 'm', 'r2', { coins: 20 })).answer.balance.available).toBe(0);
  });

  it('reverses a redemption once and answers 404 for an unknown one', async () => {
    const { store, deps } = setup();
    await redeem(deps, 'm', 'r1', { coins: 30 });
    expect(await reverseRedemption(deps, 'm', 'r1')).toEqual({
      changed: true,
      coins: 30,
      balance: { available: 100, pending: 0, debt: 0 },
    });
    expect(await reverseRedemption(deps, 'm', 'r1')).toMatchObject({ changed: false, balance: { available: 100 } });
    expect(await refusal(reverseRedemption(deps, 'm', 'nope'))).toBe('redemption_not_found');
    expect(store.counts).toEqual(['r#r1', 'v#r1']);
  });

  it('adjusts once per adjustmentId (another body 409)', async () => {
    const { store, deps } = setup();
    expect(await adjust(deps, 'm', 'a1', { coins: -130, reason: 'x' })).toEqual({
      changed: true,
      balance: { available: 0, pending: 0, debt: 30 },
    });
    expect(await adjust(deps, 'm', 'a1', { coins: -130, reason: 'x' })).toMatchObject({ changed: false });
    expect(await refusal(adjust(deps, 'm', 'a1', { coins: 5, reason: 'x' }))).toBe('idempotency_mismatch');
    expect(store.counts).toEqual(['a#a1']);
  });

  it('a request that dies after its member write: the retry answers 200 with the same answer, spent and counted once', async () => {
    const { store, deps } = setup();
    store.crashNextStore = true;
    await expect(redeem(deps, 'm', 'r1', { coins: 30 })).rejects.toThrow('crash');
    // Committed on the member (pending there), not in the ledger yet.
    expect(store.members.get('m')!.tillOps?.map((p) => p.op)).toEqual(['r#r1']);
    expect(store.records.size).toBe(0);
    const again = await redeem(deps, 'm', 'r1', { coins: 30 });
    expect(again).toEqual({
      status: 200,
      answer: { redemptionId: 'r1', coins: 30, valueFen: 30, balance: { available: 70, pending: 0, debt: 0 } },
    });
    expect(await refusal(redeem(deps, 'm', 'r1', { coins: 31 }))).toBe('idempotency_mismatch');
    expect(store.counts).toEqual(['r#r1']);
    // The same counts as a request that never died.
    const clean = setup();
    await redeem(clean.deps, 'm', 'r1', { coins: 30 });
    expect(store.counters.get('r#r1')).toEqual(clean.store.counters.get('r#r1'));
    expect(store.records.get('m|c#r#r1')).toEqual(clean.store.records.get('m|c#r#r1'));
    // The next operation stores nothing twice and drops the stored entry from the member.
    await redeem(deps, 'm', 'r2', { coins: 10 });
    expect(store.members.get('m')!.tillOps?.map((p) => p.op)).toEqual(['r#r2']);
    expect(await refusal(redeem(deps, 'm', 'r3', { coins: 61 }))).toBe('insufficient_coins');
  });

  it('a dead request is stored by the next operation on the member (another redemption, a reversal of it)', async () => {
    const { store, deps } = setup();
    store.crashNextStore = true;
    await expect(redeem(deps, 'm', 'r1', { coins: 30 })).rejects.toThrow('crash');
    // The reversal finds r1 pending, stores it, then reverses it.
    expect(await reverseRedemption(deps, 'm', 'r1')).toMatchObject({ changed: true, balance: { available: 100 } });
    expect(store.records.get('m|c#r#r1')).toMatchObject({ reversed: true });
    expect(store.counts).toEqual(['r#r1', 'v#r1']);
    // A reversal that dies after its member write is not redone: the retry finds it pending.
    await redeem(deps, 'm', 'r2', { coins: 40 });
    store.crashNextStore = true;
    await expect(reverseRedemption(deps, 'm', 'r2')).rejects.toThrow('crash');
    expect(await reverseRedemption(deps, 'm', 'r2')).toMatchObject({ changed: false, balance: { available: 100 } });
    expect(store.records.get('m|c#r#r2')).toMatchObject({ reversed: true });
    expect(store.counts).toEqual(['r#r1', 'v#r1', 'r#r2', 'v#r2']);
  });
});
