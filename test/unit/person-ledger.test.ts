// A member's reads after a merge (docs/architecture.md#operator-merge): the ledger keys of the person
// (its own and every id folded into it), where each item came from, and the subject access document
// built over the union — orders, refunds, tier history and derived actions attributed to their owner.
import { describe, expect, it } from 'vitest';
import { mergedMemberKeys, originOf, personLedgerKeys } from '../../shared/identity/person-ledger';
import { visitorKey } from '../../shared/identity/keys';
import { subjectAccessDocument, type LedgerRecord } from '../../shared/privacy/subject-access';
import { newMember } from '../../shared/member/state';
import { loadProgram } from '../../shared/programme/load';
import { dayNumber } from '../../shared/days/days';
import { orderKey, refundKey, tierChangeKey } from '../../shared/keys/ledger-keys';
import { tierAction } from '../../shared/actions/actions';
import type { TierChange } from '../../shared/points/tiers';

const program = loadProgram();
const day = dayNumber('2027-03-02');

function kept() {
  const state = newMember('K', day);
  state.identities = [visitorKey('wx:a'), 'G', visitorKey('card:g'), 'H'];
  return state;
}

const order = (memberId: string, orderId: string, points: number): LedgerRecord => ({
  memberId,
  sk: orderKey(orderId),
  day,
  pts: points,
  ec: points * 100,
  skus: ['s'],
  rv: 0,
  ce: `e-${orderId}`,
});
const refund = (memberId: string, orderId: string, refundId: string, points: number): LedgerRecord => ({
  memberId,
  sk: refundKey(orderId, refundId),
  refundId,
  e: `e-${refundId}`,
  p: points,
});
const change = (memberId: string, c: TierChange): LedgerRecord => ({ memberId, sk: tierChangeKey(c), ...c });

describe("a person's ledger keys and the origin of their items", () => {
  it('lists the member itself first, then every folded-in id once; merged members are the non-visitor keys', () => {
    const state = kept();
    expect(personLedgerKeys(state)).toEqual(['K', 'anon#wx:a', 'G', 'anon#card:g', 'H']);
    expect(personLedgerKeys({ memberId: 'K', identities: ['K', 'G'] })).toEqual(['K', 'G']);
    expect(mergedMemberKeys(state)).toEqual(['G', 'H']);
  });

  it("marks a merged member's item mergedFrom, an anonymous id's anonymousId, the member's own nothing", () => {
    expect(originOf('K', 'K')).toEqual({});
    expect(originOf('K', 'G')).toEqual({ mergedFrom: 'G' });
    expect(originOf('K', visitorKey('wx:a'))).toEqual({ anonymousId: 'wx:a' });
  });
});

describe('the subject access document over the union of the keys', () => {
  const up: TierChange = { kind: 'upgrade', reason: 'earn', from: 0, to: 1, day: day - 3 };
  const merged: TierChange = { kind: 'upgrade', reason: 'merge', from: 0, to: 1, day: day - 3 };
  // The same order id under two keys: each keeps its own refunds.
  const ledger: LedgerRecord[] = [
    order('K', 'o-1', 100),
    order('G', 'o-1', 1200),
    refund('G', 'o-1', 'r-1', 200),
    order('anon#wx:a', 'guest', 0),
    change('K', merged),
    change('G', up),
    { memberId: 'G', sk: 'c#r#red-1', kind: 'redemption', entries: [] },
  ];
  const doc = subjectAccessDocument(program, kept(), ledger, day, '2027-03-02T00:00:00.000Z');

  it('lists every order with its own refunds, marked by where it came from', () => {
    expect(
      doc.orders.map((o) => [o.orderId, o.points, o.refunds.map((r) => r.refundId), o.mergedFrom ?? null, o.anonymousId ?? null]),
    ).toEqual([
      ['o-1', 100, [], null, null],
      ['o-1', 1200, ['r-1'], 'G', null],
      ['guest', 0, [], null, 'wx:a'],
    ]);
  });

  it('lists both tier histories by day, and derives each action under the id it was sent for', () => {
    expect(doc.tierHistory).toEqual([
      { day: '2027-02-27', kind: 'upgrade', reason: 'merge', from: 'member', to: 'silver' },
      { day: '2027-02-27', kind: 'upgrade', reason: 'earn', from: 'member', to: 'silver', mergedFrom: 'G' },
    ]);
    expect(doc.actions.derived).toEqual([tierAction(program, 'K', merged), tierAction(program, 'G', up)]);
  });

  it('names the anonymous ids and the merged members, and marks the other records', () => {
    expect(doc.identities).toEqual(['wx:a', 'card:g']);
    expect(doc.mergedMembers).toEqual(['G', 'H']);
    expect(doc.otherRecords.c).toEqual([{ sk: 'c#r#red-1', kind: 'redemption', entries: [], mergedFrom: 'G' }]);
  });
});
