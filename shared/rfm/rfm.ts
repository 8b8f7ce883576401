/**
 * RFM scoring (docs/rules.md#rfm) of the members who purchased in `[D−364, D]`.
 *
 * Quantile definition (nearest rank, on the "goodness" order): order the n values of a dimension
 * from worst to best — R from the most days since the last purchase down, F and M from the smallest
 * up — and take the four cut-offs `c[k−1] = v[ceil(k·n/5) − 1]`, k = 1…4. So `r` is in
 * non-increasing days, `f` and `m` non-decreasing. A score is `1 +` the number of cut-offs the
 * value is *strictly* better than (R: fewer days; F, M: larger).
 *
 * Consequences, all deliberate:
 * - a score depends on the value alone, so equal values always get equal scores, in any input
 *   order; a run of ties across a boundary gets the lower score (when most members bought once,
 *   F = 1 scores 1 and every repeat buyer scores above it);
 * - n distinct values with n a multiple of 5 give exactly n/5 members per score;
 * - all-equal values, or a single purchaser: every score is 1; no purchaser: no cut-offs (empty
 *   arrays), anything scored against them gets 1, and the means are 1 (as if every score were 1).
 *
 * "High" is a score strictly above the dimension's mean score, so a population whose scores are all
 * equal has no high member (its members are all `general-retain`).
 */
import { RFM_CLASSES, type RfmClass } from '../programme/vocabulary';

/** One member who purchased in the window. */
export interface RfmRow {
  memberId: string;
  /** Days since the last purchase in the window (0 = bought on D). */
  recencyDays: number;
  /** Orders in the window. */
  frequency: number;
  /** Eligible spend in the window, in cents. */
  monetaryCents: number;
}

export type RfmValues = Pick<RfmRow, 'recencyDays' | 'frequency' | 'monetaryCents'>;

/** Four cut-offs per dimension (none when nobody purchased); `r` in days, worst (most) first. */
export interface RfmCutoffs {
  r: number[];
  f: number[];
  m: number[];
}

/** Scores 1–5, 5 = most recent / most frequent / highest spend. */
export interface RfmScores {
  r: number;
  f: number;
  m: number;
}

/** Mean score per dimension over the scored members. */
export type RfmMeans = RfmScores;

export interface RfmMember extends RfmValues, RfmScores {
  segment: RfmClass;
}

export interface RfmResult {
  cutoffs: RfmCutoffs;
  means: RfmMeans;
  byMember: Map<string, RfmMember>;
  counts: Record<RfmClass, number>;
}

/** Cut-offs of ascending-sorted values; `reverse` takes them from the top (R: large = worst). */
function quintileCutoffs(sorted: Float64Array, reverse: boolean): number[] {
  const n = sorted.length;
  if (n === 0) return [];
  const out: number[] = [];
  for (let k = 1; k <= 4; k++) {
    const rank = Math.ceil((k * n) / 5) - 1; // position in worst-first order
    out.push(sorted[reverse ? n - 1 - rank : rank]);
  }
  return out;
}

function sortedColumn(rows: readonly RfmValues[], pick: (r: RfmValues) => number): Float64Array {
  const col = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) col[i] = pick(rows[i]);
  return col.sort(); // typed arrays sort numerically
}

export function rfmCutoffs(rows: readonly RfmValues[]): RfmCutoffs {
  return {
    r: quintileCutoffs(
      sortedColumn(rows, (x) => x.recencyDays),
      true,
    ),
    f: quintileCutoffs(
      sortedColumn(rows, (x) => x.frequency),
      false,
    ),
    m: quintileCutoffs(
      sortedColumn(rows, (x) => x.monetaryCents),
      false,
    ),
  };
}

/** 1 + the number of cut-offs `v` is strictly better than. */
function score(cutoffs: readonly number[], v: number, lowerIsBetter: boolean): number {
  let s = 1;
  for (const c of cutoffs) if (lowerIsBetter ? v < c : v > c) s++;
  return s;
}

export function rfmScores(cutoffs: RfmCutoffs, row: RfmValues): RfmScores {
  return {
    r: score(cutoffs.r, row.recencyDays, true),
    f: score(cutoffs.f, row.frequency, false),
    m: score(cutoffs.m, row.monetaryCents, false),
  };
}

export function rfmMeans(rows: readonly RfmValues[], cutoffs: RfmCutoffs): RfmMeans {
  // An empty population counts as all 1s (see the file comment).
  if (rows.length === 0) return { r: 1, f: 1, m: 1 };
  let r = 0;
  let f = 0;
  let m = 0;
  for (const row of rows) {
    r += score(cutoffs.r, row.recencyDays, true);
    f += score(cutoffs.f, row.frequency, false);
    m += score(cutoffs.m, row.monetaryCents, false);
  }
  const n = rows.length;
  return { r: r / n, f: f / n, m: m / n };
}

/**
 * docs/rules.md#rfm: M decides important/general; (R, F) high/low decide value/develop/keep/retain.
 * Picks from `RFM_CLASSES` (important-value…retain, then general-*) rather than building a string.
 */
export function rfmClass(scores: RfmScores, means: RfmMeans): RfmClass {
  const rHigh = scores.r > means.r;
  const fHigh = scores.f > means.f;
  const kind = rHigh ? (fHigh ? 0 : 1) : fHigh ? 2 : 3;
  return RFM_CLASSES[(scores.m > means.m ? 0 : 4) + kind];
}

/** Scores and classes every row. Each memberId must appear once (throws otherwise). */
export function computeRfm(rows: readonly RfmRow[]): RfmResult {
  const cutoffs = rfmCutoffs(rows);
  const n = rows.length;
  // Scores go to typed arrays first: the means need them all before any member can be classed.
  const rs = new Uint8Array(n);
  const fs = new Uint8Array(n);
  const ms = new Uint8Array(n);
  let rSum = 0;
  let fSum = 0;
  let mSum = 0;
  for (let i = 0; i < n; i++) {
    rSum += rs[i] = score(cutoffs.r, rows[i].recencyDays, true);
    fSum += fs[i] = score(cutoffs.f, rows[i].frequency, false);
    mSum += ms[i] = score(cutoffs.m, rows[i].monetaryCents, false);
  }
  const means = n === 0 ? { r: 1, f: 1, m: 1 } : { r: rSum / n, f: fSum / n, m: mSum / n };
  const counts = Object.fromEntries(RFM_CLASSES.map((c) => [c, 0])) as Record<RfmClass, number>;
  const byMember = new Map<string, RfmMember>();
  for (let i = 0; i < n; i++) {
    const { memberId, recencyDays, frequency, monetaryCents } = rows[i];
    const r = rs[i];
    const f = fs[i];
    const m = ms[i];
    const segment = rfmClass({ r, f, m }, means);
    counts[segment]++;
    byMember.set(memberId, { recencyDays, frequency, monetaryCents, r, f, m, segment });
    if (byMember.size !== i + 1) throw new Error(`computeRfm: duplicate memberId "${memberId}"`);
  }
  return { cutoffs, means, byMember, counts };
}
