// Folding a member merged away into the member it was merged into (docs/architecture.md#operator-merge):
// everything a visitor's fold unites (activity days, joinedOn = the earlier, purchases, paying days,
// the eventId ring), and what only a member holds: its points (history and lifetime), its coin lots
// (with their own dates and expiry), its own folded-in ids, and the tier — the higher of the two,
// unless the combined qualifying points support more. The counters follow as for a visitor: the
// merged member's whole counts are taken back and the union is booked (shared/identity/fold.ts).
import { makeAction, type Action } from '../actions/actions';
import { compareLots, type CoinState } from '../coins/lots';
import type { MemberState } from '../member/state';
import { applyEarn, type TierChange } from '../points/tiers';
import type { Program } from '../programme/vocabulary';
import { hashHex } from '../util/hash';
import { foldInto } from './fold';

/** Lots of both, in spending order (each keeps its availableOn and expiresOn); debts add up. */
export function mergeCoins(into: CoinState, from: CoinState): CoinState {
  const asOf = into.asOf === null ? from.asOf : from.asOf === null ? into.asOf : Math.max(into.asOf, from.asOf);
  return { lots: [...into.lots, ...from.lots.map((lot) => ({ ...lot }))].sort(compareLots), debt: into.debt + from.debt, asOf };
}

export interface MemberFold {
  /** For the tier history: the merged member's higher tier from its own day, then an upgrade by the combined points. */
  tierChanges: TierChange[];
  action: Action;
}

/**
 * Folds `source` (stored under `sourceKey`, marked merged into `member`) into `member` on `day` (the
 * merge's day). Call once per source: the caller checks `member.identities` first.
 */
export function foldMember(member: MemberState, source: MemberState, sourceKey: string, program: Program, day: number): MemberFold {
  const tierChanges: TierChange[] = [];
  const before = member.tier.tier;
  foldInto(member, source, sourceKey, program);
  member.identities = [...member.identities, ...source.identities.filter((key) => !member.identities.includes(key))];
  member.lifetimePoints += source.lifetimePoints;
  const judged = Math.max(day, member.activity.lastActiveOn ?? day);
  if (source.tier.tier > member.tier.tier) {
    // The person held that tier since the merged member reached it (its dates come along).
    tierChanges.push({ kind: 'upgrade', reason: 'merge', from: before, to: source.tier.tier, day: source.tier.tierSince ?? judged });
    member.tier = { ...source.tier };
    member.atRiskNotifiedFor = source.atRiskNotifiedFor;
  }
  // The combined points may support more than either held: an upgrade as of the merge (judged on
  // the later of its day and the last active day, as purchases are), which no refund reverts.
  const step = applyEarn(program, member.tier, member.history, judged, `merge:${hashHex(sourceKey)}`);
  if (step.change) tierChanges.push({ ...step.change, reason: 'merge' });
  member.tier = step.state;
  member.coins = mergeCoins(member.coins, source.coins);
  const after = member.tier.tier;
  const action = makeAction(
    'member_merged',
    member.memberId,
    day,
    {
      fromMemberId: sourceKey,
      mergeId: source.mergeId ?? null,
      tier: program.tiers[after].id,
      lifetimePoints: member.lifetimePoints,
    },
    [sourceKey],
  );
  return { tierChanges, action };
}
