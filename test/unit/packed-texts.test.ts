// The member item's longer texts deflated together (functions/adapters/packed-texts.ts): any texts
// come back exactly, packed only when that is smaller, items packed before the dictionary still
// read, and a member item with a month's outboxes stays under 1 KB where the separate attributes
// (or, for a heavier member, packing without the dictionary) took it over: a second write unit.
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fromMemberItem, toMemberItem } from '../../functions/adapters/member-item';
import { packTexts, unpackTexts, type PackedTexts } from '../../functions/adapters/packed-texts';
import { PACKED_TEXTS_DICTIONARY_1 } from '../../functions/adapters/packed-texts-dictionary';
import { itemSize } from '../../bench/billing';
import { marshall } from '@aws-sdk/util-dynamodb';
import { MemoryPipeline } from '../support/memory-pipeline';
import { orderLines } from '../support/event-lines';

const attrs = (o: object) =>
  Object.entries(o).reduce((n, [k, v]) => n + k.length + (typeof v === 'string' ? Buffer.byteLength(v) : (v as Uint8Array).length), 0);
const FIELDS = ['cx', 'tp', 'ao', 'oo', 'ps', 'ph', 'evd'] as const;
/** How an item written before the dictionary packed its texts. */
const packedBefore = (o: PackedTexts) => deflateRawSync(JSON.stringify(FIELDS.map((f) => o[f] ?? null)));
const size = (x: object) => itemSize(marshall(x, { removeUndefinedValues: true }));
const DAYS = Array.from({ length: 17 }, (_, i) => `2026-11-${String(i + 1).padStart(2, '0')}`);

/** A member who bought on each of `days` (a basket of three lines, amounts varying) and viewed `views` pages each day. */
async function buyer(days: readonly string[], views = 0) {
  const p = new MemoryPipeline();
  const orders = orderLines();
  for (const [i, day] of days.entries()) {
    const lines = [
      orders.purchase('m1', `o${i}`, day, [
        ['sku-a', 'meat', 2_000 + 137 * i],
        ['sku-b', 'produce', 3_100 + 71 * i],
        ['sku-c', 'dairy', 1_500 + 53 * i],
      ]),
    ];
    for (let v = 0; v < views; v++)
      lines.push(
        JSON.stringify({
          eventId: `v${i}-${v}`,
          type: 'page_view',
          memberId: 'm1',
          occurredAt: `${day}T11:0${v}:00+08:00`,
          channel: 'app',
        }),
      );
    await p.deliver(p.records(lines));
  }
  return p.member('m1')!;
}

describe('packed texts', () => {
  it('come back exactly, and are packed only when smaller', () => {
    const text = fc.option(fc.string({ unit: 'binary', maxLength: 600 }), { nil: undefined });
    fc.assert(
      fc.property(fc.record({ cx: text, tp: text, ao: text, oo: text, ps: text, ph: text, evd: text }, { requiredKeys: [] }), (raw) => {
        const o = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as PackedTexts;
        const stored = packTexts(o);
        expect('oz' in stored ? unpackTexts(stored as { oz: Uint8Array }) : stored).toEqual(o);
        expect(attrs(stored)).toBeLessThanOrEqual(attrs(o));
        // An item written before the dictionary (`ob`) reads the same.
        if (Object.keys(o).length) expect(unpackTexts({ ob: packedBefore(o) })).toEqual(o);
      }),
      { numRuns: 300 },
    );
    expect(unpackTexts({})).toBeNull();
  });

  it('use a dictionary that never changes: stored items are inflated with it', () => {
    expect(createHash('sha256').update(PACKED_TEXTS_DICTIONARY_1).digest('hex')).toBe(DICTIONARY_DIGEST);
  });

  it('keep a member with three purchases under 1 KB, which the separate outboxes took over it', async () => {
    const state = await buyer(DAYS.slice(0, 3));
    const item = toMemberItem(state);
    expect(item.oz).toBeDefined();
    const { oz: _oz, ...rest } = item;
    const unpacked = { ...rest, ...unpackTexts(item) };
    // Read back as the same member as the separate attributes give, outboxes included.
    expect(fromMemberItem(item)).toEqual(fromMemberItem(unpacked));
    expect(fromMemberItem(item).coinOut).toEqual(state.coinOut);
    expect(size(item)).toBeLessThan(1024);
    expect(size(unpacked)).toBeGreaterThan(size(item));
  });

  it('keep a heavier buyer under 1 KB, which packing without the dictionary took over it', async () => {
    const state = await buyer(DAYS, 4);
    const item = toMemberItem(state);
    const { oz, ...rest } = item;
    const texts = unpackTexts(item)!;
    const before = { ...rest, ob: packedBefore(texts) };
    expect(fromMemberItem(before)).toEqual(fromMemberItem(item));
    expect(oz!.length).toBeLessThan(before.ob.length);
    expect([size(item) <= 1024, size(before) <= 1024]).toEqual([true, false]);
  });
});

const DICTIONARY_DIGEST = 'ae8ed9bc8b94f12f83212cdb6abacdf6f4fd6799c5cc8b9ab68e8785164c41a0';
