// A counter item's exceptions list (functions/adapters/counter-exceptions.ts): stored as it is when
// short, deflated when that is smaller, and read back the same either way.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exceptionsAttributes, exceptionsOf } from '../../functions/adapters/counter-exceptions';
import { settleEntry } from '../../shared/coins/settle';

describe('counter item exceptions', () => {
  it('come back as they were, whatever they hold', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 140, unit: 'binary' }), { maxLength: 80 }), (list) => {
        const stored = exceptionsAttributes(list);
        expect(exceptionsOf(stored) ?? []).toEqual(list);
      }),
      { numRuns: 500 },
    );
  });

  it('keep a short list as a list, and pack a batch’s till settle entries into a fraction of their bytes', () => {
    expect(exceptionsAttributes(['m1', 'm2'])).toEqual({ hx: ['m1', 'm2'] });
    expect(exceptionsAttributes([])).toEqual({});
    // 60 settle records of one batch: 56-digit sequence numbers of one shard, a few members.
    const entries = Array.from({ length: 60 }, (_, i) =>
      settleEntry({
        seq: `4966000000000000000000000000000000000000000000000${String(1_000_000 + i * 37)}`,
        memberId: `member-${i % 20}`,
        op: `r#till-${i}`,
      }),
    ).sort();
    const listed = entries.reduce((n, e) => n + e.length + 1, 3);
    const stored = exceptionsAttributes(entries);
    expect(stored.hx).toBeUndefined();
    expect(stored.hz!.length).toBeLessThan(listed / 3);
    expect(exceptionsOf(stored)).toEqual(entries);
  });
});
