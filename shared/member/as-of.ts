// A member as it was at the end of a past day (GET /members/{id}?asOf=, docs/api.md#members): the
// stored state wound back with the tier history, the points history and the recent active days.
import type { Program } from '../programme/vocabulary';
import type { TierChange, TierState } from '../points/tiers';
import type { MemberState } from './state';
import { lastActiveAsOf } from './status';

export type MemberAsOf =
  | { kind: 'member'; state: MemberState; tierHistory: TierChange[] }
  /** The day is before the member's joinedOn: it did not exist yet. */
  | { kind: 'not_yet_joined' }
  /** The day is before the oldest day the state keeps exactly (the recent active days). */
  | { kind: 'not_kept'; oldestDay: number };

/**
 * The oldest day whose state can be told exactly: joinedOn while every active day is among the
 * kept recent ones (a 128-day window), else the oldest kept one (before it, the last active day is gone).
 */
export function oldestAsOfDay(state: MemberState): number {
  const { recent, activeDays } = state.activity;
  return activeDays <= recent.length || !recent.length ? state.joinedOn : Math.max(state.joinedOn, recent[0]);
}

/**
 * The member at the end of day `asOf`. `changes` is its tier history (any order). A day on or after
 * the latest the state has seen answers the state itself. Refund revocations count from their
 * purchase's day, as qualifying points do (docs/rules.md#tiers).
 */
export function memberAsOf(program: Program, state: MemberState, changes: readonly TierChange[], asOf: number): MemberAsOf {
  if (asOf < state.joinedOn) return { kind: 'not_yet_joined' };
  if (asOf < oldestAsOfDay(state)) return { kind: 'not_kept', oldestDay: oldestAsOfDay(state) };
  const { recent, activeDays } = state.activity;
  const laterActive = recent.filter((day) => day > asOf).length;
  const laterPoints = state.history.reduce((sum, e) => (e.day > asOf ? sum + e.points : sum), 0);
  return {
    kind: 'member',
    state: {
      ...state,
      tier: tierAsOf(program, state.tier, state.joinedOn, changes, asOf),
      lifetimePoints: state.lifetimePoints - laterPoints,
      activity: {
        lastActiveOn: lastActiveAsOf(state, asOf),
        recent: recent.filter((day) => day <= asOf),
        activeDays: activeDays - laterActive,
      },
      // The rfm job's scores of a later day are not the member's as of this one.
      rfm: state.rfm && state.rfm.asOf <= asOf ? state.rfm : null,
    },
    tierHistory: changes.filter((c) => c.day <= asOf),
  };
}

/**
 * The tier state at the end of day `asOf`. Without a change after it, the current tier with its
 * review day stepped back over the reviews that kept it after `asOf`. Otherwise the history is
 * replayed from the base tier on `joinedOn` with the rules' dates (shared/points/tiers.ts);
 * a review that kept the tier is recorded nowhere, so one is taken to have run on its review day.
 */
export function tierAsOf(program: Program, current: TierState, joinedOn: number, changes: readonly TierChange[], asOf: number): TierState {
  const period = program.reviewPeriodDays;
  if (!changes.some((c) => c.day > asOf)) {
    let review = current.tierReviewOn;
    const since = current.tierSince ?? joinedOn;
    while (review !== null && review - period > asOf && review - period >= since + period) review -= period;
    return { ...current, tierReviewOn: review };
  }
  let tier = 0;
  let since = joinedOn;
  let review: number | null = null;
  let beforeUpgrade: { tier: number; since: number; review: number | null } | null = null;
  for (const c of chained(changes.filter((change) => change.day <= asOf))) {
    if (c.kind === 'upgrade') {
      beforeUpgrade = { tier, since, review };
      since = c.day;
      review = c.day + period;
    } else if (c.reason === 'refund_revert') {
      // Back to exactly the tier before the upgrade: its dates; to the base tier: this day; else kept.
      if (beforeUpgrade?.tier === c.to) ({ since, review } = beforeUpgrade);
      else if (c.to === 0) since = c.day;
      beforeUpgrade = null;
    } else {
      since = c.day;
      review = c.day + period;
      beforeUpgrade = null;
    }
    tier = c.to;
    if (tier === 0) review = null;
  }
  while (review !== null && review <= asOf) review += period;
  return { tier, tierSince: since, tierReviewOn: review, tierBeforeUpgrade: beforeUpgrade?.tier ?? null, upgradeOrder: null };
}

/**
 * The changes in the order they happened: by day, and within a day as a chain (each one starts
 * from the tier the one before it reached), since their stored order within a day is by key.
 */
function chained(changes: readonly TierChange[]): TierChange[] {
  const left = [...changes].sort((a, b) => a.day - b.day);
  const out: TierChange[] = [];
  let tier = 0;
  while (left.length) {
    const day = left[0].day;
    let at = left.findIndex((c) => c.day === day && c.from === tier);
    if (at < 0) at = 0;
    const [next] = left.splice(at, 1);
    out.push(next);
    tier = next.to;
  }
  return out;
}
