// The member item's longer texts deflated together (functions/adapters/packed-texts.ts): any texts
// come back exactly, packed only when that is smaller, and a member item with a month's outboxes
// stays under 1 KB where the separate attributes took it over (a second write unit per write).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromMemberItem, toMemberItem } from '../../functions/adapters/member-item';
import { packTexts, unpackTexts, type PackedTexts } from '../../functions/adapters/packed-texts';
import { itemSize } from '../../bench/billing';
import { marshall } from '@aws-sdk/util-dynamodb';
import { MemoryPipeline } from '../support/memory-pipeline';
import { orderLines } from '../support/event-lines';

const attrs = (o: PackedTexts | { ob: Uint8Array }) =>
  Object.entries(o).reduce((n, [k, v]) => n + k.length + (typeof v === 'string' ? Buffer.byteLength(v) : (v as Uint8Array).length), 0);

describe('packed texts', () => {
  it('come back exactly, and are packed only when smaller', () => {
    const text = fc.option(fc.string({ unit: 'binary', maxLength: 600 }), { nil: undefined });
    fc.assert(
      fc.property(fc.record({ cx: text, tp: text, ao: text, oo: text, ps: text, ph: text, evd: text }, { requiredKeys: [] }), (raw) => {
        const o = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as PackedTexts;
        const stored = packTexts(o);
        expect('ob' in stored ? unpackTexts(stored.ob as Uint8Array) : stored).toEqual(o);
        expect(attrs(stored)).toBeLessThanOrEqual(attrs(o));
      }),
      { numRuns: 300 },
    );
  });

  it('keep a member with three purchases under 1 KB, which the separate outboxes took over it', async () => {
    const p = new MemoryPipeline();
    const orders = orderLines();
    await p.deliver(
      p.records([
        orders.purchase('m1', 'o1', '2026-11-01', [['a', 'meat', 20_000]]),
        orders.purchase('m1', 'o2', '2026-11-02', [['a', 'meat', 21_000]]),
        orders.purchase('m1', 'o3', '2026-11-03', [['a', 'meat', 22_000]]),
      ]),
    );
    const state = p.member('m1')!;
    const item = toMemberItem(state);
    expect(item.ob).toBeDefined();
    const { ob: _ob, ...rest } = item;
    const unpacked = { ...rest, ...unpackTexts(item.ob!) };
    // Read back as the same member as the separate attributes give, outboxes included.
    expect(fromMemberItem(item)).toEqual(fromMemberItem(unpacked));
    expect(fromMemberItem(item).coinOut).toEqual(state.coinOut);
    const size = (x: object) => itemSize(marshall(x, { removeUndefinedValues: true }));
    expect(size(item)).toBeLessThan(1024);
    expect(size(unpacked)).toBeGreaterThan(size(item));
  });
});
