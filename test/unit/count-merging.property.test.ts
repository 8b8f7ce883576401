// Counts merged a key at a time (copyCounts: a key the target lacks is copied in one loop) are the
// counts added counter by counter (addCount), whatever the target already holds: the same keys,
// the same values, no zero kept, and the source never shared with the target.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deltasToCounts } from '../../shared/batch/counter-flush';
import { addCount, mergeCounts, type CoinCounts } from '../../shared/coins/outbox';
import type { Deltas } from '../../shared/metrics/deltas';

const keys = fc.constantFrom('d#1', 'd#2', 'totals', 'c#5');
const names = fc.constantFrom('dau', 'nm', 'r1', 'pc', 'x');
const value = fc.integer({ min: -3, max: 3 });
/** Counts as stored: no zero (addCount never leaves one). */
const counts = fc.array(fc.tuple(keys, names, value), { maxLength: 12 }).map((adds) => {
  const out: CoinCounts = {};
  for (const [k, n, v] of adds) addCount(out, k, n, v);
  return out;
});
/** Deltas as the reducer builds them: zeros may stand. */
const deltas = fc.array(fc.tuple(keys, names, value), { maxLength: 12 }).map((adds) => {
  const out: Deltas = new Map();
  for (const [k, n, v] of adds) {
    const m = out.get(k) ?? new Map<string, number>();
    m.set(n, (m.get(n) ?? 0) + v);
    out.set(k, m);
  }
  return out;
});

const copy = (c: CoinCounts): CoinCounts => JSON.parse(JSON.stringify(c)) as CoinCounts;

describe('merging counts a key at a time', () => {
  it('mergeCounts equals addCount counter by counter, and shares no object with its source', () => {
    fc.assert(
      fc.property(counts, counts, (into, more) => {
        const reference = copy(into);
        for (const key in more) for (const name in more[key]) addCount(reference, key, name, more[key][name]);
        const merged = mergeCounts(copy(into), more);
        expect(merged).toEqual(reference);
        for (const key in merged) expect(merged[key]).not.toBe(more[key]);
        for (const key in merged) for (const name in merged[key]) expect(merged[key][name]).not.toBe(0);
      }),
    );
  });

  it('deltasToCounts equals addCount delta by delta (zero deltas left out)', () => {
    fc.assert(
      fc.property(counts, deltas, (into, d) => {
        const reference = copy(into);
        for (const [key, m] of d) for (const [name, n] of m) addCount(reference, key, name, n);
        expect(deltasToCounts(d, copy(into))).toEqual(reference);
      }),
    );
  });
});
