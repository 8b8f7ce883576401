import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RFM_CLASSES } from '../../shared/programme/vocabulary';
import { computeRfm, rfmClass, rfmCutoffs, rfmMeans, rfmScores, type RfmRow } from '../../shared/rfm/rfm';

const row = (memberId: string, recencyDays: number, frequency: number, monetaryCents: number): RfmRow => ({
  memberId,
  recencyDays,
  frequency,
  monetaryCents,
});

describe('rfmCutoffs / rfmScores: hand-computed', () => {
  // R = 0..9 days, F = 1..10 orders, M = 100..1000 cents: two members per score.
  const rows = Array.from({ length: 10 }, (_, i) => row(`m${i}`, i, i + 1, (i + 1) * 100));

  it('takes nearest-rank quintiles, R in days from the worst (most days)', () => {
    // positions ceil(k·10/5) − 1 = 1, 3, 5, 7 of the worst-first order
    expect(rfmCutoffs(rows)).toEqual({ r: [8, 6, 4, 2], f: [2, 4, 6, 8], m: [200, 400, 600, 800] });
  });

  it('scores 5 = most recent, most frequent, highest spend', () => {
    const c = rfmCutoffs(rows);
    expect(rows.map((x) => rfmScores(c, x).r)).toEqual([5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
    expect(rows.map((x) => rfmScores(c, x).f)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(rows.map((x) => rfmScores(c, x).m)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(rfmMeans(rows, c)).toEqual({ r: 3, f: 3, m: 3 });
  });

  it('gives ties the same (lower) score', () => {
    // n = 7: positions ceil(7k/5) − 1 = 1, 2, 4, 5
    const m = [0, 500, 500, 500, 900, 1200, 3000];
    const rs = m.map((v, i) => row(`m${i}`, 0, 1, v));
    const c = rfmCutoffs(rs);
    expect(c.m).toEqual([500, 500, 900, 1200]);
    expect(rs.map((x) => rfmScores(c, x).m)).toEqual([1, 1, 1, 1, 3, 4, 5]);
    expect(rfmMeans(rs, c).m).toBeCloseTo(16 / 7, 12);
  });

  it('puts the one-order majority at F = 1 and repeat buyers above it', () => {
    const rs = Array.from({ length: 100 }, (_, i) => row(`m${i}`, 1, i < 85 ? 1 : i < 95 ? 2 : 3, 100));
    const c = rfmCutoffs(rs);
    expect(c.f).toEqual([1, 1, 1, 1]);
    expect(rfmScores(c, rs[0]).f).toBe(1);
    expect(rfmScores(c, rs[90]).f).toBe(5);
    expect(rfmScores(c, rs[99]).f).toBe(5);
  });

  it('does not depend on the input order', () => {
    const shuffled = [rows[3], rows[9], rows[0], rows[7], rows[1], rows[5], rows[8], rows[2], rows[6], rows[4]];
    expect(rfmCutoffs(shuffled)).toEqual(rfmCutoffs(rows));
  });
});

describe('degenerate populations', () => {
  it('0 purchasers: no cut-offs, means 1, nothing counted', () => {
    const r = computeRfm([]);
    expect(r.cutoffs).toEqual({ r: [], f: [], m: [] });
    expect(r.means).toEqual({ r: 1, f: 1, m: 1 });
    expect(r.byMember.size).toBe(0);
    expect(Object.values(r.counts).reduce((a, b) => a + b, 0)).toBe(0);
    // a member scored against them ranks like a sole purchaser
    expect(rfmScores(r.cutoffs, row('x', 0, 3, 999))).toEqual({ r: 1, f: 1, m: 1 });
    expect(rfmMeans([], r.cutoffs)).toEqual({ r: 1, f: 1, m: 1 });
  });

  it('1 purchaser: scores 1, general-retain', () => {
    const r = computeRfm([row('solo', 3, 2, 5000)]);
    expect(r.cutoffs).toEqual({ r: [3, 3, 3, 3], f: [2, 2, 2, 2], m: [5000, 5000, 5000, 5000] });
    expect(r.byMember.get('solo')).toEqual({
      recencyDays: 3,
      frequency: 2,
      monetaryCents: 5000,
      r: 1,
      f: 1,
      m: 1,
      segment: 'general-retain',
    });
  });

  it('all-equal values: equal scores, nobody above the mean', () => {
    const r = computeRfm(Array.from({ length: 50 }, (_, i) => row(`m${i}`, 7, 2, 1234)));
    expect(r.means).toEqual({ r: 1, f: 1, m: 1 });
    expect(r.counts['general-retain']).toBe(50);
  });

  it('rejects a repeated memberId', () => {
    expect(() => computeRfm([row('a', 1, 1, 1), row('a', 2, 2, 2)])).toThrow(/duplicate memberId "a"/);
  });
});

describe('rfmClass', () => {
  const means = { r: 3, f: 3, m: 3 };
  it.each([
    [{ r: 4, f: 4, m: 4 }, 'important-value'],
    [{ r: 4, f: 3, m: 4 }, 'important-develop'],
    [{ r: 3, f: 4, m: 4 }, 'important-keep'],
    [{ r: 1, f: 1, m: 5 }, 'important-retain'],
    [{ r: 5, f: 5, m: 3 }, 'general-value'],
    [{ r: 5, f: 1, m: 1 }, 'general-develop'],
    [{ r: 2, f: 5, m: 2 }, 'general-keep'],
    [{ r: 3, f: 3, m: 3 }, 'general-retain'], // equal to the mean is not high
  ] as const)('%o → %s', (scores, cls) => {
    expect(rfmClass(scores, means)).toBe(cls);
  });

  it('compares with fractional means', () => {
    expect(rfmClass({ r: 3, f: 2, m: 3 }, { r: 2.9, f: 2.01, m: 3.01 })).toBe('general-develop');
  });
});

describe('computeRfm', () => {
  it('covers all 8 classes on a crafted set', () => {
    // every (R, F, M) combination of a good and a bad value; each dimension scores 3 or 1, mean 2
    const rows: RfmRow[] = [];
    for (const r of [1, 100]) {
      for (const f of [1, 5]) for (const m of [100, 10_000]) rows.push(row(`${r}-${f}-${m}`, r, f, m));
    }
    const res = computeRfm(rows);
    expect(res.means).toEqual({ r: 2, f: 2, m: 2 });
    for (const c of RFM_CLASSES) expect(res.counts[c]).toBe(1);
    expect(res.byMember.get('1-5-10000')?.segment).toBe('important-value');
    expect(res.byMember.get('1-1-10000')?.segment).toBe('important-develop');
    expect(res.byMember.get('100-5-10000')?.segment).toBe('important-keep');
    expect(res.byMember.get('100-1-10000')?.segment).toBe('important-retain');
    expect(res.byMember.get('1-5-100')?.segment).toBe('general-value');
    expect(res.byMember.get('1-1-100')?.segment).toBe('general-develop');
    expect(res.byMember.get('100-5-100')?.segment).toBe('general-keep');
    expect(res.byMember.get('100-1-100')?.segment).toBe('general-retain');
  });

  it('scores 100k members (speed is measured by npm run bench, not asserted)', () => {
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);
    const rows = Array.from({ length: 100_000 }, (_, i) => row(`m${i}`, rand(365), 1 + rand(40), rand(5_000_000)));
    const res = computeRfm(rows);
    expect(res.byMember.size).toBe(100_000);
    expect(Object.values(res.counts).reduce((a, b) => a + b, 0)).toBe(100_000);
  });
});

describe('properties', () => {
  const valuesArb = fc.record({
    recencyDays: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 364 })),
    frequency: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 200 })),
    monetaryCents: fc.oneof(fc.constantFrom(0, 100, 9_999), fc.integer({ min: 0, max: 10_000_000 })),
  });
  const rowsArb = fc.array(valuesArb, { maxLength: 60 }).map((vs) => vs.map((v, i): RfmRow => ({ memberId: `m${i}`, ...v })));

  it('a member better on a dimension never scores lower; equal values score equal', () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const c = rfmCutoffs(rows);
        const s = rows.map((x) => rfmScores(c, x));
        for (let i = 0; i < rows.length; i++) {
          for (let j = 0; j < rows.length; j++) {
            const a = rows[i];
            const b = rows[j];
            if (a.recencyDays < b.recencyDays) expect(s[i].r).toBeGreaterThanOrEqual(s[j].r);
            if (a.recencyDays === b.recencyDays) expect(s[i].r).toBe(s[j].r);
            if (a.frequency > b.frequency) expect(s[i].f).toBeGreaterThanOrEqual(s[j].f);
            if (a.frequency === b.frequency) expect(s[i].f).toBe(s[j].f);
            if (a.monetaryCents > b.monetaryCents) expect(s[i].m).toBeGreaterThanOrEqual(s[j].m);
            if (a.monetaryCents === b.monetaryCents) expect(s[i].m).toBe(s[j].m);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('scores are quintiles: at least ceil(k·n/5) members score ≤ k, exactly that many when distinct', () => {
    fc.assert(
      fc.property(rowsArb, (rows) => {
        const n = rows.length;
        const c = rfmCutoffs(rows);
        const s = rows.map((x) => rfmScores(c, x));
        for (const d of ['r', 'f', 'm'] as const) {
          const key = d === 'r' ? 'recencyDays' : d === 'f' ? 'frequency' : 'monetaryCents';
          const distinct = new Set(rows.map((x) => x[key])).size === n;
          for (let k = 1; k <= 4; k++) {
            const atMost = s.filter((x) => x[d] <= k).length;
            const want = Math.ceil((k * n) / 5);
            if (distinct) expect(atMost).toBe(want);
            else expect(atMost).toBeGreaterThanOrEqual(want);
          }
          for (const x of s) expect(x[d]).toBeGreaterThanOrEqual(1);
          for (const x of s) expect(x[d]).toBeLessThanOrEqual(5);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('computeRfm agrees with the parts; counts sum to the rows; input order does not matter', () => {
    fc.assert(
      fc.property(rowsArb, fc.integer(), (rows, seed) => {
        const res = computeRfm(rows);
        expect(res.byMember.size).toBe(rows.length);
        expect(Object.values(res.counts).reduce((a, b) => a + b, 0)).toBe(rows.length);
        for (const c of RFM_CLASSES) {
          expect([...res.byMember.values()].filter((m) => m.segment === c).length).toBe(res.counts[c]);
        }
        expect(res.means).toEqual(rfmMeans(rows, res.cutoffs));
        for (const x of rows) {
          const got = res.byMember.get(x.memberId)!;
          const scores = rfmScores(res.cutoffs, x);
          expect(got).toEqual({ ...x, memberId: undefined, ...scores, segment: rfmClass(scores, res.means) });
        }
        const k = rows.length ? Math.abs(seed) % rows.length : 0;
        const rotated = [...rows.slice(k), ...rows.slice(0, k)];
        const again = computeRfm(rotated);
        expect(again.cutoffs).toEqual(res.cutoffs);
        expect([...again.byMember.entries()].sort()).toEqual([...res.byMember.entries()].sort());
      }),
      { numRuns: 200 },
    );
  });
});
