// The member item's coin lots (functions/adapters/coin-lots-codec.ts): the compact form comes back
// exactly, whatever the lots hold, in fewer bytes than the fixed form items written before it hold,
// which is still read.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeLots, lotsOf } from '../../functions/adapters/coin-lots-codec';
import { fromMemberItem, toMemberItem } from '../../functions/adapters/member-item';
import { compareLots, lotNumber, type CoinLot } from '../../shared/coins/lots';
import { newMember } from '../../shared/member/state';

const lot = fc
  .record({
    seq: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    availableOn: fc.integer({ min: 0, max: 2 ** 24 - 1 - 65_535 }),
    span: fc.integer({ min: 0, max: 65_535 }),
    left: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    booked: fc.boolean(),
    noticed: fc.boolean(),
  })
  .map(({ span, ...rest }): CoinLot => ({ ...rest, expiresOn: rest.availableOn + span }));

/** The form items were written in before the compact one (16 bytes a lot). */
function fixedForm(lots: readonly CoinLot[]): Uint8Array {
  const bytes = new Uint8Array(lots.length * 16);
  const view = new DataView(bytes.buffer);
  lots.forEach((l, i) => {
    const o = i * 16;
    view.setUint16(o, Math.floor(l.seq / 2 ** 32));
    view.setUint32(o + 2, l.seq % 2 ** 32);
    view.setUint8(o + 6, (l.availableOn >> 16) & 0xff);
    view.setUint16(o + 7, l.availableOn & 0xffff);
    view.setUint16(o + 9, l.expiresOn - l.availableOn);
    view.setUint32(o + 11, l.left);
    view.setUint8(o + 15, (l.booked ? 1 : 0) | (l.noticed ? 2 : 0));
  });
  return bytes;
}

describe('coin lots on the member item', () => {
  it('come back exactly from the compact form, in any order and with any values the fixed form held', () => {
    fc.assert(
      fc.property(fc.array(lot, { maxLength: 40 }), (lots) => {
        expect(lotsOf({ cm: encodeLots(lots) })).toEqual(lots);
        expect(lotsOf({ cl: fixedForm(lots) })).toEqual(lots);
      }),
      { numRuns: 2_000 },
    );
  });

  it('take about 10 bytes a lot for a buyer’s lots in spending order (16 before), and the item writes only `cm`', () => {
    // Fourteen purchases a few days apart: 7 pending days, a year to expire, ¥10–¥1,500 each.
    const lots: CoinLot[] = Array.from({ length: 14 }, (_, i) => ({
      seq: lotNumber('order', `o${i}`),
      availableOn: 20_400 + i * 3 + 7,
      expiresOn: 20_400 + i * 3 + 7 + 365,
      left: 10 + ((i * 977) % 1_490),
      booked: i < 10,
      noticed: false,
    })).sort(compareLots);
    const compact = encodeLots(lots)!;
    expect(compact.length).toBeLessThanOrEqual(14 * 10 + 4); // the first lot holds its whole day and span
    expect(compact.length).toBeLessThan(fixedForm(lots).length * 0.65);
    const member = { ...newMember('m1', 20_400), coins: { lots, debt: 0, asOf: 20_420 } };
    const item = toMemberItem(member);
    expect(item.cl).toBeUndefined();
    expect(fromMemberItem(item).coins.lots).toEqual(lots);
    // An item written before the compact form is read as it was written.
    const { cm: _cm, ...older } = item;
    expect(fromMemberItem({ ...older, cl: fixedForm(lots) }).coins.lots).toEqual(lots);
  });

  it('rejects a truncated compact form rather than reading a wrong lot', () => {
    const bytes = encodeLots([{ seq: 1, availableOn: 20_400, expiresOn: 20_765, left: 300, booked: false, noticed: false }])!;
    expect(() => lotsOf({ cm: bytes.slice(0, bytes.length - 1) })).toThrow(/truncated/);
  });
});
