// The member item's coin lots. A heavy buyer holds a dozen lots or more, and they were what most
// often took the item past 1 KB (a second write unit on every write of the member), beside the
// eventId ring the contract fixes at 64 ids.
//
// `cm` (written now): per lot, the lot number in 6 bytes (a hash: it does not shrink), then
// unsigned LEB128 varints of availableOn's distance from the previous lot's (zigzag: lots are in
// spending order, by expiry, so it is nearly always small), the lot's span (expiresOn − availableOn)
// as its distance from the previous lot's (zigzag; nearly always 0: one expiry rule) shifted left by
// two with the flags in the low bits, and the coins left. About 10 bytes a lot.
// `cl` (items written before it): 16 bytes a lot, read as it is.
import type { CoinLot } from '../../shared/coins/lots';
import { unzigzag, varint, varintReader, zigzag } from './varint';

const BOOKED = 1;
const NOTICED = 2;

/** The compact form (`cm`), or undefined for no lots. */
export function encodeLots(lots: readonly CoinLot[]): Uint8Array | undefined {
  if (!lots.length) return undefined;
  const out: number[] = [];
  let previous = 0;
  let previousSpan = 0;
  for (const lot of lots) {
    const high = Math.floor(lot.seq / 2 ** 32);
    const low = lot.seq % 2 ** 32;
    out.push((high >> 8) & 0xff, high & 0xff, low >>> 24, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff);
    const step = lot.availableOn - previous;
    previous = lot.availableOn;
    varint(out, zigzag(step));
    const span = lot.expiresOn - lot.availableOn;
    varint(out, zigzag(span - previousSpan) * 4 + (lot.booked ? BOOKED : 0) + (lot.noticed ? NOTICED : 0));
    previousSpan = span;
    varint(out, lot.left);
  }
  return Uint8Array.from(out);
}

/** The lots of a member item: its compact form, else the older fixed one. */
export function lotsOf(item: { cm?: Uint8Array; cl?: Uint8Array }): CoinLot[] {
  return item.cm ? decodeCompact(item.cm) : decodeFixed(item.cl);
}

function decodeCompact(bytes: Uint8Array): CoinLot[] {
  const lots: CoinLot[] = [];
  const reader = varintReader(bytes, 'coin lots');
  let previous = 0;
  let previousSpan = 0;
  while (reader.at < bytes.length) {
    const at = reader.at;
    const seq =
      ((bytes[at] << 8) | bytes[at + 1]) * 2 ** 32 +
      ((bytes[at + 2] << 24) >>> 0) +
      ((bytes[at + 3] << 16) | (bytes[at + 4] << 8) | bytes[at + 5]);
    reader.skip(6);
    const availableOn = previous + unzigzag(reader.next());
    previous = availableOn;
    const spanAndFlags = reader.next();
    const span = previousSpan + unzigzag(Math.floor(spanAndFlags / 4));
    previousSpan = span;
    const left = reader.next();
    lots.push({
      seq,
      availableOn,
      expiresOn: availableOn + span,
      left,
      booked: (spanAndFlags & BOOKED) !== 0,
      noticed: (spanAndFlags & NOTICED) !== 0,
    });
  }
  return lots;
}

/** Items written before the compact form: 16 bytes per lot (number 6, availableOn 3, span 2, left 4, flags 1). */
function decodeFixed(bytes: Uint8Array | undefined): CoinLot[] {
  const lots: CoinLot[] = [];
  if (!bytes) return lots;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let o = 0; o + 16 <= bytes.length; o += 16) {
    const availableOn = (view.getUint8(o + 6) << 16) | view.getUint16(o + 7);
    const flags = view.getUint8(o + 15);
    lots.push({
      seq: view.getUint16(o) * 2 ** 32 + view.getUint32(o + 2),
      availableOn,
      expiresOn: availableOn + view.getUint16(o + 9),
      left: view.getUint32(o + 11),
      booked: (flags & BOOKED) !== 0,
      noticed: (flags & NOTICED) !== 0,
    });
  }
  return lots;
}
