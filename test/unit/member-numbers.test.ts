// The member item's small numbers in one attribute (functions/adapters/member-numbers.ts): every
// value comes back exactly (the null markers −1 and days before joining too), a value the form
// cannot hold keeps the attributes, items written before read the same, and an upgraded member's
// numbers take fewer than half the bytes the attributes did.
import fc from 'fast-check';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { decodeNumbers, encodeNumbers, NUMBER_FIELDS, type MemberNumbers } from '../../functions/adapters/member-numbers';
import { fromMemberItem, toMemberItem, type MemberItem } from '../../functions/adapters/member-item';
import { itemSize } from '../../bench/billing';
import { MemoryPipeline } from '../support/memory-pipeline';
import { orderLines } from '../support/event-lines';

const size = (x: object) => itemSize(marshall(x, { removeUndefinedValues: true }));

/** The item as written before `nm`: the numbers as attributes. */
function writtenBefore(item: MemberItem): MemberItem {
  const { nm, ...rest } = item;
  return { ...rest, ...decodeNumbers(nm!) };
}

describe('the member item numbers', () => {
  it('come back exactly', () => {
    const day = fc.integer({ min: -1, max: 3_000_000 });
    const optional = fc.option(day, { nil: undefined });
    fc.assert(
      fc.property(
        fc.record({
          j: fc.integer({ min: 0, max: 3_000_000 }),
          ad: fc.nat(),
          lp: fc.integer({ min: -(2 ** 50), max: 2 ** 50 }),
          t: fc.nat({ max: 20 }),
          ts: optional,
          tr: optional,
          tb: fc.option(fc.nat({ max: 20 }), { nil: undefined }),
          tbs: optional,
          tbr: optional,
          ar: optional,
          so: optional,
          la: optional,
          ca: optional,
          cd: fc.option(fc.nat(), { nil: undefined }),
        }),
        (raw) => {
          const numbers = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as unknown as MemberNumbers;
          expect(decodeNumbers(encodeNumbers(numbers)!)).toEqual(numbers);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keep the attributes when a value does not fit the form', () => {
    expect(encodeNumbers({ j: 20_000, ad: 1, lp: 2 ** 53, t: 0 })).toBeNull();
    expect(encodeNumbers({ j: 20_000, ad: 1, lp: 1.5, t: 0 })).toBeNull();
  });

  it('read the same from items written before, and take fewer than half the bytes', async () => {
    const p = new MemoryPipeline();
    const orders = orderLines();
    // Above the base tier (its days, the upgrade's days before it), coins booked, active.
    await p.deliver(p.records([orders.purchase('m1', 'o1', '2026-11-01', [['a', 'meat', 150_000]])]));
    await p.deliver(p.records([orders.purchase('m1', 'o2', '2026-11-09', [['a', 'meat', 20_000]])]));
    const state = p.member('m1')!;
    expect(state.tier.tier).toBeGreaterThan(0);
    const item = toMemberItem(state);
    expect(item.nm).toBeDefined();
    for (const f of NUMBER_FIELDS) expect(item[f]).toBeUndefined();
    const before = writtenBefore(item);
    expect(fromMemberItem(before)).toEqual(fromMemberItem(item));
    expect(fromMemberItem(item)).toEqual({ ...state, version: state.version + 1, contribution: new Map() });
    const numbersBefore = size(before) - size({ ...before, ...Object.fromEntries(NUMBER_FIELDS.map((f) => [f, undefined])) });
    expect(size({ nm: item.nm })).toBeLessThan(numbersBefore / 2);
  });
});
