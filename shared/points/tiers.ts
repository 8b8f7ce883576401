/**
 * Qualifying points and tiers (docs/rules.md#tiers): upgrade, refund revert, review, at risk.
 *
 * A *points history* is an array of `{ day, points }` sorted by day, one entry per purchase day:
 * the net points of the member's purchases made that day, after the revocations of refunds
 * (a refund's revocation is attributed to the *purchase's* day, not the refund's). Qualifying
 * points on day D are the sum of the entries in `[D − (window − 1), D]`.
 *
 * Tiers are referred to by their index in `program.tiers` (0 = the base tier).
 * Every function is pure and returns a new state (or the same object when nothing changes).
 */
import type { Program } from '../programme/vocabulary';

export interface PointsEntry {
  day: number;
  points: number;
}
export type PointsHistory = readonly PointsEntry[];

export interface TierState {
  /** Index into `program.tiers`. */
  tier: number;
  /** Day the member entered the current tier (null: never set, e.g. the base tier from the start). */
  tierSince: number | null;
  /** Day of the next review; null for the base tier, which is never reviewed. */
  tierReviewOn: number | null;
  /** Tier held before the latest upgrade, until a review or a refund revert settles it. */
  tierBeforeUpgrade: number | null;
  /** orderId (or other reference) of the purchase that caused the latest upgrade. */
  upgradeOrder: string | null;
  /**
   * `tierSince` / `tierReviewOn` as they were before the latest upgrade, restored when a refund
   * revert falls back to exactly `tierBeforeUpgrade`. Optional: a state persisted without them
   * (`undefined`) makes a revert keep the upgrade's dates instead.
   */
  sinceBeforeUpgrade?: number | null;
  reviewBeforeUpgrade?: number | null;
}

export interface TierChange {
  kind: 'upgrade' | 'downgrade';
  reason: 'earn' | 'refund_revert' | 'review' | 'merge';
  /** Tier indexes. */
  from: number;
  to: number;
  day: number;
}

export interface TierStep {
  state: TierState;
  /** null when the tier did not change (dates may still have, e.g. a review that keeps the tier). */
  change: TierChange | null;
}

/** The state of a new member: base tier, never reviewed. */
export function initialTierState(joinedOn: number | null = null): TierState {
  return { tier: 0, tierSince: joinedOn, tierReviewOn: null, tierBeforeUpgrade: null, upgradeOrder: null };
}

// ---------------------------------------------------------------------------------------------
// Points history

/** Sum of the entries whose day is in `[asOfDay − (windowDays − 1), asOfDay]` (both inclusive). */
export function qualifyingPoints(history: PointsHistory, asOfDay: number, windowDays = 365): number {
  return sumBetween(history, asOfDay - (windowDays - 1), asOfDay);
}

function sumBetween(history: PointsHistory, from: number, to: number): number {
  let sum = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const e = history[i];
    if (e.day > to) continue;
    if (e.day < from) break; // sorted: nothing earlier is in range
    sum += e.points;
  }
  return sum;
}

/** Sum of every entry. With a pruned history this is not the lifetime total: keep that apart. */
export function totalPoints(history: PointsHistory): number {
  let sum = 0;
  for (const e of history) sum += e.points;
  return sum;
}

/**
 * Adds `delta` points (negative for a revocation) to the entry of `day`, keeping the history
 * sorted and merged; an entry that reaches 0 is removed. Returns a new array.
 */
export function addPoints(history: PointsHistory, day: number, delta: number): PointsEntry[] {
  const out = history.slice();
  if (delta === 0) return out;
  let i = out.length;
  while (i > 0 && out[i - 1].day > day) i--;
  if (i > 0 && out[i - 1].day === day) {
    const points = out[i - 1].points + delta;
    if (points === 0) out.splice(i - 1, 1);
    else out[i - 1] = { day, points };
  } else {
    out.splice(i, 0, { day, points: delta });
  }
  return out;
}

/** Drops the entries before `fromDay` (they can no longer count for a day ≥ fromDay + window − 1). */
export function pruneHistory(history: PointsHistory, fromDay: number): PointsEntry[] {
  let i = 0;
  while (i < history.length && history[i].day < fromDay) i++;
  return history.slice(i);
}

// ---------------------------------------------------------------------------------------------
// Tiers

/** Index of the highest tier whose threshold `points` reach (0 for anything below the first). */
export function tierIndexFor(program: Program, points: number): number {
  const tiers = program.tiers;
  let i = tiers.length - 1;
  while (i > 0 && points < tiers[i].threshold) i--;
  return i;
}

export function tierThreshold(program: Program, tier: number): number {
  return program.tiers[tier].threshold;
}

function qp(program: Program, history: PointsHistory, day: number): number {
  return qualifyingPoints(history, day, program.qualificationWindowDays);
}

/**
 * After a purchase (already in `history`) on `day`: upgrade at once when qualifying points on
 * `day` reach a higher tier's threshold (tiers may be skipped). The upgrade restarts the clock:
 * `tierSince` = day, `tierReviewOn` = day + reviewPeriodDays; it remembers the tier (and dates)
 * before it and `orderRef`, for a refund revert. Never lowers a tier.
 */
export function applyEarn(program: Program, state: TierState, history: PointsHistory, day: number, orderRef: string): TierStep {
  const target = tierIndexFor(program, qp(program, history, day));
  if (target <= state.tier) return { state, change: null };
  return {
    state: {
      tier: target,
      tierSince: day,
      tierReviewOn: day + program.reviewPeriodDays,
      tierBeforeUpgrade: state.tier,
      upgradeOrder: orderRef,
      sinceBeforeUpgrade: state.tierSince,
      reviewBeforeUpgrade: state.tierReviewOn,
    },
    change: { kind: 'upgrade', reason: 'earn', from: state.tier, to: target, day },
  };
}

/**
 * After a refund (its revocation already in `history`) of order `orderRef` on `day`: when
 * qualifying points on `day` are below the current tier's threshold and `orderRef` caused the
 * latest upgrade, fall back at once to `max(tierBeforeUpgrade, tier the points support)`.
 *
 * Dates: back to exactly the pre-upgrade tier → the pre-upgrade `tierSince`/`tierReviewOn` are
 * restored when known (an upgrade-and-refund must not buy a fresh review year; a restored review
 * day already past is simply due at the next review run); back to the base tier without them →
 * `tierSince` = day, `tierReviewOn` = null; otherwise (a tier between, or old dates unknown) the
 * upgrade's dates are kept. The upgrade memory is cleared, so it reverts at most once.
 */
export function applyRefundRevert(program: Program, state: TierState, history: PointsHistory, day: number, orderRef: string): TierStep {
  if (state.tier === 0 || state.upgradeOrder === null || state.upgradeOrder !== orderRef) return { state, change: null };
  const points = qp(program, history, day);
  if (points >= tierThreshold(program, state.tier)) return { state, change: null };
  const before = state.tierBeforeUpgrade ?? 0;
  const to = Math.max(before, tierIndexFor(program, points));
  let tierSince = state.tierSince;
  let tierReviewOn = state.tierReviewOn;
  if (to === before && state.sinceBeforeUpgrade !== undefined && state.reviewBeforeUpgrade !== undefined) {
    tierSince = state.sinceBeforeUpgrade;
    tierReviewOn = state.reviewBeforeUpgrade;
  } else if (to === 0) {
    tierSince = day;
    tierReviewOn = null;
  }
  if (to === 0) tierReviewOn = null;
  return {
    state: {
      tier: to,
      tierSince,
      tierReviewOn,
      tierBeforeUpgrade: null,
      upgradeOrder: null,
      sinceBeforeUpgrade: null,
      reviewBeforeUpgrade: null,
    },
    change: { kind: 'downgrade', reason: 'refund_revert', from: state.tier, to, day },
  };
}

/** Whether the review as of day R applies: a non-base tier with `tierReviewOn ≤ R`. */
export function isReviewDue(state: TierState, R: number): boolean {
  return state.tier > 0 && state.tierReviewOn !== null && state.tierReviewOn <= R;
}

/**
 * The review as of day R (a no-op unless {@link isReviewDue}). Qualifying points on R reach the
 * tier's threshold → kept, `tierReviewOn` = R + reviewPeriodDays. Otherwise down: `one_down` →
 * `max(tier − 1, supported)`, `balance_based` → supported; `tierSince` = R, `tierReviewOn` =
 * R + reviewPeriodDays, or null when the new tier is the base tier (never reviewed). Either way
 * the upgrade memory is cleared: a tier confirmed or set by a review is no longer "the latest
 * upgrade's" and a later refund of that order does not revert it.
 */
export function reviewTier(program: Program, state: TierState, history: PointsHistory, R: number): TierStep {
  if (!isReviewDue(state, R)) return { state, change: null };
  const points = qp(program, history, R);
  const settled = { tierBeforeUpgrade: null, upgradeOrder: null, sinceBeforeUpgrade: null, reviewBeforeUpgrade: null };
  if (points >= tierThreshold(program, state.tier)) {
    return {
      state: { ...state, ...settled, tierReviewOn: R + program.reviewPeriodDays },
      change: null,
    };
  }
  const supported = tierIndexFor(program, points);
  const to = program.downgradePolicy === 'one_down' ? Math.max(state.tier - 1, supported) : supported;
  return {
    state: { ...settled, tier: to, tierSince: R, tierReviewOn: to === 0 ? null : R + program.reviewPeriodDays },
    change: { kind: 'downgrade', reason: 'review', from: state.tier, to, day: R },
  };
}

/**
 * The review as of R, after the reviews the member missed: while a whole review period fits
 * between `tierReviewOn` and R (a purchase dated long before it arrived made a tier whose review
 * day had already passed), the review runs as of that day first, as a daily job at the time would
 * have run it. A purchase of any past date thus never holds a tier its points no longer support
 * beyond the next daily review (docs/rules.md#tiers).
 */
export function reviewTierCatchingUp(program: Program, state: TierState, history: PointsHistory, R: number): TierStep[] {
  const steps: TierStep[] = [];
  let current = state;
  while (isReviewDue(current, R) && current.tierReviewOn! + program.reviewPeriodDays <= R) {
    const step = reviewTier(program, current, history, current.tierReviewOn!);
    steps.push(step);
    current = step.state;
  }
  steps.push(reviewTier(program, current, history, R));
  return steps;
}

/**
 * Qualifying points the member will have on `tierReviewOn` counting only purchases made up to
 * `asOfDay` (default: every entry of the history): the points that will still be in the window
 * then. null for a state without a review day.
 */
export function projectedReviewPoints(
  program: Program,
  state: TierState,
  history: PointsHistory,
  asOfDay: number = Number.POSITIVE_INFINITY,
): number | null {
  if (state.tierReviewOn === null) return null;
  const R = state.tierReviewOn;
  return sumBetween(history, R - (program.qualificationWindowDays - 1), Math.min(R, asOfDay));
}

/**
 * At risk on `day`: a non-base tier, `day` in `[tierReviewOn − atRiskNoticeDays, tierReviewOn)`,
 * and the projected qualifying points on `tierReviewOn` (purchases up to `day` only) below the
 * tier's threshold — i.e. without further purchases the review would move the member down.
 */
export function isAtRisk(program: Program, state: TierState, history: PointsHistory, day: number): boolean {
  if (state.tier === 0 || state.tierReviewOn === null) return false;
  if (day < state.tierReviewOn - program.atRiskNoticeDays || day >= state.tierReviewOn) return false;
  return (projectedReviewPoints(program, state, history, day) ?? 0) < tierThreshold(program, state.tier);
}

/** Points still missing to the next tier's threshold (0 if already reached); null at the top tier. */
export function pointsToNextTier(program: Program, state: TierState, qualifying: number): number | null {
  const next = program.tiers[state.tier + 1];
  if (next === undefined) return null;
  return Math.max(0, next.threshold - qualifying);
}

/**
 * Points still to earn by `tierReviewOn` to keep the tier at the review: threshold − projected
 * review points (purchases up to `asOfDay`, default all), at least 0; 0 for the base tier.
 */
export function pointsRequiredToRemain(program: Program, state: TierState, history: PointsHistory, asOfDay?: number): number {
  if (state.tier === 0) return 0;
  const projected = projectedReviewPoints(program, state, history, asOfDay);
  if (projected === null) return 0;
  return Math.max(0, tierThreshold(program, state.tier) - projected);
}
