// What a member "is" as of a day: the facts segment rules read, and the RFM inputs.
import type { MemberState, PurchaseStat } from './state';
import { lastActiveAsOf, statusAsOf } from './status';
import type { Program, SegmentFacts } from '../programme/vocabulary';
import { memberSegments, segmentDiff } from '../segments/segments';
import { sameItems } from '../util/same-items';
import { qualifyingPoints } from '../points/tiers';

/** R, F, M over purchases in [asOf − window + 1, asOf]; null when none. */
export function rfmInputs(program: Program, purchases: readonly PurchaseStat[], asOf: number) {
  const from = asOf - program.qualificationWindowDays + 1;
  let frequency = 0;
  let monetaryCents = 0;
  let last: number | null = null;
  for (const p of purchases) {
    if (p.day < from || p.day > asOf) continue;
    frequency += p.orders;
    monetaryCents += p.cents;
    if (last === null || p.day > last) last = p.day;
  }
  return last === null ? null : { recencyDays: asOf - last, frequency, monetaryCents };
}

export function memberFacts(program: Program, state: MemberState, asOf: number): SegmentFacts {
  const inputs = rfmInputs(program, state.purchases, asOf);
  return {
    tier: program.tiers[state.tier.tier].id,
    qualifyingPoints: qualifyingPoints(state.history, asOf, program.qualificationWindowDays),
    lifetimePoints: state.lifetimePoints,
    status: statusAsOf(program, lastActiveAsOf(state, asOf), asOf),
    rfmSegment: state.rfm?.segment ?? null,
    activeDays: state.activity.activeDays,
    acquisitionChannel: state.acquisitionChannel,
    monetaryCents: inputs?.monetaryCents ?? 0,
    daysSinceLastPurchase: inputs?.recencyDays ?? null,
  };
}

/** Re-evaluates the member's segments as of `asOf`; returns what changed. */
export function evaluateSegments(program: Program, state: MemberState, asOf: number): { entered: string[]; exited: string[] } {
  const next = memberSegments(program, memberFacts(program, state, asOf));
  // Nearly every record leaves the list as it was: it stays the same array (memberDeltas then sees
  // no change without comparing) and no sets are built (#16).
  if (sameItems(state.segments, next)) return { entered: [], exited: [] };
  const diff = segmentDiff(state.segments, next);
  state.segments = next;
  if (diff.entered.length || diff.exited.length) state.segmentsOn = asOf;
  return diff;
}
